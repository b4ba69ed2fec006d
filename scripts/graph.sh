#!/usr/bin/env bash
# The demo MKG (called by `make graph`; idempotent, models and embeddings are cached): with the shared datasets, the
# build with every learned stage and the image stages and links (scripts/images.sh); without them, the catalog
# import and rules only. Then the FAQ ranker's thresholds (held-out questions, dev half).
# Usage: scripts/graph.sh [shared data folder]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
DATA="${1:-${SHARED_DATA:-../shared/data}}"
kg_builder() { "$APP_VENV/bin/python" -m kg_builder "$@"; }
if [ -d "$DATA" ]; then
  kg_builder build --source data/catalog --data "$DATA"
  scripts/images.sh "$DATA"
else
  echo "graph: $DATA not found, building without the learned stages"
  kg_builder build --source data/catalog --no-models
fi
kg_builder faq
echo "graph: done in ${SECONDS}s"
