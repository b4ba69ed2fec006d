#!/usr/bin/env bash
# The last step of `make run`: `rasa shell` on port $SHELL_PORT (default 5006), talking to the running action server.
# `scripts/shell.sh check` (run by `make run` before anything else) fails when a rasa shell of this project is open
# already on that port (an earlier `make run` in another terminal) or another program holds the port: a second
# `make run` says so and changes nothing. SHELL_PORT=5007 make run opens a second shell beside the first.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
export SHELL_PORT="${SHELL_PORT:-5006}"
NAME="shell-$SHELL_PORT"
SHELL_CMD=("$RASA_VENV/bin/rasa" shell --model models/current.tar.gz --endpoints endpoints.yml --interface 127.0.0.1
  --port "$SHELL_PORT")

check() {
  if is_running "$NAME"; then
    echo "make run is running already: its rasa shell (pid $OUR_PID, port $SHELL_PORT) is open in another" \
      "terminal; nothing was started or restarted. Chat there or on http://127.0.0.1:$WEB_PORT/ ;" \
      "SHELL_PORT=5007 make run opens a second shell; make stop stops the servers." >&2
    return 1
  fi
  require_free_port "$SHELL_PORT" SHELL_PORT "rasa shell"
}

case "${1:-}" in
  check) check ;;
  "")
    check
    record_pid "$NAME" $$ "$0"  # this script's pid marks the open shell until it ends
    trap 'rm -f "$RUN_DIR/$NAME.pid"' EXIT
    "${SHELL_CMD[@]}"
    ;;
  *) echo "usage: $0 [check]" >&2; exit 2 ;;
esac
