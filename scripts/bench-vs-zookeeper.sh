#!/usr/bin/env bash
# Keel and ZooKeeper side by side on this machine, with the same load driver:
#
#   scripts/bench-vs-zookeeper.sh [ROUNDS]
#
# Builds what it needs, then for each round starts a fresh 3-node ZooKeeper ensemble (the
# zookeeper jar from Maven Central, loopback, forceSync on) and a fresh 3-voter Keel cluster, one
# after the other (the order alternates between rounds), and runs the same workloads against each
# with the same driver (bench/: ZooKeeper's own Java client, Curator for the lock):
#
#   create, setData, getData, mixed   ops/s, 8 sessions x 16 requests in flight, 100-byte data
#   latency                           one session, one create at a time: p50
#   lock                              Curator InterProcessMutex, 8 contenders: acquisitions/s
#   watch                             8 watchers of one node: notification p50 and p99
#   failover                          setData load, kill -9 of the leader: longest write gap
#   and server CPU per op (user + system time of the three server processes) for the first four.
#
# Prints every result, then a table of Keel/ZooKeeper ratios (means over the rounds; for
# latencies, gaps and CPU a ratio below 1 is Keel doing better). Both systems get the same JVM
# options (BENCH_JVM_OPTS, default -Xmx512m); BENCH_KEEL_CFG adds lines to the Keel nodes' configs
# (e.g. writeBatchMaxOps=1 to forward every write alone), BENCH_JIT_WARMUP (30) the seconds of
# mixed load each system gets before anything is measured (the JIT compiles for a minute or
# more on two cores), BENCH_KEEL_JVM_OPTS JVM options to
# Keel's servers alone (a profiler: -XX:StartFlightRecording=filename=/tmp/jfr/, a directory). BENCH_SECONDS (15) and BENCH_WARMUP (5) set each
# workload's measured and warm-up seconds. Every process started is stopped by its PID at exit.
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=scripts/common.sh
source "$here/common.sh"

ROUNDS=${1:-2}
# Workloads to run (all by default), e.g. BENCH_WORKLOADS="create getData"; BENCH_SYSTEMS="keel"
# runs one system only (no ratios then).
read -r -a WORKLOADS <<<"${BENCH_WORKLOADS:-create setData getData mixed latency lock watch failover}"
MEASURE=${BENCH_SECONDS:-15}
JIT_WARMUP=${BENCH_JIT_WARMUP:-30}
WARMUP=${BENCH_WARMUP:-5}
read -r -a JVM_OPTS <<<"${BENCH_JVM_OPTS:--Xmx512m}"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS]" >&2; exit 2; }

ZK_CLIENT_PORTS=(22181 22182 22183)
KEEL_CLIENT_PORTS=(22281 22282 22283)
KEEL_RAFT_PORTS=(29871 29872 29873)

echo "Building (mvn -B -q -DskipTests install)..." >&2
(cd "$KEEL_ROOT" && mvn -B -q -DskipTests install) >&2
bench_jar=$(ls "$KEEL_ROOT"/bench/target/keel-bench-*.jar | head -n 1)
classpath="$bench_jar:$(cat "$KEEL_ROOT/bench/target/classpath.txt")"

work=$(mktemp -d /tmp/keel-bench.XXXXXX)
results="$work/results.txt"
declare -A server_pid=()

# SIGTERM (a profiler writes its recording then), SIGKILL after 20 s.
stop_all() {
  local k deadline
  for k in "${!server_pid[@]}"; do
    kill -TERM "${server_pid[$k]}" 2>/dev/null || true
  done
  deadline=$((SECONDS + 20))
  for k in "${!server_pid[@]}"; do
    while keel_pid_alive "${server_pid[$k]}" && ((SECONDS < deadline)); do
      sleep 0.2
    done
    kill -9 "${server_pid[$k]}" 2>/dev/null || true
    wait "${server_pid[$k]}" 2>/dev/null || true
    unset "server_pid[$k]"
  done
}
trap 'stop_all; echo "work files: $work" >&2' EXIT

for p in "${ZK_CLIENT_PORTS[@]}" "${KEEL_CLIENT_PORTS[@]}" "${KEEL_RAFT_PORTS[@]}"; do
  if keel_port_open 127.0.0.1 "$p"; then
    echo "bench: port $p is in use; stop what listens there first" >&2
    exit 1
  fi
done

driver() {
  java -Xmx1g -cp "$classpath" io.keel.bench.ZkBench "$@"
}

connect_string() {
  local -n ports=$1
  local IFS=,
  local list=()
  for p in "${ports[@]}"; do list+=("127.0.0.1:$p"); done
  echo "${list[*]}"
}

start_zookeeper() {
  local i dir
  for i in 1 2 3; do
    dir="$work/zk$i"
    rm -rf "$dir"
    mkdir -p "$dir/data"
    echo "$i" >"$dir/data/myid"
    cat >"$dir/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=${ZK_CLIENT_PORTS[$((i - 1))]}
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=yes
admin.enableServer=false
4lw.commands.whitelist=srvr
server.1=127.0.0.1:22881:23881
server.2=127.0.0.1:22882:23882
server.3=127.0.0.1:22883:23883
CFG
    java "${JVM_OPTS[@]}" -cp "$classpath" org.apache.zookeeper.server.quorum.QuorumPeerMain \
      "$dir/zoo.cfg" >"$dir/out" 2>&1 &
    server_pid[zk$i]=$!
  done
}

