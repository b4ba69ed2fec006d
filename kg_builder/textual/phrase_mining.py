"""Unsupervised phrase mining: n-gram frequency, cohesion (PMI) and boundary entropy, per language."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kg_builder.textual.corpus import Sentence

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")
_CLAUSE = re.compile(r"[.,;:!?()\[\]/|\"]+|\s-\s")
EN_STOPWORDS = frozenset(
    "a an the and or of for to in on at with by from is are was were be it its this that these those as "
    "i you he she we they my your our their not no do does did has have had can will would should could "
    "if so but than then there here what which who how when where why all any each more most some such "
    "only own same too very just also into out up down over under about after before again".split()
)
BOUNDARY = "<s>"  # stands for the start or the end of a clause in the neighbour counts


@dataclass(frozen=True)
class MiningSettings:
    """Thresholds of the miner; the defaults suit a corpus of some ten thousand titles and answers."""

    min_count: int = 4
    min_pmi: float = 1.5
    min_entropy: float = 0.8
    max_len_zh: int = 6
    max_len_en: int = 3
    max_contexts: int = 3


@dataclass
class Candidate:
    """A mined phrase with its statistics and a few sentences it occurs in."""

    phrase: str
    lang: str
    count: int
    pmi: float
    left_entropy: float
    right_entropy: float
    contexts: list[Sentence] = field(default_factory=list)

    @property
    def entropy(self) -> float:
        return min(self.left_entropy, self.right_entropy)


def _units(sentence: Sentence) -> Iterator[list[str]]:
    """Clauses as lists of units: characters of Chinese runs, lower-cased words of English clauses."""
    if sentence.lang == "zh":
        for run in _CJK_RUN.findall(sentence.text):
            yield list(run)
    else:
        for clause in _CLAUSE.split(sentence.text.lower()):
            words = _WORD.findall(clause)
            if words:
                yield words


def _join(units: Iterable[str], lang: str) -> str:
    return ("" if lang == "zh" else " ").join(units)


def _entropy(counts: Counter[str]) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log(c / total) for c in counts.values()) if total else 0.0


def mine_phrases(
    sentences: Iterable[Sentence], lang: str, settings: MiningSettings = MiningSettings()
) -> list[Candidate]:
    """Phrases of one language that are frequent, cohesive and free at both boundaries, most frequent first."""
    clauses = [(units, s) for s in sentences if s.lang == lang for units in _units(s)]
    max_len = settings.max_len_zh if lang == "zh" else settings.max_len_en
    min_len = 2 if lang == "zh" else 1
    counts: Counter[tuple[str, ...]] = Counter()
    for units, _ in clauses:
        for n in range(1, max_len + 1):
            for i in range(len(units) - n + 1):
                counts[tuple(units[i : i + n])] += 1
    totals = Counter()
    for gram, count in counts.items():
        totals[len(gram)] += count
    frequent = {g for g, c in counts.items() if c >= settings.min_count and min_len <= len(g) and _admissible(g, lang)}
    left: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    right: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    contexts: dict[tuple[str, ...], list[Sentence]] = defaultdict(list)
    for units, sentence in clauses:
        for n in range(min_len, max_len + 1):
            for i in range(len(units) - n + 1):
                gram = tuple(units[i : i + n])
                if gram in frequent:
                    left[gram][units[i - 1] if i > 0 else BOUNDARY] += 1
                    right[gram][units[i + n] if i + n < len(units) else BOUNDARY] += 1
                    if len(contexts[gram]) < settings.max_contexts and sentence not in contexts[gram]:
                        contexts[gram].append(sentence)
    candidates = []
    for gram in frequent:
        pmi = _cohesion(gram, counts, totals)
        candidate = Candidate(
            _join(gram, lang), lang, counts[gram], pmi, _entropy(left[gram]), _entropy(right[gram]), contexts[gram]
        )
        if (len(gram) == 1 or pmi >= settings.min_pmi) and candidate.entropy >= settings.min_entropy:
            candidates.append(candidate)
    return sorted(candidates, key=lambda c: (-c.count, c.phrase))


def _admissible(gram: tuple[str, ...], lang: str) -> bool:
    """English n-grams may not start or end with a stopword; single words must not be stopwords."""
    return lang == "zh" or (gram[0] not in EN_STOPWORDS and gram[-1] not in EN_STOPWORDS and len(gram[0]) > 1)


def _cohesion(gram: tuple[str, ...], counts: Counter[tuple[str, ...]], totals: Counter[int]) -> float:
    """The weakest split's pointwise mutual information: min over cuts of log p(ab) / (p(a) p(b))."""
    if len(gram) == 1:
        return 0.0
    p_gram = counts[gram] / totals[len(gram)]
    return min(
        math.log(p_gram / ((counts[gram[:k]] / totals[k]) * (counts[gram[k:]] / totals[len(gram) - k])))
        for k in range(1, len(gram))
    )
