#!/usr/bin/env bash
# Fetch Neo4j Community from Maven Central (neo4j-server/pom.xml) and run it on loopback: fetch|conf|start|stop|status.
# NEO4J_INSTANCE=test: the project's test instance (.neo4j-test, port 7688), the only database the tests write to.
set -euo pipefail
source "$(dirname "$0")/env.sh"
LIB="$ROOT/neo4j-server/lib"
STAMP="$LIB/.fetched-$(sha256sum "$ROOT/neo4j-server/pom.xml" | cut -c1-16)"

fetch() {
  [ -f "$STAMP" ] && return 0
  echo "fetching Neo4j jars from Maven Central (neo4j-server/pom.xml) ..."
  rm -rf "$LIB"
  mvn -q -B -f "$ROOT/neo4j-server/pom.xml" dependency:copy-dependencies
  touch "$STAMP"
  echo "Neo4j: $(ls "$LIB"/*.jar | wc -l) jars in neo4j-server/lib"
}

write_conf() {
  mkdir -p "$NEO4J_LOCAL_HOME"/{conf,data,logs,plugins,import,run}
  # NEO4J_PAGECACHE: the page cache (256m; size it to the store of a large catalog, README "Deploy")
  sed -e "s/@BOLT_PORT@/$NEO4J_BOLT_PORT/" -e "s/@HTTP_PORT@/$NEO4J_HTTP_PORT/" \
    -e "s/@PAGECACHE@/${NEO4J_PAGECACHE:-256m}/" \
    "$ROOT/neo4j-server/neo4j.conf.template" > "$NEO4J_LOCAL_HOME/conf/neo4j.conf"
}

java_cmd() {  # class args...
  local cls="$1"; shift
  NEO4J_HOME="$NEO4J_LOCAL_HOME" NEO4J_CONF="$NEO4J_LOCAL_HOME/conf" \
    java ${NEO4J_JAVA_OPTS:--Xms512m -Xmx2g} -cp "$LIB/*" "$cls" "$@"
}

start() {
  if [ "$NEO4J_MANAGED" != 1 ]; then
    echo "NEO4J_URI=$NEO4J_URI is set: using that Neo4j, not starting one"; return 0
  fi
  if is_running "$NEO4J_PID_NAME"; then echo "Neo4j already running (pid $OUR_PID)"; return 0; fi
  require_free_port "$NEO4J_BOLT_PORT" NEO4J_BOLT_PORT "Neo4j"
  require_free_port "$NEO4J_HTTP_PORT" NEO4J_HTTP_PORT "Neo4j"
  fetch
  write_conf
  if [ ! -d "$NEO4J_LOCAL_HOME/data/dbms" ]; then
    java_cmd org.neo4j.cli.AdminTool dbms set-initial-password "$NEO4J_PASSWORD" > "$RUN_DIR/neo4j-admin.log" 2>&1 \
      || { cat "$RUN_DIR/neo4j-admin.log" >&2; exit 1; }
  fi
  echo "starting Neo4j on 127.0.0.1:$NEO4J_BOLT_PORT (logs: ${NEO4J_LOCAL_HOME#"$ROOT/"}/logs) ..."
  NEO4J_HOME="$NEO4J_LOCAL_HOME" NEO4J_CONF="$NEO4J_LOCAL_HOME/conf" start_bg "$NEO4J_PID_NAME" "$NEO4J_LOCAL_HOME/logs/console.log" \
    java ${NEO4J_JAVA_OPTS:--Xms512m -Xmx2g} --add-opens=java.base/java.nio=ALL-UNNAMED -cp "$LIB/*" \
    org.neo4j.server.CommunityEntryPoint --home-dir="$NEO4J_LOCAL_HOME" --config-dir="$NEO4J_LOCAL_HOME/conf"
  if ! wait_for_port "$NEO4J_BOLT_PORT" 120 Neo4j; then
    tail -20 "$NEO4J_LOCAL_HOME/logs/console.log" >&2; stop_bg "$NEO4J_PID_NAME"; exit 1
  fi
  if [ "${NEO4J_INSTANCE:-}" = test ]; then  # what the tests check before they write: this very database
    wait_for_bolt && "$APP_VENV/bin/python" -m kg_builder stats --database-id > "$NEO4J_LOCAL_HOME/database-id"
  fi
  echo "Neo4j is up at $NEO4J_URI"
}

wait_for_bolt() {  # the port opens a little before the database accepts queries
  for _ in $(seq 1 60); do
    "$APP_VENV/bin/python" -m kg_builder stats --database-id > /dev/null 2>&1 && return 0
    sleep 1
  done
  echo "error: Neo4j at $NEO4J_URI does not answer queries" >&2
  return 1
}

status() {
  if [ "$NEO4J_MANAGED" != 1 ]; then echo "external Neo4j at $NEO4J_URI"; return 0; fi
  if is_running "$NEO4J_PID_NAME"; then echo "Neo4j running (pid $OUR_PID) at $NEO4J_URI"; else echo "Neo4j not running"; return 3; fi
}

case "${1:-}" in
  fetch) fetch ;;
  conf) fetch; write_conf ;;  # jars and conf only (a bulk import into a stopped instance needs both)
  start) start ;;
  stop) stop_bg "$NEO4J_PID_NAME" ;;
  status) status ;;
  *) echo "usage: $0 fetch|conf|start|stop|status" >&2; exit 2 ;;
esac
