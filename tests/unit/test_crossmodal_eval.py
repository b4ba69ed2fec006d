"""Table 1 metrics on hand-made cases, the baseline model, batching, fine-tuning, and loading local weights."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
from PIL import Image
from transformers import BertModel

from kg_builder.crossmodal.data import Pair, product_photos, split_photos
from kg_builder.crossmodal.encoder import CrossModalEncoder
from kg_builder.crossmodal.evaluation import (
    candidate_auc,
    candidate_sets,
    candidate_threshold,
    recall_at_k,
    retrieval_recalls,
)
from kg_builder.crossmodal.finetuning import finetune
from kg_builder.crossmodal.model import CMM_PATCH_TINY, CMM_TINY, TWO_STREAM_MODELS, bert_config
from kg_builder.crossmodal.single_stream import PIXELBERT_TINY, SINGLE_STREAM_MODELS, matching_loss
from kg_builder.textmodels.batching import distinct_key_batches
from kg_builder.textmodels.classifier import TrainSettings
from tests.conftest import SHARED_DATA


def test_candidate_sets_put_the_own_image_first_and_draw_others_from_other_texts() -> None:
    text_of_image = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    sets = candidate_sets(text_of_image, seed=1)
    assert len(sets) == 12
    for image, chosen in enumerate(sets):
        assert chosen.images[0] == image and len(chosen.images) == 10
        assert all(text_of_image[other] != chosen.text for other in chosen.images[1:])
    assert candidate_sets(text_of_image, seed=1) == sets


def test_auc_is_one_for_a_perfect_scorer_zero_for_a_reversed_one_and_a_half_for_ties() -> None:
    text_of_image = list(range(12))
    sets = candidate_sets(text_of_image, seed=0)
    perfect = torch.eye(12)
    assert candidate_auc(perfect, sets) == 1.0
    assert candidate_auc(-perfect, sets) == 0.0
    assert candidate_auc(torch.zeros(12, 12), sets) == 0.5
    assert candidate_threshold(perfect, sets).f1 == 1.0


def test_recall_at_k_on_a_hand_made_ranking() -> None:
    # text 0: own image (0) ranked first; text 1: own image (1) ranked third; text 2: own image (2) ranked last
    scores = torch.tensor([[0.9, 0.1, 0.2, 0.0], [0.8, 0.1, 0.7, 0.05], [0.5, 0.6, 0.0, 0.7]])
    gold = [{0}, {1}, {2}]
    assert recall_at_k(scores, gold, 1) == pytest.approx(1 / 3)
    assert recall_at_k(scores, gold, 3) == pytest.approx(2 / 3)
    assert recall_at_k(scores, gold, 4) == 1.0
    recalls = retrieval_recalls(scores[:, :3], [0, 1, 2])
    assert recalls["text_to_image_r1"] == pytest.approx(1 / 3)
    assert recalls["image_to_text_r1"] == pytest.approx(1 / 3)  # image 0 → text 0; image 1 → text 0; image 2 → text 1
    assert recalls["text_to_image_r10"] == 1.0
    assert recalls["mean_recall"] == pytest.approx(sum(v for k, v in recalls.items() if k != "mean_recall") / 6)


def test_batches_never_repeat_an_entity_and_use_every_pair() -> None:
    pairs = [Pair(Path(f"{n}.jpg"), "t", key=f"k{n % 3}") for n in range(10)]
    batches = distinct_key_batches(pairs, 4, random.Random(0))
    assert sorted(p.image.name for b in batches for p in b) == sorted(p.image.name for p in pairs)
    assert all(len({p.key for p in batch}) == len(batch) <= 4 for batch in batches)


def test_pixelbert_scores_each_pair_and_its_loss_decreases() -> None:
    torch.manual_seed(0)
    model = SINGLE_STREAM_MODELS.create_model(PIXELBERT_TINY).eval()
    images = torch.rand(4, 3, 64, 64)
    ids = torch.randint(5, 1000, (4, 9))
    mask = torch.ones_like(ids)
    features = model.image_features(images)
    assert features.shape[:2] == (4, 16)
    assert model.match_logits(features, ids, mask).shape == (4,)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(20):
        loss = matching_loss(model, model.image_features(images), ids, mask, random.Random(0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match="unknown model"):
        SINGLE_STREAM_MODELS.create_model("pixelbert-huge")


def _pairs(folder: Path) -> list[Pair]:
    rng = np.random.default_rng(0)
    pairs = []
    for n, text in enumerate(["apple juice", "oat milk", "红富士苹果", "soy yoghurt"]):
        for copy in range(2):
            path = folder / f"{n}-{copy}.png"
            colour = rng.integers(0, 255, 3)
            Image.fromarray((np.ones((48, 48, 3)) * colour).astype(np.uint8)).save(path)
            pairs.append(Pair(path, text, key=str(n)))
    return pairs


def test_finetuning_lowers_the_contrastive_loss_and_the_saved_encoder_gives_the_same_embeddings(
    tmp_path: Path,
) -> None:
    pairs = _pairs(tmp_path)
    settings = TrainSettings(epochs=8, batch_size=4, learning_rate=1e-3, seed=3)
    model, tokenizer, losses = finetune(pairs, tmp_path / "model", CMM_PATCH_TINY, settings, progress=False)
    assert losses[-1] < losses[0]
    fresh, loaded = CrossModalEncoder(model, tokenizer), CrossModalEncoder.load(tmp_path / "model")
    images = [p.image for p in pairs]
    assert torch.allclose(fresh.images(images), loaded.images(images), atol=1e-5)
    assert torch.allclose(fresh.texts(["apple juice"]), loaded.texts(["apple juice"]), atol=1e-5)
    assert loaded.texts([]).shape == (0, 64)


def test_full_size_code_path_loads_local_image_and_text_weights(tmp_path: Path) -> None:
    vit = timm.create_model(
        "vit_base_patch16_224", pretrained=False, img_size=64, embed_dim=64, depth=2, num_heads=2, num_classes=0
    )
    torch.save(vit.state_dict(), tmp_path / "vit.pth")
    BertModel(bert_config(64, 2, 2, 1000, 32), add_pooling_layer=False).save_pretrained(tmp_path / "bert")
    model = TWO_STREAM_MODELS.create_model(CMM_TINY, image_weights=tmp_path / "vit.pth", text_weights=tmp_path / "bert")
    assert torch.equal(model.image.encoder.pos_embed, vit.pos_embed)
    with pytest.raises(FileNotFoundError, match="image weights not found"):
        TWO_STREAM_MODELS.create_model(CMM_TINY, image_weights=tmp_path / "missing.pth")


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="needs ../shared/data")
def test_real_photo_split_holds_out_one_store_photo_per_product() -> None:
    products = product_photos(SHARED_DATA)
    assert len(products) >= 80 and all(p.text for p in products)
    split = split_photos(products, seed=0)
    assert len({p.key for p in split.test}) == len(split.test) == len(split.val)
    iconic = {p.images[0] for p in products}
    assert not iconic & {p.image for p in split.test + split.val}
    assert not {p.image for p in split.train} & {p.image for p in split.test + split.val}
