"""Measure story grouping on the RealTimeQA pool: the data behind the ``story_*`` settings.

``python -m evals.stories REALTIMEQA_DIR --out DIR [--labels FILE] [--overhead N]`` loads the pool
the way ``evals.duplicates`` does (every question's search results, deduplicated by URL, cleaned
as ingest cleans), makes each article's first passage exactly as ingest does (``index.chunk``:
headline, date, opening, 200 word pieces) and embeds only that with the bundled MiniLM on one
thread (cached in ``DIR/leads.npy``), then runs ``index.stories.group.group`` — the decision ingest
uses — over those vectors, dates and entities:

- ``summary.json``: stories at the configured thresholds (sizes, articles grouped);
- ``candidates.jsonl``: pairs to label by reading them, seeded: pairs the grouping put together,
  pairs it split that pass two of the three tests (near the thresholds), random pairs published
  within a week of each other, and pairs only looser thresholds group (so a sweep toward them is
  scored on what they add); each with its similarity, shared entities, days apart and whether
  it was grouped;
- with ``--labels`` (JSONL: url_a, url_b, label "same" or "different", reason): precision and recall
  of "same story" at the configured thresholds and over a sweep (``SIMILARITIES`` x ``MIN_SHARED``
  x ``WINDOWS``), each run regrouping the whole pool, and ``labelled.jsonl``: the labels with each
  pair's scores and whether the configured thresholds group it (``tests/data/story_pairs.jsonl``
  is this file);
- with ``--overhead N``: N pool articles (seeded sample, 10 files of N/10) ingested by ``NewsRAG``
  with the real embedder on one thread, stories off, then ``Stories.update`` timed after each file:
  update seconds per article against ingest seconds per article.

It leaves out choosing the thresholds: they are read off the output into ``rag.settings``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from evals.duplicates import load_pool
from index.chunk import chunk_articles, make_splitter, published_day
from index.embed import token_counter
from index.stories.entities import entities
from index.stories.group import Thresholds, group
from index.types import Article
from rag.settings import load_settings

# The sweep: every combination of these
SIMILARITIES = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
MIN_SHARED = (0, 1, 2, 3)
WINDOWS = (3, 7, 14)
_OPENING = 4000  # characters: the first passage is made from the opening alone (and identically)


def leads(articles: list[Article]) -> tuple[list[str], list[str]]:
    """Each article's first passage: the text ingest embeds (headline, date, opening) and the passage."""
    from llama_index.core.schema import MetadataMode

    s = load_settings()
    splitter = make_splitter(token_counter(), s.chunk_tokens, s.chunk_overlap)
    embedded, passages = [], []
    for a in articles:
        opening = Article(a.article_id, a.title, a.text[:_OPENING], a.source, a.file_path, a.url, a.published_at)
        first = chunk_articles([opening], "", splitter, limit=0)[0]
        embedded.append(first.get_content(metadata_mode=MetadataMode.EMBED))
        passages.append(first.get_content(metadata_mode=MetadataMode.NONE))
    return embedded, passages


def embed(texts: list[str], cache: Path) -> np.ndarray:
    if cache.is_file():
        vectors = np.load(cache)
        if len(vectors) == len(texts):
            return vectors
    import torch

    from index.embed import MiniLMEmbedder

    torch.set_num_threads(1)
    vectors = np.asarray(MiniLMEmbedder(threads=1).embed(texts), dtype=np.float32)
    np.save(cache, vectors)
    return vectors


def pair_features(
    i: int, j: int, unit: np.ndarray, days: list[int | None], ents: list[frozenset[str]]
) -> dict[str, Any]:
    apart = abs(days[i] - days[j]) if days[i] is not None and days[j] is not None else None  # type: ignore[operator]
    return {"similarity": round(float(unit[i] @ unit[j]), 4), "shared": len(ents[i] & ents[j]), "days": apart}


