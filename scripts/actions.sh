#!/usr/bin/env bash
# Run the action server (rasa-sdk, .venv-app) on port $ACTIONS_PORT: start|stop|restart|status.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

start() {
  if is_running actions; then echo "action server already running (pid $(cat "$RUN_DIR/actions.pid"))"; return 0; fi
  echo "starting the action server on port $ACTIONS_PORT (log: .run/actions.log) ..."
  start_bg actions "$RUN_DIR/actions.log" "$APP_VENV/bin/python" -m rasa_sdk --actions actions --port "$ACTIONS_PORT"
  wait_for_port "$ACTIONS_PORT" 60 "action server" || { tail -20 "$RUN_DIR/actions.log" >&2; exit 1; }
  echo "action server is up at http://localhost:$ACTIONS_PORT/webhook"
}

case "${1:-}" in
  start) start ;;
  stop) stop_bg actions ;;
  restart) stop_bg actions; start ;;
  status) if is_running actions; then echo "action server running"; else echo "action server not running"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
