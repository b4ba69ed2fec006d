"""Masked-language-model pre-training of a small BERT on the project's own product texts (no hub download)."""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import BertForMaskedLM, DataCollatorForLanguageModeling

from kg_builder.textmodels.bert import DEFAULT_BASE_MODEL, MAX_LENGTH, TEXT_MODELS
from kg_builder.textmodels.vocab import build_vocab, save_tokenizer

READY = "pretrained.ok"


def pretrain_mlm(
    texts: Sequence[str],
    folder: Path,
    model_name: str = DEFAULT_BASE_MODEL,
    epochs: int = 1,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    seed: int = 17,
    progress: bool = True,
) -> Path:
    """Pre-train a randomly initialised BERT of a named size with MLM (15% masking); returns the checkpoint folder.

    The folder can be passed as `model_name` to PairClassifier.create, like a downloaded bert-base-chinese."""
    recipe = [model_name, epochs, batch_size, learning_rate, seed, list(texts)]
    key = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()
    if (folder / READY).is_file() and (folder / READY).read_text().strip() == key[:16]:
        return folder
    torch.manual_seed(seed)
    tokenizer = save_tokenizer(build_vocab(texts, min_count=2), folder)
    model = TEXT_MODELS.create_model(model_name, vocab_size=tokenizer.vocab_size, head=BertForMaskedLM)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    order = list(texts)
    rng = random.Random(seed)
    model.train()
    with tqdm(
        total=epochs * len(order), desc="MLM pre-training", unit="text", disable=not progress, file=sys.stderr
    ) as bar:
        for _ in range(epochs):
            rng.shuffle(order)
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                encoded = tokenizer(batch, truncation=True, max_length=MAX_LENGTH)
                inputs = collator([{"input_ids": ids} for ids in encoded["input_ids"]])
                loss = model(**inputs).loss
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                bar.update(len(batch))
                bar.set_postfix(loss=f"{loss.item():.3f}")
    model.save_pretrained(folder)
    (folder / READY).write_text(key[:16] + "\n")
    return folder
