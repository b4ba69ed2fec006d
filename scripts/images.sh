#!/usr/bin/env bash
# The multi-modal stages of the MKG (issue 4), each run only when its output is missing (delete it to redo):
# training and test detail pages, the noise CNN, cutting + OCR filtering, the cross-modal model
# (pre-training on pieces + OCR text, fine-tuning on real product photos), then HAS_IMAGE links and the
# image vector index in Neo4j (always; idempotent). Usage: scripts/images.sh [shared data folder]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
DATA="${1:-${SHARED_DATA:-../shared/data}}"
DEFAULT_MODEL='from kg_builder.crossmodal.model import DEFAULT_LINKING_MODEL; print(DEFAULT_LINKING_MODEL)'
MODEL="${CMM_MODEL:-$("$APP_VENV/bin/python" -c "$DEFAULT_MODEL")}"
images() { "$APP_VENV/bin/python" -m kg_builder images "$@" --data "$DATA" --model "$MODEL"; }
MODELS="${MKG_MODELS_DIR:-models}"  # as kg_builder.config.PATHS.models
M="$MODELS/images"
[ -s "$M/train_pages/truth.jsonl" ] || images generate --pages "$M/train_pages" --count 60 --seed 3
[ -s "$M/noise_cnn.pt" ] || images train-classifier --pages "$M/train_pages"
[ -s "$M/pages/truth.jsonl" ] || images generate --pages "$M/pages" --count 60 --seed 11
[ -s "$M/extracted/pieces.jsonl" ] || images extract --pages "$M/pages" --out "$M/extracted"
[ -s "$MODELS/crossmodal/$MODEL/finetuning.json" ] || images finetune --out "$M/extracted"
images link --out "$M/extracted"
