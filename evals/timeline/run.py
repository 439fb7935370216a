"""Ask every question of a timeline set and score the answers against its gold points.

The corpus (a ``corpus`` folder for the ``realtimeqa`` questions, the bundled samples for
``samples`` questions) is ingested into ``OUT/data`` — a data dir of its own, never the
user's — so reruns reuse the index (unchanged files are skipped). Each question is asked
with ``as_of`` its date, as a user asking that day would; each result row (answer, its
points, citations, which gold points were found, metrics, timings) is appended to
``OUT/results.jsonl`` as soon as it is known, so an interrupted run continues where it
stopped. ``OUT/summary.json`` holds the means and the ingest time. Scoring is ``score``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals import metrics
from evals.timeline.gold import TimelineItem
from evals.timeline.score import score_answer
from index.errors import ConfigError, InputError
from rag import factory
from rag.api import SAMPLES_DIR, NewsRAG
from rag.settings import Settings
from rag.types import Answer

Progress = Callable[[str, int, int], None]


def make_settings(base: Settings, overrides: dict[str, Any], out_dir: Path) -> Settings:
    try:
        settings = Settings.model_validate({**base.model_dump(), **overrides, "data_dir": out_dir / "data"})
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"bad value for {name}: {first['msg']}") from None
    if factory.resolve_backend(settings)[0] == "local" and settings.local_model_path is None:
        # The verified model file the user already has, not a 1.1 GB copy under OUT.
        settings = settings.model_copy(update={"local_model_path": factory.local_model_path(base)})
    return settings


def corpus_paths(items: Sequence[TimelineItem], corpus_dir: Path | None) -> list[Path]:
    paths: list[Path] = []
    if any(i.corpus == "realtimeqa" for i in items):
        if corpus_dir is None or not corpus_dir.is_dir():
            raise InputError(
                "--corpus-dir: give the folder `python -m evals.timeline build-corpus` wrote "
                "(the set has RealTimeQA questions)"
            )
        paths.append(corpus_dir)
    if any(i.corpus == "samples" for i in items):
        paths.append(SAMPLES_DIR)
    return paths


def result_row(item: TimelineItem, answer: Answer) -> dict[str, Any]:
    scored = score_answer(answer, item.points)
    return {
        "id": item.id,
        "question": item.question,
        "kind": item.kind,
        "date": item.date,
        "answer": answer.answer,
        "refused": answer.refused,
        "error": answer.error,
        "timeline": [asdict(p) for p in answer.timeline],
        "points": scored["points"],
        "citations": [
            {
                "n": c.n,
                "title": c.title,
                "url": c.url,
                "source": c.source,
                "published_at": c.published_at,
                "quote": c.quote,
            }
            for c in answer.citations
        ],
        "gold": [{**asdict(p), "found": f} for p, f in zip(item.points, scored["found"], strict=True)],
        "metrics": scored["metrics"],
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
    }


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-question means of each metric (over the questions it applies to), and all points pooled."""
    values: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row["metrics"].items():
            if value is not None:
                values.setdefault(key, []).append(float(value))
    found = sum(g["found"] for r in rows for g in r["gold"])
    total = sum(len(r["gold"]) for r in rows)
    answers = [r["timings"]["total"] for r in rows if "total" in r["timings"]]
    return {
        "questions": len(rows),
        "errors": sum(1 for r in rows if r["error"]),
        "metrics": {k: sum(v) / len(v) for k, v in sorted(values.items())},
        "counts": {k: len(v) for k, v in sorted(values.items())},
        "gold_points": {"found": found, "total": total, "share": found / total if total else None},
        "timeline_answers": sum(1 for r in rows if r["timeline"]),
        "answer_seconds": {"p50": metrics.percentile(answers, 50), "p95": metrics.percentile(answers, 95)}
        if answers
        else {},
    }


def _done_rows(path: Path, wanted: set[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break  # a line cut short by an interruption: it and what follows are redone
            if row.get("id") in wanted:
                rows.append(row)
    return rows


def run(
    items: Sequence[TimelineItem],
    corpus_dir: Path | None,
    out_dir: Path,
    settings: Settings,
    fresh: bool = False,
    progress: Progress | None = None,
    rag: NewsRAG | None = None,
) -> dict[str, Any]:
    """Ingest, answer and score every item; returns the summary (also in ``OUT/summary.json``)."""
    paths = corpus_paths(items, corpus_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    meta_path, results_path = out_dir / "config.json", out_dir / "results.jsonl"
    meta = {
        "backend": settings.backend,
        "top_k": settings.top_k,
        "timeline_answers": settings.timeline_answers,
        "stories": settings.stories,
        "corpus": [str(p) for p in paths],
    }
    if meta_path.exists() and not fresh and json.loads(meta_path.read_text()) != meta:
        raise ConfigError(f"{out_dir} holds results of another configuration: use --fresh, or another --out")
    if fresh:
        results_path.unlink(missing_ok=True)
    meta_path.write_text(json.dumps(meta, indent=2))
    rag = rag or NewsRAG(settings)
    if progress:
        progress("ingesting", 0, 0)
    started = time.perf_counter()
    report = rag.ingest(paths)
    ingest_seconds = time.perf_counter() - started
    if not rag.store.count():
        raise InputError(f"corpus: nothing could be ingested from {', '.join(map(str, paths))}")
    rows = _done_rows(results_path, {i.id for i in items})
    done = {r["id"] for r in rows}
    with results_path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        for n, item in enumerate(items):
            if progress:
                progress("answering", n, len(items))
            if item.id in done:
                continue
            as_of = date.fromisoformat(item.date) if item.date else None
            row = result_row(item, rag.ask(item.question, as_of=as_of))
            rows.append(row)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
    order = {i.id: n for n, i in enumerate(items)}
    rows.sort(key=lambda r: order[r["id"]])
    summary = {
        "backend": rag.generator.name,
        "retrieval": f"{settings.retrieval_mode}, top {settings.top_k}",
        "ingest": {
            "articles": len(rag.articles()),
            "chunks": rag.store.count(),
            "ingested_now": {"articles": report.articles, "chunks": report.chunks},
            "seconds": round(ingest_seconds, 1),  # 0 work when the index under OUT/data was reused
        },
        **summarize(rows),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
