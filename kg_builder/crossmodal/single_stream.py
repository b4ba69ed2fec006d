"""The single-stream baseline, Pixel-BERT style: ResNet grid features and text tokens in one transformer, so
text and image attend to each other; [CLS] gives the match logit. Every (text, image) pair needs a full pass.

The ResNet features can be extracted offline, as for the two-stream model; the transformer cannot."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertModel, PreTrainedTokenizerBase

from kg_builder.crossmodal.batches import ImageLoader, tokenize
from kg_builder.crossmodal.data import Pair
from kg_builder.crossmodal.image_encoders import timm_model
from kg_builder.crossmodal.model import bert_config
from kg_builder.crossmodal.training import train_epochs
from kg_builder.registry import Registry
from kg_builder.textmodels.classifier import TrainSettings

NEGATIVES_PER_TEXT = 3


@dataclass(frozen=True)
class PixelBertConfig:
    """Sizes of the joint transformer and its ResNet."""

    image_size: int = 64
    width: int = 64
    depth: int = 2
    heads: int = 2
    vocab_size: int = 1000
    max_text: int = 32
    resnet: str = "resnet18"


class PixelBert(nn.Module):
    """One BERT over [text tokens; projected ResNet grid cells] (token type 0 and 1); a linear match head."""

    def __init__(self, config: PixelBertConfig, image_weights: Path | None = None) -> None:
        super().__init__()
        self.config = config
        self.resnet = timm_model(config.resnet, image_weights, features_only=True, out_indices=(3,))
        self.project = nn.Linear(self.resnet.feature_info.channels()[-1], config.width)
        grid = (config.image_size // 16) ** 2
        self.joint = BertModel(
            bert_config(config.width, config.depth, config.heads, config.vocab_size, config.max_text + grid),
            add_pooling_layer=False,
        )
        self.match = nn.Linear(config.width, 1)

    def image_features(self, images: torch.Tensor) -> torch.Tensor:
        """Offline part: ResNet grid cells, [images, cells, channels]."""
        return self.resnet(images)[-1].flatten(2).transpose(1, 2)

    def match_logits(
        self, features: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        """Online part: one logit per row (row i = text i with image features i)."""
        words = self.joint.embeddings.word_embeddings(input_ids)
        cells = self.project(features)
        inputs = torch.cat([words, cells], dim=1)
        cell_ones = torch.ones(cells.shape[:2], dtype=torch.long, device=cells.device)
        types = torch.cat([torch.zeros_like(input_ids), cell_ones], dim=1)
        mask = torch.cat([attention_mask, cell_ones.to(attention_mask.dtype)], dim=1)
        hidden = self.joint(inputs_embeds=inputs, token_type_ids=types, attention_mask=mask).last_hidden_state
        return self.match(hidden[:, 0]).squeeze(-1)


def from_config(config: PixelBertConfig, vocab_size: int | None = None, image_weights: Path | None = None) -> PixelBert:
    """A baseline of `config`; optionally a vocabulary size of its own and local ResNet weights."""
    return PixelBert(config if vocab_size is None else replace(config, vocab_size=vocab_size), image_weights)


SINGLE_STREAM_MODELS: Registry[PixelBert] = Registry("single-stream cross-modal")
PIXELBERT_TINY, PIXELBERT_BASE = "pixelbert-tiny", "pixelbert-base"
SINGLE_STREAM_MODELS.add(PIXELBERT_TINY, partial(from_config, PixelBertConfig()))
_BASE = PixelBertConfig(image_size=224, width=768, depth=12, heads=12, vocab_size=21128, max_text=64, resnet="resnet50")
SINGLE_STREAM_MODELS.add(PIXELBERT_BASE, partial(from_config, _BASE))


def matching_loss(
    model: PixelBert, features: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor, rng: random.Random
) -> torch.Tensor:
    """Binary cross-entropy over each text with its own image and with other images of the batch."""
    size = features.shape[0]
    rows = [(i, i, 1.0) for i in range(size)]
    for i in range(size):
        others = [j for j in range(size) if j != i]
        rows += [(i, j, 0.0) for j in rng.sample(others, min(NEGATIVES_PER_TEXT, len(others)))]
    texts = torch.tensor([r[0] for r in rows])
    images = torch.tensor([r[1] for r in rows])
    logits = model.match_logits(features[images], input_ids[texts], attention_mask[texts])
    return F.binary_cross_entropy_with_logits(logits, torch.tensor([r[2] for r in rows]))


def train_pixelbert(
    model: PixelBert,
    tokenizer: PreTrainedTokenizerBase,
    pairs: Sequence[Pair],
    settings: TrainSettings,
    progress: bool = True,
) -> list[float]:
    """Train the baseline on entity-image pairs (augmented images); returns epoch mean losses."""
    loader = ImageLoader(model.config.image_size)

    def step_loss(batch: list[Pair], rng: random.Random) -> torch.Tensor:
        encoded = tokenize(tokenizer, [p.text for p in batch], model.config.max_text)
        features = model.image_features(loader.batch([p.image for p in batch], rng))
        return matching_loss(model, features, encoded["input_ids"], encoded["attention_mask"], rng)

    return train_epochs(model, pairs, step_loss, settings, "Pixel-BERT training", progress)
