# Sourced by the Makefile and scripts: where things live and how to reach Neo4j.
# NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD from the environment point everything at your own Neo4j.
# NEO4J_INSTANCE=test: the tests' instance (.neo4j-test, 7688); NEO4J_INSTANCE=bulk: a scratch one for bulk imports
# (NEO4J_BULK_HOME, default .neo4j-bulk; 7690).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export RUN_DIR="${MKG_RUN_DIR:-$ROOT/.run}"  # pid files and logs of the processes the project starts
if [ "${NEO4J_INSTANCE:-}" = test ]; then      # the project's test instance: the only one destructive tests touch
  export NEO4J_LOCAL_HOME="$ROOT/.neo4j-test"
  export NEO4J_BOLT_PORT="${NEO4J_TEST_BOLT_PORT:-7688}" NEO4J_HTTP_PORT="${NEO4J_TEST_HTTP_PORT:-7475}"
  export NEO4J_PID_NAME=neo4j-test NEO4J_MANAGED=1  # never a user's NEO4J_URI
  unset NEO4J_PASSWORD
elif [ "${NEO4J_INSTANCE:-}" = bulk ]; then  # a scratch instance for bulk imports (kg_builder build --bulk)
  export NEO4J_LOCAL_HOME="${NEO4J_BULK_HOME:-$ROOT/.neo4j-bulk}"
  export NEO4J_BOLT_PORT="${NEO4J_BULK_BOLT_PORT:-7690}" NEO4J_HTTP_PORT="${NEO4J_BULK_HTTP_PORT:-7477}"
  export NEO4J_PID_NAME=neo4j-bulk NEO4J_MANAGED=1  # never a user's NEO4J_URI
  unset NEO4J_PASSWORD
else
  export NEO4J_LOCAL_HOME="$ROOT/.neo4j"    # data, logs and conf of the project's own Neo4j
  export NEO4J_BOLT_PORT="${NEO4J_BOLT_PORT:-7687}"
  export NEO4J_HTTP_PORT="${NEO4J_HTTP_PORT:-7474}"
  export NEO4J_PID_NAME=neo4j
fi
export RASA_VENV="$ROOT/.venv-rasa"
export APP_VENV="$ROOT/.venv-app"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}"  # endpoints.yml
export ACTION_SERVER_SANIC_WORKERS="${ACTION_WORKERS:-2}"  # processes of the action server (rasa-sdk reads this)
# Processes of the Rasa server (Rasa reads SANIC_WORKERS; more than one needs the Redis lock store, which
# endpoints.yml names). 2 nearly doubled the turns a second on 2 cores (README: Speed). The chat page keeps one
# websocket to one process (web/serve.py serves the widget with the websocket transport alone); a socket.io client
# that starts with long polling needs 1, or a proxy with sticky sessions.
export RASA_WORKERS="${RASA_WORKERS:-2}"
# OpenMP threads per server process (the e5 engine): one, passive, so that concurrent turns on a few cores do not
# oversubscribe them (measured: 4.5 -> 8.5 turns/s at concurrency 8 on 2 cores). The build keeps its default.
export SERVER_OMP_THREADS="${SERVER_OMP_THREADS:-1}"
export RASA_PORT="${RASA_PORT:-5005}"
export WEB_PORT="${WEB_PORT:-8080}"
export MEDIA_BASE_URL="${MEDIA_BASE_URL:-http://127.0.0.1:$WEB_PORT}"  # where the chat page serves images and videos
export BIND_HOST="${BIND_HOST:-127.0.0.1}"  # the interface every server of the project listens on (loopback unless set)
export PAGE_ORIGIN="${PAGE_ORIGIN:-http://127.0.0.1:$WEB_PORT}"  # the only origin the Rasa server accepts (CORS)
export SANIC_HOST="$BIND_HOST"              # rasa-sdk's action server reads its interface from here
mkdir -p "$RUN_DIR"

