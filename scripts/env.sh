# Sourced by the Makefile and scripts: where things live and how to reach Neo4j.
# NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD from the environment point everything at your own Neo4j.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export RUN_DIR="$ROOT/.run"                 # pid files and logs of the processes the project starts
if [ "${NEO4J_INSTANCE:-}" = test ]; then      # the project's test instance: the only one destructive tests touch
  export NEO4J_LOCAL_HOME="$ROOT/.neo4j-test"
  export NEO4J_BOLT_PORT="${NEO4J_TEST_BOLT_PORT:-7688}" NEO4J_HTTP_PORT="${NEO4J_TEST_HTTP_PORT:-7475}"
  export NEO4J_PID_NAME=neo4j-test NEO4J_MANAGED=1  # never a user's NEO4J_URI
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
export RASA_PORT="${RASA_PORT:-5005}"
export WEB_PORT="${WEB_PORT:-8080}"
export MEDIA_BASE_URL="${MEDIA_BASE_URL:-http://127.0.0.1:$WEB_PORT}"  # where the chat page serves images and videos
export BIND_HOST="${BIND_HOST:-127.0.0.1}"  # the interface every server of the project listens on (loopback unless set)
export PAGE_ORIGIN="${PAGE_ORIGIN:-http://127.0.0.1:$WEB_PORT}"  # the only origin the Rasa server accepts (CORS)
export SANIC_HOST="$BIND_HOST"              # rasa-sdk's action server reads its interface from here
mkdir -p "$RUN_DIR"

if [ -z "${NEO4J_URI:-}" ] || [ "${NEO4J_MANAGED:-}" = 1 ]; then  # (1: set by a parent script's env.sh)
  export NEO4J_MANAGED=1                    # the project starts and stops this server itself
  export NEO4J_URI="bolt://127.0.0.1:$NEO4J_BOLT_PORT"
  export NEO4J_USER="${NEO4J_USER:-neo4j}"
  password_file="$NEO4J_LOCAL_HOME/password"
  if [ -z "${NEO4J_PASSWORD:-}" ]; then
    if [ ! -s "$password_file" ]; then
      mkdir -p "$NEO4J_LOCAL_HOME"
      (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$password_file")
    fi
    NEO4J_PASSWORD="$(cat "$password_file")"
  fi
  export NEO4J_PASSWORD
else
  export NEO4J_MANAGED=0
  export NEO4J_USER="${NEO4J_USER:-neo4j}"
  : "${NEO4J_PASSWORD:?NEO4J_URI is set: set NEO4J_PASSWORD for it too}"
fi

# Start a background process with a pid file; later stopped only by that pid.
start_bg() {  # name logfile command...
  local name="$1" log="$2"; shift 2
  nohup setsid "$@" >"$log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$name.pid"
}

# True when the pid file names a live process.
is_running() {  # name
  local pid_file="$RUN_DIR/$1.pid"
  [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

# Stop the process (and its process group) named by the pid file, then remove the file.
stop_bg() {  # name
  local pid_file="$RUN_DIR/$1.pid" pid
  [ -s "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
  fi
  rm -f "$pid_file"
  echo "stopped $1 (pid $pid)"
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

export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=2
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
