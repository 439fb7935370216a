"""What a timeline answer costs next to an ordinary one, on the RealTimeQA dev pool (issue #21).

    PYTHONPATH=. .venv/bin/python benchmarks/timeline_cost.py ../shared/datasets/realtimeqa-dev \\
        --articles 400 --questions 40

Ingests the first ``--articles`` articles of the pool (bundled MiniLM, one thread; ``--fake`` for
the bag-of-words test embedder) into a temporary index, then asks "Timeline of <headline>" for
``--questions`` dated articles taken at even steps through the pool: mechanical queries that
exercise the path, not an eval set (they have no gold points). Each is answered twice by the
same engine with the extractive backend: as a timeline (no story grouping: the fallback across
distinct candidate articles) and with timeline answers off. Reports median and p95 latency of
each, the points per timeline answer, the distinct dates they span, and how many fell back to an
ordinary answer. Prints Markdown; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

from evals.realtimeqa import build
from rag.api import NewsRAG
from rag.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pool", type=Path)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--fake", action="store_true", help="the test embedder instead of MiniLM")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        corpus_dir, _, _ = build(args.pool, Path(tmp) / "rtqa")
        rows = [json.loads(line) for line in (corpus_dir / "articles.jsonl").open(encoding="utf-8")]
        rows = rows[: args.articles]
        subset = Path(tmp) / "subset.jsonl"
        subset.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
        embedder = None
        if args.fake:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from tests.fakes import FakeEmbedder

            embedder = FakeEmbedder()
        settings = Settings(data_dir=Path(tmp) / "data", backend="extractive", local_threads=1)
        rag = NewsRAG(settings, embedder=embedder)
        t0 = time.perf_counter()
        rag.ingest([subset])
        ingest_s = time.perf_counter() - t0
        dated = [r for r in rows if r.get("published_at") and r.get("title")]
        step = max(1, len(dated) // args.questions)
        questions = [f"Timeline of {r['title']}" for r in dated[::step][: args.questions]]
        rag.engine.ask("warm up")
        timeline_s, ordinary_s, points, dates, fell_back = [], [], [], [], 0
        for q in questions:
            rag.engine.timeline_max_points = settings.timeline_max_points
            t = time.perf_counter()
            answer = rag.engine.ask(q)
            timeline_s.append(time.perf_counter() - t)
            if answer.timeline:
                points.append(len(answer.timeline))
                dates.append(len({p.published_at for p in answer.timeline}))
            else:
                fell_back += 1
            rag.engine.timeline_max_points = 0
            t = time.perf_counter()
            rag.engine.ask(q)
            ordinary_s.append(time.perf_counter() - t)
        print(
            f"{len(rows)} articles ({rag.store.count()} passages, ingested in {ingest_s:.0f} s), "
            f"{len(questions)} questions, embedder {rag.embedder.name}\n"
        )
        print("| answer | median ms | p95 ms |\n|---|---|---|")
        for name, times in (("timeline", timeline_s), ("ordinary (timelines off)", ordinary_s)):
            p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
            print(f"| {name} | {1000 * statistics.median(times):.0f} | {1000 * p95:.0f} |")
        if points:
            print(
                f"\npoints per timeline answer: median {statistics.median(points)}, max {max(points)}; "
                f"distinct dates: median {statistics.median(dates)}; fell back to ordinary: {fell_back}"
            )


if __name__ == "__main__":
    main()
