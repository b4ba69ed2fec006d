"""The two-stream cross-modal model on tiny configs: shapes, variants, each pre-training loss goes down, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from kg_builder.crossmodal.losses import mask_tokens, mlm_loss, mpfr_loss
from kg_builder.crossmodal.model import CMM_TINY, TWO_STREAM_MODELS
from kg_builder.crossmodal.pretraining import Pair, pretrain
from kg_builder.textmodels.classifier import TrainSettings
from kg_builder.textmodels.losses import contrastive_loss

BATCH = 4


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    images = torch.rand(BATCH, 3, 64, 64)
    input_ids = torch.randint(5, 1000, (BATCH, 12))
    input_ids[:, 0] = 2
    return images, input_ids, torch.ones_like(input_ids)


@pytest.mark.parametrize("name", TWO_STREAM_MODELS.list_models("*-tiny"))
def test_every_variant_gives_cls_and_patch_embeddings_and_pair_scores(name: str) -> None:
    model = TWO_STREAM_MODELS.create_model(name)
    images, input_ids, mask = _batch()
    image_cls, patches = model.encode_image(images)
    text = model.encode_text(input_ids, mask)
    width = model.config.width
    assert image_cls.shape == (BATCH, width) and patches.shape[0] == BATCH and patches.shape[-1] == width
    assert text.shape == (BATCH, 12, width)
    assert model.score(image_cls, text[:, 0]).shape == (BATCH, BATCH)


def _descends(loss_of: object, model: torch.nn.Module, steps: int = 25) -> tuple[float, float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    first = last = 0.0
    for step in range(steps):
        loss = loss_of()  # type: ignore[operator]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        first = loss.item() if step == 0 else first
        last = loss.item()
    return first, last


def test_each_pretraining_loss_decreases_on_a_tiny_batch() -> None:
    images, input_ids, mask = _batch()
    # eval: no dropout, so the same batch gives the same loss until a step changes it
    model = TWO_STREAM_MODELS.create_model(CMM_TINY).eval()
    masked, labels = mask_tokens(input_ids, mask, mask_id=4, share=0.3)

    def contrastive() -> torch.Tensor:
        return contrastive_loss(model.encode_image(images)[0], model.encode_text(input_ids, mask)[:, 0])

    def mlm() -> torch.Tensor:
        return mlm_loss(model, masked, mask, labels, model.encode_image(images)[0])

    def mpfr() -> torch.Tensor:
        torch.manual_seed(1)  # the same patches masked at every step
        return mpfr_loss(model, images, model.encode_text(input_ids, mask)[:, 0])

    for loss_of in (contrastive, mlm, mpfr):
        first, last = _descends(loss_of, model)
        assert last < first, (loss_of.__name__, first, last)


def test_masking_never_touches_cls_or_padding() -> None:
    ids = torch.tensor([[2, 7, 8, 9, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0]])
    masked, labels = mask_tokens(ids, mask, mask_id=4, share=1.0)
    assert masked.tolist() == [[2, 4, 4, 4, 0, 0]] and labels.tolist() == [[-100, 7, 8, 9, -100, -100]]


def test_a_saved_model_gives_the_same_scores(tmp_path: Path) -> None:
    images, input_ids, mask = _batch()
    model = TWO_STREAM_MODELS.create_model(CMM_TINY).eval()
    torch.save(model.state_dict(), tmp_path / "cmm.pt")
    again = TWO_STREAM_MODELS.create_model(CMM_TINY).eval()
    again.load_state_dict(torch.load(tmp_path / "cmm.pt", weights_only=True))
    with torch.no_grad():
        expected = model.score(model.encode_image(images)[0], model.encode_text(input_ids, mask)[:, 0])
        got = again.score(again.encode_image(images)[0], again.encode_text(input_ids, mask)[:, 0])
    assert torch.allclose(expected, got)
    with pytest.raises(ValueError, match="unknown model"):
        TWO_STREAM_MODELS.create_model("cmm-huge")


def test_pretraining_on_image_text_pairs_lowers_the_loss_and_saves(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pairs = []
    for n, text in enumerate(["补水保湿面膜", "纯棉短袖T恤", "香辣牛肉干", "SPF 50 sunscreen"] * 2):
        path = tmp_path / f"{n}.png"
        Image.fromarray(rng.integers(0, 255, (40, 80, 3), dtype=np.uint8)).save(path)
        pairs.append(Pair(path, text))
    losses = pretrain(
        pairs,
        CMM_TINY,
        tmp_path / "model",
        TrainSettings(epochs=6, batch_size=4, learning_rate=5e-4, seed=7),
        progress=False,
    )
    assert losses[-1] < losses[0]
    assert (tmp_path / "model" / "cmm.pt").is_file() and (tmp_path / "model" / "vocab.txt").is_file()
