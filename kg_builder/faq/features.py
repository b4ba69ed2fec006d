"""What the FAQ matcher reads (n-gram features of a text) and where a trained one is stored. No torch here: BM25
and the action server's start-up check use this module without loading the model code."""

from __future__ import annotations

import re
from pathlib import Path

_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")
MAX_FEATURES = 256
WEIGHTS_FILE = "matcher.pt"
METADATA_FILE = "matcher.json"


def features(text: str) -> list[str]:
    """Character unigrams and bigrams of Chinese runs; words and letter trigrams of Latin words."""
    tokens = _WORD.findall(text.casefold())
    grams: list[str] = []
    for n, token in enumerate(tokens):
        grams.append(token)
        if len(token) > 1:
            padded = f"#{token}#"
            grams += [padded[i : i + 3] for i in range(len(padded) - 2)]
        if n + 1 < len(tokens):
            grams.append(token + "_" + tokens[n + 1])
    return grams[:MAX_FEATURES] or ["<empty>"]


def has_matcher(folder: Path) -> bool:
    """True when a trained matcher is stored in the folder."""
    return (folder / WEIGHTS_FILE).is_file()
