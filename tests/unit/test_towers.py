"""The pretrained-tower matcher (issue 14): ImageNet weights loaded in the right order, frozen backbone, trained
projections saved and loaded, and the numpy text head the assistant uses agreeing with the torch one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from kg_builder.config import PATHS
from kg_builder.crossmodal.batches import ImageLoader
from kg_builder.crossmodal.data import Pair
from kg_builder.crossmodal.encoder import TowerEncoder, load_encoder
from kg_builder.crossmodal.model import CMM_EFFNET_E5, DEFAULT_LINKING_MODEL, TOWER_MODELS, TWO_STREAM_MODELS
from kg_builder.crossmodal.towers import (
    TEXT_PROJECTION_FILE,
    PretrainedTowers,
    TowerConfig,
    imagenet_efficientnet_lite0,
    load_towers,
    save_towers,
)

GROCERY = PATHS.shared_data / "grocery_store_products"
BANANA, LEMON = 954, 951  # ImageNet classes


@pytest.mark.parametrize(
    ("photo", "imagenet_class"),
    [
        ("iconic-images-and-descriptions/Fruit/Banana/Banana_Iconic.jpg", BANANA),
        ("train/Fruit/Banana/Banana_001.jpg", BANANA),
        ("iconic-images-and-descriptions/Fruit/Lemon/Lemon_Iconic.jpg", LEMON),
    ],
)
def test_the_imagenet_weights_load_in_order_and_recognise_the_fruit(photo: str, imagenet_class: int) -> None:
    """A wrong tensor order or normalisation would not give these ImageNet classes."""
    model = imagenet_efficientnet_lite0()
    pixels = ImageLoader(224).batch([GROCERY / photo])
    with torch.no_grad():
        assert int(model(pixels * 2.0 - 1.0).argmax()) == imagenet_class


def test_the_default_linking_model_is_the_pretrained_towers() -> None:
    assert DEFAULT_LINKING_MODEL == CMM_EFFNET_E5 and CMM_EFFNET_E5 in TOWER_MODELS
    assert isinstance(TWO_STREAM_MODELS.create_model(CMM_EFFNET_E5), PretrainedTowers)


def test_a_frozen_backbone_has_no_trainable_weight_and_a_fine_tuned_top_has_some() -> None:
    frozen = PretrainedTowers(TowerConfig(dim=16))
    assert not any(p.requires_grad for p in frozen.backbone.parameters())
    assert all(p.requires_grad for p in frozen.image_head.parameters())
    top = PretrainedTowers(TowerConfig(dim=16, trainable_blocks=1))
    trainable = {name.split(".")[0] for name, p in top.backbone.named_parameters() if p.requires_grad}
    assert trainable == {"blocks", "conv_head", "bn2"}
    assert not top.backbone.blocks[0][0].conv_dw.weight.requires_grad
    with pytest.raises(ValueError, match="trainable_blocks"):
        PretrainedTowers(TowerConfig(trainable_blocks=99))


def test_prefix_then_top_is_the_whole_backbone() -> None:
    model = PretrainedTowers(TowerConfig(dim=16, trainable_blocks=2)).eval()
    images = torch.rand(2, 3, 96, 96)
    with torch.no_grad():
        whole = model.backbone(images * 2.0 - 1.0)
        assert torch.allclose(model.image_top(model.image_prefix(images)), whole, atol=1e-5)


def test_saved_towers_load_with_the_same_outputs_and_a_numpy_text_head(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = PretrainedTowers(TowerConfig(dim=16, trainable_blocks=1)).eval()
    with torch.no_grad():
        model.backbone.blocks[-1][0].conv_pwl.weight.add_(0.01)  # a fine-tuned block must be saved too
    save_towers(model, tmp_path, CMM_EFFNET_E5)
    loaded = load_towers(tmp_path)
    images, vectors = torch.rand(2, 3, 64, 64), torch.randn(3, 384)
    with torch.no_grad():
        assert torch.allclose(model.image_embedding(images), loaded.image_embedding(images), atol=1e-6)
        expected = model.text_embedding(vectors).numpy()
    saved = np.load(tmp_path / TEXT_PROJECTION_FILE)
    projected = vectors.numpy() @ saved["weight"].T + saved["bias"]
    projected /= np.linalg.norm(projected, axis=1, keepdims=True)
    assert np.allclose(projected, expected, atol=1e-5)
    assert str(saved["encoder"]) == model.config.text_encoder
    assert isinstance(load_encoder(tmp_path), TowerEncoder)


def test_a_folder_without_towers_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no pretrained-tower model"):
        load_towers(tmp_path)


def test_training_fits_the_projections_on_a_few_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two products, two photos each: the fitted towers rank each text's own photos first."""
    from dataclasses import replace

    import kg_builder.crossmodal.tower_training as training

    vectors = {"Banana": torch.eye(384)[0], "香蕉": torch.eye(384)[1], "Lemon": torch.eye(384)[2]}
    monkeypatch.setattr(training, "text_vectors", lambda texts: torch.stack([vectors[t] for t in texts]))
    fruit = "iconic-images-and-descriptions/Fruit"
    photos = {
        "Banana": [
            "iconic-images-and-descriptions/Fruit/Banana/Banana_Iconic.jpg",
            "train/Fruit/Banana/Banana_001.jpg",
        ],
        "Lemon": [f"{fruit}/Lemon/Lemon_Iconic.jpg", "train/Fruit/Lemon/Lemon_002.jpg"],
    }
    pairs = [Pair(GROCERY / path, text, text) for text, paths in photos.items() for path in paths]
    pairs += [Pair(p.image, "香蕉", p.key) for p in pairs if p.key == "Banana"]
    settings = replace(training.TOWER_TRAINING, epochs=30, batch_size=4)
    model = training.train_towers(CMM_EFFNET_E5, TowerConfig(dim=8), pairs, tmp_path, 0, False, settings=settings)
    with torch.no_grad():
        images = model.image_embedding(ImageLoader(224).batch([p.image for p in pairs[:4]]))
        texts = model.text_embedding(torch.stack([vectors["Banana"], vectors["Lemon"], vectors["香蕉"]]))
    scores = texts @ images.T
    assert scores[0, :2].min() > scores[0, 2:].max() and scores[1, 2:].min() > scores[1, :2].max()
    assert scores[2, :2].min() > scores[2, 2:].max()
    assert (tmp_path / "finetuning.json").is_file() and (tmp_path / TEXT_PROJECTION_FILE).is_file()


