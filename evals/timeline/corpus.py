"""A small RealTimeQA corpus for a timeline set: its gold articles plus same-topic distractors.

The whole RealTimeQA pool (1,989 articles) takes ~20 minutes to ingest on 2 cores; a timeline
question needs only its story's articles and the near misses around them. The corpus is:

- every gold article of the set's ``realtimeqa`` questions (an error when one is not in the pool);
- distractors: pool articles published within ``window_days`` before the question's first
  gold date to ``window_days`` after its last, whose headline shares a topic word with the
  question (words of 4+ letters that are not question words or month names) — the same
  story's other articles, other outlets' copies, and unrelated news that shares a word.
  Each question's candidates are ranked by how many topic words the headline holds, then
  by date and URL; they are taken round-robin across questions until ``cap`` articles.

Deterministic: the same pool and set give the same files. Writes ``articles.jsonl`` (title,
text, url, published_at, source) and ``manifest.json`` (which article is gold or a
distractor, and for which questions). Reading the pool follows ``evals.realtimeqa``:
every question's search results, deduplicated by URL, empty texts dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from evals.metrics import source_matches
from evals.timeline.gold import TimelineItem
from evals.timeline.score import tokens
from index.errors import InputError

CAP = 250
WINDOW_DAYS = 7
_QUESTION_WORDS = set(
    "what when where which have happened happen since give timeline change changed between from "
    "with that this after before into about their them they does progress next led lead "
    "january february march april june july august september october november december".split()
)


def _iso(raw: Any) -> str:
    try:
        return date.fromisoformat(str(raw).replace("/", "-")[:10]).isoformat()
    except ValueError:
        return ""


def read_pool(root: Path) -> dict[str, dict[str, str]]:
    """Every article of the RealTimeQA search results, by URL, in file order."""
    files = sorted((root / "gcs").glob("*_gcs.jsonl"))
    if not files:
        raise InputError(f"{root} is not a RealTimeQA folder: it has no gcs/*_gcs.jsonl files")
    pool: dict[str, dict[str, str]] = {}
    for path in files:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{path}:{lineno}: invalid JSON ({err.msg})") from None
            for result in row.get("search_result") or []:
                url, text = result.get("url"), (result.get("text") or "").strip()
                if url and text and url not in pool:
                    pool[url] = {
                        "title": result.get("title") or "",
                        "text": text,
                        "url": url,
                        "published_at": _iso(result.get("publish_date")),
                        "source": urlparse(url).netloc.removeprefix("www."),
                    }
    return pool


def topic_words(question: str) -> list[str]:
    seen: list[str] = []
    for word in tokens(question):
        if len(word) >= 4 and word.isalpha() and word not in _QUESTION_WORDS and word not in seen:
            seen.append(word)
    return seen


def _find(pool: dict[str, dict[str, str]], source: str) -> str | None:
    if source in pool:
        return source
    return next((url for url in pool if source_matches(url, [source])), None)


def select(
    pool: dict[str, dict[str, str]], items: Sequence[TimelineItem], cap: int = CAP, window_days: int = WINDOW_DAYS
) -> tuple[list[str], dict[str, list[str]]]:
    """Gold URLs, and distractor URLs with the ids of the questions that drew them."""
    items = [i for i in items if i.corpus == "realtimeqa"]
    gold: list[str] = []
    for item in items:
        for point in item.points:
            url = _find(pool, point.source)
            if url is None:
                raise InputError(f"{item.id}: gold source {point.source} is not in the RealTimeQA pool")
            if url not in gold:
                gold.append(url)
    ranked: list[list[str]] = []
    for item in items:
        days = [date.fromisoformat(p.date) for p in item.points]
        low = (min(days) - timedelta(days=window_days)).isoformat()
        high = (max(days) + timedelta(days=window_days)).isoformat()
        words = set(topic_words(item.question))
        scored = []
        for url, article in pool.items():
            if url in gold or not (low <= article["published_at"] <= high):
                continue
            shared = len(words & set(tokens(article["title"])))
            if shared:
                scored.append((-shared, article["published_at"], url))
        ranked.append([url for *_, url in sorted(scored)])
    drawn: dict[str, list[str]] = {}
    positions = [0] * len(items)
    while len(gold) + len(drawn) < cap and any(p < len(r) for p, r in zip(positions, ranked, strict=True)):
        for n, item in enumerate(items):
            while positions[n] < len(ranked[n]) and ranked[n][positions[n]] in drawn:
                drawn[ranked[n][positions[n]]].append(item.id)
                positions[n] += 1
            if positions[n] < len(ranked[n]) and len(gold) + len(drawn) < cap:
                drawn[ranked[n][positions[n]]] = [item.id]
                positions[n] += 1
    return gold, drawn


def build_corpus(
    root: Path, items: Sequence[TimelineItem], out_dir: Path, cap: int = CAP, window_days: int = WINDOW_DAYS
) -> Path:
    """Write ``articles.jsonl`` and ``manifest.json`` under ``out_dir``; returns the articles file."""
    if cap < 1:
        raise InputError(f"--cap must be at least 1, got {cap}")
    pool = read_pool(root)
    gold, drawn = select(pool, items, cap, window_days)
    if len(gold) > cap:
        raise InputError(f"the set has {len(gold)} gold articles, more than --cap {cap}: raise --cap")
    out_dir.mkdir(parents=True, exist_ok=True)
    articles = out_dir / "articles.jsonl"
    order = sorted([*gold, *drawn], key=lambda u: (pool[u]["published_at"], u))
    with articles.open("w", encoding="utf-8") as f:
        for url in order:
            f.write(json.dumps(pool[url], ensure_ascii=False) + "\n")
    manifest = {
        "pool": str(root),
        "cap": cap,
        "window_days": window_days,
        "gold": gold,
        "distractors": [{"url": u, "questions": q} for u, q in drawn.items()],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return articles
