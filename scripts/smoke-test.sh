#!/usr/bin/env bash
# Process-level smoke test (DESIGN §10, layer 3): the scripts start a real local cluster, the CLI
# talks to it, the leader is killed with kill -9, and the cluster goes on. The cluster is always
# stopped on exit, and every process it ran must be gone afterwards.
#
#   scripts/smoke-test.sh        (needs ports 9871-9874 free; uses data/ and logs/)
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=scripts/common.sh
source "$here/common.sh"
cd "$KEEL_ROOT"

passed=0
pids=()
declare -A log_start # NAME -> size of logs/NAME.log before this run: only newer lines count

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

# The running node whose server log shows the latest election won in this run (highest term),
# or node1 if no log tells.
leader_name() {
  local log name term best="" best_term=-1
  for log in "$KEEL_LOGS"/node*.log; do
    name=$(basename "$log" .log)
    term=$(tail -c "+$((${log_start[$name]:-0} + 1))" "$log" |
      sed -n 's/.*changes role from *[A-Z]* to LEADER at term \([0-9]*\).*/\1/p' | tail -n 1)
    if [[ -n $term ]] && ((term > best_term)) && "$here/keel-server.sh" status "conf/$name.cfg" >/dev/null; then
      best=$name
      best_term=$term
    fi
  done
  echo "${best:-node1}"
}

section "starting the local cluster"
for conf in conf/node*.cfg; do
  name=$(basename "$conf" .cfg)
  log_start[$name]=$(stat -c %s "$KEEL_LOGS/$name.log" 2>/dev/null || echo 0)
done
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

section "kill -9 of the leader"
victim=$(leader_name)
victim_pid=$(<"$KEEL_LOGS/$victim.pid")
echo "killing $victim (pid $victim_pid) with SIGKILL"
kill -9 "$victim_pid"
deadline=$((SECONDS + 10))
while keel_pid_alive "$victim_pid"; do
  ((SECONDS < deadline)) || fail "$victim (pid $victim_pid) survived kill -9"
  sleep 0.1
done
ok "$victim killed"

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