def test_the_search_threshold_is_precise_on_validation_and_above_every_open_world_title() -> None:
    from kg_builder.crossmodal.finetuning import search_threshold

    validation = ([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1])  # precise down to 0.8 only
    assert search_threshold([validation], torch.tensor([[0.2, 0.5]])) == 0.81
    assert search_threshold([validation], torch.tensor([[0.85]])) == 0.86  # no photo-less title may match
    chinese = ([0.95, 0.5], [1, 0])
    assert search_threshold([validation, chinese], torch.empty(0)) == 0.96  # the stricter language wins
    assert search_threshold([([0.9, 0.3], [0, 1])], torch.empty(0)) == 0.91  # never precise: nothing is shown


def test_open_world_titles_leave_out_every_item_with_a_photo_or_a_curated_image(tmp_path: Path) -> None:
    from kg_builder.crossmodal.finetuning import open_world_titles
    from tests.conftest import mini_catalog, write_jsonl

    root = mini_catalog(tmp_path / "catalog")
    first = json.loads((root / "items.jsonl").read_text(encoding="utf-8").splitlines()[0])
    items = [first | {"id": f"{first['id']}-{n}", "title": f"{first['title']} {n}"} for n in range(3)]
    write_jsonl(root / "items.jsonl", items)
    photographed, curated = items[0]["id"], items[1]["id"]
    image = {"id": "img", "path": "x.png", "subject": curated, "subject_kind": "items", "caption": "", "source": "t"}
    write_jsonl(root / "images.jsonl", [image])
    titles = open_world_titles(root, {photographed})
    assert titles == [item["title"] for item in items[2:]] and titles
