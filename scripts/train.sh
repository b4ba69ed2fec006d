#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed (config, domain, training data, Rasa-side components, Rasa version).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
inputs=$(find config.yml domain.yml data/nlu data/rules.yml rasa_addons e5_engine requirements/rasa.txt -type f -name "*.*" | sort)
fingerprint=$(cat $inputs | sha256sum | cut -c1-16)
model="models/current.tar.gz"
if [ -f "$model" ] && [ -f "models/.fingerprint-$fingerprint" ]; then
  echo "train: model is up to date ($model)"; exit 0
fi
echo "train: training the Rasa model (inputs changed) ..."
start=$(date +%s)
"$RASA_VENV/bin/rasa" train --config config.yml --domain domain.yml --data data/nlu data/rules.yml \
  --out models --fixed-model-name current --quiet
rm -f models/.fingerprint-*
touch "models/.fingerprint-$fingerprint"
echo "train: done in $(( $(date +%s) - start ))s -> $model"
