"""The FAQ matcher: data readers on hand-made files, features, ranking measures on hand-made scores, BM25,
training lowers the loss, save/load."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from kg_builder.faq.data import QAPair, RankingSet, appliance_records, ecd_pairs, ecd_ranking_sets
from kg_builder.faq.evaluation import confidence_threshold, rank_of_first, ranking_metrics
from kg_builder.faq.matcher import features, load_matcher, save_matcher, train_matcher
from kg_builder.faq.scoring import bm25_scorer, hybrid_scorer
from kg_builder.textmodels.classifier import TrainSettings


def test_ecd_readers_join_words_and_keep_the_true_reply_first(tmp_path: Path) -> None:
    train = tmp_path / "train"
    train.write_text("1\t快递 发 哪家\t韵达 快递 哦\t包邮 吗\t满 99 包邮\n0\t快递 发 哪家\t不 知道\n", encoding="utf-8")
    assert [(p.question, p.answer) for p in ecd_pairs(train)] == [("快递发哪家", "韵达快递哦"), ("包邮吗", "满99包邮")]
    test = tmp_path / "test"
    test.write_text("0\t在 吗\t包邮 吗\t不 包邮\n1\t在 吗\t包邮 吗\t满 99 包邮\n", encoding="utf-8")
    assert ecd_ranking_sets(test) == [RankingSet("包邮吗", ("满99包邮", "不包邮"), "zh")]


def test_appliance_records_skip_broken_lines_and_read_python_literals(tmp_path: Path) -> None:
    path = tmp_path / "qa.json"
    path.write_text(
        '{"asin": "A", "question": "Does it fit?", "answer": "Yes"}\n'
        "{'asin': 'B', 'question': 'It\\'s quiet?', 'answer': 'Very'}\n"
        "{broken\n\n",
        encoding="utf-8",
    )
    assert [r["asin"] for r in appliance_records(path)] == ["A", "B"]


def test_features_cover_both_languages_and_never_come_back_empty() -> None:
    grams = features("包邮吗 free shipping")
    assert {"包", "包_邮", "free", "#fr", "free_shipping"} <= set(grams)
    assert features("") == ["<empty>"] and features("🍓!!") == ["<empty>"]


def test_rank_and_ranking_metrics_on_hand_made_scores() -> None:
    assert rank_of_first([0.9, 0.1, 0.2]) == 1
    assert rank_of_first([0.5, 0.9, 0.5]) == 3  # ties count against the right answer
    sets = [RankingSet("q1", ("a", "b", "c"), "en"), RankingSet("q2", ("d", "e", "f"), "zh")]
    scores = {"q1": [1.0, 0.0, 0.5], "q2": [0.1, 0.9, 0.5]}  # q1 right at rank 1, q2 at rank 3
    metrics = ranking_metrics(lambda question, _: scores[question], sets)
    assert metrics["en_r1"] == 1.0 and metrics["zh_r1"] == 0.0
    assert metrics["all_mrr"] == pytest.approx((1 + 1 / 3) / 2)
    threshold = confidence_threshold(lambda question, _: scores[question], sets)
    assert threshold["threshold"] == 1.0 and threshold["precision"] == 1.0


def test_bm25_prefers_the_answer_sharing_rare_words() -> None:
    scores = bm25_scorer()(
        "does the filter fit a whirlpool fridge", ["yes it fits the whirlpool", "no idea", "it is blue"]
    )
    assert scores[0] > max(scores[1:])


def _pairs() -> list[QAPair]:
    base = [
        ("发什么快递", "默认韵达快递"),
        ("包邮吗", "全场满99包邮"),
        ("does it fit a whirlpool fridge", "yes it fits whirlpool models"),
        ("is it dishwasher safe", "the lid is dishwasher safe"),
        ("什么时候发货", "下单后48小时内发货"),
        ("what color is the handle", "the handle is black"),
    ]
    return [QAPair(q, a, "zh" if q[0] > "~" else "en", str(n)) for n, (q, a) in enumerate(base)]


def test_training_lowers_the_loss_and_a_saved_matcher_scores_the_same(tmp_path: Path) -> None:
    model, losses = train_matcher(_pairs(), TrainSettings(epochs=30, batch_size=6, learning_rate=5e-3, seed=1))
    assert losses[-1] < losses[0]
    save_matcher(model, tmp_path, {"threshold": {"threshold": 0.5}})
    loaded, metadata = load_matcher(tmp_path)
    assert metadata["threshold"]["threshold"] == 0.5
    questions = ["包邮吗", "fits whirlpool?"]
    assert torch.allclose(model.questions(questions), loaded.questions(questions))
    ranked = hybrid_scorer(loaded)("包邮吗", [a for _, a in [(p.question, p.answer) for p in _pairs()]])
    assert max(range(len(ranked)), key=ranked.__getitem__) == 1
    with pytest.raises(FileNotFoundError, match="no FAQ matcher"):
        load_matcher(tmp_path / "missing")
