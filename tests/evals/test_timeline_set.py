"""The timeline eval set: its schema, and that every gold point stands in its source article.

Sources are checked against the RealTimeQA pool itself when it is on this machine
(``NEWSRAG_RTQA_DIR``, or /work/shared/datasets/realtimeqa-dev): the URL is in the pool, the
pool's publication date is the gold date, and every keyword is in the article. Without the
pool, against ``tests/data/timeline_gold_sources.json`` (URL → pool date and headline,
extracted from the pool when the set was written) — never skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evals.timeline.__main__ import DEFAULT_SET
from evals.timeline.corpus import read_pool
from evals.timeline.gold import load_timeline_set
from evals.timeline.score import contains_keyword, tokens
from index.errors import InputError

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
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
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
        words = tokens(article["title"] + " " + article["text"])
        assert all(contains_keyword(words, k) for k in p.keywords), (p.source, p.keywords)


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
