"""Coverage rerank (``RERANK=coverage``): fused passages ordered again by how much of the
question they hold. The pure functions, then the retriever over real in-memory Chroma with the
fake embedder: a passage that names every part of the question overtakes one that repeats a
single question word, and nothing else about retrieval changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.chunk import make_splitter
from index.embed import LlamaIndexEmbedding, token_counter
from index.ingest import ingest_paths
from index.store.collection import ChromaStore
from rag.factory import make_retriever
from rag.retrieve.coverage import coverage, rerank
from rag.retrieve.hybrid import HybridRetriever
from rag.settings import Settings
from tests.fakes import FakeEmbedder

QUESTION = "Which bridge did the Corvale council close after the flood?"
ARTICLES = [
    (
        "Flood in Corvale",
        "Corvale bridge flood: flood water rose at the Corvale bridge. The flood reached the bridge in "
        "Corvale, and flood crews at the bridge watched the flood; Corvale bridge flood warnings stand.",
    ),
    (
        "Council acts after storm",
        "Members voted on Tuesday evening, after a long meeting about budgets, parking, school buses and "
        "summer festivals, to close the Mill Street bridge in Corvale: the council said the flood had "
        "damaged its supports, and engineers would inspect it, with a decision on repairs next month. "
        "Members also approved new benches for the market square, longer library hours on Saturdays, a "
        "study of cycle lanes on the ring road and a grant for the town band's trip to the spring contest.",
    ),
    (
        "Bridge inspections",
        "Engineers hired by the council in Corvale inspect every bridge each spring and after storms, a "
        "report to members said on Monday, listing paint, railings, lighting, signs and drainage.",
    ),
    ("Bake sale", "A school bake sale in Corvale raised money for new library books."),
]


def test_coverage_is_the_idf_weighted_share_of_the_question_held() -> None:
    idf = {"bridg": 3.0, "flood": 1.0}
    assert coverage({"bridg", "flood"}, idf, {"flood", "water"}) == pytest.approx(0.25)
    assert coverage({"bridg", "flood"}, idf, {"bridg", "flood"}) == 1.0
    assert coverage(set(), idf, {"flood"}) == 0.0


def test_rerank_fuses_the_fused_order_with_the_coverage_order() -> None:
    idf = {"a": 1.0, "b": 1.0, "c": 1.0}
    asked = {"a", "b", "c"}
    # Second in the fused order but the only one holding all three words: it moves to the front.
    assert rerank(asked, idf, [{"a"}, {"a", "b", "c"}, {"a", "b"}, set()]) == [1, 0, 2, 3]
    # Equal weights: third to first in coverage only ties with the first, and ties keep the order.
    assert rerank(asked, idf, [{"a"}, {"a", "b"}, {"a", "b", "c"}])[0] == 0
    assert rerank(asked, idf, [{"a"}, {"a"}, {"a"}]) == [0, 1, 2]  # ties keep the fused order
    assert rerank(asked, idf, []) == []


@pytest.fixture
def stored(store: ChromaStore, fake_embedder: FakeEmbedder, tmp_path: Path) -> ChromaStore:
    rows = [{"title": t, "text": x, "url": f"https://n.example/{n}"} for n, (t, x) in enumerate(ARTICLES)]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    ingest_paths(
        [tmp_path / "a.jsonl"], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder)
    )
    return store


def test_the_passage_holding_the_whole_question_comes_first(stored: ChromaStore, fake_embedder: FakeEmbedder) -> None:
    plain = HybridRetriever(stored, fake_embedder, "dense").retrieve(QUESTION, 4)
    assert plain[0].title == "Flood in Corvale"  # the embedding rewards the repeated words
    reranked = HybridRetriever(stored, fake_embedder, "dense", rerank="coverage").retrieve(QUESTION, 4)
    assert reranked[0].title == "Council acts after storm"
    # The same passages with their fused scores and similarities, only in another order.
    assert sorted((h.chunk_id, h.score, h.similarity) for h in reranked) == sorted(
        (h.chunk_id, h.score, h.similarity) for h in plain
    )


def test_the_setting_reaches_the_retriever_and_is_off_by_default(
    stored: ChromaStore, fake_embedder: FakeEmbedder
) -> None:
    assert Settings().rerank == "none"
    on = make_retriever(Settings(rerank="coverage"), stored, fake_embedder)
    assert on.retrieve(QUESTION, 1)[0].title == "Council acts after storm"
    off = make_retriever(Settings(), stored, fake_embedder)
    assert off.retrieve(QUESTION, 4) == HybridRetriever(stored, fake_embedder, "hybrid").retrieve(QUESTION, 4)
