# shellcheck shell=bash
# Sourced by the scripts beside it: where the project and the runnable jar are, and small helpers.

# shellcheck disable=SC2034  # used by the scripts that source this file
KEEL_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
KEEL_JAR="$KEEL_ROOT/cli/target/keel.jar"
KEEL_LOGS="$KEEL_ROOT/logs"

# Builds cli/target/keel.jar if it is missing. The build runs from the top so that the modules
# resolve; its output goes to stderr so that a command's stdout stays clean.
keel_ensure_jar() {
  if [[ ! -f "$KEEL_JAR" ]]; then
    echo "keel: $KEEL_JAR is missing; building it with 'mvn -B -q -DskipTests install'..." >&2
    (cd "$KEEL_ROOT" && mvn -B -q -DskipTests install) >&2
    [[ -f "$KEEL_JAR" ]] || { echo "keel: the build did not produce $KEEL_JAR" >&2; return 1; }
  fi
}

# True if process $1 exists and is not a zombie (an exited child nobody has reaped yet).
keel_pid_alive() {
  local pid=$1 stat
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # The state follows the command name, which is in parentheses and may contain spaces.
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# True if something accepts TCP connections on $1:$2.
keel_port_open() {
  # shellcheck disable=SC2016  # $1 and $2 are the inner shell's arguments
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}
