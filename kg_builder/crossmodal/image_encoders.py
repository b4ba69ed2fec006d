"""The image streams of the two-stream model, each registered under the name a config's `image_encoder` gives:
image → ([CLS], patch embeddings), both of the config's width. Pre-trained timm weights come from a local file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import timm
import torch
from torch import nn

from kg_builder.registry import Registry

if TYPE_CHECKING:
    from kg_builder.crossmodal.model import CMMConfig

IMAGE_ENCODERS: Registry[nn.Module] = Registry("image encoder")


def timm_model(name: str, weights: Path | None, **kwargs: object) -> nn.Module:
    """A timm model; with `weights`, its pre-trained checkpoint is read from that local file."""
    if weights is not None and not weights.is_file():
        raise FileNotFoundError(f"image weights not found: {weights}")
    overlay = {"file": str(weights)} if weights is not None else None
    return timm.create_model(name, pretrained=weights is not None, pretrained_cfg_overlay=overlay, **kwargs)


@IMAGE_ENCODERS.register("vit")
class ViTEncoder(nn.Module):
    """A timm ViT of the config's sizes: its [CLS] token and its patch tokens."""

    def __init__(self, config: CMMConfig, weights: Path | None = None) -> None:
        super().__init__()
        self.encoder = timm_model(
            config.vit,
            weights,
            img_size=config.image_size,
            patch_size=config.patch_size,
            embed_dim=config.width,
            depth=config.depth,
            num_heads=config.heads,
            num_classes=0,
        )
        self.cls = nn.Parameter(torch.zeros(1, 1, config.width))  # unused; kept so saved weights still load

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.encoder.forward_features(images)
        return tokens[:, 0], tokens[:, 1:]


def _pooled(patches: torch.Tensor, cls: nn.Parameter) -> tuple[torch.Tensor, torch.Tensor]:
    """([CLS], patches) for an encoder without a [CLS] token: the mean patch plus a learned vector."""
    return patches.mean(dim=1) + cls[:, 0], patches


@IMAGE_ENCODERS.register("patch")
class PatchEncoder(nn.Module):
    """CMM_Patch: a linear projection of each image patch (a strided convolution) plus a position embedding.

    Trained from scratch only: `weights` is ignored."""

    def __init__(self, config: CMMConfig, weights: Path | None = None) -> None:
        super().__init__()
        patches = (config.image_size // config.patch_size) ** 2
        self.encoder = nn.Conv2d(3, config.width, config.patch_size, stride=config.patch_size)
        self.position = nn.Parameter(torch.zeros(1, patches, config.width))
        self.cls = nn.Parameter(torch.zeros(1, 1, config.width))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _pooled(self.encoder(images).flatten(2).transpose(1, 2) + self.position, self.cls)


@IMAGE_ENCODERS.register("resnet")
class ResNetEncoder(nn.Module):
    """CMM_ResNet: the cells of a timm ResNet's last feature grid as the patch sequence, projected to the width."""

    def __init__(self, config: CMMConfig, weights: Path | None = None) -> None:
        super().__init__()
        self.encoder = timm_model(config.resnet, weights, features_only=True, out_indices=(3,))
        self.project = nn.Linear(self.encoder.feature_info.channels()[-1], config.width)
        self.cls = nn.Parameter(torch.zeros(1, 1, config.width))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _pooled(self.project(self.encoder(images)[-1].flatten(2).transpose(1, 2)), self.cls)
