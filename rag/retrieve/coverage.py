"""Coverage rerank: the fused candidates ordered again by how much of the question they hold.

A passage's coverage is the IDF-weighted share of the question's words (BM25's tokenizer:
stemmed, stop words out) found in the passage or its headline. The candidates' fused order and
their order by coverage are fused again by reciprocal rank, equal weights, so a passage that
names every part of the question moves up past one that repeats a single word often (BM25 and
the embedding both reward that). Off by default (``RERANK=coverage``): on RealTimeQA dev it puts
the answer in the first passage for 4–5 points more questions but leaves the default's four
passages as they were, and the bundled model answered worse from that order (F1 0.518 → 0.456
on 60 questions; docs/EVALS.md, issue #19). Nothing is embedded or stored here.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def coverage(asked: set[str], idf: dict[str, float], words: set[str]) -> float:
    """The IDF-weighted share of ``asked`` found in ``words`` (0 when nothing is asked)."""
    total = sum(idf.get(w, 0.0) for w in asked)
    return sum(idf.get(w, 0.0) for w in asked if w in words) / total if total else 0.0


def rerank(asked: set[str], idf: dict[str, float], candidates: Sequence[set[str]]) -> list[int]:
    """Positions of ``candidates`` (each a passage's words, best first) in their new order.
    Ties keep the fused order."""
    cover = [coverage(asked, idf, words) for words in candidates]
    by_cover = sorted(range(len(candidates)), key=lambda i: (-cover[i], i))
    score = [1.0 / (RRF_K + rank) for rank in range(1, len(candidates) + 1)]
    for rank, i in enumerate(by_cover, 1):
        score[i] += 1.0 / (RRF_K + rank)
    return sorted(range(len(candidates)), key=lambda i: (-score[i], i))
