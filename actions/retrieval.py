"""Item retrieval: entities and words of a query -> a ranked list of items from the graph.

Candidates come from the linked category/brand (a hard filter) or else from the full-text index and, with a query
encoder, the nearest items of the vector index (semantic search: synonyms and needs that no title spells out).
Without an encoder they are ranked by the enhanced similarity (actions/similarity.py), ties broken by the full-text
score; with one, by the weighted reciprocal ranks of the enhanced similarity, the vector similarity and the
full-text score (`Fusion`, chosen on the dev half of the judged queries by benchmarks/retrieval.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import jieba

from actions.entity_linking import EntityLinker
from actions.graph_store import GraphStore, ItemSummary
from actions.similarity import TypedText, enhanced_similarity
from kg_builder.faq.scoring import standardised

MAX_TERMS = 24
MAX_RESULTS = 5
_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_MODEL_CHARS = _DIGITS | _LETTERS | {"-"}
_MENTION_TYPES = {"category": "CATEGORY", "brand": "BRAND"}
_LUCENE_SPECIAL = re.compile(r'[+\-&|!(){}\[\]^"~*?:\\/]')
STOPWORDS = frozenset(
    "i me my we you your it its a an the this that these those do does can could would will please show see look "
    "want like find have has any some is are am of for to in on with and or what which there here one ones "
    "me buy get give recommend let me item items product products something need looking "
    "我 我们 你 你们 想 要 看 看看 一下 下 有 没有 有没有 吗 呢 吧 的 了 给 请 帮 找 找找 推荐 这 那 这个 那个 "
    "这款 那款 什么 哪些 一些 些 个 款 买 商品 东西 想要 能 可以 展示 瞧瞧".split()
)


@dataclass(frozen=True)
class Fusion:
    """How the three rankings are fused: score = sum of weight / (k + rank). A vector-only candidate (no word and no
    linked entity in common) must stand out: its similarity at least `vector_z` standard deviations above the mean
    of the `vector_pool` nearest items (e5's similarities of a short query are high for almost every item, so an
    absolute threshold would admit anything); at most `vector_candidates` of them."""

    enhanced: float = 1.0
    vector: float = 1.0
    text: float = 0.5
    k: float = 10.0
    vector_z: float = 3.0
    vector_candidates: int = 20
    vector_pool: int = 1000


DEFAULT_FUSION = Fusion()
QueryEncoder = Callable[[str], Sequence[float]]


@dataclass(frozen=True)
class SearchQuery:
    """What the user asked for: free text plus linked entities."""

    text: str
    category: str | None = None
    brand: str | None = None
    typed: TypedText = field(default_factory=lambda: TypedText(frozenset()))


def content_words(text: str) -> list[str]:
    """The words of a message that can name a product (jieba for Chinese; stopwords and Lucene syntax removed)."""
    words: list[str] = []
    for token in jieba.lcut_for_search(_LUCENE_SPECIAL.sub(" ", text)):
        word = token.strip().casefold()
        if word and word not in STOPWORDS and not _too_short(word) and word not in words:
            words.append(word[:50])
    return words[:MAX_TERMS]


def lucene_query(text: str) -> str:
    """An OR query of quoted content words (safe for any user text)."""
    return " OR ".join(f'"{word}"' for word in content_words(text))


def distinct_titles(items: list[ItemSummary]) -> list[ItemSummary]:
    """The first item of each title: the harvested sources hold some products twice, under two ids."""
    seen: set[str] = set()
    distinct = []
    for item in items:
        key = " ".join((item.title or "").casefold().split())
        if key not in seen:
            seen.add(key)
            distinct.append(item)
    return distinct


def is_model_number(word: str) -> bool:
    """A word of Latin letters, digits and hyphens with a letter and a digit ("n25", "rx-78"). Set operations, linear
    in the word, instead of the look-ahead pattern it replaces (each look-ahead rescanned the rest of the text: 20 s
    on 40,000 digits when searched; only short words ever reached it)."""
    chars = set(word)
    return chars <= _MODEL_CHARS and not chars.isdisjoint(_DIGITS) and not chars.isdisjoint(_LETTERS)


def _too_short(word: str) -> bool:
    """Single Latin letters and bare numbers say nothing about a product."""
    return word.isspace() or word.isdigit() or (word.isascii() and len(word) < 2)


class ItemRetriever:
    """Ranks items for a query: category/brand filters from linked entities, full-text score for the words."""

    def __init__(
        self,
        store: GraphStore,
        linker: EntityLinker,
        enhanced: bool = True,
        encode: QueryEncoder | None = None,
        fusion: Fusion = DEFAULT_FUSION,
    ) -> None:
        """`enhanced=False` ranks by the full-text score alone (the baseline of benchmarks/retrieval.py); `encode`
        (a query's vector) adds semantic search."""
        self._store = store
        self._linker = linker
        self._enhanced = enhanced
        self._encode = encode
        self._fusion = fusion

    def understand(self, text: str, category: str | None = None, brand: str | None = None) -> SearchQuery:
        """Resolve NLU entity values to ids, or find the entities in the text when NLU gave none; type the query's
        mentions for the enhanced similarity."""
        category = self._linker.canonical("category", category) or self._linker.first(text, "category")
        brand = self._linker.canonical("brand", brand) or self._linker.first(text, "brand")
        return SearchQuery(text=text, category=category, brand=brand, typed=self._typed(text))

    def _typed(self, text: str) -> TypedText:
        """Category and brand mentions by the linker; model numbers; every other content word may be a value."""
        types: dict[str, set[str]] = {"CATEGORY": set(), "BRAND": set(), "MODEL": set(), "VALUE": set()}
        rest = text
        for mention in self._linker.mentions(text):
            if mention.kind in _MENTION_TYPES:
                surface = text[mention.start : mention.end]
                types[_MENTION_TYPES[mention.kind]].add(surface.casefold())
                rest = rest.replace(surface, " ")
        for word in content_words(rest):
            types["MODEL" if is_model_number(word) else "VALUE"].add(word)
        return TypedText(frozenset(content_words(text)), {kind: frozenset(forms) for kind, forms in types.items()})

    def search(self, query: SearchQuery, limit: int = MAX_RESULTS) -> list[ItemSummary]:
        """The best items first; empty when nothing fits."""
        text_scores = self._text_scores(query.text)
        vector = self._encode(query.text) if self._encode is not None and content_words(query.text) else None
        vector_scores: dict[str, float] = {}
        if query.category or query.brand:
            candidates = self._store.items_by_filter(query.category, query.brand)
            if vector is not None:
                vector_scores = self._store.vector_similarities(vector, candidates)
        else:
            if vector is not None:
                nearest = self._store.items_by_vector(vector, self._fusion.vector_pool)
                vector_scores = self._standing_out(nearest)
                vector_scores |= self._store.vector_similarities(vector, [i for i in text_scores if i not in nearest])
            candidates = list(dict.fromkeys([*text_scores, *vector_scores]))
        similarity = self.similarities(query, candidates) if self._enhanced else dict.fromkeys(candidates, 0.0)
        if vector_scores:
            ranked = self._fused(candidates, similarity, vector_scores, text_scores)
        else:
            ranked = sorted(candidates, key=lambda i: (-similarity[i], -text_scores.get(i, 0.0), i))
        return distinct_titles(self._store.summaries(ranked[: limit * 2]))[:limit]

    def _standing_out(self, nearest: dict[str, float]) -> dict[str, float]:
        """The nearest items whose similarity stands out from the pool's (see Fusion)."""
        if len(nearest) < 2:
            return {}
        z = dict(zip(nearest, standardised(list(nearest.values())), strict=True))
        ranked = sorted(nearest.items(), key=lambda pair: -pair[1])[: self._fusion.vector_candidates]
        return {item: score for item, score in ranked if z[item] >= self._fusion.vector_z}

    def _fused(self, candidates: list[str], *rankings: dict[str, float]) -> list[str]:
        """Candidates by the weighted reciprocal ranks of the enhanced, vector and full-text scores (equal scores
        share a rank; a candidate without a score ranks last in that ranking)."""
        fusion = self._fusion
        fused = dict.fromkeys(candidates, 0.0)
        for weight, scores in zip((fusion.enhanced, fusion.vector, fusion.text), rankings, strict=True):
            distinct = sorted({scores.get(i, float("-inf")) for i in candidates}, reverse=True)
            rank_of = {score: rank for rank, score in enumerate(distinct, start=1)}
            for item_id in candidates:
                fused[item_id] += weight / (fusion.k + rank_of[scores.get(item_id, float("-inf"))])
        return sorted(candidates, key=lambda i: (-fused[i], i))

    def similarities(self, query: SearchQuery, item_ids: list[str]) -> dict[str, float]:
        """The enhanced similarity of the query to each item (0 for items the graph does not know)."""
        scores = dict.fromkeys(item_ids, 0.0)
        for profile in self._store.item_profiles(item_ids):
            item = TypedText.of_item(profile, content_words(profile["title"] or ""))
            scores[profile["id"]] = enhanced_similarity(query.typed, item)
        return scores

    def _text_scores(self, text: str) -> dict[str, float]:
        query = lucene_query(text)
        return self._store.items_by_text(query) if query else {}
