"""Find the passages that answer a question: dense, BM25, or both fused.

Dense search goes through Chroma; BM25 uses ``rag.retrieve.bm25`` (bm25s, the engine inside
llama-index's ``BM25Retriever``, ranking as it does) over the same chunks (headline and date
included in the indexed text). Both read the chunks from ``rag.retrieve.chunk_table``, loaded lazily
and reloaded when the index changes. Hybrid mode
fuses the two rankings with reciprocal rank fusion. We fuse here rather than with
llama-index's ``QueryFusionRetriever`` because the answer step needs each hit's cosine
similarity to the question (for refusing when nothing is relevant), which that retriever
discards; the fusion itself is a few lines.

Date-aware: given the date a question is asked "as of", chunks of articles published in the
``recency_days`` before it — and of undated articles, which may be just as recent — are
ranked a second time on their own, when any article is known to be from the window
(dense by an exact dot product over the window's chunks,
BM25 from the same scores with the other chunks masked out), and that ranking joins the fusion with
``recency_weight``. Articles known to be older (or newer) are steered down, still found when
nothing in the window matches. Without an as-of date nothing changes.

With ``dedup_similarity`` below 1, a chunk at least that similar (cosine) to a better-ranked
one is passed over, so k passages hold k different texts rather than one syndicated story
twice. With ``rerank="coverage"`` the fused candidates are ordered again by how much of the
question each holds (``rag.retrieve.coverage``). ``passages_of`` ranks the same way among
given articles' chunks only (a timeline takes one passage from each article of a story).
Query expansion and context selection under a token budget are not here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from llama_index.core.schema import MetadataMode, TextNode

from index.chunk import published_day
from index.embed import Embedder
from index.store.collection import ChromaStore
from index.types import web_link
from rag.retrieve import coverage
from rag.retrieve.chunk_table import ChunkTable
from rag.settings import Rerank, RetrievalMode
from rag.types import Hit

RRF_K = 60  # the usual reciprocal-rank constant: damps the weight of the very first ranks


class Retriever(Protocol):
    def retrieve(self, query: str, k: int, as_of: date | None = None) -> list[Hit]: ...


class ArticleRetriever(Retriever, Protocol):
    """A retriever that can also rank the passages of given articles (timeline answers)."""

    def passages_of(self, query: str, article_ids: Sequence[str]) -> list[Hit]: ...


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
        dedup_similarity: float = 1.0,
        rerank: Rerank = "none",
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._mode = mode
        self._candidates = candidates
        self._recency_days = recency_days
        self._recency_weight = recency_weight
        self._dedup_similarity = dedup_similarity
        self._rerank = rerank
        self._table: ChunkTable | None = None
        self._table_key: tuple[int, int] | None = None
        self._table_lock = threading.Lock()  # UI/server threads share one retriever
        self.generation = 0  # bumped by the owner after it changes the index

    def warm(self) -> None:
        """Load the embedder and the chunk table (and BM25) now rather than on the first question."""
        self._embedder.embed_query("warm up")
        size = self._store.count()
        if size:
            table = self._chunk_table(size)
            if self._mode in ("bm25", "hybrid"):
                _ = table.bm25

    def retrieve(self, query: str, k: int, as_of: date | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query``; with ``as_of``, recent articles are steered up."""
        size = self._store.count()
        if size == 0:
            return []
        table = self._chunk_table(size)
        q_vec = self._embedder.embed_query(query)
        depth = min(max(k, self._candidates), size)
        window = self._window(as_of)
        # Nothing known to be recent (an old corpus asked as of today): no steering, or the
        # undated articles alone would be pushed up.
        mask = table.inside(window) if window and table.dated_within(window) else None
        rankings: list[list[TextNode]] = []
        weights: list[float] = []
        if self._mode in ("dense", "hybrid"):
            found = self._store.nearest_ids(q_vec, depth)
            rankings.append([table.nodes[table.position[i]] for i, _ in found if i in table.position])
            weights.append(1.0)
            if mask is not None:
                rankings.append([node for node, _ in table.nearest(q_vec, depth, mask)])
                weights.append(self._recency_weight)
        if self._mode in ("bm25", "hybrid"):
            scores = table.bm25.scores(query)
            rankings.append(table.bm25.top(scores, depth))
            weights.append(1.0)
            if mask is not None:
                rankings.append(table.bm25.top(scores, depth, mask))
                weights.append(self._recency_weight)
        fused = rrf(rankings, weights)
        if self._dedup_similarity < 1.0:
            keep = set(table.distinct([node.node_id for node, _ in fused], k, self._dedup_similarity))
            fused = [(node, score) for node, score in fused if node.node_id in keep]
        if self._rerank == "coverage":
            fused = self._by_coverage(table, query, fused[: max(k, self._candidates)])
        fused = fused[:k]
        sims = table.similarity(q_vec, [node.node_id for node, _ in fused])
        return [_hit(node, score, sims.get(node.node_id, 0.0)) for node, score in fused]

    def passages_of(self, query: str, article_ids: Sequence[str]) -> list[Hit]:
        """The best chunk for ``query`` of each of ``article_ids`` (known ones), best first.

        Ranked like ``retrieve`` (dense, BM25 or both fused) but only among those articles'
        chunks: a timeline answer takes one passage from each article of a story.
        """
        size = self._store.count()
        if size == 0 or not article_ids:
            return []
        table = self._chunk_table(size)
        mask = table.of_articles(article_ids)
        depth = int(mask.sum())
        q_vec = self._embedder.embed_query(query)
        rankings: list[list[TextNode]] = []
        if self._mode in ("dense", "hybrid"):
            rankings.append([node for node, _ in table.nearest(q_vec, depth, mask)])
        if self._mode in ("bm25", "hybrid"):
            rankings.append(table.bm25.top(table.bm25.scores(query), depth, mask))
        best: dict[str, tuple[TextNode, float]] = {}
        for node, score in rrf(rankings):
            best.setdefault(str(node.metadata.get("article_id", "")), (node, score))
        sims = table.similarity(q_vec, [node.node_id for node, _ in best.values()])
        return [_hit(node, score, sims.get(node.node_id, 0.0)) for node, score in best.values()]

    def _by_coverage(
        self, table: ChunkTable, query: str, fused: list[tuple[TextNode, float]]
    ) -> list[tuple[TextNode, float]]:
        """``fused`` in coverage-rerank order; each keeps its fused score."""
        bm25 = table.bm25
        asked = bm25.words(query)
        idf = bm25.idf(asked)
        words = [bm25.words(node.get_content(metadata_mode=MetadataMode.EMBED)) for node, _ in fused]
        order = coverage.rerank(asked, idf, words)
        return [fused[i] for i in order]

    def _window(self, as_of: date | None) -> tuple[int, int] | None:
        """The ``published_day`` range steered up for ``as_of``, or None when off."""
        if as_of is None or self._recency_days <= 0:
            return None
        last = published_day(as_of)
        return last - self._recency_days, last

    def _chunk_table(self, size: int) -> ChunkTable:
        """Every stored chunk in memory, reloaded when the index changed."""
        with self._table_lock:
            key = (size, self.generation)
            if self._table is None or key != self._table_key:
                self._table = ChunkTable(*self._store.all_chunks())
                self._table_key = key
            return self._table


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
        url=web_link(m.get("url")),  # also for indexes made before links were checked at ingest
        published_at=str(m.get("published_at", "") or ""),
        article_id=str(m.get("article_id", "")),
        also_at=tuple(link for u in str(m.get("also_at") or "").split("\n") if (link := web_link(u))),
        score=score,
        similarity=similarity,
    )