start_keel() {
  local i dir
  for i in 1 2 3; do
    dir="$work/keel$i"
    rm -rf "$dir"
    mkdir -p "$dir"
    cat >"$dir/node.cfg" <<CFG
id=$i
dataDir=$dir/data
server.1=127.0.0.1:${KEEL_RAFT_PORTS[0]}
server.2=127.0.0.1:${KEEL_RAFT_PORTS[1]}
server.3=127.0.0.1:${KEEL_RAFT_PORTS[2]}
clientPort=${KEEL_CLIENT_PORTS[$((i - 1))]}
tickTime=2000
${BENCH_KEEL_CFG:-}
CFG
    # shellcheck disable=SC2086  # BENCH_KEEL_JVM_OPTS is a list of options
    java "${JVM_OPTS[@]}" ${BENCH_KEEL_JVM_OPTS:-} -XX:+ExitOnOutOfMemoryError "-Dkeel.log.file=$dir/server.log" \
      "-Dlogback.configurationFile=$KEEL_ROOT/conf/logback.xml" \
      -jar "$KEEL_JAR" server "$dir/node.cfg" >"$dir/out" 2>&1 &
    server_pid[keel$i]=$!
  done
}

# The 1-based index of the ZooKeeper leader, from each server's srvr.
zookeeper_leader() {
  local i mode
  for i in 1 2 3; do
    mode=$( (exec 3<>"/dev/tcp/127.0.0.1/${ZK_CLIENT_PORTS[$((i - 1))]}" && printf srvr >&3 &&
      timeout 2 cat <&3) 2>/dev/null | sed -n 's/^Mode: //p')
    [[ $mode == leader ]] && { echo "$i"; return 0; }
  done
  return 1
}

keel_leader() {
  local IFS=,
  local raft=()
  for p in "${KEEL_RAFT_PORTS[@]}"; do raft+=("127.0.0.1:$p"); done
  java -jar "$KEEL_JAR" --servers "${raft[*]}" cluster status -o json 2>/dev/null |
    tr -d ' \n' | sed -n 's/.*"leader":\([0-9][0-9]*\).*/\1/p'
}

run_system() {
  local system=$1 round=$2 connect prefix pids leader w
  if [[ $system == zookeeper ]]; then
    start_zookeeper
    connect=$(connect_string ZK_CLIENT_PORTS)
    prefix=zk
  else
    start_keel
    connect=$(connect_string KEEL_CLIENT_PORTS)
    prefix=keel
  fi
  pids="${server_pid[${prefix}1]},${server_pid[${prefix}2]},${server_pid[${prefix}3]}"
  driver ready --connect "$connect" --label "$system" >/dev/null
  echo "== round $round: $system up (pids $pids); ${JIT_WARMUP}s of mixed load to warm the JIT" >&2
  driver mixed --connect "$connect" --label "$system" --seconds "$JIT_WARMUP" --warmup 1 >/dev/null
  for w in "${WORKLOADS[@]}"; do
    [[ $w == failover ]] && continue
    driver "$w" --connect "$connect" --label "$system" --seconds "$MEASURE" --warmup "$WARMUP" \
      --pids "$pids" | tee -a "$results"
  done
  if [[ " ${WORKLOADS[*]} " != *" failover "* ]]; then
    stop_all
    return
  fi
  if [[ $system == zookeeper ]]; then leader=$(zookeeper_leader); else leader=$(keel_leader); fi
  if [[ -n $leader ]]; then
    driver failover --connect "$connect" --label "$system" --seconds "$MEASURE" --warmup "$WARMUP" \
      --kill-pid "${server_pid[$prefix$leader]}" | tee -a "$results"
  else
    echo "bench: could not tell $system's leader; no failover run" >&2
  fi
  stop_all
}

for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2 == 1)); then order=(zookeeper keel); else order=(keel zookeeper); fi
  for s in "${order[@]}"; do
    [[ " ${BENCH_SYSTEMS:-zookeeper keel} " == *" $s "* ]] || continue
    run_system "$s" "$r"
  done
done

echo
echo "Keel / ZooKeeper, means of $ROUNDS round(s) ($(nproc) cores, $MEASURE s measured per workload)"
awk '
  /^RESULT/ {
    sys = ""; wl = ""
    for (i = 2; i <= NF; i++) {
      split($i, kv, "=")
      if (kv[1] == "system") sys = kv[2]
      else if (kv[1] == "workload") wl = kv[2]
      else if (kv[2] != "NA") { sum[sys, wl, kv[1]] += kv[2]; n[sys, wl, kv[1]]++ }
    }
  }
  function mean(s, w, k) { return n[s, w, k] ? sum[s, w, k] / n[s, w, k] : "" }
  function row(label, w, k) {
    z = mean("zookeeper", w, k); e = mean("keel", w, k)
    if (z == "" || e == "") { printf "%-34s %12s %12s %8s\n", label, e, z, "-"; return }
    printf "%-34s %12.2f %12.2f %8.2f\n", label, e, z, (z == 0 ? 0 : e / z)
  }
  END {
    printf "%-34s %12s %12s %8s\n", "metric", "keel", "zookeeper", "ratio"
    row("create ops/s", "create", "ops_per_s")
    row("setData ops/s", "setData", "ops_per_s")
    row("getData ops/s", "getData", "ops_per_s")
    row("mixed 90/10 ops/s", "mixed", "ops_per_s")
    row("lock acquisitions/s", "lock", "ops_per_s")
    row("single-client create p50 ms", "latency", "p50_ms")
    row("watch notification p50 ms", "watch", "p50_ms")
    row("watch notification p99 ms", "watch", "p99_ms")
    row("longest write gap, leader killed ms", "failover", "max_gap_ms")
    row("server CPU ms/op, create", "create", "cpu_ms_per_op")
    row("server CPU ms/op, setData", "setData", "cpu_ms_per_op")
    row("server CPU ms/op, getData", "getData", "cpu_ms_per_op")
    row("server CPU ms/op, mixed", "mixed", "cpu_ms_per_op")
  }' "$results"
