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
rm -f results/story_report.json results/intent_report.json results/failed_test_stories.yml
run "$RASA_VENV/bin/rasa" test --model models/current.tar.gz --config config.yml \
  --stories tests/stories --nlu tests/nlu --out results
run "$APP_VENV/bin/python" scripts/check_rasa_test.py results
exit $status