# The secrets the project generates: Neo4j's, PostgreSQL's and Redis's passwords, the Rasa API token, the action
# server's token.
generated_secret() {  # file: its content, generated (owner-only) on first use
  [ -s "$1" ] || { mkdir -p "$(dirname "$1")"; (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1"); }
  cat "$1"
}
# What Rasa presents to the action server (endpoints.yml), which answers no one else (rasa_sdk_plugins/action_token.py).
# Set it yourself, to the same value on both sides, when ACTION_ENDPOINT_URL names action servers of your own.
export ACTION_SERVER_TOKEN="${ACTION_SERVER_TOKEN:-$(generated_secret "$RUN_DIR/action-server-token")}"

if [ -z "${NEO4J_URI:-}" ] || [ "${NEO4J_MANAGED:-}" = 1 ]; then  # (1: set by a parent script's env.sh)
  export NEO4J_MANAGED=1                    # the project starts and stops this server itself
  export NEO4J_URI="bolt://127.0.0.1:$NEO4J_BOLT_PORT"
  export NEO4J_USER="${NEO4J_USER:-neo4j}"
  export NEO4J_PASSWORD="${NEO4J_PASSWORD:-$(generated_secret "$NEO4J_LOCAL_HOME/password")}"
else
  export NEO4J_MANAGED=0
  export NEO4J_USER="${NEO4J_USER:-neo4j}"
  : "${NEO4J_PASSWORD:?NEO4J_URI is set: set NEO4J_PASSWORD for it too}"
fi

# ---- The processes the project starts -----------------------------------------------------------------------------
# start_bg NAME LOG CMD... runs CMD in its own session and writes $RUN_DIR/NAME.pid:
#   line 1: the pid
#   line 2: start=<field 22 of /proc/PID/stat> argc=<N> argv=<argv_digest of the N words of CMD>
# A pid is trusted (is_running, stop_bg) only while /proc/PID belongs to this user, has that start time, and its
# /proc/PID/cmdline ends with those N words (the end, because a #! script such as .venv-rasa/bin/rasa runs as
# "interpreter script args..."; the program is compared by file name, so a launcher that re-execs itself by its full
# path, as java may, still matches). nohup and setsid exec into CMD, so the pid is CMD's own. A pid file that fails
# this (the process is gone, or the pid is now another program's) is removed with a message and that process is never
# signalled. Pid files from before this format (the pid alone) are trusted only while the process's command line
# names a path inside $ROOT.

proc_start_time() {  # pid -> field 22 of /proc/PID/stat (clock ticks after boot; a reused pid gets a new one)
  local stat fields
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  read -r -a fields <<< "${stat##*) }"  # fields 3.. (field 2, the command name, may hold spaces and parentheses)
  [ -n "${fields[19]:-}" ] && echo "${fields[19]}"
}

argv_digest() {  # program args... -> sha256 of the program's file name (no folder) and the arguments, each ended by NUL
  printf '%s\0' "${1##*/}" "${@:2}" | sha256sum | cut -c1-64
}

cmdline_digest() {  # pid argc -> argv_digest of the last argc arguments of /proc/PID/cmdline
  local -a args
  mapfile -d '' -t args 2>/dev/null < "/proc/$1/cmdline" || return 1
  (( $2 > 0 && ${#args[@]} >= $2 )) || return 1
  argv_digest "${args[@]: -$2}"
}

# Write NAME's pid file for PID, a process started (or about to exec) with these arguments.
record_pid() {  # name pid args...
  local name="$1" pid="$2" start; shift 2
  start="$(proc_start_time "$pid")" || { echo "error: process $pid ($name) is gone" >&2; return 1; }
  printf '%s\nstart=%s argc=%s argv=%s\n' "$pid" "$start" "$#" "$(argv_digest "$@")" > "$RUN_DIR/$name.pid.tmp"
  mv -f "$RUN_DIR/$name.pid.tmp" "$RUN_DIR/$name.pid"
}

# Sets OUR_PID when NAME's pid file names a live process that is still the one we started; else returns 1 with
# the reason in PID_PROBLEM (empty when there is no pid file). Signals nothing.
check_pid() {  # name
  local pid_file="$RUN_DIR/$1.pid" pid="" meta="" start="" argc="" argv="" field cmdline
  local -a fields=()
  OUR_PID="" PID_PROBLEM=""
  [ -s "$pid_file" ] || return 1
  { read -r pid || true; read -r meta || true; } < "$pid_file"
  if ! [[ "$pid" =~ ^[1-9][0-9]*$ ]] || [ "$pid" = 1 ]; then PID_PROBLEM="it holds no valid pid"; return 1; fi
  if [ ! -r "/proc/$pid/cmdline" ] || [ -z "$(tr -d '\0' 2>/dev/null < "/proc/$pid/cmdline")" ]; then
    PID_PROBLEM="process $pid is gone"; return 1
  fi
  if [ "$(stat -c %u "/proc/$pid" 2>/dev/null)" != "$(id -u)" ]; then
    PID_PROBLEM="pid $pid now belongs to another user's program"; return 1
  fi
  read -r -a fields <<< "$meta"
  for field in "${fields[@]}"; do
    case "$field" in
      start=*) start="${field#start=}" ;;
      argc=*) argc="${field#argc=}" ;;
      argv=*) argv="${field#argv=}" ;;
    esac
  done
  if [ -z "$meta" ]; then  # a pid file of the older format: the pid alone
    cmdline="$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline")"
    if [[ "$cmdline" != *"$ROOT/"* ]]; then
      PID_PROBLEM="pid $pid now runs a program that is not this project's"; return 1
    fi
  elif ! [[ "$start" =~ ^[0-9]+$ && "$argc" =~ ^[0-9]+$ && "$argv" =~ ^[0-9a-f]{64}$ ]]; then
    PID_PROBLEM="it is not a pid file this project wrote"; return 1
  elif [ "$(proc_start_time "$pid")" != "$start" ]; then
    PID_PROBLEM="pid $pid now belongs to another program (a different start time)"; return 1
  elif [ "$(cmdline_digest "$pid" "$argc")" != "$argv" ]; then
    PID_PROBLEM="pid $pid now runs another command line"; return 1
  fi
  OUR_PID="$pid"
}

# Start a background process in its own session with a pid file; later stopped only by that (checked) pid.
start_bg() {  # name logfile command...
  local name="$1" log="$2" pid; shift 2
  local -; set +m  # no job control: the job stays in our process group, so setsid execs without forking and $! is CMD
  nohup setsid "$@" >"$log" 2>&1 < /dev/null &
  pid=$!
  record_pid "$name" "$pid" "$@" || return 0  # exited at once: the caller's wait_for_port reports it with the log
  for _ in $(seq 1 100); do  # until nohup and setsid have exec'd into CMD (same pid), at most 5 s
    check_pid "$name" && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  echo "warning: $name (pid $pid) does not show the command line it was started with; its pid file will not be" \
    "trusted" >&2
}

# True when NAME's pid file names the live process we started (OUR_PID is then its pid). A stale or foreign pid file
# is removed with a message on stderr; the process it names is left alone.
is_running() {  # name
  check_pid "$1" && return 0
  if [ -n "$PID_PROBLEM" ]; then
    echo "$1: removed the stale pid file $RUN_DIR/$1.pid ($PID_PROBLEM; nothing was signalled)" >&2
    rm -f "$RUN_DIR/$1.pid"
  fi
  return 1
}

# Stop the process we started (and its process group when it leads one), then remove the pid file. A stale or
# foreign pid file is only removed (see is_running): a process that is not ours is never signalled.
stop_bg() {  # name
  local name="$1" pid group
  is_running "$name" || return 0
  pid="$OUR_PID" group=""
  [ "$(awk '{ sub(/.*\) /, ""); print $3 }' "/proc/$pid/stat" 2>/dev/null)" = "$pid" ] && group="-$pid"
  kill -TERM -- "${group:-$pid}" 2>/dev/null || true
  for _ in $(seq 1 60); do check_pid "$name" || break; sleep 0.5; done
  if check_pid "$name"; then
    kill -KILL -- "${group:-$pid}" 2>/dev/null || true
    for _ in $(seq 1 20); do check_pid "$name" || break; sleep 0.25; done
  fi
  rm -f "$RUN_DIR/$name.pid"
  echo "stopped $name (pid $pid)"
}

# Client probes (they connect; they listen on nothing). The address this machine reaches the project's servers at:
# loopback, or BIND_HOST when that is another address than loopback or every address.
client_address() {
  case "${BIND_HOST:-127.0.0.1}" in 127.0.0.1 | localhost | 0.0.0.0 | :: | "") echo 127.0.0.1 ;; *) echo "$BIND_HOST" ;; esac
}

