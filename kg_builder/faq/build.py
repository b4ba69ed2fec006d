"""Train the FAQ matcher on the real QA samples, measure it on the held-out sets against BM25 and the pretrained
sentence encoder (kg_builder/textmodels/encoder.py), choose the confidence threshold, and save everything in one
folder (the action server loads it from there)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kg_builder.faq.data import load_faq_data
from kg_builder.faq.evaluation import confidence_threshold, ranking_metrics
from kg_builder.faq.matcher import MATCHER_TRAINING, save_matcher, train_matcher
from kg_builder.faq.scoring import bm25_scorer, encoder_scorer, fused_scorer, hybrid_scorer, matcher_scorer
from kg_builder.textmodels.encoder import text_encoder


def train_faq_matcher(data_dir: Path, folder: Path) -> dict[str, Any]:
    """Train, measure, save; returns the measurements (also in `folder`/matcher.json)."""
    data = load_faq_data(data_dir)
    started = time.perf_counter()
    model, losses = train_matcher(data.train)
    seconds = time.perf_counter() - started
    learned = matcher_scorer(model)
    encoder = text_encoder()
    pretrained = encoder_scorer(encoder)
    report: dict[str, Any] = {
        "train_pairs": len(data.train),
        "train_seconds": round(seconds, 1),
        "epoch_losses": losses,
        "heldout": {
            "bm25": ranking_metrics(bm25_scorer(), data.heldout),
            "matcher": ranking_metrics(learned, data.heldout),
            "matcher + bm25": ranking_metrics(hybrid_scorer(model), data.heldout),
            "encoder": ranking_metrics(pretrained, data.heldout),
            "encoder + bm25": ranking_metrics(fused_scorer(pretrained, bm25_scorer()), data.heldout),
        },
        "encoder": encoder.info.as_dict(),
        "threshold": confidence_threshold(hybrid_scorer(model), data.heldout),
        "settings": MATCHER_TRAINING.__dict__,
    }
    save_matcher(model, folder, report)
    return report
