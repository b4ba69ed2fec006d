#!/usr/bin/env bash
# Where conversations live: PostgreSQL (Rasa's tracker store) and Redis (its lock store), both from Debian's
# packages, run by the project on 127.0.0.1 with generated passwords (.postgres/, .redis/): start|stop|status.
# With TRACKER_DB_HOST / LOCK_STORE_HOST set (scripts/env.sh), those servers are used and nothing is started.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
PG_HOME="$ROOT/.postgres"
REDIS_HOME="$ROOT/.redis"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"

as_postgres() {  # PostgreSQL refuses to run as root: as root, run it as the package's `postgres` user
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  if [ "$POSTGRES_MANAGED" != 1 ]; then echo "tracker store: PostgreSQL at $TRACKER_DB_HOST:$TRACKER_DB_PORT"; return 0; fi
  if is_running postgres; then echo "PostgreSQL already running (pid $OUR_PID)"; return 0; fi
  [ -x "$PG_BIN/postgres" ] || { echo "error: PostgreSQL is not installed (make setup installs it)" >&2; exit 1; }
  require_free_port "$TRACKER_DB_PORT" TRACKER_DB_PORT "PostgreSQL"
  mkdir -p "$PG_HOME/data" "$PG_HOME/run"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_HOME/data" "$PG_HOME/run" && chmod 700 "$PG_HOME/data"
    if ! runuser -u postgres -- test -w "$PG_HOME/data"; then  # a parent folder is closed to other users (/root)
      PG_HOME="/var/lib/postgresql/mkg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
      echo "PostgreSQL's user cannot reach the checkout: its data goes to $PG_HOME"
      mkdir -p "$PG_HOME/data" "$PG_HOME/run" && chown -R postgres: "$PG_HOME" && chmod 700 "$PG_HOME/data"
    fi
  fi
  if [ ! -s "$PG_HOME/data/PG_VERSION" ]; then
    local pwfile="$PG_HOME/run/initdb-password"
    (umask 077; printf '%s\n' "$TRACKER_DB_PASSWORD" > "$pwfile")
    [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
    as_postgres "$PG_BIN/initdb" -D "$PG_HOME/data" -U "$TRACKER_DB_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 > "$PG_HOME/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$PG_HOME/initdb.log" >&2; exit 1; }
    rm -f "$pwfile"
  fi
  echo "starting PostgreSQL on 127.0.0.1:$TRACKER_DB_PORT (log: $PG_HOME/postgres.log) ..."
  local server=("$PG_BIN/postgres" -D "$PG_HOME/data" -c listen_addresses=127.0.0.1 -p "$TRACKER_DB_PORT"
    -c unix_socket_directories="$PG_HOME/run")
  [ "$(id -u)" = 0 ] && server=(runuser -u postgres -- "${server[@]}")
  start_bg postgres "$PG_HOME/postgres.log" "${server[@]}"
  wait_for_port "$TRACKER_DB_PORT" 60 PostgreSQL || { tail -20 "$PG_HOME/postgres.log" >&2; stop_bg postgres; exit 1; }
  local psql=(env PGPASSWORD="$TRACKER_DB_PASSWORD" psql -h 127.0.0.1 -p "$TRACKER_DB_PORT" -U "$TRACKER_DB_USER" -tAq)
  for _ in $(seq 1 30); do "${psql[@]}" -d postgres -c 'SELECT 1' > /dev/null 2>&1 && break; sleep 1; done
  if [ -z "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$TRACKER_DB_NAME'")" ]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE $TRACKER_DB_NAME"
  fi
  echo "PostgreSQL is up (database $TRACKER_DB_NAME)"
}

start_redis() {
  if [ "$REDIS_MANAGED" != 1 ]; then echo "lock store: Redis at $LOCK_STORE_HOST:$LOCK_STORE_PORT"; return 0; fi
  if is_running redis; then echo "Redis already running (pid $OUR_PID)"; return 0; fi
  command -v redis-server > /dev/null || { echo "error: redis-server is not installed (make setup installs it)" >&2; exit 1; }
  require_free_port "$LOCK_STORE_PORT" LOCK_STORE_PORT "Redis"
  mkdir -p "$REDIS_HOME"
  (umask 077; cat > "$REDIS_HOME/redis.conf" <<CONF
bind 127.0.0.1
port $LOCK_STORE_PORT
protected-mode yes
requirepass $LOCK_STORE_PASSWORD
dir $REDIS_HOME
save ""
appendonly no
set-proc-title no
CONF
  )
  echo "starting Redis on 127.0.0.1:$LOCK_STORE_PORT (log: .redis/redis.log) ..."
  start_bg redis "$REDIS_HOME/redis.log" redis-server "$REDIS_HOME/redis.conf"
  wait_for_port "$LOCK_STORE_PORT" 30 Redis || { tail -20 "$REDIS_HOME/redis.log" >&2; stop_bg redis; exit 1; }
  echo "Redis is up"
}

status() {
  local code=0
  if [ "$POSTGRES_MANAGED" != 1 ]; then echo "external PostgreSQL at $TRACKER_DB_HOST:$TRACKER_DB_PORT"
  elif is_running postgres; then echo "PostgreSQL running (pid $OUR_PID)"; else echo "PostgreSQL not running"; code=3; fi
  if [ "$REDIS_MANAGED" != 1 ]; then echo "external Redis at $LOCK_STORE_HOST:$LOCK_STORE_PORT"
  elif is_running redis; then echo "Redis running (pid $OUR_PID)"; else echo "Redis not running"; code=3; fi
  return $code
}

case "${1:-}" in
  start) start_postgres; start_redis ;;
  stop) stop_bg redis; stop_bg postgres ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
