"""Catalog quality: is a harvested item's category right? The harvest assigns categories by words in the title, so
a birthday candle lands among cakes and a shoe dryer among shoes. Each harvested item is checked against its title
with the pretrained encoder and the NER profile; an item whose category is doubtful is kept out of search until a
curator accepts it (`python -m kg_builder review accept category ITEM CATEGORY`).

Features (standardised): the title's similarity to its category and its margin over the best other category and
rank among them; the same for the product words the Chinese NER finds in the title (CATEGORY spans); the title's
similarity to a few kinds of things that are not products of any category (pet supplies, appliances, storage,
packaging, accessories, coupons and services, tools, medicine). A logistic head is trained on the dev half of the
hand-checked items (data/knowledge/category_labels.tsv); the threshold is the best F1 of "right" at precision
>= MIN_PRECISION on dev's cross-validated scores, and the test half reports the precision of the items kept."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kg_builder.catalog.harvest import HARVESTED
from kg_builder.textual.encoder_heads import GatedClassifier, LabelledRow, cached_fit

log = logging.getLogger(__name__)

MIN_PRECISION = 0.95  # of the items kept in search
# Few standardised features: a smaller step than the heads on embeddings, stronger regularisation in the search.
HEAD_SETTINGS = [{"l2": l2, "steps": steps, "learning_rate": 0.5} for l2 in (1e-3, 1e-2, 1e-1) for steps in (300, 2000)]
NOT_PRODUCTS = (
    "宠物用品 猫粮 狗粮 宠物零食 pet supplies dog cat",
    "家用电器 厨房电器 烤箱 加热器 appliance machine",
    "收纳盒 置物架 收纳袋 storage box rack",
    "包装袋 礼品盒 包装盒 空瓶 packaging bag box",
    "配件 饰品 袖扣 手镯 口袋巾 accessory",
    "优惠券 充值 服务 模板 招商 coupon service",
    "蜡烛 模具 工具 烘鞋器 candle mould tool",
    "药品 医用 治疗 medicine",
)
ProductWords = Callable[[str, str], list[str]]  # (title, lang) -> the product words NER finds


def is_harvested(item: dict[str, Any]) -> bool:
    """Items written by `kg_builder harvest` are checked; hand-picked ones are the curator's own choice."""
    return HARVESTED in item.get("_origin", "")


def read_category_labels(path: Path) -> list[LabelledRow]:
    """`item_id<TAB>assigned_category<TAB>correct<TAB>split<TAB>...` rows (label 1: the category is right)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.startswith("item_id\t"):
            continue
        fields = line.split("\t")
        if len(fields) < 4 or fields[2] not in ("0", "1") or fields[3] not in ("dev", "test"):
            raise ValueError(f"{path}:{number}: expected item_id<TAB>category<TAB>0|1<TAB>dev|test")
        rows.append(LabelledRow((fields[0], fields[1]), int(fields[2]), fields[3], "random"))
    return rows


def _category_text(category: dict[str, Any]) -> str:
    names = [category["name_zh"], category["name_en"], *category.get("aliases_zh", []), *category.get("aliases_en", [])]
    return " / ".join(dict.fromkeys(names))


def _against(vectors: np.ndarray, categories: np.ndarray, assigned: np.ndarray) -> np.ndarray:
    """[similarity to the assigned category, margin over the best other one, rank 0 or not] per row."""
    sims = vectors @ categories.T
    rows = np.arange(len(vectors))
    own = sims[rows, assigned]
    others = sims.copy()
    others[rows, assigned] = -np.inf
    best_other = others.max(axis=1) if categories.shape[0] > 1 else np.full(len(vectors), -1.0)
    return np.stack([own, own - best_other, (own >= best_other).astype(float)], axis=1)


def category_features(
    encoder: Any,  # kg_builder.textmodels.encoder.CachedEncoder
    items: Sequence[dict[str, Any]],
    categories: Sequence[dict[str, Any]],
    product_words: ProductWords,
) -> np.ndarray:
    """The features of each (item, its category) pair (see the module docstring); not yet standardised."""
    index = {category["id"]: n for n, category in enumerate(categories)}
    assigned = np.array([index[item["category"]] for item in items])
    category_vectors = encoder.passages([_category_text(category) for category in categories])
    titles = encoder.queries([item["title"] for item in items])
    title_features = _against(titles, category_vectors, assigned)
    words = [product_words(item["title"], item["lang"]) for item in items]
    found = sorted({word for group in words for word in group})
    word_vectors = dict(zip(found, encoder.queries(found), strict=True)) if found else {}
    word_features = title_features.copy()
    for n, group in enumerate(words):
        if group:  # the product word that fits the assigned category best
            scored = _against(np.stack([word_vectors[w] for w in group]), category_vectors, assigned[[n] * len(group)])
            word_features[n] = scored[scored[:, 0].argmax()]
    not_products = titles @ encoder.passages(list(NOT_PRODUCTS)).T
    closest_not_product = (not_products.max(axis=1) - title_features[:, 0])[:, None]
    has_words = np.array([[float(bool(group))] for group in words])
    return np.hstack([title_features, word_features, has_words, not_products, closest_not_product])


def standardise(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (x - reference.mean(axis=0)) / (reference.std(axis=0) + 1e-9)


def category_checker(
    encoder: Any,
    catalog_items: Sequence[dict[str, Any]],
    categories: Sequence[dict[str, Any]],
    labels: Sequence[LabelledRow],
    product_words: ProductWords,
    cache_dir: Path | None = None,
) -> tuple[GatedClassifier, Callable[[Sequence[dict[str, Any]]], np.ndarray]]:
    """The head trained on the dev labels, and a function that scores items (p(category right))."""
    by_id = {item["id"]: item for item in catalog_items}
    known = [row for row in labels if row.key[0] in by_id and by_id[row.key[0]]["category"] == row.key[1]]
    if len(known) < len(labels):
        log.warning("category check: %d labelled items not in the catalog as labelled", len(labels) - len(known))
    raw = category_features(encoder, [by_id[row.key[0]] for row in known], categories, product_words)
    x = standardise(raw, raw)
    empty = (np.zeros((0, x.shape[1])), np.zeros(0))
    classifier = cached_fit(cache_dir, "category", known, x, empty, MIN_PRECISION, HEAD_SETTINGS)

    def score(items: Sequence[dict[str, Any]]) -> np.ndarray:
        if not items:
            return np.zeros(0)
        return classifier.head.probabilities(
            standardise(category_features(encoder, items, categories, product_words), raw)
        )

    return classifier, score