# True when something accepts TCP connections on PORT (on loopback, and on BIND_HOST when that is another address).
port_open() {  # port
  local host hosts=(127.0.0.1)
  [ "$(client_address)" = 127.0.0.1 ] || hosts+=("$(client_address)")
  for host in "${hosts[@]}"; do
    timeout 3 bash -c "exec 3<>'/dev/tcp/$host/$1'" 2>/dev/null && return 0
  done
  return 1
}

# Before starting a server: fail, naming the port and the setting that moves it, when the port is taken already
# (call it after is_running said the server is not ours and running).
require_free_port() {  # port setting what
  local port="$1" setting="$2" what="$3" who=""
  port_open "$port" || return 0
  if command -v ss > /dev/null; then  # names the holder when it is this user's (else ss shows no users:)
    who="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -1 || true)"
  fi
  echo "error: port $port is in use by another program${who:+ ($who)}, not by a $what this project started;" \
    "stop that program or set $setting to a free port" >&2
  return 1
}

# True when any of the files (or files under the folders) changed since NAME's process started (its pid file).
changed_since_start() {  # name paths...
  local pid_file="$RUN_DIR/$1.pid"; shift
  [ -n "$(find "$@" -type f -newer "$pid_file" ! -name '*.pyc' -print -quit 2>/dev/null)" ]
}

