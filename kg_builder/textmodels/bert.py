"""The text model family: small BERTs of named sizes, timm-style, built with random weights from a config (the
vocabulary is the caller's own); a classifier head by default, any BERT head on request."""

from __future__ import annotations

from functools import partial
from typing import Any

from transformers import BertConfig, BertForSequenceClassification, BertPreTrainedModel

from kg_builder.registry import Registry

MAX_LENGTH = 64  # tokens of one text; position embeddings cover a pair of them

TEXT_MODELS: Registry[BertPreTrainedModel] = Registry("text")


def bert(
    sizes: dict[str, int],
    vocab_size: int,
    head: type[BertPreTrainedModel] = BertForSequenceClassification,
    **config: Any,
) -> BertPreTrainedModel:
    """A randomly initialised BERT of the given sizes with `head` on top; `config` adds BertConfig fields."""
    return head(BertConfig(vocab_size=vocab_size, max_position_embeddings=MAX_LENGTH * 2, **sizes, **config))


TEXT_MODELS.add(
    "bert-tiny",
    partial(bert, {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128}),
)
TEXT_MODELS.add(
    "bert-mini",
    partial(bert, {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024}),
)
TEXT_MODELS.add(
    "bert-base",
    partial(bert, {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072}),
)
DEFAULT_BASE_MODEL = "bert-tiny"  # trains in under a minute on 2 CPUs
