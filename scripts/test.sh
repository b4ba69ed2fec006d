#!/usr/bin/env bash
# Every test suite: ruff (lint and format), pytest (unit; integration on the project's test Neo4j and, read only,
# the running assistant), rasa data validate, rasa test (stories and NLU in tests/); then a check that the
# assistant's graph is as it was before. Called by `make test` after set-up.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
status=0
run() { echo; echo "== $*"; "$@" || { echo "FAILED: $*"; status=1; }; }

run "$APP_VENV/bin/ruff" check .
run "$APP_VENV/bin/ruff" format --check .
# Destructive tests write only to the project's test instance of Neo4j (.neo4j-test, port 7688), never to NEO4J_URI.
NEO4J_INSTANCE=test scripts/neo4j.sh start
"$APP_VENV/bin/python" -m kg_builder stats > "$RUN_DIR/stats-before-tests.txt"  # the assistant's graph
run "$APP_VENV/bin/pytest" -q tests
run "$RASA_VENV/bin/rasa" data validate --config config.yml --domain domain.yml --data data/nlu data/rules.yml
rm -f results/story_report.json results/intent_report.json results/failed_test_stories.yml
run "$RASA_VENV/bin/rasa" test --model models/current.tar.gz --config config.yml \
  --stories tests/stories --nlu tests/nlu --out results
run "$APP_VENV/bin/python" scripts/check_rasa_test.py results
echo; echo "== the assistant's graph ($NEO4J_URI) after the tests"
"$APP_VENV/bin/python" -m kg_builder stats > "$RUN_DIR/stats-after-tests.txt"
if diff "$RUN_DIR/stats-before-tests.txt" "$RUN_DIR/stats-after-tests.txt"; then
  echo "unchanged: $(grep '(all)' "$RUN_DIR/stats-after-tests.txt" | tr -s ' \n' ' ')"
else
  echo "FAILED: the tests changed the graph at $NEO4J_URI (diff above)"; status=1
fi
exit $status
