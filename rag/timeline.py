"""Recognise a question about change or sequence, and the stories it is answered from.

"How did the ceasefire terms change between Nov 20 and Nov 27?", "What has happened since the
truce began?", "Timeline of the Lebanon talks": such questions want dated points across a
story's articles, not the top-k most similar passages (``rag.retrieve.across`` gathers them,
``rag.generate.points`` writes them). ``timeline_query`` tells them apart by their grammar
alone (no model call), from the issue's phrasing and what English uses to ask about change
over time:

- asking for a timeline or order: "timeline of", "chronology of", "give me a timeline",
  "in what order", "sequence of events", "chronologically";
- asking what happened over a span: "what has happened", "what's happened", "what happened
  since/between/after/over …", "what led to …", "what (has) changed";
- "how" with a verb of change: "how did/has/have … change/evolve/develop/shift/progress/unfold";
- a span of dates ("since Nov 25", "between Nov 20 and Nov 27", "from … to …", "over the past
  two weeks") in an open "what did/has … " question. The dates become bounds, not search words.
  A span alone does not make a timeline of a question for one fact: of the 329 RealTimeQA dev
  questions (ordinary "this week" questions), 10 held a span ("closed since June 13. Why …?",
  "what percentage … since 2004?") and all were read as timelines before this rule; none after.
  A month is a whole word or an abbreviation with a period; one with neither day nor year
  ("since November") is a date only when no capitalised word follows it (else it is a first
  name), and "May", "March" and "August" alone only when capitalised (else the verb, the noun,
  the adjective): "after Mayor Adams …", "since Janet Yellen …", "after the march" give no date.

A question asking for one number ("How many … since Monday?") or for yes or no ("Has … changed
since …?") stays ordinary, as does "the timeline for the withdrawal" (a schedule, not a
history). The topic is the question without its framing words. Dates without a year ("Nov 25")
are resolved later against the story's own dates (``Bounds.resolve``), since a question may be
asked long after the events.

``StoryLookup`` is what the answer engine needs from story grouping (``index.stories``), and
``newer_in_story`` is the stale-fact flag's test. It does not group stories.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from rag.text import content_terms
from rag.types import Answer


class StoryLookup(Protocol):
    """The story an article belongs to (as grouped at ingest), seen from the answer engine."""

    def members(self, article_id: str) -> list[tuple[str, str]]:
        """(article_id, ISO date or "") of every article of ``article_id``'s story, the article
        itself included, oldest first; [] when the article belongs to no story."""
        ...


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
# A month is a whole word, or an abbreviation ending in a period: "Mayor", "Janet", "Marine",
# "Junior", "Decision", "Novak" and "Mar-a-Lago" hold no month.
_END = r"(?:\.|(?![\w-]))"
_MONTH = r"\b(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")" + _END
# A month with neither day nor year is one only where it reads as a date: written as a name, as
# "may" (the verb), "march" (the noun) and "august" (the adjective) are not, and not followed by a
# capitalised word, which makes it a first name ("since June Carter …", "after Jan Egeland …",
# "after May Day", "before March Madness").
_PLAIN = sorted((m for m in _MONTHS if m not in ("may", "march", "august")), key=len, reverse=True)
_LONE_MONTH = r"\b(?:(?-i:May|March|August)|" + "|".join(_PLAIN) + r")" + _END + r"(?!\s+(?-i:[A-Z]))"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?:19|20)\d\d(?!\d)"
# One date as a news question writes it: 2024-11-25, Nov 25(, 2024), 25 November (2024), November 2024.
_DATE = (
    rf"(?:\d{{4}}-\d\d-\d\d|{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|{_MONTH}\s+{_YEAR}|{_LONE_MONTH}|{_YEAR})"
)
_D = rf"(?:the\s+)?({_DATE})"
_SPANS = [  # (pattern, which bounds its dates give)
    (re.compile(rf"\b(?:between|from)\s+{_D}\s+(?:and|to|until|till|through)\s+{_D}", re.I), "both"),
    (re.compile(rf"\b(?:since|from|starting)\s+{_D}", re.I), "start"),
    (re.compile(rf"\bafter\s+{_D}", re.I), "after"),
    (re.compile(rf"\b(?:until|till|up\s+to|through)\s+{_D}", re.I), "end"),
    (re.compile(rf"\bbefore\s+{_D}", re.I), "before"),
]
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "few": 3, "several": 5}
_RECENT = re.compile(
    r"\b(?:over|in|during)\s+the\s+(?:past|last)\s+(?:(\d+|[a-z]+)\s+)?(day|week|month|year)s?\b", re.I
)
_AFTER_VERB = "since|between|over|after|before|from|during|throughout|in|on|at|following|when|as|until|through|so"
_CUES = [
    re.compile(p, re.I)
    for p in (
        r"\b(?:timeline|chronology)\s+of\b",
        r"\b(?:give|show|make|list|build|draw|write|need|want)\b.*\b(?:timeline|chronology)\b",
        r"\bchronological(?:ly)?\b",
        r"\b(?:in\s+)?(?:what|which)\s+order\b",
        r"\bsequence\s+of\s+(?:events|developments)\b",
        r"\bwhat(?:\s+(?:has|have)|'s)\s+happened\b",
        r"\bwhat\s+happened\s+(?:since|between|after|over|from|during)\b",
        r"\bwhat\s+(?:events\s+|developments\s+)?led\s+(?:up\s+)?to\b",
        r"\bwhat\s+(?:has\s+|have\s+|had\s+)?changed\b",
        # The verb used of the subject itself ("how did the terms change (between …)?"), not of an
        # object ("how did the lab develop the vaccine?": a process, not a history).
        r"\bhow\s+(?:did|has|have|had|do|does)\b.*\b(?:chang|evolv|develop|shift|progress|unfold)(?:e|ed|es|ing)?"
        rf"(?:\s*(?:[?.!,;]|$)|\s+(?:{_AFTER_VERB})\b)",
        r"\bwhat\s+(?:has|have)\b.*\bsince\b",
    )
]
# One number or a yes/no: "How many … since", "Has the deal changed since …?" stay ordinary.
_ORDINARY = re.compile(
    r"^\s*(?:how\s+(?:many|much|long|often)|(?:is|are|was|were|has|have|had|did|do|does|will|can|could|should)\b)",
    re.I,
)
_OPEN = re.compile(r"^\s*what(?:\s+(?:did|has|have|had|was|were|is|are)|'s)\b", re.I)
_ASKS_TIMELINE = re.compile(r"\b(?:timeline|chronology)\s+of\b|\bchronological", re.I)
_CHANGE = re.compile(r"\b(?:chang|evolv|develop|shift|progress|unfold)(?:e|ed|es|ing)?\b", re.I)
_FRAMING = re.compile(
    r"\b(?:give|show|make|list|build|draw|write)\s+(?:me\s+)?(?:a|the)?\s*|\b(?:timeline|chronology)(?:\s+of)?\b"
    r"|\b(?:in\s+)?chronological(?:ly)?(?:\s+order)?\b|\b(?:in\s+)?(?:what|which)\s+order\b|\bsequence\s+of\b"
    r"|\bwhat(?:\s+(?:has|have|had)|'s)?\s+(?:events\s+|developments\s+)?(?:happened|led\s+(?:up\s+)?to|changed)\b"
    r"|^\s*(?:how|what|who|when|where|which|please)\b|\b(?:did|has|have|had|do|does)\b"
    r"|\b(?:so\s+far|over\s+time|since|ever\s+since)\b"
    # Relative days say when, not what: they are no search words ("since Monday").
    r"|\b(?:(?:last|this|next)\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month|year)\b"
    r"|\b(?:yesterday|today|tonight)\b",
    re.I,
)


@dataclass(frozen=True)
class DayRef:
    """A date as the question wrote it: the year (and day) may be missing."""

    month: int | None
    day: int | None
    year: int | None

    def span(self, oldest: date, newest: date) -> tuple[date, date]:
        """The first and last day it names. A missing year is the one that puts the date nearest
        the articles found (``oldest`` to ``newest``): "since Nov 25" about a story of late 2024
        means 2024, whenever it is asked."""
        if self.month is None:  # a year alone
            year = self.year or newest.year
            return date(year, 1, 1), date(year, 12, 31)
        years = [self.year] if self.year else list(range(oldest.year - 1, newest.year + 2))
        spans = [self._in(year) for year in years]
        return min(reversed(spans), key=lambda span: _distance(span, oldest, newest))

    def _in(self, year: int) -> tuple[date, date]:
        assert self.month is not None
        last = calendar.monthrange(year, self.month)[1]
        return date(year, self.month, min(self.day or 1, last)), date(year, self.month, min(self.day or last, last))


def _distance(span: tuple[date, date], oldest: date, newest: date) -> int:
    """Days between ``span`` and the range ``oldest``..``newest`` (0 when they overlap)."""
    return max((span[0] - newest).days, (oldest - span[1]).days, 0)


@dataclass(frozen=True)
class Bounds:
    """The dates a timeline question is limited to, before a year is known."""

    start: DayRef | None = None
    end: DayRef | None = None
    start_after: bool = False  # "after Nov 25": the day itself is out
    end_before: bool = False  # "before Nov 25": likewise
    recent_days: int = 0  # "over the past two weeks": counted back from the reference date

    def resolve(self, oldest: date, newest: date, asked: date | None = None) -> tuple[date | None, date | None]:
        """First and last day inside the bounds, for a question whose relevant articles run from
        ``oldest`` to ``newest``; "the past two weeks" count back from ``asked`` (else ``newest``)."""
        last = None
        if self.end is not None:
            first_end, last_end = self.end.span(oldest, newest)
            last = first_end - timedelta(days=1) if self.end_before else last_end
        first = None
        if self.start is not None:
            first_start, last_start = self.start.span(oldest, min(newest, last) if last else newest)
            first = last_start + timedelta(days=1) if self.start_after else first_start
        if self.recent_days:
            first = (asked or newest) - timedelta(days=self.recent_days)
        return first, last


@dataclass(frozen=True)
class TimelineQuery:
    """A question about change or sequence: what to search for, and the dates it is limited to."""

    topic: str
    bounds: Bounds


def timeline_query(question: str) -> TimelineQuery | None:
    """The timeline reading of ``question``, or None when it is an ordinary question."""
    q = " ".join(question.split())
    bounds, rest = _bounds(q)
    cued = any(cue.search(q) for cue in _CUES)
    # A span of dates alone qualifies a fact as often as it asks for a history ("Which maker
    # recalled every car it has made since 2005?"): it makes a timeline only of an open "what"
    # question ("What did officials say between Nov 20 and Nov 27?").
    if not cued and (bounds == Bounds() or not _OPEN.search(q)):
        return None
    if _ORDINARY.search(q) and not _ASKS_TIMELINE.search(q):
        return None
    if re.match(r"\s*how\b", rest, re.I):  # "how did the terms change …": the last verb of change
        verbs = list(_CHANGE.finditer(rest))
        if verbs:
            rest = rest[: verbs[-1].start()] + rest[verbs[-1].end() :]
    topic = " ".join(_FRAMING.sub(" ", rest).replace("?", " ").split()).strip(" ,.;:")
    if not content_terms(topic):  # "What has happened since Monday?": nothing to search for
        return None
    return TimelineQuery(topic, bounds)


def _bounds(q: str) -> tuple[Bounds, str]:
    """The date bounds ``q`` gives, and ``q`` without the phrases that gave them."""
    for pattern, kind in _SPANS:
        m = pattern.search(q)
        if not m:
            continue
        rest = q[: m.start()] + " " + q[m.end() :]
        first = _day_ref(m.group(1))
        if kind == "both":
            return Bounds(start=first, end=_day_ref(m.group(2))), rest
        if kind in ("start", "after"):
            return Bounds(start=first, start_after=kind == "after"), rest
        return Bounds(end=first, end_before=kind == "before"), rest
    m = _RECENT.search(q)
    if m:
        count = m.group(1) or "a"
        n = int(count) if count.isdigit() else _NUMBERS.get(count.lower())
        if n is not None:
            return Bounds(recent_days=n * _UNITS[m.group(2).lower()]), q[: m.start()] + " " + q[m.end() :]
    return Bounds(), q


def _day_ref(text: str) -> DayRef:
    text = text.lower().replace(",", " ").replace(".", " ")
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text.strip()):
        d = date.fromisoformat(text.strip())
        return DayRef(d.month, d.day, d.year)
    month = next((_MONTHS[w] for w in text.split() if w in _MONTHS), None)
    year = next((int(w) for w in text.split() if re.fullmatch(_YEAR, w)), None)
    day = next((int(re.sub(r"\D", "", w)) for w in text.split() if re.fullmatch(_DAY, w)), None)
    return DayRef(month, day if month else None, year)


def stale_note(answer: Answer, stories: StoryLookup, as_of: date | None) -> tuple[str, list[str]]:
    """The note an answer gets when its facts may be stale, and the newer articles behind it.

    Only for an answer (not a refusal) whose citations all come from one dated article, when
    that article's story has newer articles (up to ``as_of``): "\n(as of 2024-11-22; 2 newer
    articles on this story)". An answer citing several articles is left alone: it already
    weighs more than one report. ("", []) when there is nothing to flag.
    """
    if answer.refused or answer.error or not answer.citations:
        return "", []
    article_of = {h.chunk_id: h.article_id for h in answer.sources}
    # Chunk ids are "<article_id>:<n>" (index.chunk): the fallback for a citation of no source.
    cited = {article_of.get(c.chunk_id) or c.chunk_id.rsplit(":", 1)[0] for c in answer.citations}
    dated = {c.published_at[:10] for c in answer.citations}
    if len(cited) != 1 or len(dated) != 1:
        return "", []
    (article_id,), (published,) = cited, dated
    newer = newer_in_story(stories, article_id, published, as_of)
    if not newer:
        return "", []
    plural = "s" if len(newer) > 1 else ""
    return f"\n(as of {published}; {len(newer)} newer article{plural} on this story)", newer


def newer_in_story(stories: StoryLookup, article_id: str, published_at: str, as_of: date | None) -> list[str]:
    """The articles of ``article_id``'s story dated after ``published_at`` (and not after
    ``as_of``, the date the question is asked at), oldest first: what makes a fact stale."""
    day = _iso(published_at)
    if day is None:
        return []
    newer = []
    for other, when in stories.members(article_id):
        d = _iso(when)
        if other != article_id and d is not None and d > day and (as_of is None or d <= as_of):
            newer.append(other)
    return newer


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
