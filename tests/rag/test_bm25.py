"""``rag.retrieve.bm25`` ranks exactly as llama-index's ``BM25Retriever`` over the same chunks.

The retrieval path swapped that retriever for a direct bm25s index to cut latency (issue 6);
these tests keep the behaviour: same order for real news chunks and several queries, a
masked ranking (the date window) equal to filtering the full ranking, and the edge cases (no known word, tiny
corpus, ties) well defined.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import Stemmer
from llama_index.core.schema import TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from index.chunk import chunk_articles, make_splitter
from index.embed import token_counter
from index.load import load_file, read_limited
from rag.retrieve.bm25 import BM25Index

SAMPLES = Path(__file__).resolve().parents[2] / "index" / "samples"
QUERIES = [
    "How many days does the truce last?",
    "Who won the election?",
    "central bank interest rate decision",
    "flooding river evacuation",
    "What did the minister say about the budget?",
]


@pytest.fixture(scope="module")
def nodes() -> list[TextNode]:
    splitter = make_splitter(token_counter(), 120, 20)
    out: list[TextNode] = []
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in {".jsonl", ".json", ".md", ".txt", ".html"}:
            loaded = load_file(path, read_limited(path))
            out += [n for n in chunk_articles(loaded.articles, loaded.file_hash, splitter) if isinstance(n, TextNode)]
    assert len(out) > 20
    return out


@pytest.mark.parametrize("query", QUERIES)
def test_same_ranking_as_llama_index(nodes: list[TextNode], query: str) -> None:
    ours = BM25Index(nodes)
    theirs = BM25Retriever.from_defaults(
        nodes=nodes, similarity_top_k=len(nodes), stemmer=Stemmer.Stemmer("english"), language="english"
    )
    expected = [(n.node.node_id, n.score) for n in theirs.retrieve(query) if (n.score or 0) > 0]
    scores = ours.scores(query)
    got = ours.top(scores, len(nodes))
    assert expected, "the query should match some chunks"
    by_id = {n.node_id: float(s) for n, s in zip(ours.nodes, scores, strict=True)}
    assert [by_id[n.node_id] for n in got] == pytest.approx([s for _, s in expected], rel=1e-5)
    # Same chunks at every score (chunks with equal scores may come in either order).
    assert _by_score([(n.node_id, by_id[n.node_id]) for n in got]) == _by_score(expected)


def _by_score(ranked: list[tuple[str, float]]) -> dict[float, set[str]]:
    out: dict[float, set[str]] = {}
    for chunk_id, score in ranked:
        out.setdefault(round(score, 4), set()).add(chunk_id)
    return out


def test_mask_equals_filtering_the_full_ranking(nodes: list[TextNode]) -> None:
    index = BM25Index(nodes)
    scores = index.scores("truce ceasefire days aid")
    full = index.top(scores, len(nodes))
    mask = np.array([i % 3 == 0 for i in range(len(nodes))])
    allowed = {n.node_id for n, keep in zip(nodes, mask, strict=True) if keep}
    expected = [n.node_id for n in full if n.node_id in allowed][:5]
    assert len(expected) >= 2
    assert [n.node_id for n in index.top(scores, 5, mask)] == expected
    assert index.top(scores, 5, np.zeros(len(nodes), dtype=bool)) == []


def test_no_known_word_and_small_k(nodes: list[TextNode]) -> None:
    index = BM25Index(nodes)
    assert index.top(index.scores("the of and"), 5) == []  # stop words only
    assert index.top(index.scores("zzzqqqx"), 5) == []
    assert len(index.top(index.scores("truce"), 1)) == 1
    assert index.top(index.scores("truce"), 0) == []


def test_ties_keep_corpus_order(tmp_path: Path) -> None:
    same = [TextNode(id_=f"c{i}", text="harbour crane strike", metadata={}) for i in range(6)]
    index = BM25Index(same)
    assert [n.node_id for n in index.top(index.scores("crane"), 4)] == ["c0", "c1", "c2", "c3"]
    json.dumps([n.node_id for n in index.nodes])  # plain ids, nothing exotic
