"""The timeline eval set: its schema, and that every gold point stands in its source article.

Sources are checked against ``tests/data/timeline_gold_sources.json`` (URL → pool date and
headline, and for each point the source sentence that states it, extracted from the pool when
the set was written) and, when the RealTimeQA pool is on this machine (``NEWSRAG_RTQA_DIR``,
or /work/shared/datasets/realtimeqa-dev), against the pool itself: the URL is in the pool
with the gold date, and one sentence of the article holds every keyword — never skipped.
An answer made of those source sentences, each dated by its article, scores full marks:
the set and the metric agree on what a correct timeline is.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evals.timeline.__main__ import DEFAULT_SET
from evals.timeline.corpus import read_pool
from evals.timeline.gold import load_timeline_set
from evals.timeline.score import contains_keyword, score_answer, tokens
from index.errors import InputError
from rag.text import split_sentences
from rag.types import Answer, Citation, TimelinePoint

MANIFEST = Path(__file__).resolve().parents[1] / "data" / "timeline_gold_sources.json"
POOL = Path(os.environ.get("NEWSRAG_RTQA_DIR", "/work/shared/datasets/realtimeqa-dev"))


def test_the_set_has_20_questions_each_with_dated_points_before_its_asking_date() -> None:
    items = load_timeline_set(DEFAULT_SET)
    assert len(items) >= 20
    kinds = {i.kind for i in items}
    assert kinds == {"since", "change", "timeline", "led_to"}
    for item in items:
        assert 2 <= len(item.points) <= 5, item.id
        assert item.date is not None and all(p.date <= item.date for p in item.points), item.id
        for p in item.points:
            assert p.keywords and p.source.startswith("https://") and p.fact


def test_every_gold_source_is_in_the_pool_with_the_gold_date() -> None:
    items = load_timeline_set(DEFAULT_SET)
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))["sources"]
    points = [p for i in items for p in i.points]
    assert {p.source for p in points} == set(manifest)
    for p in points:
        assert manifest[p.source]["published_at"] == p.date, p.source
    if not (POOL / "gcs").is_dir():
        return  # the committed manifest was checked above; the pool is not on this machine
    pool = read_pool(POOL)
    for p in points:
        article = pool[p.source]
        assert article["published_at"] == p.date and article["title"] == manifest[p.source]["title"]
        text = article["title"] + "\n" + article["text"]
        sentences = [tokens(text[start:end]) for start, end in split_sentences(text)]
        assert any(all(contains_keyword(s, k) for k in p.keywords) for s in sentences), (p.source, p.keywords)


def test_an_answer_of_the_gold_source_sentences_scores_full_marks() -> None:
    evidence = json.loads(MANIFEST.read_text(encoding="utf-8"))["evidence"]
    for item in load_timeline_set(DEFAULT_SET):
        said = [e for e in evidence if e["id"] == item.id]
        assert [(e["date"], e["source"]) for e in said] == [(p.date, p.source) for p in item.points]
        citations = [
            Citation(n, "t", e["source"], e["source"], e["date"], e["sentence"], "c") for n, e in enumerate(said, 1)
        ]
        timeline = [TimelinePoint(e["date"], f"{e['sentence']} [{n}]", n) for n, e in enumerate(said, 1)]
        m = score_answer(Answer(item.question, "", False, citations=citations, timeline=timeline), item.points)
        assert m["metrics"]["point_recall"] == 1.0 and m["metrics"]["citation_precision"] == 1.0, item.id
        assert m["metrics"]["order_correct"] == 1.0, item.id
        plain = Answer(item.question, " ".join(p.text for p in timeline), False, citations=citations)
        assert score_answer(plain, item.points)["metrics"]["point_recall"] == 1.0, item.id  # the same, as plain text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"id": "a", "question": "q", "corpus": "web", "points": []}, "'corpus' must be one of"),
        ({"id": "a", "question": "q", "corpus": "samples", "points": []}, "'points' must be a non-empty list"),
        (
            {"id": "a", "question": "q", "corpus": "samples", "points": [{"date": "2022-13-01"}]},
            "point 1: 'keywords'",
        ),
        (
            {
                "id": "a",
                "question": "q",
                "corpus": "samples",
                "points": [{"date": "2022-13-01", "fact": "f", "keywords": ["k"], "source": "s"}],
            },
            "point 1: 'date' must be an ISO date",
        ),
    ],
)
def test_a_bad_line_names_its_line_and_field(tmp_path: Path, line: dict[str, object], message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text("\n" + json.dumps(line) + "\n")
    with pytest.raises(InputError, match=rf"set.jsonl:2: .*{message}"):
        load_timeline_set(path)
