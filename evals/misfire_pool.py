"""The inputs of the rule-misfire harness (``evals.misfires``), read from RealTimeQA folders.

Given folders laid out as ``qa/WEEK_qa.jsonl`` and ``gcs/WEEK_gcs.jsonl`` (paths are arguments;
the data is not shipped), ``load`` returns:

- ``questions``: every question (``question_sentence``), its gold choice text (``choices`` at
  the first ``answer`` index) and the question before it in the same folder (week order), for
  the follow-up rule; the first question of a folder has none;
- for each question, the sentences of its own search results that hold the gold choice as
  words (case-insensitive; up to ``GOLD_SENTENCES``), each also with ``WINDOW`` sentences either
  side (a passage as retrieval would give it);
- ``sentences``: the distinct headlines and body sentences of the pooled articles (deduplicated
  by URL), split with the product's splitter, optionally a seeded sample of them;
- ``dates_no_year`` / ``dates_no_day``: the distinct date phrases of those sentences that give a
  month and day but no year ("May 5", "Tuesday, Nov. 22", "June 12-13") or a month and year but
  no day ("November 2024"), found by this module's own pattern (not the product's);
- ``articles``: title and raw text of every pooled article, for the cleaning rule.

It does not call any rule, and imports nothing of the product: the splitter is passed in, so
the caller chooses which checkout's splitter that is.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Split = Callable[[str], list[tuple[int, int]]]
GOLD_SENTENCES = 3
WINDOW = 2
_MIN_GOLD_CHARS = 3

_MONTH = (
    r"(?<![\w-])(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)"
)
_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
_NO_YEAR = re.compile(
    rf"{_WEEKDAY}{_MONTH}\s+(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?:\s*[-–]\s*(?:[12]\d|3[01]|0?[1-9]))?"
    r"(?![\d:,.]*\d)(?!,?\s+(?:of\s+)?(?:19|20)\d\d)(?![\w%])"
)
_NO_DAY = re.compile(rf"{_MONTH}\s+(?:19|20)\d\d(?!\d)")
_DAY_BEFORE = re.compile(r"(?:\d|\d(?:st|nd|rd|th)|\bof)\s*$")


@dataclass
class Pool:
    """Everything the rules read, as items (dicts with a ``key``)."""

    questions: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)
    dates_no_year: list[dict[str, Any]] = field(default_factory=list)
    dates_no_day: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    sentences_total: int = 0  # before sampling

    def items(self, pool: str) -> list[dict[str, Any]]:
        """The items of one pool, by the name a rule gives (``pairs``, ``gold``: subsets of questions)."""
        if pool == "pairs":
            return [q for q in self.questions if q["previous"]]
        if pool == "gold":
            return [q for q in self.questions if q["gold_sentences"]]
        found: list[dict[str, Any]] = getattr(self, pool)
        return found


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _gold(row: dict[str, Any]) -> str:
    choices = [str(c) for c in row.get("choices") or []]
    answer = row.get("answer") or []
    try:
        return choices[int(answer[0])] if choices and answer else ""
    except (ValueError, IndexError):
        return ""


def _gold_passages(gold: str, results: Sequence[dict[str, Any]], split: Split) -> tuple[list[str], list[str]]:
    """(sentences holding ``gold``, each with ``WINDOW`` sentences either side) from search results."""
    if len(gold.strip()) < _MIN_GOLD_CHARS:
        return [], []
    pattern = re.compile(rf"(?<!\w){re.escape(gold.strip())}(?!\w)", re.IGNORECASE)
    sentences: list[str] = []
    windows: list[str] = []
    for result in results:
        text = result.get("text") or ""
        spans = split(text)
        for i, (start, end) in enumerate(spans):
            if pattern.search(text[start:end]) and text[start:end] not in sentences:
                sentences.append(text[start:end])
                lo, hi = spans[max(0, i - WINDOW)][0], spans[min(len(spans) - 1, i + WINDOW)][1]
                windows.append(text[lo:hi])
                if len(sentences) == GOLD_SENTENCES:
                    return sentences, windows
    return sentences, windows


def date_phrases(sentence: str) -> tuple[list[str], list[str]]:
    """(month-and-day phrases with no year, month-and-year phrases with no day) in ``sentence``."""
    no_year = [m.group() for m in _NO_YEAR.finditer(sentence)]
    no_day = [m.group() for m in _NO_DAY.finditer(sentence) if not _DAY_BEFORE.search(sentence[: m.start()])]
    return no_year, no_day


def load(roots: Sequence[Path], split: Split, max_sentences: int = 0, seed: int = 0) -> Pool:
    """The pool of ``roots`` (RealTimeQA folders); ``max_sentences`` > 0 samples the sentences."""
    pool = Pool()
    articles: dict[str, dict[str, Any]] = {}
    for root in roots:
        results: dict[str, list[dict[str, Any]]] = {}
        for path in sorted((root / "gcs").glob("*_gcs.jsonl")):
            for row in _jsonl(path):
                found = [r for r in row.get("search_result") or [] if (r.get("text") or "").strip()]
                results[row["question_id"]] = found
                for r in found:
                    if r.get("url"):
                        articles.setdefault(r["url"], r)
        previous = ""
        for path in sorted((root / "qa").glob("*_qa.jsonl")):
            for row in _jsonl(path):
                question, gold = row["question_sentence"], _gold(row)
                sentences, windows = _gold_passages(gold, results.get(row["question_id"], []), split)
                pool.questions.append(
                    {
                        "key": row["question_id"],
                        "set": root.name,
                        "question": question,
                        "previous": previous,
                        "gold": gold,
                        "gold_sentences": sentences,
                        "gold_windows": windows,
                    }
                )
                previous = question
    seen: set[str] = set()
    no_year: dict[str, str] = {}
    no_day: dict[str, str] = {}
    for url, article in articles.items():
        pool.articles.append({"key": url, "title": article.get("title") or "", "text": article["text"]})
        for part, text in (("title", article.get("title") or ""), ("text", article["text"])):
            for start, end in split(text):
                sentence = text[start:end]
                if sentence in seen:
                    continue
                seen.add(sentence)
                pool.sentences.append({"key": f"{url}#{part}{start}", "text": sentence})
                years, days = date_phrases(sentence)
                for phrase in years:
                    no_year.setdefault(phrase, sentence)
                for phrase in days:
                    no_day.setdefault(phrase, sentence)
    pool.sentences_total = len(pool.sentences)
    if 0 < max_sentences < len(pool.sentences):
        picked = sorted(random.Random(seed).sample(range(len(pool.sentences)), max_sentences))
        pool.sentences = [pool.sentences[i] for i in picked]
    pool.dates_no_year = [{"key": p, "text": p, "sentence": s[:300]} for p, s in no_year.items()]
    pool.dates_no_day = [{"key": p, "text": p, "sentence": s[:300]} for p, s in no_day.items()]
    return pool
