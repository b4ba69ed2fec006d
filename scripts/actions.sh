#!/usr/bin/env bash
# Run the action server (rasa-sdk, .venv-app) on port $ACTIONS_PORT: start|stop|restart|status.
# start leaves a running action server alone unless the action code (actions/, kg_builder/, e5_engine/,
# rasa_sdk_plugins/) changed since it started. It answers only callers with $ACTION_SERVER_TOKEN (scripts/env.sh).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

start() {
  if is_running actions; then
    if ! changed_since_start actions actions kg_builder e5_engine rasa_sdk_plugins; then
      echo "action server already running (pid $OUR_PID)"; return 0
    fi
    echo "the action code changed since the action server started: restarting it"
    stop_bg actions
  fi
  require_free_port "$ACTIONS_PORT" ACTIONS_PORT "action server"
  echo "starting the action server on port $ACTIONS_PORT (log: .run/actions.log) ..."
  # a tracker posted to it is read within bounds (actions/limits.py); Sanic refuses bodies over 10 MB outright
  SANIC_REQUEST_MAX_SIZE=10000000 OMP_NUM_THREADS="$SERVER_OMP_THREADS" OMP_WAIT_POLICY=PASSIVE \
    start_bg actions "$RUN_DIR/actions.log" \
    "$APP_VENV/bin/python" -m rasa_sdk --actions actions --port "$ACTIONS_PORT"
  wait_for_port "$ACTIONS_PORT" 60 "action server" || { tail -20 "$RUN_DIR/actions.log" >&2; exit 1; }
  # rasa-sdk starts without a plugin it cannot import: an open server is stopped rather than left running
  if ! "$APP_VENV/bin/python" -m rasa_sdk_plugins.action_token --refuses "$(client_address)" "$ACTIONS_PORT"; then
    stop_bg actions; exit 1
  fi
  echo "action server is up at http://localhost:$ACTIONS_PORT/webhook"
}

case "${1:-}" in
  start) start ;;
  stop) stop_bg actions ;;
  restart) stop_bg actions; start ;;
  status)
    if is_running actions; then echo "action server running (pid $OUR_PID)"
    else echo "action server not running"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
