"""The timeline runner end to end on real Chroma with the extractive backend (fake embedder):
ingest into OUT/data, ask as of the question's date, score, write rows and a summary, resume
after an interruption, refuse mixing configurations; the command line's one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evals.timeline.gold import GoldPoint, TimelineItem
from evals.timeline.run import make_settings, run
from index.errors import ConfigError, InputError
from rag.api import NewsRAG
from rag.settings import Settings, load_settings
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[2]
PLEA = (
    "Brittney Griner pleaded guilty to drug charges in a court near Moscow on Thursday. Her lawyers hope for leniency."
)
VERDICT = (
    "A Russian judge sentenced Brittney Griner to nine years in prison on Thursday. The US called it unacceptable."
)
ARTICLES = [
    ("Griner pleads guilty in Russian court", PLEA, "https://n.example/plea", "2022-07-07"),
    ("Griner sentenced to nine years", VERDICT, "https://n.example/verdict", "2022-08-04"),
    (
        "Bake sale raises money",
        "A school bake sale raised 400 dollars for new books.",
        "https://n.example/bake",
        "2022-08-01",
    ),
]
ITEMS = [
    TimelineItem(
        "griner",
        "What has happened in Brittney Griner's case?",
        "2022-08-05",
        "realtimeqa",
        "since",
        (
            GoldPoint("2022-07-07", "plea", ("pleaded guilty",), "https://n.example/plea"),
            GoldPoint("2022-08-04", "verdict", ("nine years",), "https://n.example/verdict"),
        ),
    ),
    TimelineItem(
        "bake",
        "How much did the school bake sale raise?",
        "2022-08-02",
        "realtimeqa",
        "change",
        (GoldPoint("2022-08-01", "raised", ("400 dollars",), "https://n.example/bake"),),
    ),
]


def rag_for(settings: Settings) -> NewsRAG:
    return NewsRAG(settings, embedder=FakeEmbedder())


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    rows = [{"title": t, "text": x, "url": u, "published_at": d, "source": "n.example"} for t, x, u, d in ARTICLES]
    (folder / "articles.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_run_scores_plain_answers_and_resumes(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "out"
    plain = {"backend": "extractive", "timeline_answers": False}
    settings = make_settings(load_settings(), plain, out)
    assert settings.data_dir == out / "data"
    summary = run(ITEMS, corpus, out, settings, rag=rag_for(settings))
    assert summary["ingest"]["articles"] == 3 and summary["questions"] == 2
    assert summary["gold_points"] == {"found": 3, "total": 3, "share": 1.0}
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    griner = rows[0]
    # Today's plain answer: both facts, each dated by its citation, but newest first.
    assert [p["date"] for p in griner["points"]] == ["2022-08-04", "2022-07-07"]
    assert [g["found"] for g in griner["gold"]] == [True, True]
    assert griner["metrics"]["order_correct"] == 0.0 and griner["metrics"]["citation_precision"] == 1.0
    assert summary["metrics"]["point_recall"] == 1.0 and summary["counts"]["order_correct"] == 1

    results = out / "results.jsonl"
    results.write_text(results.read_text().splitlines()[0] + "\n" + '{"id": "bake", "quest')
    again = run(ITEMS, corpus, out, settings, rag=rag_for(settings))
    assert again["metrics"] == summary["metrics"] and len(results.read_text().splitlines()) == 2
    assert again["ingest"]["ingested_now"] == {"articles": 0, "chunks": 0}  # the index under OUT/data is reused

    other = make_settings(load_settings(), {**plain, "top_k": 2}, out)
    with pytest.raises(ConfigError, match="another configuration"):
        run(ITEMS, corpus, out, other, rag=rag_for(settings))
    as_timeline = make_settings(load_settings(), {**plain, "timeline_answers": True}, out)
    with pytest.raises(ConfigError, match="another configuration"):
        run(ITEMS, corpus, out, as_timeline, rag=rag_for(settings))
    with pytest.raises(InputError, match="--corpus-dir"):
        run(ITEMS, None, tmp_path / "x", settings)


def test_the_command_line_says_what_to_fix_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "evals.timeline"]
    built = subprocess.run(
        [*cmd, "build-corpus", str(tmp_path), "--out", str(tmp_path / "c")], env=env, capture_output=True, text=True
    )
    assert built.returncode == 1 and "it has no gcs/*_gcs.jsonl files" in built.stderr
    ran = subprocess.run(
        [*cmd, "run", "--out", str(tmp_path / "o"), "--ids", "nope"], env=env, capture_output=True, text=True
    )
    assert ran.returncode == 1 and "--ids: no question with id 'nope'" in ran.stderr


def test_run_scores_timeline_answers_in_date_order(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "out"
    settings = make_settings(load_settings(), {"backend": "extractive", "timeline_answers": True}, out)
    summary = run(ITEMS[:1], corpus, out, settings, rag=rag_for(settings))
    griner = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    # The same question answered as a timeline: both facts, oldest first.
    assert [p["date"] for p in griner["points"]] == ["2022-07-07", "2022-08-04"]
    assert griner["metrics"]["order_correct"] == 1.0 and griner["metrics"]["citation_precision"] == 1.0
    assert summary["gold_points"] == {"found": 2, "total": 2, "share": 1.0}
