"""Timeline eval sets: questions about change over time, each with gold dated points.

One question a line (JSON): ``id``, ``question``, ``date`` (asked as of; ISO), ``corpus``
(``realtimeqa`` or ``samples``: which articles it is asked over), optional ``kind``
(``since``, ``change``, ``timeline``, ``led_to``), and ``points``: 1+ objects with ``date`` (the
publication date of the article that reports it), ``fact`` (what happened, for people),
``keywords`` (words or numbers a correct point must contain) and ``source`` (the article's
URL, or a sample file name). A bad line is an ``InputError`` naming the line and field.
Loading only; scoring is ``score``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from index.errors import InputError

CORPORA = ("realtimeqa", "samples")


@dataclass(frozen=True)
class GoldPoint:
    date: str
    fact: str
    keywords: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class TimelineItem:
    id: str
    question: str
    date: str | None
    corpus: str
    kind: str
    points: tuple[GoldPoint, ...]


def _iso(value: Any, where: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InputError(f"{where}: 'date' must be an ISO date like 2022-08-04, got {value!r}") from None


def _text(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: field '{name}' is missing or not a non-empty string")
    return value.strip()


def parse_point(data: Any, where: str) -> GoldPoint:
    if not isinstance(data, dict):
        raise InputError(f"{where}: a point must be a JSON object with date, fact, keywords, source")
    keywords = data.get("keywords")
    if not isinstance(keywords, list) or not keywords or not all(isinstance(k, str) and k.strip() for k in keywords):
        raise InputError(f"{where}: 'keywords' must be a non-empty list of words a correct point contains")
    return GoldPoint(
        date=_iso(_text(data, "date", where), where),
        fact=_text(data, "fact", where),
        keywords=tuple(k.strip() for k in keywords),
        source=_text(data, "source", where),
    )


def parse_item(data: Any, where: str) -> TimelineItem:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object")
    corpus = _text(data, "corpus", where)
    if corpus not in CORPORA:
        raise InputError(f"{where}: 'corpus' must be one of {', '.join(CORPORA)}, got {corpus!r}")
    points = data.get("points")
    if not isinstance(points, list) or not points:
        raise InputError(f"{where}: 'points' must be a non-empty list of gold dated points")
    when = data.get("date")
    return TimelineItem(
        id=_text(data, "id", where),
        question=_text(data, "question", where),
        date=_iso(when, where) if when else None,
        corpus=corpus,
        kind=str(data.get("kind") or ""),
        points=tuple(parse_point(p, f"{where}: point {n}") for n, p in enumerate(points, 1)),
    )


def load_timeline_set(path: Path) -> list[TimelineItem]:
    """Read and validate a timeline set; raises ``InputError`` at the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise InputError(f"cannot read timeline set {path}: {err.strerror or err}") from err
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text: save the set as UTF-8 JSONL") from None
    items: list[TimelineItem] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: invalid JSON ({err.msg}): fix the line") from None
        item = parse_item(data, where)
        if any(i.id == item.id for i in items):
            raise InputError(f"{where}: duplicate id {item.id!r}: ids must be unique")
        items.append(item)
    if not items:
        raise InputError(f"{path}: no questions: add one JSON object per line")
    return items
