"""The enhanced query-item similarity of item retrieval (AliMe MKG, section 3): token overlap plus a bonus for
each semantic type (category, brand, property value, model) that the query and the item both mention alike.

Items are typed by the NER mentions of their titles (kg_builder's NER: BRAND, CATEGORY, MODEL) and by the graph
(category and brand names, property values); queries by the entity linker and their content words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# A type match says more than a shared word: "名果记的面膜" wants that brand's masks, not any title with 面膜.
TYPE_WEIGHTS = {"CATEGORY": 1.0, "BRAND": 1.0, "VALUE": 0.5, "MODEL": 0.5}
MIN_MENTION = 2  # a one-letter or one-character mention matches too much


def _forms(texts: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(text).casefold().strip() for text in texts if text and len(str(text).strip()) >= MIN_MENTION)


@dataclass(frozen=True)
class TypedText:
    """The words of a text and its mentions per semantic type (case-folded)."""

    tokens: frozenset[str]
    types: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of_item(cls, profile: dict[str, Any], tokens: Iterable[str]) -> TypedText:
        """An item from a graph profile (GraphStore.item_profiles) and the content words of its title."""
        types: dict[str, list[str]] = {"CATEGORY": [], "BRAND": [], "MODEL": [], "VALUE": []}
        for mention in profile.get("ner_entities") or []:
            kind, _, text = str(mention).partition(":")
            types.setdefault(kind, []).append(text)
        types["CATEGORY"] += [name for names in profile.get("categories") or [] for name in names]
        types["BRAND"] += [name for names in profile.get("brands") or [] for name in names]
        types["VALUE"] += [value for values in profile.get("values") or [] for value in values]
        return cls(frozenset(tokens), {kind: _forms(texts) for kind, texts in types.items()})


def _matches(query_form: str, item_forms: frozenset[str]) -> bool:
    """Same mention, or one inside the other ("面膜" and "面膜贴", "red" and "red rose")."""
    return any(query_form == form or query_form in form or form in query_form for form in item_forms)


def enhanced_similarity(query: TypedText, item: TypedText) -> float:
    """Share of the query's words found in the item, plus, per semantic type, its weight times the share of the
    query's mentions of that type that the item mentions alike."""
    score = len(query.tokens & item.tokens) / len(query.tokens) if query.tokens else 0.0
    for kind, weight in TYPE_WEIGHTS.items():
        mentions = query.types.get(kind, frozenset())
        if mentions:
            found = sum(_matches(mention, item.types.get(kind, frozenset())) for mention in mentions)
            score += weight * found / len(mentions)
    return score
