"""Matching metrics of Table 1: AUC over each text's 10 candidate images, and recall@k in both directions."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from kg_builder.crossmodal.data import Pair
from kg_builder.textmodels.metrics import Scores, best_threshold, roc_auc

CANDIDATES = 10
RECALL_AT = (1, 5, 10)


@dataclass(frozen=True)
class PhotoPool:
    """Photos to rank, the distinct texts they show, and which text each photo shows."""

    texts: list[str]
    images: list[Path]
    text_of_image: list[int]

    @classmethod
    def of(cls, pairs: Sequence[Pair]) -> PhotoPool:
        texts = sorted({p.text for p in pairs})
        return cls(texts, [p.image for p in pairs], [texts.index(p.text) for p in pairs])


@dataclass(frozen=True)
class CandidateSet:
    """One text (by index) and its candidate images (indices): the first is the text's own image."""

    text: int
    images: tuple[int, ...]


def candidate_sets(text_of_image: Sequence[int], seed: int, size: int = CANDIDATES) -> list[CandidateSet]:
    """For each image's text: that image plus `size - 1` images of other texts, drawn with `seed`."""
    rng = random.Random(seed)
    sets = []
    for image, text in enumerate(text_of_image):
        others = [j for j, t in enumerate(text_of_image) if t != text]
        sets.append(CandidateSet(text, (image, *rng.sample(others, min(size - 1, len(others))))))
    return sets


def candidate_pair_scores(scores: torch.Tensor, sets: Sequence[CandidateSet]) -> tuple[list[float], list[int]]:
    """Scores of every (text, candidate) pair and their labels (1 for the text's own image)."""
    values = [float(scores[s.text, image]) for s in sets for image in s.images]
    labels = [int(n == 0) for s in sets for n in range(len(s.images))]
    return values, labels


def candidate_auc(scores: torch.Tensor, sets: Sequence[CandidateSet]) -> float:
    """ROC AUC of `scores[text, image]` over every (text, candidate) pair; positives are the own images."""
    return roc_auc(*candidate_pair_scores(scores, sets))


def recall_at_k(scores: torch.Tensor, gold: Sequence[set[int]], k: int) -> float:
    """Share of rows whose top-k columns include a gold column."""
    top = scores.topk(min(k, scores.shape[1]), dim=1).indices.tolist()
    return sum(bool(set(row) & wanted) for row, wanted in zip(top, gold, strict=True)) / len(gold)


def retrieval_recalls(scores: torch.Tensor, text_of_image: Sequence[int]) -> dict[str, float]:
    """R@1/5/10 text→image and image→text over the whole pool, and their mean ('mean recall')."""
    images_of_text: list[set[int]] = [set() for _ in range(scores.shape[0])]
    for image, text in enumerate(text_of_image):
        images_of_text[text].add(image)
    result = {}
    for k in RECALL_AT:
        result[f"text_to_image_r{k}"] = recall_at_k(scores, images_of_text, k)
        result[f"image_to_text_r{k}"] = recall_at_k(scores.T, [{t} for t in text_of_image], k)
    result["mean_recall"] = sum(result.values()) / len(result)
    return result


def candidate_threshold(scores: torch.Tensor, sets: Sequence[CandidateSet]) -> Scores:
    """The link threshold with the best F1 over the candidate pairs (own image = positive)."""
    return best_threshold(*candidate_pair_scores(scores, sets))
