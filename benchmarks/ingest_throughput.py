"""Ingest throughput against a plain llama-index pipeline, and re-ingest (issue 6, benchmarks 1–2).

    .venv/bin/python benchmarks/ingest_throughput.py ../shared/datasets/realtimeqa-dev --work /tmp/rtqa-ingest

The RealTimeQA dev article pool (1,989 articles in one JSONL file; ``--articles N`` for the
first N) is ingested, each run in a fresh process and a fresh data dir, by:

- ``newsrag``: ``NewsRAG.ingest`` — parsing, boilerplate cleaning, attribution, dedup,
  256-word-piece chunks with the headline and date in front, embedding, Chroma;
- ``llama-index default``: what the starter tutorial leads a user to write — one
  ``Document`` per article (headline + text), ``VectorStoreIndex.from_documents`` into a
  ``ChromaVectorStore`` with the same embedder (bundled MiniLM, same batch size) and the
  default ``SentenceSplitter`` (1,024 tokens, 200 overlap; MiniLM reads only the first 256
  word pieces of each, so most of each chunk is never embedded);
- ``llama-index, 200-token chunks``: the same with ``SentenceSplitter(200, 30)``, chunks the
  size of ours, which isolates the cost of our extra work;
- ``newsrag, float32 embeddings``: ``newsrag`` with ``EMBED_DTYPE=float32``, what every CPU
  ran before issue #29 (the other pipelines embed as ``auto`` picks: bfloat16 on a CPU with
  native bf16). Compare the two with ``--only newsrag "newsrag, float32 embeddings" "llama-index default"``.

Then, in newsrag's data dir: the unchanged pool again (nothing re-embedded), and the pool
with one article edited (only its chunks re-embedded). Rows alternate between pipelines
for ``--runs`` rounds; medians and ratios within the run are reported, with each child's
peak RSS. Prints Markdown and writes ``WORK/ingest.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PIPELINES = ("newsrag", "newsrag, float32 embeddings", "llama-index default", "llama-index, 200-token chunks")


def child(kind: str, corpus: Path, data_dir: Path) -> dict[str, Any]:
    """Run one ingest in this process; returns its measurements."""
    t0 = time.perf_counter()
    if kind.startswith("newsrag"):
        from rag.api import NewsRAG
        from rag.settings import Settings

        # "newsrag" embeds as the settings say (bfloat16 where the CPU has it); the float32 run is
        # what every CPU got before issue #29.
        dtype = "float32" if "float32" in kind else "auto"
        rag = NewsRAG(Settings(data_dir=data_dir, backend="extractive", embed_dtype=dtype))
        report = rag.ingest([corpus])
        seconds = time.perf_counter() - t0
        out = {
            "articles": len(rag.articles()),
            "chunks": rag.store.count(),
            "embedded": report.embedded,
            "failed": len(report.failed),
        }
    else:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from index.embed import LlamaIndexEmbedding, MiniLMEmbedder

        docs = []
        with corpus.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                docs.append(
                    Document(
                        text=f"{row.get('title', '')}\n\n{row['text']}",
                        metadata={"title": row.get("title", ""), "url": row.get("url", "")},
                    )
                )
        client = chromadb.PersistentClient(path=str(data_dir), settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.get_or_create_collection("plain", embedding_function=None)
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        kwargs: dict[str, Any] = {}
        if kind.endswith("200-token chunks"):
            kwargs["transformations"] = [SentenceSplitter(chunk_size=200, chunk_overlap=30)]
        VectorStoreIndex.from_documents(
            docs, storage_context=storage, embed_model=LlamaIndexEmbedding(MiniLMEmbedder()), **kwargs
        )
        seconds = time.perf_counter() - t0
        out = {"articles": len(docs), "chunks": collection.count(), "embedded": collection.count(), "failed": 0}
    out["seconds"] = seconds
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run(kind: str, corpus: Path, data_dir: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, str(corpus), str(data_dir)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-2000:]}")
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    row["kind"] = kind
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def edit_one(corpus: Path, target: Path) -> None:
    """Write the corpus to ``target`` with the text of its middle article changed (same headline)."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    middle = len(lines) // 2
    row = json.loads(lines[middle])
    row["text"] = row["text"] + "\n\nUpdate: this article was corrected after publication."
    lines[middle] = json.dumps(row)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="RealTimeQA folder (qa/, gcs/, gold/)")
    parser.add_argument("--work", type=Path, default=Path("rtqa-ingest"))
    parser.add_argument("--articles", type=int, default=0, help="only the first N articles (0: all)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=PIPELINES, help="first-ingest pipelines to run (default: all)")
    args = parser.parse_args()
    pipelines = [k for k in PIPELINES if not args.only or k in args.only]
    if "newsrag" not in pipelines or "llama-index default" not in pipelines:
        parser.error("--only must keep newsrag and llama-index default (the re-ingest and the ratio need them)")

    from evals import realtimeqa

    corpus = realtimeqa.build(args.data, args.work)[0] / "articles.jsonl"
    if args.articles:
        lines = corpus.read_text(encoding="utf-8").splitlines()[: args.articles]
        corpus = args.work / f"pool-{args.articles}" / "articles.jsonl"
        corpus.parent.mkdir(exist_ok=True)
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows: list[dict[str, Any]] = []
    for r in range(args.runs):
        for kind in pipelines:
            data_dir = args.work / "runs" / f"{kind.replace(' ', '_').replace(',', '')}-{r}"
            shutil.rmtree(data_dir, ignore_errors=True)
            rows.append(run(kind, corpus, data_dir))
        ours = args.work / "runs" / f"newsrag-{r}"
        rows.append(run("newsrag unchanged re-ingest", corpus, ours))
        # The edit goes into the same path, so the index sees a changed file; then it is undone.
        original = args.work / "articles.orig"
        shutil.copy(corpus, original)
        edit_one(original, corpus)
        try:
            rows.append(run("newsrag, one article edited", corpus, ours))
        finally:
            shutil.copy(original, corpus)
    (args.work / "ingest.json").write_text(json.dumps(rows, indent=2))

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rows if r["kind"] == kind)

    base = med("llama-index default", "seconds")
    first = med("newsrag", "seconds")
    print(f"{med('newsrag', 'articles'):.0f} articles; medians of {args.runs} run(s)\n")
    print("| pipeline | seconds | articles/s | chunks | chunks/s | embedded | peak RSS | vs llama-index default |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in [*pipelines, "newsrag unchanged re-ingest", "newsrag, one article edited"]:
        s = med(kind, "seconds")
        print(
            f"| {kind} | {s:.1f} | {med(kind, 'articles') / s:.1f} | {med(kind, 'chunks'):.0f} | "
            f"{med(kind, 'chunks') / s:.0f} | {med(kind, 'embedded'):.0f} | {med(kind, 'peak_rss_mb'):.0f} MB | "
            f"{base / s:.2f}× |"
        )
    print(f"\nre-ingest of the unchanged pool: {first / med('newsrag unchanged re-ingest', 'seconds'):.0f}× faster")


if __name__ == "__main__":
    main()
