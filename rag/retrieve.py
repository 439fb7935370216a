"""Find the passages that answer a question: dense, BM25, or both fused.

Dense search goes through Chroma; BM25 uses llama-index's ``BM25Retriever`` over the same
chunks (headline and date included in the indexed text), built lazily and rebuilt when
the index changes. Hybrid mode fuses the two rankings with reciprocal rank fusion. We fuse
here rather than with llama-index's ``QueryFusionRetriever`` because the answer step needs
each hit's cosine similarity to the question (for refusing when nothing is relevant),
which that retriever discards; the fusion itself is a few lines.

Date-aware: given the date a question is asked "as of", chunks of articles published in the
``recency_days`` before it — and of undated articles, which may be just as recent — are
ranked a second time on their own (dense with a Chroma metadata filter, BM25 filtered from
a deeper list), and that ranking joins the fusion with ``recency_weight``. Articles known to
be older (or newer) are steered down, still found when nothing in the window matches.
Without an as-of date nothing changes.

Query expansion and context selection under a token budget are not here.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any, Protocol

from llama_index.core.schema import BaseNode, TextNode

from index.chunk import UNDATED, published_day
from index.embed import Embedder
from index.store import ChromaStore
from rag.settings import RetrievalMode
from rag.types import Hit

RRF_K = 60  # the usual reciprocal-rank constant: damps the weight of the very first ranks


BM25_WINDOW_DEPTH = 25  # BM25 looks this many times deeper for chunks inside the date window


class Retriever(Protocol):
    def retrieve(self, query: str, k: int, as_of: date | None = None) -> list[Hit]: ...


class HybridRetriever:
    """Dense, BM25 or fused retrieval over one ``ChromaStore``."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        mode: RetrievalMode,
        candidates: int = 20,
        recency_days: int = 0,
        recency_weight: float = 1.0,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._mode = mode
        self._candidates = candidates
        self._recency_days = recency_days
        self._recency_weight = recency_weight
        self._bm25: Any = None
        self._bm25_key: tuple[int, int] | None = None
        self._bm25_lock = threading.Lock()  # UI/server threads share one retriever
        self.generation = 0  # bumped by the owner after it changes the index

    def warm(self) -> None:
        """Load the embedder and build the BM25 index now rather than on the first question."""
        self._embedder.embed_query("warm up")
        if self._mode in ("bm25", "hybrid") and self._store.count():
            self._bm25_search("warm up", 1)

    def retrieve(self, query: str, k: int, as_of: date | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query``; with ``as_of``, recent articles are steered up."""
        if self._store.count() == 0:
            return []
        q_vec = self._embedder.embed_query(query)
        depth = max(k, self._candidates)
        window = self._window(as_of)
        rankings: list[list[TextNode]] = []
        weights: list[float] = []
        if self._mode in ("dense", "hybrid"):
            rankings.append([node for node, _ in self._store.dense_search(q_vec, depth)])
            weights.append(1.0)
            if window:
                in_window = {"$and": [{"published_day": {"$gte": window[0]}}, {"published_day": {"$lte": window[1]}}]}
                where = {"$or": [in_window, {"published_day": UNDATED}]}
                rankings.append([node for node, _ in self._store.dense_search(q_vec, depth, where=where)])
                weights.append(self._recency_weight)
        if self._mode in ("bm25", "hybrid"):
            found = self._bm25_search(query, depth * BM25_WINDOW_DEPTH if window else depth)
            rankings.append(found[:depth])
            weights.append(1.0)
            if window:
                rankings.append([n for n in found if _in_window(n, window)][:depth])
                weights.append(self._recency_weight)
        fused = rrf(rankings, weights)[:k]
        sims = self._similarities(q_vec, [node.node_id for node, _ in fused])
        return [_hit(node, score, sims.get(node.node_id, 0.0)) for node, score in fused]

    def _window(self, as_of: date | None) -> tuple[int, int] | None:
        """The ``published_day`` range steered up for ``as_of``, or None when off."""
        if as_of is None or self._recency_days <= 0:
            return None
        last = published_day(as_of)
        return last - self._recency_days, last

    def _bm25_search(self, query: str, depth: int) -> list[TextNode]:
        with self._bm25_lock:
            key = (self._store.count(), self.generation)
            if self._bm25 is None or key != self._bm25_key:
                import Stemmer
                from llama_index.retrievers.bm25 import BM25Retriever

                nodes: list[BaseNode] = list(self._store.all_nodes())
                self._bm25 = BM25Retriever.from_defaults(
                    nodes=nodes, similarity_top_k=depth, stemmer=Stemmer.Stemmer("english"), language="english"
                )
                self._bm25_key = key
            bm25 = self._bm25
            bm25.similarity_top_k = min(depth, self._store.count())
            return [n.node for n in bm25.retrieve(query) if isinstance(n.node, TextNode)]

    def _similarities(self, q_vec: list[float], ids: list[str]) -> dict[str, float]:
        if not ids:
            return {}
        got = self._store.collection.get(ids=ids, include=["embeddings"])
        out = {}
        for chunk_id, vec in zip(got["ids"], got["embeddings"], strict=False):
            out[chunk_id] = float(sum(a * b for a, b in zip(q_vec, vec, strict=False)))
        return out


def _in_window(node: TextNode, window: tuple[int, int]) -> bool:
    day = node.metadata.get("published_day", UNDATED)
    return not isinstance(day, int) or day == UNDATED or window[0] <= day <= window[1]


def rrf(rankings: list[list[TextNode]], weights: list[float] | None = None) -> list[tuple[TextNode, float]]:
    """Reciprocal rank fusion: sum of weight/(RRF_K + rank) over the rankings a node appears in."""
    scores: dict[str, float] = {}
    nodes: dict[str, TextNode] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, node in enumerate(ranking, 1):
            scores[node.node_id] = scores.get(node.node_id, 0.0) + weight / (RRF_K + rank)
            nodes.setdefault(node.node_id, node)
    order = sorted(scores, key=lambda i: scores[i], reverse=True)
    return [(nodes[i], scores[i]) for i in order]


def _hit(node: TextNode, score: float, similarity: float) -> Hit:
    m = node.metadata
    return Hit(
        chunk_id=node.node_id,
        text=node.get_content(),
        title=str(m.get("title", "")),
        source=str(m.get("source", "")),
        url=str(m.get("url", "") or ""),
        published_at=str(m.get("published_at", "") or ""),
        article_id=str(m.get("article_id", "")),
        score=score,
        similarity=similarity,
    )
