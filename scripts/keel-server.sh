#!/usr/bin/env bash
# One Keel node, in the background or the foreground:
#
#   scripts/keel-server.sh start|stop|restart|status|foreground CONF
#
# NAME is CONF's file name without .cfg (conf/node1.cfg -> node1). Files, under logs/:
#   NAME.pid  the server's PID        NAME.out  its stdout/stderr (NAME.out.prev: the previous run's)
#   NAME.log  the server's log (conf/logback.xml, rolled by size and day)
# The server runs with the project root as working directory, so dataDir=data/node1 is
# data/node1 there. Extra JVM options may be given in KEEL_JVM_OPTS (default heap: -Xmx512m).
#
# start       starts the node unless it runs; waits until its ports (server.N's and clientPort)
#             accept connections (or the process dies: then prints the end of NAME.out, exit 1)
# stop        SIGTERM, then SIGKILL if it has not stopped within 30 s; nothing if not running
# restart     stop, then start
# status      exit 0 if running, 3 if not
# foreground  runs the server in this terminal (logs to the console and NAME.log)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

START_TIMEOUT_S=60
STOP_TIMEOUT_S=30

usage() {
  echo "usage: $0 start|stop|restart|status|foreground CONF" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
command=$1
if [[ -f $2 ]]; then
  conf=$(readlink -f "$2")
elif [[ -f $KEEL_ROOT/$2 ]]; then
  conf=$(readlink -f "$KEEL_ROOT/$2")
else
  echo "keel-server: no config file '$2'" >&2
  exit 2
fi
name=$(basename "$conf" .cfg)
pid_file="$KEEL_LOGS/$name.pid"
out_file="$KEEL_LOGS/$name.out"
log_file="$KEEL_LOGS/$name.log"

# The value of key $1 in the config (a regex: escape dots), or nothing.
conf_value() {
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([^[:space:]]*\)[[:space:]]*\$/\1/p" "$conf" | tail -n 1
}

node_id=$(conf_value id)
address=$(conf_value "server\.$node_id")
host=${address%%:*}
port=${address#*:}
port=${port%%:*}
if [[ -z $node_id || -z $host || ! $port =~ ^[0-9]+$ ]]; then
  echo "keel-server: $conf: cannot find this node's address (id=N and server.N=host:port)" >&2
  exit 2
fi
# The session front's port (ZooKeeper clients), if the node has one.
client_port=$(conf_value clientPort)

# True when the node accepts connections on every port it serves.
serving() {
  keel_port_open "$host" "$port" && { [[ -z $client_port ]] || keel_port_open "$host" "$client_port"; }
}

read -r -a extra_jvm_opts <<<"${KEEL_JVM_OPTS:-}"
java_cmd=(java -Xmx512m -XX:+ExitOnOutOfMemoryError
  "-Dkeel.log.file=$log_file" "-Dlogback.configurationFile=$KEEL_ROOT/conf/logback.xml"
  "${extra_jvm_opts[@]}" -jar "$KEEL_JAR" server "$conf")

# The PID of this node's running server, from the PID file, checking that the process is really
# it (a stale PID file may name a reused PID).
running_pid() {
  local pid args
  [[ -f $pid_file ]] || return 1
  pid=$(<"$pid_file")
  keel_pid_alive "$pid" || return 1
  args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $args == *"keel.jar server $conf "* ]] || return 1
  echo "$pid"
}

start() {
  local pid deadline
  if pid=$(running_pid); then
    echo "$name: already running (pid $pid, $host:$port)"
    return 0
  fi
  rm -f "$pid_file"
  if keel_port_open "$host" "$port"; then
    echo "$name: cannot start: $host:$port is already in use by another process" >&2
    return 1
  fi
  if [[ -n $client_port ]] && keel_port_open "$host" "$client_port"; then
    echo "$name: cannot start: its clientPort $host:$client_port is already in use by another process" >&2
    return 1
  fi
  keel_ensure_jar
  mkdir -p "$KEEL_LOGS"
  [[ -f $out_file ]] && mv -f "$out_file" "$out_file.prev"
  cd "$KEEL_ROOT"
  nohup "${java_cmd[@]}" >"$out_file" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pid_file"
  deadline=$((SECONDS + START_TIMEOUT_S))
  until serving; do
    if ! keel_pid_alive "$pid"; then
      rm -f "$pid_file"
      echo "$name: failed to start; the end of $out_file:" >&2
      tail -n 20 "$out_file" >&2
      # Some failures (e.g. the port taken) are only in the server log.
      if [[ -f $log_file ]] && grep -qE '^[0-9-]+ [0-9:.]+ ERROR|^Caused by' "$log_file"; then
        echo "$name: the last errors in $log_file:" >&2
        grep -E '^[0-9-]+ [0-9:.]+ ERROR|^Caused by' "$log_file" | tail -n 4 >&2
      fi
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "$name: $host:$port not open after ${START_TIMEOUT_S}s; stopping it (see $out_file, $log_file)" >&2
      stop >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$name: started (pid $pid, $host:$port${client_port:+, ZooKeeper clients $host:$client_port}, log $log_file)"
}

stop() {
  local pid deadline
  if ! pid=$(running_pid); then
    rm -f "$pid_file"
    echo "$name: not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  while keel_pid_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      echo "$name: still running ${STOP_TIMEOUT_S}s after SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 10))
      while keel_pid_alive "$pid"; do
        if ((SECONDS >= deadline)); then
          echo "$name: pid $pid survives SIGKILL" >&2
          return 1
        fi
        sleep 0.2
      done
      break
    fi
    sleep 0.2
  done
  rm -f "$pid_file"
  echo "$name: stopped (pid $pid)"
}

status() {
  local pid
  if pid=$(running_pid); then
    if serving; then
      echo "$name: running (pid $pid, $host:$port${client_port:+, ZooKeeper clients $host:$client_port})"
    else
      echo "$name: running (pid $pid), but $host:$port${client_port:+ or $host:$client_port} does not accept connections"
    fi
    return 0
  fi
  echo "$name: not running"
  return 3
}

foreground() {
  local pid
  if pid=$(running_pid); then
    echo "$name: already running in the background (pid $pid)" >&2
    return 1
  fi
  keel_ensure_jar
  mkdir -p "$KEEL_LOGS"
  cd "$KEEL_ROOT"
  # exec keeps this PID, so stop and status work from another terminal.
  echo "$$" >"$pid_file"
  exec "${java_cmd[@]:0:1}" -Dkeel.log.console.level=INFO "${java_cmd[@]:1}"
}

case $command in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  status) status ;;
  foreground) foreground ;;
  *) usage ;;
esac
