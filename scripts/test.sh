#!/usr/bin/env bash
# Every test suite: ruff (lint and format), pytest (unit + integration on the running Neo4j and action server),
# rasa data validate, rasa test (stories and NLU in tests/). Called by `make test` after set-up.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
status=0
run() { echo; echo "== $*"; "$@" || { echo "FAILED: $*"; status=1; }; }

run "$APP_VENV/bin/ruff" check .
run "$APP_VENV/bin/ruff" format --check .
run "$APP_VENV/bin/pytest" -q tests
run "$RASA_VENV/bin/rasa" data validate --config config.yml --domain domain.yml --data data/nlu data/rules.yml
run "$RASA_VENV/bin/rasa" test --model models/current.tar.gz --config config.yml \
  --stories tests/stories --nlu tests/nlu --out results --fail-on-prediction-errors
if [ -f results/intent_report.json ]; then
  "$APP_VENV/bin/python" -c "import json;r=json.load(open('results/intent_report.json'));print('rasa test NLU: intent accuracy %.3f, weighted F1 %.3f' % (r['accuracy'], r['weighted avg']['f1-score']))"
fi
[ -f results/story_report.json ] && "$APP_VENV/bin/python" -c "import json;r=json.load(open('results/story_report.json'));print('rasa test stories: action accuracy %.3f, conversation accuracy %s' % (r['accuracy'], r.get('conversation_accuracy',{}).get('accuracy')))" || true
exit $status
