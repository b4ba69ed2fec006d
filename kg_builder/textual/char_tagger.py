"""A character BiLSTM-CRF for Chinese title NER, wrapped as the spaCy pipeline component `char_bilstm_crf`.

Each character is embedded together with the character bigram it starts; a BiLSTM reads the title both ways and
a linear-chain CRF picks the best BIO tag sequence. It trains on (text, spans) pairs outside spaCy's update loop;
the component sets doc.ents, is scored like spaCy's `ner` and is saved and loaded with the pipeline."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from spacy.language import Language
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc
from spacy.training import Example
from torch import nn
from tqdm import tqdm

Spans = Sequence[tuple[int, int, str]]  # character offsets [start, end) and label
DIMS = {"dim": 64, "hidden": 128}  # embedding size (characters and bigrams each), LSTM size per direction
MIN_WORD, MAX_WORD = 2, 12  # lengths of the gazetteer words matched in a title


class BiLstmCrf(nn.Module):
    def __init__(
        self, vocabulary: int, tags: int, dim: int, hidden: int, dropout: float = 0.0, lexicon: int = 0
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, dim, padding_idx=0)  # characters and bigrams share one table
        self.drop = nn.Dropout(dropout)
        self.lexicon = lexicon  # width of the gazetteer features of a character (0: none)
        self.lstm = nn.LSTM(2 * dim + lexicon, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, tags)
        self.transitions = nn.Parameter(torch.zeros(tags, tags))  # [from, to]
        self.start = nn.Parameter(torch.zeros(tags))

    def emissions(self, ids: torch.Tensor) -> torch.Tensor:
        """Tag scores [titles, characters, tags] from ids [titles, characters, 2 + lexicon] (character, bigram,
        then the 0/1 gazetteer features)."""
        embedded = self.embed(ids[:, :, :2]).flatten(2)
        if self.lexicon:
            embedded = torch.cat([embedded, ids[:, :, 2:].float()], 2)
        hidden, _ = self.lstm(self.drop(embedded))
        return self.out(self.drop(hidden))

    def loss(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the gold tag sequences (the CRF's forward algorithm)."""
        gold = self.start[tags[:, 0]] + emissions[:, 0].gather(1, tags[:, :1]).squeeze(1)
        alpha = self.start + emissions[:, 0]
        for t in range(1, tags.shape[1]):
            emitted = emissions[:, t].gather(1, tags[:, t : t + 1]).squeeze(1)
            gold = gold + mask[:, t] * (self.transitions[tags[:, t - 1], tags[:, t]] + emitted)
            following = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1), 1)
            alpha = torch.where(mask[:, t : t + 1], following, alpha)
        return (torch.logsumexp(alpha, 1) - gold).mean()

    def decode(self, emissions: torch.Tensor) -> list[int]:
        """The best tag sequence (Viterbi) for one title's emissions [characters, tags]."""
        score, back = self.start + emissions[0], []
        for t in range(1, len(emissions)):
            best, index = (score.unsqueeze(1) + self.transitions).max(0)
            score, back = best + emissions[t], [*back, index]
        path = [int(score.argmax())]
        for index in reversed(back):
            path.append(int(index[path[-1]]))
        return path[::-1]


