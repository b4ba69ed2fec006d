#!/usr/bin/env bash
# The web chat: the Rasa server (socket.io + REST channels, port $RASA_PORT) and the page's static server
# (port $WEB_PORT, web/serve.py). start|stop|restart|status. The action server is started by scripts/actions.sh.
# start leaves running servers alone, except the one whose inputs changed since it started (the Rasa server: the model,
# credentials.yml, endpoints.yml, rasa_addons/, e5_engine/; the page's server: web/serve.py, kg_builder/config.py,
# the widget bundle).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
RASA_INPUTS=(models/current.tar.gz credentials.yml endpoints.yml rasa_addons e5_engine)
WEB_INPUTS=(web/serve.py kg_builder/config.py web/node_modules/rasa-webchat/lib/index.js)

start() {
  if is_running rasa && changed_since_start rasa "${RASA_INPUTS[@]}"; then
    echo "the model or the Rasa server's settings changed since it started: restarting it"
    stop_bg rasa
  fi
  if is_running rasa; then
    echo "Rasa server already running (pid $OUR_PID)"
  else
    require_free_port "$RASA_PORT" RASA_PORT "Rasa server"
    echo "starting the Rasa server on port $RASA_PORT, $RASA_WORKERS process(es) (log: .run/rasa.log) ..."
    local api=()
    if [ "${RASA_ENABLE_API:-0}" = 1 ]; then  # the HTTP API can rewrite conversations and models: token only
      api=(--enable-api --auth-token "$(generated_secret "$RUN_DIR/rasa-api-token")")
      echo "Rasa HTTP API enabled; its token is in .run/rasa-api-token"
    fi
    SANIC_WORKERS="$RASA_WORKERS" OMP_NUM_THREADS="$SERVER_OMP_THREADS" OMP_WAIT_POLICY=PASSIVE start_bg rasa "$RUN_DIR/rasa.log" \
      "$RASA_VENV/bin/rasa" run --model models/current.tar.gz "${api[@]}" \
      --interface "$BIND_HOST" --cors "$PAGE_ORIGIN" --credentials credentials.yml --endpoints endpoints.yml \
      --port "$RASA_PORT"
    wait_for_port "$RASA_PORT" 180 "Rasa server" || { tail -20 "$RUN_DIR/rasa.log" >&2; exit 1; }
  fi
  if is_running web && changed_since_start web "${WEB_INPUTS[@]}"; then
    echo "the chat page server's code changed since it started: restarting it"
    stop_bg web
  fi
  if is_running web; then
    echo "chat page server already running (pid $OUR_PID)"
  else
    require_free_port "$WEB_PORT" WEB_PORT "chat page server"
    start_bg web "$RUN_DIR/web.log" "$APP_VENV/bin/python" web/serve.py --host "$BIND_HOST" --port "$WEB_PORT" \
      --rasa-port "$RASA_PORT" ${RASA_PUBLIC_URL:+--rasa-url "$RASA_PUBLIC_URL"}
    wait_for_port "$WEB_PORT" 30 "chat page" || { tail -20 "$RUN_DIR/web.log" >&2; exit 1; }
  fi
  echo "chat page: http://127.0.0.1:$WEB_PORT/  (Rasa REST: http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook)"
}

case "${1:-}" in
  start) start ;;
  stop) stop_bg web; stop_bg rasa ;;
  restart) stop_bg web; stop_bg rasa; start ;;
  status) is_running rasa && is_running web && echo "web chat running" || { echo "web chat not running"; exit 3; } ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
