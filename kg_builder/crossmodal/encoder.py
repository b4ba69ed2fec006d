"""A trained two-stream model as an embedder: images offline (once), texts online; score = dot product."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import BertTokenizer, PreTrainedTokenizerBase

from kg_builder.crossmodal.batches import ImageLoader, tokenize
from kg_builder.crossmodal.model import TwoStreamCMM, load_model


class CrossModalEncoder:
    """Unit-length embeddings of images and texts from one trained model."""

    def __init__(self, model: TwoStreamCMM, tokenizer: PreTrainedTokenizerBase, name: str = "cmm") -> None:
        self.model, self.tokenizer, self.name = model.eval(), tokenizer, name
        self.loader = ImageLoader(model.config.image_size)

    @classmethod
    def load(cls, folder: Path) -> CrossModalEncoder:
        return cls(load_model(folder), BertTokenizer.from_pretrained(folder), folder.name)

    @property
    def dimensions(self) -> int:
        return self.model.config.width

    @torch.no_grad()
    def images(self, paths: Sequence[Path], batch_size: int = 64, progress: bool = False) -> torch.Tensor:
        """[images, width] embeddings."""
        chunks = []
        for start in tqdm(
            range(0, len(paths), batch_size), desc="image embeddings", disable=not progress, file=sys.stderr
        ):
            chunks.append(self.model.image_embedding(self.loader.batch(paths[start : start + batch_size])))
        return torch.cat(chunks) if chunks else torch.empty(0, self.dimensions)

    @torch.no_grad()
    def texts(self, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
        """[texts, width] embeddings."""
        chunks = []
        for start in range(0, len(texts), batch_size):
            encoded = tokenize(self.tokenizer, texts[start : start + batch_size], self.model.config.max_text)
            chunks.append(self.model.text_embedding(encoded["input_ids"], encoded["attention_mask"]))
        return torch.cat(chunks) if chunks else torch.empty(0, self.dimensions)
