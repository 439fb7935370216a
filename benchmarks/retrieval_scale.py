"""Retrieval latency as the index grows: 2k, 20k and 200k chunks (issue 6, benchmark 4).

    .venv/bin/python benchmarks/retrieval_scale.py ../shared/datasets/realtimeqa-dev \\
        --work /tmp/rtqa-scale --index /tmp/rtqa-bench/index

Starts from a real index of the RealTimeQA pool (``--index``: the data dir that
``benchmarks/rtqa_retrieval.py`` builds; ~29k chunks of 1,989 articles). Each size gets its own
embedded Chroma collection under ``WORK``, built once and reused:

- smaller than the pool: a random sample of its chunks;
- larger: the pool plus copies of it, each copy's vectors moved by a little noise (so the
  HNSW graph is not full of exact duplicates) and its articles dated 11 weeks later per copy
  — a longer archive with the same number of articles per week, so a question's 7-day window
  holds about as many chunks at every size.

Then the pool's questions (the first ``--queries``) are asked as of their dates through the
product's ``HybridRetriever`` and each stage is timed on its own: the query embedding, the
dense search (Chroma HNSW), BM25 scoring, the date window's dense and BM25 rankings, and
the whole ``retrieve`` call with and without an as-of date. Also the one-off cost of loading
the chunk table (and BM25) and its memory. Prints Markdown; writes ``WORK/scale.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals import realtimeqa
from index.chunk import UNDATED, published_day
from index.store.clients import persistent_client
from index.store.collection import ChromaStore
from rag.api import NewsRAG
from rag.retrieve.hybrid import HybridRetriever
from rag.settings import Settings

SHIFT_DAYS = 77  # each synthetic copy of the pool is dated 11 weeks later
NOISE = 0.02
DEPTH = 20
K = 4


def build(store: ChromaStore, nodes: list[Any], vectors: np.ndarray, size: int, seed: int = 1) -> None:
    """Fill ``store`` with ``size`` chunks made from the pool (sampled or copied)."""
    rng = np.random.default_rng(seed)
    if size <= len(nodes):
        picks = sorted(random.Random(seed).sample(range(len(nodes)), size))
        batches = [(0, picks)]
    else:
        batches = []
        left, copy = size, 0
        while left > 0:
            take = list(range(min(left, len(nodes))))
            batches.append((copy, take))
            left -= len(take)
            copy += 1
    for copy, picks in batches:
        for start in range(0, len(picks), 5000):
            part = picks[start : start + 5000]
            made = []
            moved = vectors[part]
            if copy:
                moved = moved + rng.normal(scale=NOISE, size=moved.shape).astype(np.float32)
                moved /= np.linalg.norm(moved, axis=1, keepdims=True)
            for i, vec in zip(part, moved, strict=True):
                node = nodes[i].model_copy(deep=True)
                if copy:
                    node.id_ = f"{node.node_id}#{copy}"
                    day = node.metadata.get("published_day", UNDATED)
                    if isinstance(day, int) and day != UNDATED:
                        node.metadata["published_day"] = day + SHIFT_DAYS * copy
                node.metadata["file_path"] = f"synthetic-{copy}-{start}"
                node.embedding = vec.tolist()
                made.append(node)
            store.replace_file(f"synthetic-{copy}-{start}", made)
        print(f"  copy {copy}: {store.count()} chunks", file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(store: ChromaStore, embedder: Any, items: list[Any]) -> dict[str, Any]:
    retriever = HybridRetriever(store, embedder, "hybrid", candidates=DEPTH, recency_days=7)
    before = rss_mb()
    load_ms = timed(retriever.warm)
    table = retriever._chunk_table(store.count())
    row: dict[str, Any] = {
        "chunks": store.count(),
        "load_s": load_ms / 1000,
        "peak_rss_growth_mb": rss_mb() - before,
    }
    stages: dict[str, list[float]] = {
        k: [] for k in ("embed", "dense", "bm25", "window dense", "window bm25", "retrieve", "retrieve as of")
    }
    window_sizes = []
    for item in items:
        as_of = date.fromisoformat(item.date)
        q = embedder.embed_query(item.question)
        last = published_day(as_of)
        mask = table.inside((last - 7, last))
        window_sizes.append(int(mask.sum()))
        scores = table.bm25.scores(item.question)
        stages["embed"].append(timed(lambda: embedder.embed_query(item.question)))  # noqa: B023
        stages["dense"].append(timed(lambda: store.nearest_ids(q, DEPTH)))  # noqa: B023
        stages["bm25"].append(timed(lambda: table.bm25.top(table.bm25.scores(item.question), DEPTH)))  # noqa: B023
        stages["window dense"].append(timed(lambda: table.nearest(q, DEPTH, mask)))  # noqa: B023
        stages["window bm25"].append(timed(lambda: table.bm25.top(scores, DEPTH, mask)))  # noqa: B023
        stages["retrieve"].append(timed(lambda: retriever.retrieve(item.question, K)))  # noqa: B023
        stages["retrieve as of"].append(timed(lambda: retriever.retrieve(item.question, K, as_of)))  # noqa: B023
    row["window_chunks_median"] = statistics.median(window_sizes)
    for name, values in stages.items():
        values.sort()
        row[f"{name} p50"] = statistics.median(values)
        row[f"{name} p95"] = values[int(0.95 * (len(values) - 1))]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="RealTimeQA folder (qa/, gcs/, gold/)")
    parser.add_argument("--work", type=Path, default=Path("rtqa-scale"), help="synthetic indexes and results go here")
    parser.add_argument("--index", type=Path, required=True, help="data dir of an index of the pooled corpus")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 200000])
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()

    _, _, items = realtimeqa.build(args.data, args.work)
    items = [i for i in items if i.date][: args.queries]
    pool = NewsRAG(Settings(data_dir=args.index, backend="extractive"))
    nodes, vectors = pool.store.all_chunks()
    embedder = pool.embedder
    embedder.embed_query("warm up")
    print(f"pool: {len(nodes)} chunks; {len(items)} questions", file=sys.stderr)
    rows = []
    for size in args.sizes:
        path = args.work / f"scale-{size}"
        store = ChromaStore(persistent_client(path), "scale", embedder.name)
        if store.count() != size:
            print(f"building {size} chunks in {path}", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            build(store, nodes, vectors, size)
            print(f"  built in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        rows.append(measure(store, embedder, items))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    (args.work / "scale.json").write_text(json.dumps(rows, indent=2))

    stages = ["embed", "dense", "bm25", "window dense", "window bm25", "retrieve", "retrieve as of"]
    print("| chunks | " + " | ".join(f"{s} p50 / p95 (ms)" for s in stages) + " | table load | window chunks |")
    print("|---" * (len(stages) + 3) + "|")
    for row in rows:
        cells = [f"{row[f'{s} p50']:.1f} / {row[f'{s} p95']:.1f}" for s in stages]
        print(
            f"| {row['chunks']:,} | "
            + " | ".join(cells)
            + f" | {row['load_s']:.1f} s, +{row['peak_rss_growth_mb']:.0f} MB | {row['window_chunks_median']:.0f} |"
        )


if __name__ == "__main__":
    main()
