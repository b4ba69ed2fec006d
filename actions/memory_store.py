"""The `GraphStore` protocol in plain Python, filled from catalog files (like rasa_sdk's InMemoryKnowledgeBase):
no Neo4j, no models, for tests of every chat flow without services.

It holds what a build writes from the catalog (kg_builder/graph/writer.py) plus the rule inference (item -HAS_POI->
POI from HAS_PROPERTY and SATISFY, by kg_builder.graph.rules.has_poi_links, as the bulk path), and answers every query
of actions/graph_store.py the way Neo4j does for curated data. Predicted facts (mined POIs, extracted SATISFY, NER
profiles, linked images), which only the learned stages of a real build produce, are absent. `items_by_text` is a
stand-in for the full-text index: quoted phrases of the query matched on word and CJK-bigram tokens of the title
and the search text, scored by BM25. Image embeddings, which the linker writes, are given to the store (tests):
`images_by_vector` ranks them by exact cosine, scaled to [0, 1] as Neo4j's."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from actions.graph_store import ImageModel, ItemCard, ItemSummary, PropertyValue
from actions.language import has_cjk
from kg_builder.catalog.loader import Catalog, load_catalog
from kg_builder.config import PATHS
from kg_builder.crossmodal.image_search import RankedImage
from kg_builder.graph.item_vectors import item_text
from kg_builder.graph.ontology import BRAND, CATEGORY, POI, PROBLEM, PROPERTY, SCENARIO
from kg_builder.graph.rules import has_poi_links

_NAMED_KINDS = {CATEGORY: "categories", PROPERTY: "properties", SCENARIO: "scenarios", PROBLEM: "problems", POI: "pois"}
_ENTITY_LABELS = (CATEGORY, PROPERTY, BRAND, SCENARIO, PROBLEM, POI)  # the labels of ENTITY_NAMES
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_]+")
_QUOTED = re.compile(r'"([^"]*)"')
_OPERATORS = frozenset({"OR", "AND", "NOT"})
BM25_K1, BM25_B = 1.2, 0.75
MAX_SCENARIOS = 3  # on a card, as ITEM_CARD's LIMIT 3


def tokens(text: str) -> list[str]:
    """Lower-cased tokens as the full-text index's CJK analyzer makes them: Latin and digit words, and
    overlapping bigrams of Chinese runs (a lone Chinese character stays one token)."""
    found: list[str] = []
    for run in _TOKEN.findall(text.casefold()):
        if has_cjk(run[:1]):
            found += [run[n : n + 2] for n in range(len(run) - 1)] if len(run) > 1 else [run]
        else:
            found.append(run)
    return found


def _occurrences(phrase: list[str], field: list[str]) -> int:
    """How often the token sequence `phrase` appears in `field`."""
    size = len(phrase)
    if not size or size > len(field):
        return 0
    return sum(field[n : n + size] == phrase for n in range(len(field) - size + 1))


def _phrases(lucene_query: str) -> list[list[str]]:
    """The quoted phrases of an OR query (or its bare words when nothing is quoted), as token lists."""
    parts = _QUOTED.findall(lucene_query) or [w for w in lucene_query.split() if w not in _OPERATORS]
    return [phrase for phrase in (tokens(part) for part in parts) if phrase]


class InMemoryGraphStore:
    """The MKG of a catalog in dictionaries; implements actions.graph_store.GraphStore."""

    def __init__(
        self,
        catalog: Catalog,
        encoder: Any = None,
        image_vectors: Mapping[str, Sequence[float]] | None = None,
        image_model: str = "in-memory",
    ) -> None:
        """`encoder` (a kg_builder.textmodels.encoder.CachedEncoder) embeds the item texts for semantic search, as
        the build does; without one, the store has no item vectors (as a graph built without the learned stages).
        `image_vectors`: the embeddings of catalog images by image id, as cross-modal model `image_model` made them
        (none: no image embeddings, as a graph built without the linker)."""
        rows = catalog.rows
        self._named = {label: _by_id(rows.get(kind, [])) for label, kind in _NAMED_KINDS.items()}
        self._named[BRAND] = _by_id(rows.get("brands", []))
        self._items = _by_id(rows.get("items", []))
        self._values: dict[str, dict[str, Any]] = {}
        self._item_values: dict[str, list[tuple[int, str]]] = {}  # item -> (position, value id), HAS_PROPERTY
        self._value_items: dict[str, list[str]] = {}
        self._satisfy: dict[str, dict[str, float]] = {}  # value id -> POI -> score
        self._satisfied_by: dict[str, list[str]] = {}  # POI -> value ids
        self._causes = _links(rows.get("causes", []), "scenario", "problem")
        self._caused_by = _links(rows.get("causes", []), "problem", "scenario")
        self._needed_by = _links(rows.get("needs", []), "poi", "problem")
        self._needs = _links(rows.get("needs", []), "problem", "poi")
        self._images: dict[str, dict[str, Any]] = {}
        self._image_links: dict[tuple[str, str], list[str]] = {}  # (subject kind, subject id) -> image ids
        self._faqs = sorted(
            ({key: faq[key] for key in ("id", "question", "answer", "lang")} for faq in rows.get("faqs", [])),
            key=lambda faq: faq["id"],
        )
        self._add_values(rows.get("item_properties", []), rows.get("satisfies", []))
        self._add_images(rows.get("images", []))
        self._item_pois = self._inferred_pois()
        self._fields = {
            item_id: (tokens(item["title"]), tokens(item.get("search_text") or ""))
            for item_id, item in self._items.items()
        }
        self._encoder = encoder
        self._vectors: dict[str, Any] | None = None  # item id -> vector, embedded on first use
        self._image_vectors = self._checked_image_vectors(image_vectors or {})
        self._image_model = image_model

    @classmethod
    def from_catalog(
        cls,
        root: Path = PATHS.catalog,
        encoder: Any = None,
        image_vectors: Mapping[str, Sequence[float]] | None = None,
        image_model: str = "in-memory",
    ) -> InMemoryGraphStore:
        """The store of the catalog folder `root` (the demo catalog by default), read and checked by load_catalog."""
        return cls(load_catalog(root), encoder, image_vectors, image_model)

    def _checked_image_vectors(self, vectors: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
        """Image id -> embedding; ValueError naming an unknown image or a width that differs from the others'."""
        checked = {image_id: np.asarray(vector, dtype=np.float64) for image_id, vector in vectors.items()}
        for image_id, vector in checked.items():
            if image_id not in self._images:
                raise ValueError(f"image vector for '{image_id}': no such image in the catalog")
            if vector.ndim != 1 or vector.shape != next(iter(checked.values())).shape:
                raise ValueError(f"image vector for '{image_id}': shape {vector.shape} differs from the others'")
        return checked

    # --- filling, as kg_builder/graph/writer.py and kg_builder/textual/inference.py write the graph ---

    def _add_values(self, item_properties: list[dict[str, Any]], satisfies: list[dict[str, Any]]) -> None:
        """PropertyValue nodes with HAS_PROPERTY and SATISFY, merged as the writer merges them."""
        for row in item_properties:
            value = self._values.setdefault(row["value_id"], {"id": row["value_id"], "value": row["value"]})
            value["property"] = row["property"]
            value["name_zh"] = row["value_name_zh"] or value.get("name_zh")
            value["name_en"] = row["value_name_en"] or value.get("name_en")
            self._item_values.setdefault(row["item"], []).append((row["position"], row["value_id"]))
            self._value_items.setdefault(row["value_id"], []).append(row["item"])
        for row in satisfies:
            if row["value_id"] not in self._values:
                self._values[row["value_id"]] = {
                    "id": row["value_id"],
                    "property": row["property"],
                    "value": row["value"],
                    "name_zh": None,
                    "name_en": row["value_en"],
                }
            pois = self._satisfy.setdefault(row["value_id"], {})
            if row["poi"] not in pois:
                self._satisfied_by.setdefault(row["poi"], []).append(row["value_id"])
            pois[row["poi"]] = 1.0 if row["score"] is None else row["score"]

    def _add_images(self, images: list[dict[str, Any]]) -> None:
        for row in images:
            self._images[row["id"]] = {"id": row["id"], "path": row["path"], "caption": row["caption"]}
            linked = self._image_links.setdefault((row["subject_kind"], row["subject"]), [])
            if row["id"] not in linked:
                linked.append(row["id"])

    def _inferred_pois(self) -> dict[str, dict[str, dict[str, Any]]]:
        """item -> POI -> the HAS_POI link's properties, by the rule every build applies (kg_builder.graph.rules)."""
        links = has_poi_links(
            ((item, value) for item, values in self._item_values.items() for _, value in sorted(values)),
            {(value, poi): {"score": score} for value, pois in self._satisfy.items() for poi, score in pois.items()},
        )
        item_pois: dict[str, dict[str, dict[str, Any]]] = {item_id: {} for item_id in self._items}
        for (item, poi), link in links.items():
            item_pois.setdefault(item, {})[poi] = link
        return item_pois

    def _image_rows(self, kind: str, subject: str | None) -> list[dict[str, Any]] | None:
        """The images linked to a node (None for no node, as a pattern comprehension over null)."""
        if subject is None:
            return None
        return [dict(self._images[image_id]) for image_id in self._image_links.get((kind, subject), [])]

    def _names(self, label: str, node_id: str | None) -> dict[str, Any] | None:
        node = self._named[label].get(node_id) if node_id is not None else None
        return {"id": node_id, "name_zh": node["name_zh"], "name_en": node["name_en"]} if node else None

    def _values_of(self, item_id: str) -> list[tuple[int, dict[str, Any]]]:
        """(position, value node) of an item, in catalog order."""
        return [(position, self._values[value_id]) for position, value_id in sorted(self._item_values.get(item_id, []))]

    # --- the GraphStore protocol ---

    def recommendations(
        self, scenarios: list[str], problems: list[str], pois: list[str], limit: int
    ) -> list[dict[str, Any]]:
        """Items along the cognitive path from the given starts, each with one path as the reason (RECOMMEND)."""
        starts: set[tuple[str | None, str | None, str]] = set()
        for problem in set(problems) & self._named[PROBLEM].keys():
            causing = [s for s in self._caused_by.get(problem, []) if s in scenarios] or [None]
            starts |= {(s, problem, poi) for poi in self._needs.get(problem, []) for s in causing}
        if not problems:
            for scenario in set(scenarios) & self._named[SCENARIO].keys():
                for problem in self._causes.get(scenario, []):
                    starts |= {(scenario, problem, poi) for poi in self._needs.get(problem, [])}
        starts |= {(None, None, poi) for poi in set(pois) & self._named[POI].keys()}
        paths = sorted(
            ((s or "", p or "", poi, value_id, item_id), (s, p))
            for s, p, poi in starts
            for value_id in self._satisfied_by.get(poi, [])
            for item_id in self._value_items.get(value_id, [])
        )
        found: dict[str, dict[str, Any]] = {}
        for (_, _, poi, value_id, item_id), (s, p) in paths:
            entry = found.setdefault(item_id, {"item": item_id, "reason": None, "pois": set()})
            entry["pois"].add(poi)
            if entry["reason"] is None:
                entry["reason"] = self._reason(s, p, poi, self._values[value_id])
        ranked = sorted(found.values(), key=lambda entry: (-len(entry["pois"]), entry["item"]))
        return [{"item": e["item"], "reason": e["reason"], "needs_met": len(e["pois"])} for e in ranked[:limit]]

    def _reason(self, scenario: str | None, problem: str | None, poi: str, value: dict[str, Any]) -> dict[str, Any]:
        s, p, o = (self._names(SCENARIO, scenario) or {}, self._names(PROBLEM, problem) or {}, self._names(POI, poi))
        return {
            "scenario_zh": s.get("name_zh"),
            "scenario_en": s.get("name_en"),
            "problem_zh": p.get("name_zh"),
            "problem_en": p.get("name_en"),
            "poi_zh": o["name_zh"] if o else None,
            "poi_en": o["name_en"] if o else None,
            "value": value["value"],
            "value_en": value["name_en"],
            "predicted": False,
        }

    def item_story(
        self, item_id: str, problems: list[str] | None = None, scenarios: list[str] | None = None
    ) -> dict[str, Any] | None:
        """Title, images and one cognitive path of an item, preferring the given problems and scenarios (ITEM_STORY)."""
        item = self._items.get(item_id)
        if item is None:
            return None
        problems, scenarios = problems or [], scenarios or []
        paths = [
            (value["id"], poi, problem, scenario)
            for _, value in self._values_of(item_id)
            for poi in self._satisfy.get(value["id"], {})
            for problem in self._needed_by.get(poi, []) or [None]
            for scenario in (self._caused_by.get(problem, []) if problem else []) or [None]
        ]

        def order(path: tuple[str, str, str | None, str | None]) -> tuple[Any, ...]:
            value_id, poi, problem, scenario = path
            return (problem not in problems, scenario not in scenarios, scenario is None, problem is None,
                    poi, value_id, problem or "", scenario or "")  # fmt: skip

        value_id, poi, problem, scenario = min(paths, key=order) if paths else (None, None, None, None)
        value = self._values.get(value_id) if value_id else None
        return {
            "title": item["title"],
            "images": _scored(self._image_rows("items", item_id)),
            "value": {"value": value["value"], "name_en": value["name_en"]} if value else None,
            "value_images": _scored(self._image_rows("property_values", value_id)),
            "poi": self._names(POI, poi),
            "poi_images": _scored(self._image_rows("pois", poi)),
            "problem": self._names(PROBLEM, problem),
            "problem_images": _scored(self._image_rows("problems", problem)),
            "scenario": self._names(SCENARIO, scenario),
            "scenario_images": _scored(self._image_rows("scenarios", scenario)),
        }

    def faqs(self) -> list[dict[str, Any]]:
        """Every FAQ: id, question, answer, language (by id)."""
        return [dict(faq) for faq in self._faqs]

    def entity_names(self) -> list[dict[str, Any]]:
        """Label, id and names (names and aliases in both languages) of the entities the linkers look for."""
        return [
            {"label": label, "id": node_id, "names": [name for name in _entity_names(node) if name is not None]}
            for label in _ENTITY_LABELS
            for node_id, node in self._named[label].items()
        ]

    def value_names(self) -> list[str]:
        """Every name of every property value (value, Chinese and English names)."""
        names = (name for v in self._values.values() for name in (v["value"], v.get("name_zh"), v.get("name_en")))
        return sorted({name for name in names if name})

    def items_by_filter(self, category: str | None, brand: str | None, limit: int = 50) -> list[str]:
        """Ids of the items in a category and/or of a brand, in id order."""
        return sorted(
            item_id
            for item_id, item in self._items.items()
            if (category is None or item["category"] == category) and (brand is None or item["brand"] == brand)
        )[:limit]

    def items_by_text(self, lucene_query: str, limit: int = 50) -> dict[str, float]:
        """A stand-in for the full-text index: BM25 of the query's quoted phrases over title and search text."""
        phrases = _phrases(lucene_query)
        if not phrases or not self._items:
            return {}
        averages = [sum(len(fields[n]) for fields in self._fields.values()) / len(self._fields) or 1 for n in (0, 1)]
        scores: dict[str, float] = {}
        for phrase in phrases:
            counts = {item_id: [_occurrences(phrase, f) for f in fields] for item_id, fields in self._fields.items()}
            matching = [item_id for item_id, found in counts.items() if any(found)]
            idf = math.log(1 + (len(self._items) - len(matching) + 0.5) / (len(matching) + 0.5))
            for item_id in matching:
                for field, found, average in zip(self._fields[item_id], counts[item_id], averages, strict=True):
                    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(field) / average)
                    scores[item_id] = scores.get(item_id, 0.0) + idf * found * (BM25_K1 + 1) / (found + norm)
        ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
        return dict(ranked)

    def _item_vectors(self) -> dict[str, Any]:
        """Each item's vector of kg_builder.graph.item_vectors.item_text, as the build writes them."""
        if self._vectors is None:
            self._vectors = {}
            if self._encoder is not None and self._items:
                ids = sorted(self._items)
                texts = [item_text(self._text_row(item_id)) for item_id in ids]
                self._vectors = dict(zip(ids, self._encoder.passages(texts), strict=True))
        return self._vectors

    def _text_row(self, item_id: str) -> dict[str, Any]:
        """An item as ITEM_TEXTS returns it."""
        item = self._items[item_id]
        category = self._named[CATEGORY][item["category"]]
        brand = self._named[BRAND].get(item["brand"]) if item["brand"] else None
        return {
            "title": item["title"],
            "categories": [f"{category['name_zh']} / {category['name_en']}"],
            "brands": [brand.get("name_zh") or brand["name"]] if brand else [],
            "values": [
                [position, value.get("name_zh") or value["value"], value.get("name_en")]
                for position, value in self._values_of(item_id)
            ],
        }

    def items_by_vector(self, vector: Sequence[float], limit: int = 50) -> dict[str, float]:
        """Cosine similarity of the nearest items to a query vector (exact search; vectors are unit length)."""
        scores = self.vector_similarities(vector, list(self._item_vectors()))
        return dict(sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit])

    def vector_similarities(self, vector: Sequence[float], ids: list[str]) -> dict[str, float]:
        """Cosine similarity of the given items (those with a vector) to a query vector."""
        vectors = self._item_vectors()
        return {item_id: float(vectors[item_id] @ vector) for item_id in ids if item_id in vectors}

    def item_profiles(self, ids: list[str]) -> list[dict[str, Any]]:
        """Title, NER mentions (none here), category and brand names and property values of items."""
        profiles = []
        for item_id in ids:
            item = self._items.get(item_id)
            if item is None:
                continue
            category = self._named[CATEGORY][item["category"]]
            brand = self._named[BRAND].get(item["brand"]) if item["brand"] else None
            profiles.append(
                {
                    "id": item_id,
                    "title": item["title"],
                    "ner_entities": [],
                    "categories": [[category["name_zh"], category["name_en"], *_aliases(category)]],
                    "brands": [[brand["name"], brand["name_zh"], *brand["aliases"]]] if brand else [],
                    "values": [[v["value"], v.get("name_zh"), v.get("name_en")] for _, v in self._values_of(item_id)],
                    "brand_id": item["brand"] or None,
                    "price": item.get("price"),
                    "currency": item.get("currency"),
                }
            )
        return profiles

    def summaries(self, ids: list[str]) -> list[ItemSummary]:
        """Item summaries in the order of `ids` (unknown ids are left out)."""
        return [self._summary(item_id) for item_id in ids if item_id in self._items]

    def _summary(self, item_id: str) -> ItemSummary:
        item = self._items[item_id]
        category = self._named[CATEGORY][item["category"]]
        brand = self._named[BRAND].get(item["brand"]) if item["brand"] else None
        images = self._image_rows("items", item_id) or []
        return ItemSummary(
            id=item_id,
            title=item["title"],
            lang=item["lang"],
            price=item["price"],
            category=item["category"],
            category_zh=category["name_zh"],
            category_en=category["name_en"],
            brand=brand["name"] if brand else None,
            brand_zh=brand["name_zh"] if brand else None,
            image=images[0]["path"] if images else None,
            currency=item["currency"],
            title_zh=item["title_zh"],
            title_en=item["title_en"],
        )

    def item_card(self, item_id: str) -> ItemCard | None:
        """The card of one item, or None when there is no such item."""
        if item_id not in self._items:
            return None
        properties = []
        for position, value in self._values_of(item_id):
            prop = self._named[PROPERTY][value["property"]]
            properties.append(
                {
                    "position": position,
                    "property": value["property"],
                    "name_zh": prop["name_zh"],
                    "name_en": prop["name_en"],
                    "value": value["value"],
                    "value_zh": value.get("name_zh"),
                    "value_en": value.get("name_en"),
                }
            )
        pois = [{**(self._names(POI, poi) or {}), "id": poi, **link} for poi, link in self._item_pois[item_id].items()]
        images = self._image_rows("items", item_id) or []
        source = self._items[item_id]["source"]
        return ItemCard(self._summary(item_id), source, properties, pois, images, self._scenarios(item_id))

    def _scenarios(self, item_id: str) -> list[dict[str, Any]]:
        """Distinct scenarios that cause a problem needing one of the item's POIs (at most 3)."""
        found: list[dict[str, Any]] = []
        for poi in self._item_pois[item_id]:
            for problem in self._needed_by.get(poi, []):
                for scenario in self._caused_by.get(problem, []):
                    names = dict(self._names(SCENARIO, scenario) or {})
                    names.pop("id", None)
                    if names not in found:
                        found.append(names)
        return found[:MAX_SCENARIOS]

    def property_values(self, item_id: str, property_id: str) -> list[PropertyValue]:
        """The values an item has for one property, in catalog order, with the value's curated images."""
        return [
            PropertyValue(
                value["id"],
                value["value"],
                value.get("name_zh"),
                value.get("name_en"),
                [image["path"] for image in self._image_rows("property_values", value["id"]) or []],
            )
            for _, value in sorted(self._values_of(item_id), key=lambda pair: (pair[0], pair[1]["id"]))
            if value["property"] == property_id
        ]

    def property_names(self, property_id: str) -> tuple[str | None, str | None]:
        """(Chinese, English) name of a property."""
        names = self._names(PROPERTY, property_id)
        return (names["name_zh"], names["name_en"]) if names else (None, None)

    def image_model(self) -> ImageModel | None:
        """The model of the given image embeddings; None when none were given."""
        if not self._image_vectors:
            return None
        return ImageModel(self._image_model, len(next(iter(self._image_vectors.values()))))

    def images_by_vector(
        self, vector: Sequence[float], item_id: str | None = None, limit: int = 3
    ) -> list[RankedImage]:
        """Images nearest a query vector by exact cosine scaled to [0, 1]: the item's own images when `item_id` is
        given, else every embedded image (best first, ties by id)."""
        query = np.asarray(vector, dtype=np.float64)
        norm = float(np.linalg.norm(query))
        if item_id is not None:
            candidates = [i for i in self._image_links.get(("items", item_id), []) if i in self._image_vectors]
        else:
            candidates = list(self._image_vectors)
        ranked = []
        for image_id in candidates:
            stored = self._image_vectors[image_id]
            if stored.shape != query.shape or not norm or not np.linalg.norm(stored):
                continue
            cosine = float(stored @ query) / (norm * float(np.linalg.norm(stored)))
            image = self._images[image_id]
            ranked.append(RankedImage(image_id, image["path"], image["caption"], (1.0 + cosine) / 2.0))
        return sorted(ranked, key=lambda image: (-image.score, image.id))[: max(limit, 0)]


def _by_id(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def _links(rows: Iterable[dict[str, Any]], start: str, end: str) -> dict[str, list[str]]:
    """start id -> end ids, each link once, in catalog order."""
    links: dict[str, list[str]] = {}
    for row in rows:
        ends = links.setdefault(row[start], [])
        if row[end] not in ends:
            ends.append(row[end])
    return links


def _aliases(node: dict[str, Any]) -> list[str]:
    return [*(node.get("aliases_zh") or []), *(node.get("aliases_en") or [])]


def _entity_names(node: dict[str, Any]) -> list[str | None]:
    """As ENTITY_NAMES: [name, name_zh, name_en] + aliases + aliases_zh + aliases_en."""
    return [node.get("name"), node.get("name_zh"), node.get("name_en"), *(node.get("aliases") or []), *_aliases(node)]


def _scored(images: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Curated image links, as ITEM_STORY returns them (path and the link's score 1.0)."""
    return None if images is None else [{"path": image["path"], "score": 1.0} for image in images]