# Wait until a TCP port on loopback accepts connections.
wait_for_port() {  # port seconds name
  local port="$1" seconds="$2" name="$3"
  for _ in $(seq 1 "$seconds"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 1
  done
  echo "error: $name did not open port $port within ${seconds}s" >&2
  return 1
}

# Conversations (issue 13): Rasa's tracker store on PostgreSQL and its lock store on Redis. Unless TRACKER_DB_HOST /
# LOCK_STORE_HOST name your own, the project runs both on loopback (scripts/stores.sh) with generated passwords in
# .postgres/password and .redis/password. CONVERSATION_TTL_HOURS: idle conversations are deleted after it (0: never).
# SESSION_MAX_TURNS (read by Rasa, rasa_addons/session_length.py): a new session after that many messages (default 25).
export CONVERSATION_TTL_HOURS="${CONVERSATION_TTL_HOURS:-720}"
if [ -z "${TRACKER_DB_HOST:-}" ] || [ "${POSTGRES_MANAGED:-}" = 1 ]; then
  export POSTGRES_MANAGED=1 TRACKER_DB_HOST=127.0.0.1 TRACKER_DB_PORT="${TRACKER_DB_PORT:-5433}"
  export TRACKER_DB_USER=rasa TRACKER_DB_NAME=rasa TRACKER_DB_PASSWORD="$(generated_secret "$ROOT/.postgres/password")"
else
  export POSTGRES_MANAGED=0 TRACKER_DB_PORT="${TRACKER_DB_PORT:-5432}" TRACKER_DB_NAME="${TRACKER_DB_NAME:-rasa}"
  : "${TRACKER_DB_USER:?TRACKER_DB_HOST is set: set TRACKER_DB_USER and TRACKER_DB_PASSWORD for it too}"
  : "${TRACKER_DB_PASSWORD:?TRACKER_DB_HOST is set: set TRACKER_DB_PASSWORD for it too}"
fi
if [ -z "${LOCK_STORE_HOST:-}" ] || [ "${REDIS_MANAGED:-}" = 1 ]; then
  export REDIS_MANAGED=1 LOCK_STORE_HOST=127.0.0.1 LOCK_STORE_PORT="${LOCK_STORE_PORT:-6380}"
  export LOCK_STORE_PASSWORD="$(generated_secret "$ROOT/.redis/password")"
else
  export REDIS_MANAGED=0 LOCK_STORE_PORT="${LOCK_STORE_PORT:-6379}" LOCK_STORE_PASSWORD="${LOCK_STORE_PASSWORD:-}"
fi

export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=2
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
