"""The bi-directional in-batch contrastive loss (LightningDOT), shared by the two-tower models: the cross-modal
model (image and text) and the FAQ matcher (question and answer)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def contrastive_loss(image_cls: torch.Tensor, text_cls: torch.Tensor, temperature: float = 0.05) -> torch.Tensor:
    """Bi-directional InfoNCE over the batch: text→image and image→text, matched pairs on the diagonal."""
    logits = F.normalize(text_cls, dim=-1) @ F.normalize(image_cls, dim=-1).T / temperature
    targets = torch.arange(logits.shape[0])
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
