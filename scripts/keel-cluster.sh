#!/usr/bin/env bash
# The local cluster of conf/node*.cfg (3 voters and 1 observer on 127.0.0.1:9871-9874):
#
#   scripts/keel-cluster.sh start|stop|status
#
# start   starts every node (scripts/keel-server.sh start), then waits up to 60 s until a leader
#         is elected (a CLI command succeeds: it opens a session first, a write that needs a leader)
# stop    stops every node
# status  one line per node, then `keel cluster status` (roles, terms, indexes) if any node runs;
#         exit 0 only if every node is running
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
# shellcheck source=scripts/common.sh
source "$here/common.sh"

LEADER_TIMEOUT_S=60

confs=("$KEEL_ROOT"/conf/node*.cfg)
[[ -f ${confs[0]} ]] || { echo "keel-cluster: no conf/node*.cfg in $KEEL_ROOT" >&2; exit 2; }

# The voters' client addresses, from the first config: the connect string to probe with.
voters() {
  sed -n 's/^[[:space:]]*server\.[0-9]*[[:space:]]*=[[:space:]]*\([^:[:space:]]*:[0-9]*\)[[:space:]]*$/\1/p' \
    "${confs[0]}" | paste -sd, -
}

start() {
  local conf servers deadline
  for conf in "${confs[@]}"; do
    if ! "$here/keel-server.sh" start "$conf"; then
      echo "keel-cluster: $(basename "$conf") did not start; 'scripts/keel-cluster.sh stop' stops the others" >&2
      return 1
    fi
  done
  servers=${KEEL_SERVERS:-$(voters)}
  echo "Waiting for a leader (up to ${LEADER_TIMEOUT_S}s)..."
  deadline=$((SECONDS + LEADER_TIMEOUT_S))
  until "$here/keel" --servers "$servers" --timeout 3s ls / >/dev/null 2>"$KEEL_LOGS/cluster-probe.err"; do
    if ((SECONDS >= deadline)); then
      echo "keel-cluster: no leader within ${LEADER_TIMEOUT_S}s; last probe said:" >&2
      cat "$KEEL_LOGS/cluster-probe.err" >&2
      return 1
    fi
    sleep 1
  done
  rm -f "$KEEL_LOGS/cluster-probe.err"
  cat <<INFO
Keel cluster is up: ${#confs[@]} nodes, a leader is elected.
  try:   scripts/keel create /hello world && scripts/keel get /hello
  logs:  $KEEL_LOGS/NAME.log (server log), NAME.out (stdout/stderr), NAME.pid
  data:  $KEEL_ROOT/data/NAME (dataDir of conf/NAME.cfg)
  stop:  scripts/keel-cluster.sh stop
INFO
}

stop() {
  local conf rc=0
  for conf in "${confs[@]}"; do
    "$here/keel-server.sh" stop "$conf" || rc=1
  done
  return "$rc"
}

status() {
  local conf rc=0 running=0
  for conf in "${confs[@]}"; do
    if "$here/keel-server.sh" status "$conf"; then
      running=1
    else
      rc=3
    fi
  done
  if ((running)); then
    # What the nodes say about themselves: roles, terms, indexes (informative; the exit code
    # stays about the processes).
    echo
    "$here/keel" --servers "${KEEL_SERVERS:-$(voters)}" --timeout 3s cluster status || true
  fi
  return "$rc"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
