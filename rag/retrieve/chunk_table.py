"""Every stored chunk in memory for the answer path: nodes, dates, vectors and BM25.

Retrieval needs more than Chroma's nearest-neighbour query: the chunks' text for BM25, the
cosine similarity of every fused hit (the refusal threshold reads it), and a nearest-neighbour
ranking restricted to a week of articles (date-aware retrieval) or to a story's articles
(timeline answers). Asking Chroma for each was
the slow part of a question: a metadata-filtered query took ~50 ms at 29k chunks, against
2 ms unfiltered. The table loads the collection once (rebuilt by the owner when the index
changes) and answers those from memory: the window ranking is an exact dot product over the
few hundred chunks inside the window, similarities are one dot product each.

Memory: the text plus one float32 row per chunk (1.5 KB with MiniLM's 384 dimensions: 44 MB
for the 29k-chunk RealTimeQA pool). Chroma stays the store and does the unfiltered search.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
from llama_index.core.schema import TextNode

from index.chunk import UNDATED
from rag.retrieve.bm25 import BM25Index


class ChunkTable:
    """The chunks of one index version, by position."""

    def __init__(self, nodes: Sequence[TextNode], vectors: np.ndarray) -> None:
        if len(vectors) != len(nodes):
            raise ValueError(f"{len(nodes)} chunks but {len(vectors)} vectors")
        self.nodes = list(nodes)
        self.position = {node.node_id: i for i, node in enumerate(self.nodes)}
        self.vectors = np.asarray(vectors, dtype=np.float32).reshape(len(self.nodes), -1)
        self.days = np.array([_day(node) for node in self.nodes], dtype=np.int64)
        self.articles = np.array([str(node.metadata.get("article_id", "")) for node in self.nodes], dtype=object)

    def __len__(self) -> int:
        return len(self.nodes)

    @cached_property
    def bm25(self) -> BM25Index:
        """BM25 over the same chunks, built on first use (dense-only retrieval never needs it)."""
        return BM25Index(self.nodes)

    def inside(self, window: tuple[int, int]) -> np.ndarray:
        """Mask of the chunks published within ``window`` (inclusive ``published_day``s) or undated."""
        return ((self.days >= window[0]) & (self.days <= window[1])) | (self.days == UNDATED)

    def of_articles(self, article_ids: Sequence[str]) -> np.ndarray:
        """Mask of the chunks of the articles ``article_ids`` (a timeline's story)."""
        return np.isin(self.articles, list(article_ids))

    def dated_within(self, window: tuple[int, int]) -> bool:
        """Whether any chunk has a known date within ``window``."""
        return bool(((self.days >= window[0]) & (self.days <= window[1])).any())

    def nearest(self, query: Sequence[float], k: int, mask: np.ndarray) -> list[tuple[TextNode, float]]:
        """The ``k`` chunks under ``mask`` most similar to the unit vector ``query``, exactly."""
        rows = np.flatnonzero(mask)
        k = min(k, len(rows))
        if k <= 0:
            return []
        sims = self.vectors[rows] @ np.asarray(query, dtype=np.float32)
        best = np.argpartition(-sims, k - 1)[:k]
        best = best[np.lexsort((rows[best], -sims[best]))]
        return [(self.nodes[rows[i]], float(sims[i])) for i in best]

    def similarity(self, query: Sequence[float], chunk_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the unit vector ``query`` to each known chunk."""
        known = [(cid, self.position[cid]) for cid in chunk_ids if cid in self.position]
        if not known:
            return {}
        sims = self.vectors[[i for _, i in known]] @ np.asarray(query, dtype=np.float32)
        return {cid: float(s) for (cid, _), s in zip(known, sims, strict=True)}

    def distinct(self, chunk_ids: Sequence[str], k: int, threshold: float) -> list[str]:
        """The first ``k`` of ``chunk_ids`` (best first), skipping any at least ``threshold`` similar
        (cosine) to one already kept: the same story twice, from two outlets or two versions."""
        kept: list[str] = []
        kept_rows: list[int] = []
        for cid in chunk_ids:
            if len(kept) == k:
                break
            row = self.position.get(cid)
            if (
                row is not None
                and kept_rows
                and float(np.max(self.vectors[kept_rows] @ self.vectors[row])) >= threshold
            ):
                continue
            kept.append(cid)
            if row is not None:
                kept_rows.append(row)
        return kept


def _day(node: TextNode) -> int:
    day = node.metadata.get("published_day", UNDATED)
    return day if isinstance(day, int) else UNDATED
