"""Batches in which no entity appears twice: a repeated entity would be a false negative for an in-batch
contrastive loss. Shared by the cross-modal models (image-text pairs) and the FAQ matcher (question-answer pairs)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar


class Keyed(Protocol):
    """Anything with a `key` naming its entity (image-text pairs, question-answer pairs)."""

    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=Keyed)


def distinct_key_batches(pairs: Sequence[K], size: int, rng: random.Random) -> list[list[K]]:
    """Shuffled batches of at most `size` pairs with no key twice in a batch; every pair used once."""
    pending = list(pairs)
    rng.shuffle(pending)
    batches: list[list[K]] = []
    while pending:
        batch, seen, rest = [], set(), []
        for pair in pending:
            if len(batch) < size and (pair.key not in seen or not pair.key):
                batch.append(pair)
                seen.add(pair.key)
            else:
                rest.append(pair)
        batches.append(batch)
        pending = rest
    return batches
