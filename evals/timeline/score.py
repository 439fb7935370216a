"""Score an answer against a timeline question's gold dated points.

Three measures per question, each a pure function of the ``Answer`` and the gold points:

- **points found** (``point_recall``): a gold point is found when some answer point carries
  the gold date and contains every one of its keywords. An answer point is a
  ``TimelinePoint`` (date, sentence); a plain answer (empty ``timeline``) is cut into
  sentences and each sentence with an ``[n]`` marker becomes one point per date of the
  articles it cites — so today's plain answers are scored by the same rule.
  ``found_any_date`` counts keywords found at any date (what the answer knows, dated or not).
- **citation precision**: the share of distinct cited articles that are gold sources.
- **order**: ``dates_ascending`` — the answer's dated points never go back in time;
  ``gold_order`` — the share of pairs of found gold points (with different dates) that the
  answer gives in gold date order, each at its first matching point (Kendall-style);
  ``order_correct`` — both hold (all pairs). Each is None when there is nothing to order
  (fewer than two dated points, or two found gold points).

Keywords match whole words after normalisation (lowercase, thousands separators and
currency/percent signs dropped, number words one–twenty as digits); an alphabetic keyword
may end inside a word ("invit" matches "invited"), a number may not ("9" does not match
"19"). Reading gold files is ``gold``; running questions is ``run``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from evals.metrics import source_matches
from rag.text import MARKER_RE, split_sentences
from rag.types import Answer

_NUMBER_WORDS = {
    w: str(n)
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NON_WORD = re.compile(r"(?:(?<!\d)\.|\.(?!\d)|[^\w.])+")


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``: what keywords are matched against."""
    text = _THOUSANDS.sub("", text.lower().replace("’", "'"))
    words = _NON_WORD.sub(" ", text.replace("_", " ")).split()
    return [_NUMBER_WORDS.get(w, w) for w in words]


def contains_keyword(text_tokens: Sequence[str], keyword: str) -> bool:
    """Whether the keyword's words occur in a row; an alphabetic last word may be a prefix."""
    want = tokens(keyword)
    if not want:
        return False
    n = len(want)
    for i in range(len(text_tokens) - n + 1):
        window = text_tokens[i : i + n]
        if window[:-1] != want[:-1]:
            continue
        last, got = want[-1], window[-1]
        if got == last or (last.isalpha() and got.startswith(last)):
            return True
    return False


_LEADING_MARKERS = re.compile(r"(?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])+")


def _numbers(text: str) -> list[int]:
    return [int(n) for m in MARKER_RE.finditer(text) for n in m.group(1).split(",")]


@dataclass(frozen=True)
class Point:
    """One dated statement of an answer (date "" when its article is undated)."""

    date: str
    text: str


def answer_points(answer: Answer) -> list[Point]:
    """The answer's dated points, in the order the answer gives them."""
    if answer.refused:
        return []
    if answer.timeline:
        return [Point(p.published_at[:10], MARKER_RE.sub("", p.text).strip()) for p in answer.timeline]
    dates = {c.n: (c.published_at or "")[:10] for c in answer.citations}
    sentences: list[tuple[str, list[int]]] = []
    for start, end in split_sentences(answer.answer):
        sentence = answer.answer[start:end]
        lead = _LEADING_MARKERS.match(sentence)
        if lead and sentences:  # "… nine years. [2]": a marker after the full stop cites the sentence before
            sentences[-1][1].extend(_numbers(lead.group()))
            sentence = sentence[lead.end() :]
        sentences.append((MARKER_RE.sub("", sentence).strip(), _numbers(sentence)))
    points: list[Point] = []
    for text, cited in sentences:
        seen: list[str] = []
        for n in cited:
            if n in dates and dates[n] not in seen:
                seen.append(dates[n])
                points.append(Point(dates[n], text))
    return points


def _cited_articles(answer: Answer) -> list[str]:
    seen: list[str] = []
    for c in answer.citations:
        key = (c.url or c.source).rstrip("/")  # "…/plea/" and "…/plea" are one article
        if key and key not in seen:
            seen.append(key)
    return seen


def score_answer(answer: Answer, gold: Sequence[Any]) -> dict[str, Any]:
    """Every timeline metric for one answer; ``gold`` holds ``GoldPoint``s (date, keywords, source)."""
    points = answer_points(answer)
    point_tokens = [tokens(p.text) for p in points]
    first_match: list[int | None] = []
    any_date = 0
    for g in gold:
        hits = [i for i, toks in enumerate(point_tokens) if all(contains_keyword(toks, k) for k in g.keywords)]
        any_date += bool(hits)
        dated = [i for i in hits if points[i].date == g.date]
        first_match.append(dated[0] if dated else None)
    found = [(g.date, i) for g, i in zip(gold, first_match, strict=True) if i is not None]

    dated_points = [p.date for p in points if p.date]
    ascending = all(a <= b for a, b in pairwise(dated_points)) if len(dated_points) > 1 else None
    pairs = [(a, b) for x, a in enumerate(found) for b in found[x + 1 :] if a[0] != b[0]]
    concordant = sum((a[0] < b[0]) == (a[1] < b[1]) for a, b in pairs)
    gold_order = concordant / len(pairs) if pairs else None
    if ascending is None and gold_order is None:
        order_correct = None
    else:
        order_correct = float(ascending is not False and gold_order in (None, 1.0))

    cited = _cited_articles(answer)
    sources = [g.source for g in gold]
    precision = sum(any(source_matches(c, [s]) for s in sources) for c in cited) / len(cited) if cited else None
    return {
        "points": [{"date": p.date, "text": p.text} for p in points],
        "found": [i is not None for i in first_match],
        "metrics": {
            "point_recall": len(found) / len(gold) if gold else None,
            "found_any_date": any_date / len(gold) if gold else None,
            "citation_precision": precision,
            "dates_ascending": None if ascending is None else float(ascending),
            "gold_order": gold_order,
            "order_correct": order_correct,
            "refused": float(answer.refused),
        },
    }
