"""The story-grouping measurement: its labelled pairs hold the reported precision and recall, and the
measurement's parts count what they say on a made-up pool.

``tests/data/story_pairs.jsonl`` holds 130 RealTimeQA pool pairs labelled by reading them (the
pool itself is not shipped): ``evals.stories --labels`` wrote each pair's scores and whether the
configured thresholds (``at``) group it. The numbers asserted are the ones docs/EVALS.md reports.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from evals.stories import leads, score
from index.types import Article
from rag.settings import Settings

LABELS = Path(__file__).resolve().parent.parent / "data" / "story_pairs.jsonl"


def test_the_labelled_pairs_hold_the_reported_precision_and_recall() -> None:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 100 and all(r["reason"] and r["label"] in ("same", "different") for r in rows)
    assert {r["sample"] for r in rows} == {"grouped", "near", "week", "looser"}
    s = Settings()
    assert {r["at"] for r in rows} == {f"{s.story_similarity}/{s.story_min_shared_entities}/{s.story_window_days}"}
    grouped = [r for r in rows if r["grouped"]]
    same = [r for r in rows if r["label"] == "same"]
    precision = sum(r["label"] == "same" for r in grouped) / len(grouped)
    recall = sum(r["grouped"] for r in same) / len(same)
    assert (round(precision, 3), round(recall, 3)) == (0.857, 0.677)
    assert not [r for r in grouped if r["days"] is None]  # undated articles are never grouped


def test_score_counts_pairs_grouped_and_labelled_same() -> None:
    index = {"a": 0, "b": 1, "c": 2, "d": 3}
    stories = ["0", "0", "2", "2"]
    labelled = [
        {"url_a": "a", "url_b": "b", "label": "same"},  # grouped, same: a hit
        {"url_a": "c", "url_b": "d", "label": "different"},  # grouped, different: a wrong merge
        {"url_a": "a", "url_b": "c", "label": "same"},  # split, same: a miss
        {"url_a": "b", "url_b": "d", "label": "different"},  # split, different
    ]
    assert score(labelled, stories, index) == {"precision": 0.5, "recall": 0.5, "grouped": 2}


def test_leads_are_the_first_passage_ingest_embeds() -> None:
    body = " ".join(f"Sentence {i} of the report says the Karrow Dam held for another day." for i in range(200))
    article = Article("x", "Karrow Dam holds", body, "src", "f.jsonl", published_at=date(2026, 3, 2))
    embedded, passages = leads([article])
    assert embedded[0].startswith("Karrow Dam holds\n2026-03-02") and passages[0] in embedded[0]
    assert passages[0].startswith("Sentence 0 of the report") and len(passages[0]) < len(body) // 5
