"""Two-stream cross-modal matching model: an image stream (ViT, patch projection or ResNet features) and a BERT
text stream, each giving a [CLS] embedding; the match score is their dot product.

Models are built from a config by name (timm-style): tiny configs train on CPU here and in tests; full-size
configs can start from pre-trained weights when a user has them (`vit_base_patch16_224`, a BERT folder).
"""

from __future__ import annotations

from dataclasses import dataclass

import timm
import torch
from timm.models.vision_transformer import VisionTransformer
from torch import nn
from transformers import BertConfig, BertModel


@dataclass(frozen=True)
class CMMConfig:
    """Sizes of both streams. `image_encoder`: vit | patch (CMM_Patch) | resnet (CMM_ResNet)."""

    image_encoder: str = "vit"
    image_size: int = 64
    patch_size: int = 16
    width: int = 64  # hidden size of both streams
    depth: int = 2
    heads: int = 2
    vocab_size: int = 1000
    max_text: int = 32
    resnet: str = "resnet18"


CONFIGS: dict[str, CMMConfig] = {
    "cmm-tiny": CMMConfig(),
    "cmm-patch-tiny": CMMConfig(image_encoder="patch"),
    "cmm-resnet-tiny": CMMConfig(image_encoder="resnet"),
    "cmm-base": CMMConfig(image_size=224, width=768, depth=12, heads=12, vocab_size=21128, max_text=64),
}


class ImageStream(nn.Module):
    """Image → ([CLS], patch embeddings), both of size `width`."""

    def __init__(self, config: CMMConfig) -> None:
        super().__init__()
        self.kind = config.image_encoder
        patches = (config.image_size // config.patch_size) ** 2
        if self.kind == "vit":
            self.encoder = VisionTransformer(
                img_size=config.image_size,
                patch_size=config.patch_size,
                embed_dim=config.width,
                depth=config.depth,
                num_heads=config.heads,
                num_classes=0,
            )
        elif self.kind == "patch":
            self.encoder = nn.Conv2d(3, config.width, config.patch_size, stride=config.patch_size)
            self.position = nn.Parameter(torch.zeros(1, patches, config.width))
        elif self.kind == "resnet":
            self.encoder = timm.create_model(config.resnet, pretrained=False, features_only=True, out_indices=(3,))
            self.project = nn.Linear(self.encoder.feature_info.channels()[-1], config.width)
        else:
            raise ValueError(f"unknown image encoder '{self.kind}' (vit, patch or resnet)")
        self.cls = nn.Parameter(torch.zeros(1, 1, config.width))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.kind == "vit":
            tokens = self.encoder.forward_features(images)
            return tokens[:, 0], tokens[:, 1:]
        if self.kind == "patch":
            patches = self.encoder(images).flatten(2).transpose(1, 2) + self.position
        else:
            patches = self.project(self.encoder(images)[-1].flatten(2).transpose(1, 2))
        return patches.mean(dim=1) + self.cls[:, 0], patches


class TwoStreamCMM(nn.Module):
    """Image and text streams with a dot-product match score; heads for MLM and masked patch regression."""

    def __init__(self, config: CMMConfig) -> None:
        super().__init__()
        self.config = config
        self.image = ImageStream(config)
        self.text = BertModel(
            BertConfig(
                vocab_size=config.vocab_size,
                hidden_size=config.width,
                num_hidden_layers=config.depth,
                num_attention_heads=config.heads,
                intermediate_size=4 * config.width,
                max_position_embeddings=config.max_text,
            ),
            add_pooling_layer=False,
        )
        self.mlm_head = nn.Linear(config.width, config.vocab_size)
        self.patch_head = nn.Linear(2 * config.width, config.width)

    def encode_image(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.image(images)

    def encode_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.text(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def score(self, image_cls: torch.Tensor, text_cls: torch.Tensor) -> torch.Tensor:
        """All pairs: [texts, images] dot products."""
        return text_cls @ image_cls.T


def build_model(name: str) -> TwoStreamCMM:
    """A model from a named config."""
    if name not in CONFIGS:
        raise ValueError(f"unknown model '{name}': use one of {sorted(CONFIGS)}")
    return TwoStreamCMM(CONFIGS[name])
