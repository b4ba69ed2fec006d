"""Validation of single catalog rows."""

from __future__ import annotations

import random
import re

import pytest

from kg_builder.catalog.records import KIND_BY_NAME, RecordInvalid, clean_text, validate, value_key

ITEMS = KIND_BY_NAME["items"]
GOOD_ITEM = {"id": "x1", "title": " A   title\x07 ", "lang": "en", "category": "c", "source": "s"}


def test_valid_row_is_cleaned() -> None:
    row = validate(ITEMS, dict(GOOD_ITEM, price="12.5"))
    assert row["title"] == "A title"
    assert row["price"] == 12.5
    assert row["brand"] is None


def test_a_price_has_a_currency_cny_unless_named() -> None:
    assert validate(ITEMS, dict(GOOD_ITEM, price=39))["currency"] == "CNY"
    assert validate(ITEMS, dict(GOOD_ITEM, price=25, currency=" sek "))["currency"] == "SEK"
    assert validate(ITEMS, GOOD_ITEM)["currency"] is None  # no price, no currency
    named = validate(ITEMS, dict(GOOD_ITEM, title_zh="一个标题", title_en="A title"))
    assert (named["title_zh"], named["title_en"]) == ("一个标题", "A title")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": None}, "missing required field 'title'"),
        ({"title": "   "}, "missing required field 'title'"),
        ({"lang": "fr"}, "field 'lang' must be one of zh, en"),
        ({"price": "cheap"}, "field 'price' must be a number"),
        ({"price": -1}, "finite number >= 0"),
        ({"price": "nan"}, "finite number >= 0"),
        ({"price": 5, "currency": "yuan"}, "field 'currency' must be an ISO 4217 code"),
        ({"price": 5, "currency": "¥"}, "field 'currency' must be an ISO 4217 code"),
        ({"title": "x" * 5000}, "too long"),
        ({"id": "i" * 300}, "too long for an id"),
        ({"title": {"nested": 1}}, "must be text"),
        ({"colour": "red"}, "unknown field(s) 'colour'"),
    ],
)
def test_bad_rows_name_the_reason(change: dict, reason: str) -> None:
    with pytest.raises(RecordInvalid, match=None) as error:
        validate(ITEMS, {**GOOD_ITEM, **change})
    assert reason in str(error.value)


def test_non_object_row_is_rejected() -> None:
    with pytest.raises(RecordInvalid, match="must be an object"):
        validate(ITEMS, ["x1", "title"])


def test_image_subject_kind_is_checked() -> None:
    kind = KIND_BY_NAME["images"]
    row = {"id": "i", "path": "a.jpg", "subject": "x", "subject_kind": "users", "source": "s"}
    with pytest.raises(RecordInvalid, match="subject_kind"):
        validate(kind, row)


def test_value_key_unifies_languages() -> None:
    assert value_key("ingredient", "甘草酸二钾", "Dipotassium  Glycyrrhizinate") == value_key(
        "ingredient", "dipotassium glycyrrhizinate"
    )
    assert value_key("size", "S") != value_key("color", "S")


def test_clean_text_skips_its_substitutions_only_when_they_would_change_nothing() -> None:
    def by_substitution(text: str) -> str:  # the definition: control characters out, white-space runs as one space
        return re.sub(r"\s+", " ", re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)).strip()

    pieces = ["a", "中", " ", "  ", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "\u3000", "\xa0", "\u2028", "😀", "x y"]
    rng = random.Random(3)
    texts = ["".join(rng.choices(pieces, k=rng.randint(1, 8))) for _ in range(5000)]
    for text in [*texts, "plain text", " edge ", "中文 English"]:
        expected = by_substitution(text)
        if expected:
            assert clean_text(text, "f") == expected, repr(text)
        else:
            with pytest.raises(RecordInvalid, match="is empty"):
                clean_text(text, "f")
