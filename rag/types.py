"""Domain types of the query side: retrieved passages, citations and answers.

Plain dataclasses, JSON-ready through ``to_dict``; no llama-index or Chroma objects cross
the public API. The ingest-side types (``Article``, ``Chunk``) live in ``index.types``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass
class Hit:
    """A retrieved passage with the article it belongs to."""

    chunk_id: str
    text: str
    title: str
    source: str
    url: str = ""
    published_at: str = ""
    article_id: str = ""
    also_at: tuple[str, ...] = ()  # the same story's other URLs (syndicated copies)
    score: float = 0.0  # fused rank score: only comparable within one query
    similarity: float = 0.0  # cosine similarity to the question, -1..1


@dataclass
class Retrieved:
    """Streamed before the answer text: what was searched for and the passages found."""

    search_query: str
    hits: list[Hit]


@dataclass
class Queued:
    """Streamed while the answer waits for the model: how many answers are ahead of it."""

    ahead: int


@dataclass
class Citation:
    """A verified citation: passage ``n`` of the context supports part of the answer."""

    n: int
    title: str
    source: str
    url: str
    published_at: str
    quote: str
    chunk_id: str
    quote_start: int = 0  # character span of ``quote`` inside ``passage``
    quote_end: int = 0
    passage: str = ""
    also_at: tuple[str, ...] = ()  # the same story's other URLs (syndicated copies)


@dataclass(frozen=True)
class TimelinePoint:
    """One dated point of a timeline answer: a sentence, its article's date, its citation number."""

    published_at: str  # ISO date of the article the sentence comes from ("" when undated)
    text: str  # the sentence, with its [n] marker
    n: int  # the citation backing it


@dataclass(frozen=True)
class Verdict:
    """Why an answer was refused: the check that refused it (``rag.verify.checks``) and its reason."""

    check: str
    reason: str


@dataclass(frozen=True)
class Confidence:
    """How sure the model was of its short answer, from its token log-probabilities (``rag.verify.confidence``).

    Probabilities 0..1: ``start`` of the reply's first token (answering at all, rather than
    "I don't know"), ``first`` of the short answer's first token, ``mean`` the geometric mean
    over the short answer's tokens, ``least`` its least likely token.
    """

    start: float
    first: float
    mean: float
    least: float


@dataclass
class Answer:
    """What ``ask`` returns: the answer text with [n] markers, and what backs it."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    sources: list[Hit] = field(default_factory=list)
    backend: str = ""
    search_query: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    error: str = ""  # set when generation failed; ``sources`` still hold what was retrieved
    short_answer: str = ""  # the answer's first line when the model gave a short answer first
    verdict: Verdict | None = None  # set on a refusal: which check refused it and why
    reply: str = ""  # the model's text (its "Answer:" label off) before verification; for replays, not in to_dict
    timeline: list[TimelinePoint] = field(default_factory=list)  # set when answered as dated points (#21)
    # The story's articles newer than the one article all citations come from (the answer then
    # ends "(as of <date>; N newer articles on this story)"); [] otherwise.
    newer_articles: list[str] = field(default_factory=list)
    confidence: Confidence | None = None  # set when the generator reported token log-probabilities

    def newest_cited(self) -> date | None:
        """The publication date of the newest article a citation names (None: none is dated)."""
        days = [d for c in self.citations if (d := _day(c.published_at)) is not None]
        return max(days) if days else None

    def freshness(self, today: date | None = None) -> str:
        """How recent the answer's newest source is, in words ("" when no cited article is dated)."""
        newest = self.newest_cited()
        if newest is None or self.refused:
            return ""
        age = ((today or date.today()) - newest).days
        ago = "today" if age == 0 else "1 day old" if age == 1 else f"{age} days old" if age > 1 else "dated ahead"
        return f"Newest cited article: {newest.isoformat()} ({ago})."

    def to_dict(self, include_passages: bool = False) -> dict[str, Any]:
        """The JSON shape of ``newsrag ask --json``."""
        citations = []
        for c in self.citations:
            item = asdict(c)
            if not include_passages:
                item.pop("passage")
            citations.append(item)
        return {
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "refused": self.refused,
            "citations": citations,
            "backend": self.backend,
            "search_query": self.search_query,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "newest_cited": (newest.isoformat() if (newest := self.newest_cited()) else None),
            **({"error": self.error} if self.error else {}),
            **({"refusal": asdict(self.verdict)} if self.verdict else {}),
            **({"timeline": [asdict(p) for p in self.timeline]} if self.timeline else {}),
            **({"newer_articles": self.newer_articles} if self.newer_articles else {}),
            **({"confidence": asdict(self.confidence)} if self.confidence else {}),
        }


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def asked_on(given: date | None, default_today: bool) -> date | None:
    """The date a chat or API question is asked as of: the one given, else today when
    ``default_today`` (the ``answer_as_of_today`` setting), so the newest articles rank first."""
    return given if given is not None or not default_today else date.today()