class CharTagger:
    """The spaCy component: a trained BiLstmCrf with its vocabulary and tag names."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}  # characters and bigrams; 0 pads, 1 is unknown
        self.tags: list[str] = []
        self.gazetteers: dict[str, list[str]] = {}  # label → words (e.g. brands, product words)
        self._lookup: dict[str, set[str]] = {}
        self.model: BiLstmCrf | None = None

    def set_gazetteers(self, gazetteers: dict[str, list[str]]) -> None:
        self.gazetteers = {label: sorted(words) for label, words in sorted(gazetteers.items())}
        self._lookup = {label: set(words) for label, words in self.gazetteers.items()}

    def encode(self, text: str) -> list[list[int]]:
        """Per character: its id, its bigram's id, and for each gazetteer whether a word of it begins, continues
        or ends here."""
        ids = [[self.vocabulary.get(text[i], 1), self.vocabulary.get(text[i : i + 2], 1)] for i in range(len(text))]
        for words in self._lookup.values():
            marks = [[0, 0, 0] for _ in text]
            for start in range(len(text)):
                for end in range(start + MIN_WORD, min(len(text), start + MAX_WORD) + 1):
                    if text[start:end] in words:
                        marks[start][0] = marks[end - 1][2] = 1
                        for inside in range(start + 1, end - 1):
                            marks[inside][1] = 1
            for row, mark in zip(ids, marks, strict=True):
                row.extend(mark)
        return ids

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, label) of the entities tagged in a text; a stray I- tag starts an entity."""
        if not text or self.model is None:
            return []
        self.model.eval()
        with torch.no_grad():
            path = self.model.decode(self.model.emissions(torch.tensor([self.encode(text)]))[0])
        found, start = [], -1
        for index, tag in enumerate([*(self.tags[k] for k in path), "O"]):
            if start >= 0 and tag != "I-" + self.tags[path[start]][2:]:
                found.append((start, index, self.tags[path[start]][2:]))
                start = -1
            if tag.startswith("B-") or (tag.startswith("I-") and start < 0):
                start = index
        return found

    def __call__(self, doc: Doc) -> Doc:
        ents = (doc.char_span(start, end, label, alignment_mode="expand") for start, end, label in self.spans(doc.text))
        doc.ents = [span for span in ents if span is not None]
        return doc

    def score(self, examples: Iterable[Example], **_: Any) -> dict[str, Any]:
        return get_ner_prf(examples)  # what spaCy's `ner` reports: exact spans, micro and per label

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        assert self.model is not None
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        torch.save(self.model.state_dict(), path / "model.pt")
        meta = {"vocabulary": self.vocabulary, "tags": self.tags, "dims": DIMS, "gazetteers": self.gazetteers}
        (path / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> CharTagger:
        meta = json.loads((Path(path) / "meta.json").read_text(encoding="utf-8"))
        self.vocabulary, self.tags = meta["vocabulary"], meta["tags"]
        self.set_gazetteers(meta.get("gazetteers", {}))
        lexicon = 3 * len(self.gazetteers)
        self.model = BiLstmCrf(len(self.vocabulary) + 2, len(self.tags), **meta["dims"], lexicon=lexicon)
        self.model.load_state_dict(torch.load(Path(path) / "model.pt", weights_only=True))
        return self


@Language.factory("char_bilstm_crf")
def make_char_tagger(nlp: Language, name: str) -> CharTagger:
    return CharTagger()


def train_char_tagger(
    tagger: CharTagger,
    titles: Sequence[tuple[str, Spans]],
    epochs: int,
    batch_size: int,
    dropout: float,
    seed: int,
    progress: bool,
) -> list[float]:
    """Train the tagger on these titles (vocabulary: characters and bigrams seen twice); returns epoch losses."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    counts = Counter(text[i : i + n] for text, _ in titles for i in range(len(text)) for n in (1, 2))
    tagger.vocabulary = {key: index for index, key in enumerate((k for k, n in counts.items() if n >= 2), start=2)}
    labels = sorted({label for _, spans in titles for *_, label in spans})
    tagger.tags = ["O"] + [f"{prefix}-{label}" for label in labels for prefix in "BI"]
    lexicon = 3 * len(tagger.gazetteers)
    tagger.model = model = BiLstmCrf(
        len(tagger.vocabulary) + 2, len(tagger.tags), **DIMS, dropout=dropout, lexicon=lexicon
    )
    data = [(tagger.encode(text), bio_tags(len(text), spans, tagger.tags)) for text, spans in titles if text]
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small LSTM gains little from 2 threads and loses much when other work shares the CPUs
    losses = []
    try:
        with tqdm(total=epochs * len(data), desc="NER zh", unit="title", disable=not progress, file=sys.stderr) as bar:
            for _ in range(epochs):
                rng.shuffle(data)
                model.train()
                total = 0.0
                for start in range(0, len(data), batch_size):
                    batch = data[start : start + batch_size]
                    width = max(len(ids) for ids, _ in batch)
                    pad = [[0] * len(batch[0][0][0])]
                    ids = torch.tensor([x + pad * (width - len(x)) for x, _ in batch])
                    tags = torch.tensor([y + [0] * (width - len(y)) for _, y in batch])
                    loss = model.loss(model.emissions(ids), tags, ids[:, :, 0] > 0)
                    optimizer.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                    optimizer.step()
                    total += loss.item() * len(batch)
                    bar.update(len(batch))
                losses.append(round(total, 2))
    finally:
        torch.set_num_threads(threads)
    model.eval()
    return losses


def bio_tags(length: int, spans: Spans, tags: list[str]) -> list[int]:
    out = ["O"] * length
    for start, end, label in spans:
        out[start:end] = [f"B-{label}"] + [f"I-{label}"] * (end - start - 1)
    return [tags.index(tag) for tag in out]
