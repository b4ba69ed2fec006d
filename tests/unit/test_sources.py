"""Readers of the shared datasets: tagged titles, attribute titles, customer questions."""

from __future__ import annotations

from pathlib import Path

from kg_builder.sources.attribute_titles import read_attribute_titles
from kg_builder.sources.customer_questions import join_tokens, read_dialogue_questions
from kg_builder.sources.tagged_titles import Span, read_tagged_titles, spans_from_tags
from tests.conftest import write_jsonl


def test_bio_and_bioes_tags_decode_to_the_same_spans() -> None:
    bio = ["B-HP", "I-HP", "O", "B-HC", "I-HC", "I-HC"]
    bioes = ["B-HP", "E-HP", "O", "B-HC", "M-HC", "E-HC"]
    expected = [Span(0, 2, "HP"), Span(3, 6, "HC")]
    assert list(spans_from_tags(bio)) == expected
    assert list(spans_from_tags(bioes)) == expected
    assert list(spans_from_tags(["S-HP", "I-HC", "O"])) == [Span(0, 1, "HP"), Span(1, 2, "HC")]


def test_tagged_titles_keep_their_first_line(tmp_path: Path) -> None:
    path = tmp_path / "train.txt"
    path.write_text("肌 B-HPPX\n美 I-HPPX\n精 I-HPPX\n面 B-HCCX\n膜 I-HCCX\n\n好 O\n", encoding="utf-8")
    first, second = read_tagged_titles(path)
    assert (first.text, first.line, first.texts("HPPX"), first.texts("HCCX")) == ("肌美精面膜", 1, ["肌美精"], ["面膜"])
    assert (second.text, second.line, second.spans) == ("好", 7, ())


def test_attribute_titles_report_malformed_lines_and_skip_missing_values(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "input": "Sun Bum SPF 50",
                "category": "Sunscreen",
                "target_scores": {"Brand": {"Sun Bum": 1}, "Color": {"n/a": 1}},
            },
            "{not json",
            {"input": "no scores"},
        ],
    )
    errors: list[tuple[int, str]] = []
    rows = list(read_attribute_titles(path, lambda line, reason: errors.append((line, reason))))
    assert len(rows) == 1 and rows[0].attributes == (("Brand", "Sun Bum"),) and rows[0].line == 1
    assert [line for line, _ in errors] == [2, 3] and errors[0][1].startswith("JSONDecodeError")


def test_dialogue_questions_keep_standalone_store_questions(tmp_path: Path) -> None:
    path = tmp_path / "train"
    path.write_text(
        "1\t什么 时候 发货 啊\t72 小时 内 发货 哦 亲\t那 怎么 搞\t给 您 补发 一下 呢 亲\n"
        "0\t包邮 吗\t不 包邮 的 哦 亲\n",
        encoding="utf-8",
    )
    questions = list(read_dialogue_questions(path, "ecd"))
    assert [(q.question, q.answer, q.source) for q in questions] == [("什么时候发货啊", "72小时内发货哦亲", "ecd#L1")]
    assert join_tokens("SPF 50 的 防晒") == "SPF 50的防晒"
