"""A BERT sequence-pair classifier: built from a named config (random weights) or a local pre-trained checkpoint."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import BertForSequenceClassification, BertTokenizer, PreTrainedTokenizerBase
from transformers.utils import logging as transformers_logging

from kg_builder.textmodels.bert import MAX_LENGTH, TEXT_MODELS
from kg_builder.textmodels.vocab import build_vocab, save_tokenizer

transformers_logging.set_verbosity_error()  # the load report of a fine-tuned MLM checkpoint is expected noise
transformers_logging.disable_progress_bar()


@dataclass(frozen=True)
class Example:
    """One (text, pair text) input with its 0/1 label."""

    text: str
    pair: str
    label: int


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings; the defaults train the default base model on a few thousand pairs in under a minute."""

    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 13


class PairClassifier:
    """Tokenizer + BERT classifier; `probabilities` returns P(label = 1) for (text, pair) inputs."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, model: BertForSequenceClassification) -> None:
        self.tokenizer = tokenizer
        self.model = model

    @classmethod
    def create(cls, model_name: str, texts: Sequence[str], folder: Path) -> PairClassifier:
        """A randomly initialised classifier of a named size (vocabulary from `texts`), or a pre-trained one.

        `model_name` is a name in TEXT_MODELS, or the path of a local checkpoint folder (e.g. bert-base-chinese
        downloaded by the user); nothing is fetched from a hub.
        """
        if TEXT_MODELS.is_model(model_name):
            tokenizer = save_tokenizer(build_vocab(texts), folder)
            return cls(tokenizer, TEXT_MODELS.create_model(model_name, vocab_size=tokenizer.vocab_size, num_labels=2))
        path = Path(model_name)
        if not path.is_dir():
            known = TEXT_MODELS.list_models()
            raise ValueError(f"unknown model '{model_name}': use one of {known} or a local checkpoint folder")
        tokenizer = BertTokenizer.from_pretrained(path)
        model = BertForSequenceClassification.from_pretrained(path, num_labels=2)
        return cls(tokenizer, model)

    @classmethod
    def load(cls, folder: Path) -> PairClassifier:
        """A classifier saved by `save`."""
        return cls(BertTokenizer.from_pretrained(folder), BertForSequenceClassification.from_pretrained(folder))

    def save(self, folder: Path, metadata: dict[str, object]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        (folder / "training.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")

    def _encode(self, batch: Sequence[Example]) -> dict[str, torch.Tensor]:
        return self.tokenizer(
            [e.text for e in batch],
            [e.pair for e in batch],
            truncation="only_second",
            max_length=MAX_LENGTH,
            padding=True,
            return_tensors="pt",
        )

    def train(
        self, examples: Sequence[Example], settings: TrainSettings, on_step: Callable[[int, float], None] | None = None
    ) -> list[float]:
        """Fine-tune on the examples; returns the mean loss of each epoch."""
        torch.manual_seed(settings.seed)
        order = list(examples)
        rng = random.Random(settings.seed)
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=settings.learning_rate)
        self.model.train()
        losses = []
        for _ in range(settings.epochs):
            rng.shuffle(order)
            total = 0.0
            for start in range(0, len(order), settings.batch_size):
                batch = order[start : start + settings.batch_size]
                output = self.model(**self._encode(batch), labels=torch.tensor([e.label for e in batch]))
                optimizer.zero_grad()
                output.loss.backward()
                optimizer.step()
                total += output.loss.item() * len(batch)
                if on_step:
                    on_step(len(batch), output.loss.item())
            losses.append(total / max(len(order), 1))
        self.model.eval()
        return losses

    @torch.no_grad()
    def probabilities(self, examples: Sequence[Example], batch_size: int = 256) -> list[float]:
        """P(label = 1) for each example, in order."""
        self.model.eval()
        result: list[float] = []
        for start in range(0, len(examples), batch_size):
            logits = self.model(**self._encode(examples[start : start + batch_size])).logits
            result.extend(torch.softmax(logits, dim=-1)[:, 1].tolist())
        return result
