"""Date-aware retrieval: a question's as-of date steers toward articles published shortly before it.

Real in-memory Chroma (its metadata filter does the dense side), the fake embedder, and four
weekly stories on the same topic that differ in date and detail — the RealTimeQA situation
("this week, which team won?"), where only the date tells them apart.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from index.chunk import UNDATED, make_splitter, published_day
from index.embed import LlamaIndexEmbedding, token_counter
from index.ingest import ingest_paths
from index.store.collection import ChromaStore
from rag.retrieve.hybrid import HybridRetriever
from rag.settings import RetrievalMode
from tests.fakes import FakeEmbedder

WEEKS = {
    "2022-05-06": "Harbor City",
    "2022-05-13": "Lake Town",
    "2022-05-20": "River Falls",
    "2022-05-27": "Stone Hill",
}
QUESTION = "Which team won the regional rowing championship final this week?"


@pytest.fixture
def weekly(store: ChromaStore, fake_embedder: FakeEmbedder, tmp_path: Path) -> ChromaStore:
    lines = [
        {
            "title": f"Regional rowing championship final: {team} win",
            "text": f"The {team} crew won the regional rowing championship final on Saturday, "
            f"beating six other crews on the river course. Fans of {team} celebrated at the finish.",
            "published_at": day,
            "url": f"https://news.example/rowing-{day}",
        }
        for day, team in WEEKS.items()
    ]
    lines.append(
        {
            "title": "Rowing championship history",
            "text": "The regional rowing championship final has been held every spring since 1950.",
        }
    )  # no date
    (tmp_path / "rowing.jsonl").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    splitter = make_splitter(token_counter(), 200, 30)
    ingest_paths([tmp_path / "rowing.jsonl"], store, splitter, LlamaIndexEmbedding(fake_embedder))
    return store


def _retriever(store: ChromaStore, embedder: FakeEmbedder, mode: RetrievalMode, days: int) -> HybridRetriever:
    return HybridRetriever(store, embedder, mode, candidates=20, recency_days=days)


def test_chunks_carry_their_publication_day_as_a_number(weekly: ChromaStore) -> None:
    got = weekly.collection.get(include=["metadatas"])
    days = sorted(m["published_day"] for m in got["metadatas"])
    assert days == [UNDATED] + [published_day(date.fromisoformat(d)) for d in WEEKS]
    assert published_day(date(1970, 1, 2)) == 1


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
@pytest.mark.parametrize("asked", list(WEEKS))
def test_the_story_of_the_week_before_the_question_ranks_first(
    weekly: ChromaStore, fake_embedder: FakeEmbedder, mode: RetrievalMode, asked: str
) -> None:
    as_of = date.fromordinal(date.fromisoformat(asked).toordinal() + 2)
    hits = _retriever(weekly, fake_embedder, mode, days=6).retrieve(QUESTION, 3, as_of)
    dated = [h for h in hits if h.published_at]  # the undated history article is neutral
    assert dated[0].published_at == asked and WEEKS[asked] in dated[0].text


def test_without_a_date_or_with_recency_off_the_ranking_ignores_dates(
    weekly: ChromaStore, fake_embedder: FakeEmbedder
) -> None:
    plain = _retriever(weekly, fake_embedder, "hybrid", days=6).retrieve(QUESTION, 5)
    off = _retriever(weekly, fake_embedder, "hybrid", days=0).retrieve(QUESTION, 5, date(2022, 5, 15))
    assert [h.chunk_id for h in plain] == [h.chunk_id for h in off]


def test_nothing_recent_falls_back_to_the_best_older_matches(weekly: ChromaStore, fake_embedder: FakeEmbedder) -> None:
    retriever = _retriever(weekly, fake_embedder, "hybrid", days=7)
    hits = retriever.retrieve(QUESTION, 5, date(2026, 12, 1))  # years after every dated story
    # No article is known to be from the window: nothing is steered (the undated article is
    # not pushed up for lack of a date), so the ranking is the one without a date.
    assert [h.chunk_id for h in hits] == [h.chunk_id for h in retriever.retrieve(QUESTION, 5)]
    assert sorted(h.published_at for h in hits if h.published_at) == sorted(WEEKS)  # the old stories are found


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_undated_articles_are_ranked_as_if_no_date_was_given(
    store: ChromaStore, fake_embedder: FakeEmbedder, samples_dir: Path, mode: RetrievalMode, tmp_path: Path
) -> None:
    undated = tmp_path / "undated"
    undated.mkdir()
    for n, path in enumerate(sorted(samples_dir.glob("*.txt"))):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "/2024" not in line]
        (undated / f"{n}.txt").write_text("\n".join(lines), encoding="utf-8")
    ingest_paths([undated], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder))
    assert not any(a.published_at for a in store.articles())
    retriever = _retriever(store, fake_embedder, mode, days=7)
    question = "How long is the proposed truce between Israel and Hezbollah?"
    plain = [h.chunk_id for h in retriever.retrieve(question, 6)]
    assert [h.chunk_id for h in retriever.retrieve(question, 6, date(2024, 11, 27))] == plain
