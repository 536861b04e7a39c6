#!/usr/bin/env bash
# Process-level smoke test (DESIGN §10, layer 3): the scripts start a real local cluster; the CLI
# creates, reads, lists and watches a node; `cluster status` shows one leader; the leader is killed
# with kill -9; status shows a new leader and the dead node unreachable; the data is still there;
# the node comes back. The cluster is always stopped on exit, and no process it ran may be left.
#
#   scripts/smoke-test.sh        (needs ports 9871-9874 and 2181-2184 free; uses data/ and logs/)
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=scripts/common.sh
source "$here/common.sh"
cd "$KEEL_ROOT"

passed=0
pids=()

section() { printf '\n==== smoke: %s ====\n' "$*"; }
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { echo "SMOKE TEST FAILED: $*" >&2; exit 1; }
keel() { "$here/keel" "$@"; }

finish() {
  local rc=$? pid alive=0
  trap - EXIT
  section "stopping the cluster"
  "$here/keel-cluster.sh" stop || rc=1
  for pid in "${pids[@]}"; do
    if keel_pid_alive "$pid"; then
      echo "process $pid is still alive after the cluster stopped" >&2
      alive=1
    fi
  done
  if ((alive)); then
    rc=1
  elif ((${#pids[@]} > 0)); then
    ok "no process of the ${#pids[@]} started is left"
  fi
  echo "smoke: $passed passed, $((rc == 0 ? 0 : 1)) failed"
  exit "$rc"
}
trap finish EXIT

# The node `keel cluster status` reports as leader (its first line: "Leader: node N, term T; ...").
status_leader() {
  keel --timeout 5s cluster status 2>/dev/null | sed -n '1s/^Leader: node \([0-9]*\),.*/\1/p'
}

# Waits up to $2 seconds until the status shows a leader other than $1 (empty: any); prints it.
await_leader() {
  local not=$1 deadline=$((SECONDS + $2)) leader
  while true; do
    leader=$(status_leader || true)
    if [[ -n $leader && $leader != "$not" ]]; then
      echo "$leader"
      return 0
    fi
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

section "starting the local cluster"
"$here/keel-cluster.sh" start
for pid_file in "$KEEL_LOGS"/node*.pid; do
  pids+=("$(<"$pid_file")")
done
ok "cluster started: pids ${pids[*]}"

section "writing and reading through the CLI"
# A previous run on this machine may have left /smoke in data/.
set +e
keel delete /smoke 2>/dev/null
rc=$?
set -e
((rc == 0 || rc == 3)) || fail "delete /smoke exited $rc"
out=$(keel create /smoke hello)
[[ $out == "Created /smoke" ]] || fail "create printed '$out'"
ok "create /smoke hello"
out=$(keel get /smoke)
[[ $out == hello ]] || fail "get /smoke printed '$out', expected hello"
ok "get /smoke prints hello"

ls_out=$(keel ls /)
[[ $ls_out == *smoke* ]] || fail "ls / printed '$ls_out', expected it to list smoke"
ok "ls / lists smoke"

section "watch"
# watch prints one line per event; --count 1 ends it after the first. It has no "ready" line, so
# the node is changed until the watch reports it (a change before the watch is set is not seen).
watch_out="$KEEL_LOGS/smoke-watch.out"
keel watch /smoke --count 1 >"$watch_out" 2>"$KEEL_LOGS/smoke-watch.err" &
watch_pid=$!
pids+=("$watch_pid")
deadline=$((SECONDS + 30))
while keel_pid_alive "$watch_pid"; do
  ((SECONDS < deadline)) || fail "watch /smoke saw no change within 30 s: $(cat "$KEEL_LOGS/smoke-watch.err")"
  keel set /smoke watched
  sleep 0.5
done
wait "$watch_pid" || fail "watch exited $?: $(cat "$KEEL_LOGS/smoke-watch.err")"
grep -Eq '^NodeDataChanged /smoke 0x[0-9a-f]+$' "$watch_out" || fail "watch printed '$(cat "$watch_out")'"
ok "watch /smoke printed: $(cat "$watch_out")"

section "cluster status"
keel cluster status || fail "cluster status exited $? with every node up"
leaders=$(keel cluster status -o json | grep -o '"role":"leader"' | wc -l)
((leaders == 1)) || fail "cluster status shows $leaders leaders"
victim_id=$(status_leader)
[[ -n $victim_id ]] || fail "cluster status names no leader"
ok "cluster status: exactly one leader, node $victim_id"

section "kill -9 of the leader"
victim=node$victim_id
victim_pid=$(<"$KEEL_LOGS/$victim.pid")
echo "killing $victim (pid $victim_pid) with SIGKILL"
kill -9 "$victim_pid"
deadline=$((SECONDS + 10))
while keel_pid_alive "$victim_pid"; do
  ((SECONDS < deadline)) || fail "$victim (pid $victim_pid) survived kill -9"
  sleep 0.1
done
ok "$victim killed"

new_leader=$(await_leader "$victim_id" 60) || fail "no new leader within 60 s of the kill"
set +e
status_out=$(keel cluster status)
rc=$?
set -e
echo "$status_out"
((rc == 10)) || fail "cluster status exited $rc with a node down, expected 10"
grep -Eq "^$victim_id +[^ ]+ +voter +- .* no: " <<<"$status_out" ||
  fail "cluster status does not show node $victim_id unreachable"
ok "cluster status: node $new_leader leads, node $victim_id is unreachable"

section "the cluster goes on"
keel --timeout 30s set /smoke again || fail "set /smoke again exited $?"
ok "set /smoke again (through the election)"
out=$(keel --timeout 30s get /smoke)
[[ $out == again ]] || fail "get /smoke printed '$out', expected again"
ok "get /smoke prints again"

section "the killed node comes back"
"$here/keel-server.sh" start "conf/$victim.cfg"
pids+=("$(<"$KEEL_LOGS/$victim.pid")")
"$here/keel-cluster.sh" status
out=$(keel --servers "127.0.0.1:$(sed -n "s/^server\.${victim#node}=[^:]*:\([0-9]*\).*/\1/p" "conf/$victim.cfg")" \
  --timeout 30s get /smoke)
[[ $out == again ]] || fail "get /smoke after the restart printed '$out'"
keel delete /smoke
ok "$victim restarted from its data directory; the cluster serves"
