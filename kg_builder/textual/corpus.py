"""The product-text corpus for mining: titles, descriptions, customer dialogues, questions and answers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kg_builder.sources import datasets
from kg_builder.sources.attribute_titles import read_attribute_titles
from kg_builder.sources.customer_questions import join_tokens
from kg_builder.sources.grocery import read_grocery_products
from kg_builder.sources.tagged_titles import read_tagged_titles

MAX_SENTENCE = 300
ZH_TITLES = (datasets.JIE_NER_TRAIN, datasets.JIE_NER_DEV, datasets.DING_NER_TRAIN)
EN_TITLES = (datasets.OAMINE_TRAIN, datasets.AE110K_TRAIN)
DIALOGUES = datasets.ECD_TRAIN
FASHION_SENTENCES = datasets.JAVE_FASHION_TRAIN
PRODUCT_QA = datasets.EPQA_DEV


@dataclass(frozen=True)
class Sentence:
    """A piece of product text, its language and where it came from."""

    text: str
    lang: str
    source: str


def read_corpus(data_dir: Path) -> list[Sentence]:
    """Every sentence of the mining corpus, in a fixed order."""
    return list(_sentences(data_dir))


def _sentences(data_dir: Path) -> Iterator[Sentence]:
    for relative in ZH_TITLES:
        for title in read_tagged_titles(data_dir / relative):
            yield Sentence(title.text[:MAX_SENTENCE], "zh", datasets.provenance(relative, title.line))
    with (data_dir / DIALOGUES).open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            for turn in line.rstrip("\n").split("\t")[1:]:
                text = join_tokens(turn)
                if len(text) >= 4:
                    yield Sentence(text[:MAX_SENTENCE], "zh", datasets.provenance(DIALOGUES, number))
    with (data_dir / FASHION_SENTENCES).open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 3:
                yield Sentence(fields[2][:MAX_SENTENCE], "zh", datasets.provenance(FASHION_SENTENCES, number))
    for relative in EN_TITLES:
        for row in read_attribute_titles(data_dir / relative):
            yield Sentence(row.title[:MAX_SENTENCE], "en", datasets.provenance(relative, row.line))
    for product in read_grocery_products(data_dir / datasets.GROCERY):
        yield Sentence(
            product.description[:MAX_SENTENCE], "en", datasets.provenance(product.path.relative_to(data_dir))
        )
    with (data_dir / PRODUCT_QA).open(encoding="utf-8", errors="replace", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            for text in (row.get("candidate") or "", row.get("answer") or ""):
                if len(text) >= 10:
                    yield Sentence(text[:MAX_SENTENCE], "en", datasets.provenance(PRODUCT_QA, number))