def candidates(
    stories: list[str],
    unit: np.ndarray,
    days: list[int | None],
    ents: list[frozenset[str]],
    limits: Thresholds,
    seed: int = 0,
) -> list[tuple[str, int, int]]:
    """Pairs to label: (kind, i, j), grouped / near the thresholds / random same week."""
    rng = random.Random(seed)
    grouped = _together(stories)
    n = len(stories)
    sims = unit @ unit.T
    near = []
    for i in range(n):
        for j in np.argsort(-sims[i])[1:11]:
            j = int(j)
            if i < j and stories[i] != stories[j]:
                f = pair_features(i, j, unit, days, ents)
                passes = [
                    f["similarity"] >= limits.similarity,
                    f["shared"] >= limits.min_shared,
                    f["days"] is not None and f["days"] <= limits.window_days,
                ]
                if sum(passes) == 2 and f["similarity"] >= limits.similarity - 0.1:
                    near.append((i, j))
    dated = [i for i in range(n) if days[i] is not None]
    week: list[tuple[int, int]] = []
    while len(week) < 40:
        i, j = rng.sample(dated, 2)
        if abs(days[i] - days[j]) <= 7:  # type: ignore[operator]
            week.append((min(i, j), max(i, j)))
    picked = [("grouped", i, j) for i, j in rng.sample(grouped, min(40, len(grouped)))]
    picked += [("near", i, j) for i, j in rng.sample(near, min(30, len(near)))]
    picked += [("week", i, j) for i, j in week[:30]]
    # What looser thresholds would add: without these, a sweep toward looser settings is scored
    # only on pairs the chosen ones already grouped, and looks better than it is.
    wider = Thresholds(limits.similarity - 0.1, max(0, limits.min_shared - 1), limits.window_days * 2)
    looser = group(unit, days, ents, wider)
    added = [(i, j) for i, j in _together(looser) if stories[i] != stories[j]]
    picked += [("looser", i, j) for i, j in rng.sample(added, min(30, len(added)))]
    return picked


def _together(stories: list[str]) -> list[tuple[int, int]]:
    by_story: dict[str, list[int]] = {}
    for i, s in enumerate(stories):
        by_story.setdefault(s, []).append(i)
    return [p for members in by_story.values() if len(members) > 1 for p in combinations(members, 2)]


def score(labelled: list[dict[str, Any]], stories: list[str], index: dict[str, int]) -> dict[str, Any]:
    """Precision and recall of "same story" on the labelled pairs, for one grouping of the pool."""
    said = [stories[index[p["url_a"]]] == stories[index[p["url_b"]]] for p in labelled]
    same = [p["label"] == "same" for p in labelled]
    hits = sum(s and t for s, t in zip(said, same, strict=True))
    return {
        "precision": round(hits / sum(said), 3) if any(said) else 1.0,
        "recall": round(hits / sum(same), 3) if any(same) else 1.0,
        "grouped": sum(said),
    }


