"""Character vocabularies for BERT tokenizers trained from scratch (Chinese characters and Latin letters alike)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from transformers import BertTokenizer

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_vocab(texts: Iterable[str], min_count: int = 1) -> list[str]:
    """Special tokens, then every character seen `min_count` times, each also as a `##` continuation."""
    counts = Counter(char for text in texts for char in text.lower() if not char.isspace())
    chars = sorted(char for char, count in counts.items() if count >= min_count)
    return SPECIAL_TOKENS + chars + [f"##{char}" for char in chars]


def save_tokenizer(vocab: list[str], folder: Path) -> BertTokenizer:
    """Write `vocab.txt` into `folder` and return a BERT tokenizer over it (WordPiece falls back to characters)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"), do_lower_case=True, tokenize_chinese_chars=True)
    tokenizer.save_pretrained(folder)
    return tokenizer
