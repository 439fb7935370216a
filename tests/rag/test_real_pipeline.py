"""Integration: real MiniLM embedder and real on-disk Chroma on the sample articles.

Uses the extractive backend so no LLM is involved; the local LLM runs in tests/e2e.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.api import NewsRAG
from rag.settings import load_settings

pytestmark = pytest.mark.slow

ICARO = "Negotiating a Ceasefire: Progress and Challenges in Israel-Hezbollah Truce Talks"
MOSCOW = "Moscow Open to Dialogue with Trump on Syria"


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> NewsRAG:
    data = tmp_path_factory.mktemp("data")
    instance = NewsRAG(load_settings(data_dir=data, backend="extractive"))
    report = instance.ingest_samples()
    assert report.count("ingested") == 3 and not report.failed
    return instance


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("How long is the proposed truce between Israel and Hezbollah?", ICARO),
        ("Where did the 22nd round of Syria talks take place?", MOSCOW),
    ],
)
def test_retrieval_ranks_the_right_article_first(rag: NewsRAG, mode: str, question: str, title: str) -> None:
    from rag.retrieve.hybrid import HybridRetriever

    hits = HybridRetriever(rag.store, rag.embedder, mode).retrieve(question, 3)  # type: ignore[arg-type]
    assert title in [h.title for h in hits[:2]]


def test_extractive_answer_quotes_and_cites_the_truce_sentence(rag: NewsRAG) -> None:
    answer = rag.ask("How long is the proposed truce between Israel and Hezbollah?")
    assert not answer.refused
    assert "60-day truce" in answer.answer
    assert any(c.title == ICARO and "60-day truce" in c.quote for c in answer.citations)
    for c in answer.citations:
        assert c.passage[c.quote_start : c.quote_end] == c.quote


def test_off_topic_question_is_refused(rag: NewsRAG) -> None:
    answer = rag.ask("What did Apple announce at its developer conference?")
    assert answer.refused and answer.citations == []


def test_reingest_is_a_no_op_and_changed_file_is_replaced(rag: NewsRAG, tmp_path: Path) -> None:
    again = rag.ingest_samples()
    assert again.count("unchanged") == 3 and again.chunks == 0
    extra = tmp_path / "note.md"
    extra.write_text("# Harbour reopens\nThe harbour in Tyre reopened to fishing boats on Sunday.\n")
    assert rag.ingest([extra]).count("ingested") == 1
    answer = rag.ask("When did the harbour in Tyre reopen to fishing boats?")
    assert any(c.title == "Harbour reopens" for c in answer.citations)
    extra.write_text("# Harbour stays shut\nThe harbour in Tyre stayed closed to fishing boats.\n")
    assert rag.ingest([extra]).count("updated") == 1
    assert "Harbour reopens" not in {a.title for a in rag.articles()}
    assert rag.remove([extra]) == [str(extra.resolve())]
    assert "Harbour stays shut" not in {a.title for a in rag.articles()}
