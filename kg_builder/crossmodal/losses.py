"""Pre-training losses of the two-stream model: MLM with the image added to masked tokens and masked patch
feature regression with the global text embedding. The third, the contrastive loss, is in textmodels.losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from kg_builder.crossmodal.model import TwoStreamCMM

IGNORE = -100


def mlm_loss(
    model: TwoStreamCMM,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    labels: torch.Tensor,
    image_cls: torch.Tensor,
) -> torch.Tensor:
    """Masked language modelling where each masked token's embedding gets the whole image's embedding added."""
    embeddings = model.text.embeddings.word_embeddings(input_ids)
    masked = (labels != IGNORE).unsqueeze(-1)
    embeddings = embeddings + masked * image_cls.unsqueeze(1)
    hidden = model.text(inputs_embeds=embeddings, attention_mask=attention_mask).last_hidden_state
    return F.cross_entropy(model.mlm_head(hidden).flatten(0, 1), labels.flatten(), ignore_index=IGNORE)


def mpfr_loss(
    model: TwoStreamCMM, images: torch.Tensor, text_cls: torch.Tensor, mask_share: float = 0.15
) -> torch.Tensor:
    """Masked patch feature regression: zero some patch features, predict them from the rest and the text (MSE)."""
    _, patches = model.encode_image(images)
    target = patches.detach()
    mask = torch.rand(patches.shape[:2]) < mask_share
    mask[:, 0] |= ~mask.any(dim=1)  # at least one masked patch per image
    context = (patches * ~mask.unsqueeze(-1)).mean(dim=1, keepdim=True).expand_as(patches)
    predicted = model.patch_head(torch.cat([context, text_cls.unsqueeze(1).expand_as(patches)], dim=-1))
    return F.mse_loss(predicted[mask], target[mask])


def mask_tokens(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, mask_id: int, share: float = 0.15
) -> tuple[torch.Tensor, torch.Tensor]:
    """(masked input ids, labels with IGNORE where not masked); positions 0 ([CLS]) and padding never masked."""
    chosen = (torch.rand(input_ids.shape) < share) & attention_mask.bool()
    chosen[:, 0] = False
    chosen[:, 1] |= ~chosen.any(dim=1)
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE))
    return torch.where(chosen, torch.full_like(input_ids, mask_id), input_ids), labels
