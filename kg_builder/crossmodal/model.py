"""Two-stream cross-modal matching model: an image stream (ViT, patch projection or ResNet features) and a BERT
text stream, each giving a [CLS] embedding; the match score is the dot product of the L2-normalised embeddings.

Models are created by name from TWO_STREAM_MODELS (timm-style): tiny configs train on CPU here and in tests; full-size
configs start from pre-trained weights when a user has them on disk (a timm checkpoint file for the image
stream, a BERT folder for the text stream). Nothing is downloaded.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertConfig, BertModel

from kg_builder.crossmodal.image_encoders import IMAGE_ENCODERS
from kg_builder.crossmodal.towers import PretrainedTowers, TowerConfig
from kg_builder.registry import Registry

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "cmm.pt"


@dataclass(frozen=True)
class CMMConfig:
    """Sizes of both streams. `image_encoder`: a name in IMAGE_ENCODERS (vit, patch for CMM_Patch, resnet for
    CMM_ResNet)."""

    image_encoder: str = "vit"
    image_size: int = 64
    patch_size: int = 16
    width: int = 64  # hidden size of both streams
    depth: int = 2
    heads: int = 2
    vocab_size: int = 1000
    max_text: int = 32
    vit: str = "vit_base_patch16_224"  # timm architecture; the sizes above override its defaults
    resnet: str = "resnet18"


def bert_config(width: int, depth: int, heads: int, vocab_size: int, max_positions: int) -> BertConfig:
    """A BERT config of the given sizes (feed-forward 4 x width)."""
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=width,
        num_hidden_layers=depth,
        num_attention_heads=heads,
        intermediate_size=4 * width,
        max_position_embeddings=max_positions,
    )


class TwoStreamCMM(nn.Module):
    """Image and text streams with a dot-product match score; heads for MLM and masked patch regression."""

    def __init__(self, config: CMMConfig, image_weights: Path | None = None, text_weights: Path | None = None) -> None:
        super().__init__()
        self.config = config
        self.image = IMAGE_ENCODERS.create_model(config.image_encoder, config=config, weights=image_weights)
        if text_weights is not None:
            self.text = BertModel.from_pretrained(str(text_weights), add_pooling_layer=False)
        else:
            self.text = BertModel(
                bert_config(config.width, config.depth, config.heads, config.vocab_size, config.max_text),
                add_pooling_layer=False,
            )
        self.mlm_head = nn.Linear(config.width, self.text.config.vocab_size)
        self.patch_head = nn.Linear(2 * config.width, config.width)

    def encode_image(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.image(images)

    def encode_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.text(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def image_embedding(self, images: torch.Tensor) -> torch.Tensor:
        """The unit-length image [CLS]: computed once, offline, and stored."""
        return F.normalize(self.encode_image(images)[0], dim=-1)

    def text_embedding(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The unit-length text [CLS]: computed online for a query."""
        return F.normalize(self.encode_text(input_ids, attention_mask)[:, 0], dim=-1)

    def score(self, image_cls: torch.Tensor, text_cls: torch.Tensor) -> torch.Tensor:
        """All pairs: [texts, images] dot products of the normalised embeddings (cosine, in [-1, 1])."""
        return F.normalize(text_cls, dim=-1) @ F.normalize(image_cls, dim=-1).T


def from_config(
    config: CMMConfig,
    vocab_size: int | None = None,
    image_weights: Path | None = None,
    text_weights: Path | None = None,
) -> TwoStreamCMM:
    """A model of `config`; optionally a vocabulary size of its own and local pre-trained weights."""
    sized = config if vocab_size is None else replace(config, vocab_size=vocab_size)
    return TwoStreamCMM(sized, image_weights, text_weights)


TWO_STREAM_MODELS: Registry[nn.Module] = Registry("two-stream cross-modal")
CMM_TINY, CMM_PATCH_TINY, CMM_RESNET_TINY = "cmm-tiny", "cmm-patch-tiny", "cmm-resnet-tiny"
CMM_BASE, CMM_PATCH_BASE, CMM_RESNET_BASE = "cmm-base", "cmm-patch-base", "cmm-resnet-base"
_BASE = CMMConfig(image_size=224, width=768, depth=12, heads=12, vocab_size=21128, max_text=64)
TWO_STREAM_MODELS.add(CMM_TINY, partial(from_config, CMMConfig()))
TWO_STREAM_MODELS.add(CMM_PATCH_TINY, partial(from_config, CMMConfig(image_encoder="patch")))
TWO_STREAM_MODELS.add(CMM_RESNET_TINY, partial(from_config, CMMConfig(image_encoder="resnet")))
TWO_STREAM_MODELS.add(CMM_BASE, partial(from_config, _BASE))  # ViT-B/16 + BERT-base (bert-base-chinese: 21128 words)
TWO_STREAM_MODELS.add(CMM_PATCH_BASE, partial(from_config, replace(_BASE, image_encoder="patch")))
TWO_STREAM_MODELS.add(CMM_RESNET_BASE, partial(from_config, replace(_BASE, image_encoder="resnet", resnet="resnet50")))
# Pretrained towers (issue 14): EfficientNet-Lite0 with ImageNet weights + multilingual-e5-small, frozen, with
# trained projections; they read Chinese and English names.
CMM_EFFNET_E5 = "cmm-effnet-e5"
TOWER_MODELS = {CMM_EFFNET_E5: TowerConfig()}
for _name, _config in TOWER_MODELS.items():
    TWO_STREAM_MODELS.add(_name, partial(PretrainedTowers, _config))
DEFAULT_LINKING_MODEL = CMM_EFFNET_E5  # the model `python -m kg_builder images` trains and links with (best AUC)


def save_model(model: TwoStreamCMM, folder: Path, name: str) -> None:
    """Weights and config into `folder` (the tokenizer is saved beside them by the trainer)."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), folder / WEIGHTS_FILE)
    (folder / CONFIG_FILE).write_text(json.dumps({"name": name, "config": asdict(model.config)}, indent=2) + "\n")


def load_model(folder: Path) -> TwoStreamCMM:
    """A model saved by `save_model`, in eval mode."""
    if not (folder / WEIGHTS_FILE).is_file():
        raise FileNotFoundError(f"no cross-modal model in {folder} (train one with `python -m kg_builder images`)")
    saved = json.loads((folder / CONFIG_FILE).read_text())
    model = TwoStreamCMM(CMMConfig(**saved["config"]))
    model.load_state_dict(torch.load(folder / WEIGHTS_FILE, weights_only=True))
    return model.eval()