def overhead(articles: list[Article], n: int, work: Path) -> dict[str, Any]:
    """Ingest ``n`` sampled articles in 10 files with MiniLM on one thread; time ingest and story updates."""
    import torch

    from rag.api import NewsRAG

    torch.set_num_threads(1)
    sample = random.Random(1).sample(articles, n)
    # Stories off: ingest runs without the hook, which is then timed alone on the same table.
    rag = NewsRAG(load_settings(data_dir=work / "data", backend="extractive", stories=False))
    ingest_s = update_s = 0.0
    step = max(1, n // 10)
    for k in range(0, n, step):
        path = work / f"batch{k:04d}.jsonl"
        rows = [
            {
                "title": a.title,
                "text": a.text,
                "url": a.url,
                "published_at": a.published_at.isoformat() if a.published_at else None,
            }
            for a in sample[k : k + step]
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        start = time.perf_counter()
        rag.ingest([path])
        ingest_s += time.perf_counter() - start
        start = time.perf_counter()
        rag.stories.table.update(rag.store, rag.stories.limits)
        update_s += time.perf_counter() - start
    return {
        "articles": n,
        "chunks": rag.store.count(),
        "ingest_ms_per_article": round(ingest_s * 1000 / n, 1),
        "update_ms_per_article": round(update_s * 1000 / n, 1),
        "overhead": round(update_s / ingest_s, 4),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m evals.stories", description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="RealTimeQA folder (qa/, gcs/)")
    parser.add_argument("--out", type=Path, required=True, help="folder for summary.json, candidates.jsonl")
    parser.add_argument("--labels", type=Path, help="hand-labelled pairs (JSONL: url_a, url_b, label)")
    parser.add_argument("--overhead", type=int, default=0, help="time ingest and story updates on N articles")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    articles = load_pool(args.root, args.out / "pool")
    embedded, passages = leads(articles)
    vectors = embed(embedded, args.out / "leads.npy")
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    days = [published_day(a.published_at) if a.published_at else None for a in articles]
    ents = [entities(a.title, p) for a, p in zip(articles, passages, strict=True)]
    s = load_settings()
    limits = Thresholds(s.story_similarity, s.story_min_shared_entities, s.story_window_days)
    start = time.perf_counter()
    stories = group(vectors, days, ents, limits)
    sizes = sorted((stories.count(x) for x in set(stories)), reverse=True)
    summary: dict[str, Any] = {
        "articles": len(articles),
        "undated": sum(d is None for d in days),
        "thresholds": limits.__dict__,
        "group_s": round(time.perf_counter() - start, 2),
        "stories": len(sizes),
        "stories_of_2_or_more": sum(x > 1 for x in sizes),
        "articles_in_them": sum(x for x in sizes if x > 1),
        "largest": sizes[:10],
    }
    index = {a.url or "": i for i, a in enumerate(articles)}
    with (args.out / "candidates.jsonl").open("w", encoding="utf-8") as f:
        for kind, i, j in candidates(stories, unit, days, ents, limits):
            row = {
                "kind": kind,
                "url_a": articles[i].url,
                "url_b": articles[j].url,
                **pair_features(i, j, unit, days, ents),
                "grouped": stories[i] == stories[j],
                "title_a": articles[i].title,
                "title_b": articles[j].title,
                "date_a": str(articles[i].published_at),
                "date_b": str(articles[j].published_at),
                "lead_a": passages[i][:400],
                "lead_b": passages[j][:400],
                "shared_entities": sorted(ents[i] & ents[j]),
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.labels:
        rows = [json.loads(x) for x in args.labels.read_text(encoding="utf-8").splitlines() if x.strip()]
        labelled = [r for r in rows if r["url_a"] in index and r["url_b"] in index]
        summary["labels"] = {
            "pairs": len(labelled),
            "same": sum(r["label"] == "same" for r in labelled),
            "at_thresholds": score(labelled, stories, index),
        }
        sweep = []
        for sim in SIMILARITIES:
            for shared in MIN_SHARED:
                for window in WINDOWS:
                    grouping = group(vectors, days, ents, Thresholds(sim, shared, window))
                    sweep.append(
                        {"similarity": sim, "min_shared": shared, "window": window, **score(labelled, grouping, index)}
                    )
        summary["sweep"] = sweep
        mark = f"{limits.similarity}/{limits.min_shared}/{limits.window_days}"
        with (args.out / "labelled.jsonl").open("w", encoding="utf-8") as f:
            for r in labelled:
                i, j = index[r["url_a"]], index[r["url_b"]]
                row = {k: r[k] for k in ("url_a", "url_b", "label", "reason", "sample") if k in r}
                row |= {**pair_features(i, j, unit, days, ents), "grouped": stories[i] == stories[j], "at": mark}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.overhead:
        with tempfile.TemporaryDirectory() as work:
            summary["overhead"] = overhead(articles, args.overhead, Path(work))
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k != "sweep"}, indent=2))
    return summary


if __name__ == "__main__":
    main()
