"""Embedding throughput against what the CPU can do (issue 6, benchmark 3).

    .venv/bin/python benchmarks/embed_throughput.py ../shared/datasets/realtimeqa-dev --work /tmp/rtqa-embed
    .venv/bin/python benchmarks/embed_throughput.py ../shared/datasets/realtimeqa-dev --work /tmp/rtqa-embed \
        --batches 8 --threads 2 --dtypes float32 bfloat16

Takes real passages — the RealTimeQA pool's first ``--articles`` articles, cleaned and
chunked as ``newsrag ingest`` does (headline and date in front) — and embeds them with the
bundled all-MiniLM-L6-v2 at several batch sizes, thread counts and precisions (``--dtypes``,
as ``NEWSRAG_EMBED_DTYPE`` sets them; float32 only by default, as before the setting). Reports
passages/s and the fraction of the machine's measured matmul rate in the same precision that
the useful work reaches:

- useful work: the model's forward FLOPs on each passage's real length (no padding),
  counted from its config — per layer and token 2·(4h² + 2h·i) for the projections and
  feed-forward, plus 4·n·h for attention over a passage of n word pieces;
- the machine's rate: the median of large matmuls in the row's precision with the same
  thread count.

A row in another precision than float32 also gets its speed as a multiple of the float32 row
with the same threads and batch, and the min and median cosine between its vectors and that
row's vectors of the same passages (when float32 is among ``--dtypes``).

Prints Markdown and writes ``WORK/embed.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llama_index.core.schema import MetadataMode

from evals import realtimeqa
from index.chunk import chunk_articles, make_splitter
from index.embed import MiniLMEmbedder, bundled_minilm_path, token_counter
from index.load import load_file, read_limited


def passages(corpus: Path, articles: int, work: Path) -> list[str]:
    lines = corpus.read_text(encoding="utf-8").splitlines()[:articles]
    part = work / "sample.jsonl"
    part.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_file(part, read_limited(part))
    nodes = chunk_articles(loaded.articles, loaded.file_hash, make_splitter(token_counter(), 200, 30))
    return [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]


def model_flops(lengths: list[int]) -> float:
    """Forward FLOPs of MiniLM on passages of these lengths (special tokens included)."""
    config = json.loads((bundled_minilm_path() / "config.json").read_text())
    h, inter, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    total = 0.0
    for n in lengths:
        per_token = 2 * (4 * h * h + 2 * h * inter) + 4 * n * h
        total += layers * n * per_token
    return total


def matmul_rate(threads: int, dtype: str = "float32", size: int = 1024, repeats: int = 9) -> float:
    import torch

    torch.set_num_threads(threads)
    kind = getattr(torch, dtype)
    a, b = torch.randn(size, size, dtype=kind), torch.randn(size, size, dtype=kind)
    torch.matmul(a, b)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        times.append(time.perf_counter() - t0)
    return 2 * size**3 / statistics.median(times)


def embed_rate(texts: list[str], batch: int, threads: int, runs: int, dtype: str) -> tuple[float, Any]:
    """Passages/s (median of ``runs``) and the last run's vectors."""
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    embedder = MiniLMEmbedder(batch_size=batch, dtype=dtype)
    embedder.embed(texts[:batch])  # load and warm up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        vectors = embedder.embed(texts)
        times.append(time.perf_counter() - t0)
    return len(texts) / statistics.median(times), np.asarray(vectors)


def against_float32(rows: list[dict[str, Any]], vectors: dict[tuple[int, int, str], Any]) -> None:
    """Add each non-float32 row's speed-up and cosines against the float32 row of the same threads and batch."""
    import numpy as np

    rates = {(r["threads"], r["batch"]): r["passages_per_s"] for r in rows if r["dtype"] == "float32"}
    for r in rows:
        key = (r["threads"], r["batch"])
        if r["dtype"] == "float32" or key not in rates:
            continue
        cosines = np.sum(vectors[(*key, "float32")] * vectors[(*key, r["dtype"])], axis=1)
        r["vs_float32"] = r["passages_per_s"] / rates[key]
        r["cosine_min"], r["cosine_median"] = float(cosines.min()), float(np.median(cosines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="RealTimeQA folder (qa/, gcs/, gold/)")
    parser.add_argument("--work", type=Path, default=Path("rtqa-embed"))
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dtypes", nargs="+", choices=["float32", "bfloat16"], default=["float32"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    corpus = realtimeqa.build(args.data, args.work)[0] / "articles.jsonl"
    texts = passages(corpus, args.articles, args.work)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(bundled_minilm_path()))
    lengths = [min(len(tok(t)["input_ids"]), 256) for t in texts]
    flops = model_flops(lengths)
    print(
        f"{len(texts)} passages from {args.articles} articles, median {statistics.median(lengths)} word pieces; "
        f"{flops / len(texts) / 1e9:.2f} GFLOP per passage",
        file=sys.stderr,
    )
    rows: list[dict[str, Any]] = []
    vectors: dict[tuple[int, int, str], Any] = {}
    for threads in args.threads:
        for dtype in args.dtypes:
            peak = matmul_rate(threads, dtype)
            for batch in args.batches:
                rate, vectors[(threads, batch, dtype)] = embed_rate(texts, batch, threads, args.runs, dtype)
                achieved = rate * flops / len(texts)
                rows.append(
                    {
                        "threads": threads,
                        "batch": batch,
                        "dtype": dtype,
                        "passages_per_s": rate,
                        "gflops": achieved / 1e9,
                        "matmul_gflops": peak / 1e9,
                        "fraction": achieved / peak,
                    }
                )
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    against_float32(rows, vectors)
    (args.work / "embed.json").write_text(json.dumps({"passages": len(texts), "rows": rows}, indent=2))
    print(
        "| threads | batch | dtype | passages/s | × float32 | cosine to float32 (min / median) | useful GFLOP/s "
        "| matmul GFLOP/s (same dtype) | fraction of matmul rate |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['vs_float32']:.2f}" if "vs_float32" in r else "—"
        cosine = f"{r['cosine_min']:.5f} / {r['cosine_median']:.5f}" if "cosine_min" in r else "—"
        print(
            f"| {r['threads']} | {r['batch']} | {r['dtype']} | {r['passages_per_s']:.1f} | {ratio} | {cosine} | "
            f"{r['gflops']:.1f} | {r['matmul_gflops']:.1f} | {r['fraction']:.0%} |"
        )


if __name__ == "__main__":
    main()
