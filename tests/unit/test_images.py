"""Image extraction: cutting at panel boundaries, quarantining bad files, filtering rules, real tesseract OCR."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kg_builder.images.cutting import boundary_scores, cut_rows, pieces
from kg_builder.images.detail_pages import promo_banner, render_page
from kg_builder.images.filtering import PieceFeatures, decide, features
from kg_builder.images.pipeline import ImageRejected, extract_pages, load_image


def _stack(colours: list[tuple[int, int, int]], heights: list[int]) -> np.ndarray:
    return np.concatenate([np.full((h, 200, 3), c, dtype=np.uint8) for c, h in zip(colours, heights, strict=True)])


def test_cuts_fall_on_panel_boundaries_and_not_on_ruled_lines() -> None:
    image = _stack([(246, 240, 230), (232, 242, 250), (40, 40, 48)], [100, 150, 80])
    image[170:172, :] = 120  # a ruled line inside the second panel: same background above and below
    assert cut_rows(image) == [100, 250]
    assert [(top, bottom) for top, bottom, _ in pieces(image, [100, 250])] == [(0, 100), (100, 250), (250, 330)]


def test_boundary_scores_match_each_truth_row_once() -> None:
    assert boundary_scores([100, 103, 250, 400], [101, 252, 300], tolerance=6) == (2, 2, 1)


def test_bad_files_are_rejected_with_a_reason(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.new("RGB", (40, 30), (200, 10, 10)).save(good)
    (tmp_path / "text.jpg").write_text("not an image")
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:60])
    bomb = tmp_path / "bomb.png"
    Image.new("L", (9000, 9000)).save(bomb)
    assert load_image(good).shape == (30, 40, 3)
    for name, reason in (("text.jpg", "not an image"), ("cut.png", "corrupt or truncated"), ("bomb.png", "bomb")):
        with pytest.raises(ImageRejected, match=reason):
            load_image(tmp_path / name)


def _features(**overrides: object) -> PieceFeatures:
    values = {
        "height": 200,
        "text": "",
        "text_area": 0.0,
        "text_blocks": 0,
        "grey_std": 40.0,
        "edge_density": 0.03,
        "binary_share": 0.2,
        "dhash": 0b1010,
    }
    return PieceFeatures(**(values | overrides))  # type: ignore[arg-type]


def test_filter_rules() -> None:
    assert decide(_features(), []).reason == "photo"
    assert decide(_features(grey_std=1.0), []).reason == "blank"
    dated = decide(_features(text="限时特惠 7月13日 截止"), [])
    assert not dated.keep and dated.time_sensitive
    assert decide(_features(edge_density=0.2, binary_share=0.97), []).reason == "code-like pattern"
    assert decide(_features(dhash=0b1011), [_features(dhash=0b1010)]).reason == "near-duplicate"


def test_tesseract_reads_a_rendered_promotion_banner() -> None:
    page, panels = render_page({"id": "t", "title": "测试面膜", "properties": []}, [], random.Random(0))
    promo = next((p for p in panels if p.kind == "promo"), None)
    pixels = np.asarray(page)[:, :, ::-1]
    if promo is None:  # this seed drew no promotion: render one directly
        banner, _ = promo_banner(random.Random(1))
        pixels = np.asarray(banner)[:, :, ::-1]
    else:
        pixels = pixels[promo.top : promo.bottom]
    piece = features(np.ascontiguousarray(pixels))
    assert not decide(piece, []).keep, piece.text


def test_extraction_quarantines_and_measures(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    page, panels = render_page(
        {"id": "p", "title": "Sun Bum SPF 50 sunscreen", "properties": [("SPF", "50")]}, [], random.Random(2)
    )
    page.save(pages / "p.jpg", quality=90)
    (pages / "truth.jsonl").write_text(json.dumps({"page": "p.jpg", "panels": [p.__dict__ for p in panels]}) + "\n")
    (pages / "broken.jpg").write_text("x")
    report = extract_pages(pages, tmp_path / "out", progress=False)
    assert report.pages == 1 and report.quarantined == ["broken.jpg: not an image file"]
    assert (tmp_path / "out" / "quarantine" / "broken.jpg.reason.txt").is_file()
    assert report.cut[1] == 0 and report.cut[2] == 0  # every boundary found, none invented


def test_the_noise_cnn_learns_a_tiny_batch_and_round_trips(tmp_path: Path) -> None:
    from kg_builder.images import noise_classifier

    blank = noise_classifier.thumbnail(np.full((80, 300, 3), 222, dtype=np.uint8))
    photo = noise_classifier.thumbnail(np.random.default_rng(0).integers(0, 255, (80, 300, 3), dtype=np.uint8))
    assert blank.shape == (3, 64, 64)
    examples = [(blank, 1), (photo, 0)] * 8
    model = noise_classifier.train(examples, epochs=15, progress=False)
    piece = np.full((80, 300, 3), 222, dtype=np.uint8)
    assert noise_classifier.noise_probability(model, piece) > 0.5
    noise_classifier.save(model, tmp_path / "cnn.pt")
    again = noise_classifier.load(tmp_path / "cnn.pt")
    assert noise_classifier.noise_probability(again, piece) == pytest.approx(
        noise_classifier.noise_probability(model, piece)
    )
