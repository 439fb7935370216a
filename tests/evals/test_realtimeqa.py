"""The RealTimeQA adapter on a tiny synthetic copy of the benchmark's file layout."""

from __future__ import annotations

import json
from pathlib import Path

from evals.realtimeqa import baseline_summaries, build


def _write(path: Path, rows: list[dict]) -> None:  # type: ignore[type-arg]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_build_corpus_eval_set_and_score_baselines(tmp_path: Path) -> None:
    root = tmp_path / "rtqa"
    _write(
        root / "qa/20220617_qa.jsonl",
        [
            {
                "question_id": "q1",
                "question_date": "2022/06/16",
                "question_sentence": "Which show returns?",
                "choices": ["Friends", "“Squid Game”"],
                "answer": ["1"],
            },
            {
                "question_id": "q2",
                "question_date": "2022/06/16",
                "question_sentence": "No search results?",
                "choices": ["a", "b"],
                "answer": ["0"],
            },
        ],
    )
    _write(
        root / "gcs/20220617_gcs.jsonl",
        [
            {
                "question_id": "q1",
                "search_result": [
                    {
                        "url": "https://ex.com/1",
                        "title": "Squid Game returns",
                        "text": "Netflix renewed it.",
                        "authors": ["A"],
                        "publish_date": "2022/06/12",
                    },
                    {"url": "https://ex.com/1", "title": "dup", "text": "dup text"},
                    {"url": "https://ex.com/2", "title": "empty", "text": "  "},
                ],
            },
        ],
    )
    _write(root / "gold/20220617_gold.jsonl", [{"question_id": "q1", "search_result": [{"url": "https://ex.com/1"}]}])
    _write(root / "baselines/20220617_qa_open_gpt3_gcs_gen.jsonl", [{"question_id": "q1", "prediction": "Squid Game"}])
    corpus, eval_file, items = build(root, tmp_path / "out")
    articles = [json.loads(line) for line in (corpus / "articles.jsonl").read_text().splitlines()]
    assert [a["title"] for a in articles] == ["Squid Game returns"]
    assert articles[0]["published_at"] == "2022/06/12" and articles[0]["author"] == "A"
    (item,) = items
    assert (item.id, item.answer, item.sources, item.date) == (
        "q1",
        "“Squid Game”",
        ("https://ex.com/1",),
        "2022-06-16",
    )
    assert eval_file.exists()
    (baseline,) = baseline_summaries(root, items)
    assert baseline["metrics"] == {"exact_match": 1.0, "f1": 1.0, "contains": 1.0}
