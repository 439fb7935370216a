"""Whether an article joins a story: one pure decision, shared by ingest and the measurement.

An article joins the story of the most similar stored article that passes all three tests:

1. the two leads' vectors (each article's first passage, as stored) have a cosine similarity of
   at least ``Thresholds.similarity``;
2. they share at least ``Thresholds.min_shared`` entities (``entities``);
3. both are dated, at most ``Thresholds.window_days`` apart.

Only the ``CANDIDATES`` nearest stored leads are looked at, best first. An undated article
starts a story of its own and no article joins it: without a date nothing says two texts are
the same *developing* event rather than two events alike (a yearly summit, a recurring storm),
and a timeline has no place to put it. Joining follows the nearest qualifying article, so a
story can chain across more than the window while each step stays within it (a long-running
event told day by day).

``group`` runs the decision over a whole pool held in memory (vectors, days, entities), in
date order as ``table.StoryTable.update`` assigns a batch: ``evals.stories`` measures with it.
It leaves out storage, labels and the choice of thresholds (measured: see ``rag.settings``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

CANDIDATES = 10  # nearest stored leads looked at per new article


@dataclass(frozen=True)
class Thresholds:
    """When two articles are the same story (see the module)."""

    similarity: float
    min_shared: int
    window_days: int


@dataclass(frozen=True)
class Placed:
    """What the decision needs of an article already in a story."""

    story_id: str
    day: int | None  # days since 1970-01-01 (``index.chunk.published_day``); None: undated
    entities: frozenset[str]


def joins(
    candidates: Iterable[tuple[Placed, float]], day: int | None, entities: frozenset[str], limits: Thresholds
) -> str | None:
    """The story the article joins, or None for a new one; ``candidates`` best first, with similarity."""
    if day is None:
        return None
    for placed, similarity in candidates:
        if similarity < limits.similarity:
            return None  # best first: no later candidate is similar enough either
        if placed.day is None or abs(day - placed.day) > limits.window_days:
            continue
        if len(entities & placed.entities) >= limits.min_shared:
            return placed.story_id
    return None


def assignment_order(days: Sequence[int | None]) -> list[int]:
    """Indexes in the order articles are placed: by date, undated last, ties in the given order."""
    return sorted(range(len(days)), key=lambda i: (days[i] is None, days[i] or 0, i))


def group(
    vectors: np.ndarray,
    days: Sequence[int | None],
    entities: Sequence[frozenset[str]],
    limits: Thresholds,
    candidates: int = CANDIDATES,
) -> list[str]:
    """The story of each article of a pool (the index of its first article, as a string).

    Each article, in date order, looks at its ``candidates`` nearest leads in the whole pool and
    keeps those already placed, as ``update`` does with the leads stored in Chroma.
    """
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit.T  # the whole pool at once: n x n, fine for the thousands a measurement holds
    np.fill_diagonal(sims, -np.inf)
    k = min(candidates, len(days) - 1)
    near = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k > 0 else np.zeros((len(days), 0), dtype=int)
    story: list[str | None] = [None] * len(days)
    for i in assignment_order(days):
        row = near[i][np.argsort(-sims[i, near[i]], kind="stable")]
        found = [(Placed(story[j] or "", days[j], entities[j]), float(sims[i, j])) for j in row if story[j] is not None]
        story[i] = joins(found, days[i], entities[i], limits) or str(i)
    return [s or "" for s in story]
