"""One registry per model family: listing, lookup, creation by name, a clear error for an unknown name, and every
registered image encoder building at tiny size."""

from __future__ import annotations

import pytest
import torch
from transformers import BertForMaskedLM, BertForSequenceClassification

from kg_builder.crossmodal.image_encoders import IMAGE_ENCODERS
from kg_builder.crossmodal.model import CMM_TINY, DEFAULT_LINKING_MODEL, TWO_STREAM_MODELS, CMMConfig, TwoStreamCMM
from kg_builder.crossmodal.single_stream import PIXELBERT_TINY, SINGLE_STREAM_MODELS, PixelBert
from kg_builder.registry import Registry, UnknownModelError
from kg_builder.textmodels.bert import DEFAULT_BASE_MODEL, TEXT_MODELS


def _shapes() -> Registry[tuple[int, ...]]:
    shapes: Registry[tuple[int, ...]] = Registry("shape")

    @shapes.register("square-small")
    def small(side: int = 2) -> tuple[int, ...]:
        return (side, side)

    shapes.add("square-large", lambda side=9: (side, side))
    shapes.add("line", lambda: (1,))
    return shapes


def test_a_registry_lists_finds_and_creates_by_name() -> None:
    shapes = _shapes()
    assert shapes.list_models() == ["line", "square-large", "square-small"]
    assert shapes.list_models("square-*") == ["square-large", "square-small"]
    assert shapes.is_model("line") and not shapes.is_model("circle")
    assert shapes.create_model("square-small") == (2, 2)
    assert shapes.create_model("square-small", side=3) == (3, 3)


def test_an_unknown_name_is_an_error_that_lists_the_known_names() -> None:
    with pytest.raises(UnknownModelError, match=r"unknown model 'circle': the shape models are \['line', 'square-l"):
        _shapes().create_model("circle")
    assert issubclass(UnknownModelError, ValueError)


def test_a_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        _shapes().add("line", lambda: (2,))


@pytest.mark.parametrize(
    ("registry", "default"),
    [(TEXT_MODELS, DEFAULT_BASE_MODEL), (TWO_STREAM_MODELS, DEFAULT_LINKING_MODEL), (SINGLE_STREAM_MODELS, None)],
)
def test_each_family_has_tiny_and_full_size_models_and_its_default(registry: Registry[object], default: str) -> None:
    assert registry.list_models("*-tiny") and registry.list_models("*-base")
    assert default is None or registry.is_model(default)
    with pytest.raises(UnknownModelError, match=f"unknown model 'huge'.*{registry.list_models()[0]}"):
        registry.create_model("huge")


def test_text_models_build_with_a_classifier_head_or_another() -> None:
    classifier = TEXT_MODELS.create_model(DEFAULT_BASE_MODEL, vocab_size=50, num_labels=2)
    mlm = TEXT_MODELS.create_model(DEFAULT_BASE_MODEL, vocab_size=50, head=BertForMaskedLM)
    assert isinstance(classifier, BertForSequenceClassification) and classifier.config.num_labels == 2
    assert isinstance(mlm, BertForMaskedLM) and mlm.config.vocab_size == 50


@pytest.mark.parametrize("name", IMAGE_ENCODERS.list_models())
def test_every_image_encoder_builds_at_tiny_size_and_gives_cls_and_patches(name: str) -> None:
    config = CMMConfig(image_encoder=name)
    encoder = IMAGE_ENCODERS.create_model(name, config=config)
    cls, patches = encoder(torch.rand(2, 3, config.image_size, config.image_size))
    assert cls.shape == (2, config.width) and patches.shape[0] == 2 and patches.shape[-1] == config.width


def test_cross_modal_models_are_created_with_their_own_vocabulary() -> None:
    two_stream = TWO_STREAM_MODELS.create_model(CMM_TINY, vocab_size=300)
    single_stream = SINGLE_STREAM_MODELS.create_model(PIXELBERT_TINY, vocab_size=300)
    assert isinstance(two_stream, TwoStreamCMM) and two_stream.config.vocab_size == 300
    assert isinstance(single_stream, PixelBert) and single_stream.config.vocab_size == 300
    assert two_stream.text.config.vocab_size == single_stream.joint.config.vocab_size == 300
