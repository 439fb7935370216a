"""Gather the passages of a timeline answer: one per article, across the dates of a story.

The top-k most similar passages of a change question tend to be one or two days' reporting.
``gather`` searches for the topic with a deeper k (``DEPTH`` times the answer's), finds the
story of the best hits through a ``StoryLookup`` (``rag.timeline``), and takes the best passage
for the topic of every article of that story (``ArticleRetriever.passages_of``). Without a story
(no lookup, or the best hits belong to none) it falls back to the best passage of each distinct
article among the candidates that is at least ``min_similarity`` similar (story members need no
threshold: grouping already said they report the same event).

Kept: dated passages within the question's bounds and not after its as-of date, the
``max_points`` most similar, oldest first. Undated articles are left out: a point of a timeline
needs a date. Writing the points is ``rag.generate.points``; it does not choose sentences.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rag.retrieve.hybrid import Retriever
from rag.timeline import StoryLookup, TimelineQuery
from rag.types import Hit

DEPTH = 3  # candidates per answer passage: enough to reach a story's other days (see the module doc)
SEEDS = 3  # best hits whose story is looked up, in rank order; the first with a story wins


def gather(
    retriever: Retriever,
    query: TimelineQuery,
    k: int,
    as_of: date | None,
    stories: StoryLookup | None,
    min_similarity: float,
    max_points: int,
) -> tuple[list[Hit], list[Hit]]:
    """The candidates found for the topic, and the timeline's passages (oldest first; [] when
    no dated passage is relevant, and the question is then answered as an ordinary one)."""
    candidates = retriever.retrieve(query.topic, DEPTH * k, as_of)
    if not candidates or max(h.similarity for h in candidates) < min_similarity:
        return candidates, []
    members = _story(candidates, stories)
    if members:
        dates = dict(members)
        passages_of = getattr(retriever, "passages_of", None)  # an ArticleRetriever
        if passages_of is not None:
            hits = list(passages_of(query.topic, list(dates)))
        else:  # a plain Retriever: the story's articles among the candidates
            hits = _per_article([h for h in candidates if h.article_id in dates])
        # The story knows a date the chunk may lack (an article dated after it was stored).
        hits = [h if h.published_at else replace(h, published_at=dates.get(h.article_id, "")) for h in hits]
    else:
        hits = [h for h in _per_article(candidates) if h.similarity >= min_similarity]
    dated = [(day, h) for h in hits if (day := _day(h.published_at)) is not None and (as_of is None or day <= as_of)]
    if not dated:
        return candidates, []
    days = [day for day, _ in dated]
    first, last = query.bounds.resolve(min(days), max(days), as_of)
    inside = [(day, h) for day, h in dated if (first is None or day >= first) and (last is None or day <= last)]
    best = sorted(inside, key=lambda dh: -dh[1].similarity)[:max_points]
    return candidates, [h for _, h in sorted(best, key=lambda dh: (dh[0], -dh[1].similarity))]


def _story(candidates: list[Hit], stories: StoryLookup | None) -> list[tuple[str, str]]:
    """The members of the first story among the best candidates' articles ([] when none)."""
    if stories is None:
        return []
    seen: set[str] = set()
    for hit in candidates:
        if hit.article_id in seen or not hit.article_id:
            continue
        seen.add(hit.article_id)
        members = stories.members(hit.article_id)
        if len(members) > 1:
            return members
        if len(seen) == SEEDS:
            break
    return []


def _per_article(hits: list[Hit]) -> list[Hit]:
    """The first (best) hit of each article, in rank order."""
    best: dict[str, Hit] = {}
    for hit in hits:
        best.setdefault(hit.article_id or hit.chunk_id, hit)
    return list(best.values())


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
