"""Retrieval ablation on RealTimeQA: how often the gold answer reaches the model, per setting.

    .venv/bin/python benchmarks/rtqa_retrieval.py ../shared/datasets/realtimeqa-dev --work /tmp/rtqa-bench

Builds the pooled corpus (``evals.realtimeqa``) and ingests it into ``WORK/index`` with the
default settings unless an index is already there (``--index DIR`` reuses one), then runs
every question through each retrieval variant — no language model — and reports:

- answer-in-context at a context budget: the gold answer occurs in the passages that fit in
  BUDGET tokens (headline + text, MiniLM word pieces ≈ the LLM's tokens), taken in rank order;
- recall@k: the same for the top k passages;
- gold-article hit@1 and MRR@10 (questions with gold sources);
- retrieval latency p50/p95.

Each question is asked as of its own date (``question_date``), as ``newsrag eval`` does.
Prints a Markdown table and writes ``WORK/retrieval.json``; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals import metrics, realtimeqa
from evals.runner import article_ranking
from index.embed import token_counter
from rag import retrieve
from rag.api import NewsRAG
from rag.retrieve.hybrid import RRF_K, HybridRetriever
from rag.retrieve.select import select_context
from rag.settings import Settings

DEPTH = 20
BUDGETS = (600, 1000)
RECALL_K = (1, 3, 5, 10, 20, 50)

# Variants of the retriever, as changes to the default ("hybrid + 7 days"):
# mode, recency_days, recency_weight; select: sentences picked from the top N chunks
# (rag.retrieve.select); dedup: near-duplicate cosine threshold; rrf_k: the fusion constant;
# candidates: how deep each ranking goes before fusion.
DEFAULT: dict[str, Any] = {"mode": "hybrid", "recency_days": 7, "recency_weight": 1.0}
VARIANTS: dict[str, dict[str, Any]] = {
    "dense": {"mode": "dense", "recency_days": 0},
    "bm25": {"mode": "bm25", "recency_days": 0},
    "hybrid": {"recency_days": 0},
    "hybrid + 7 days": {},
    "hybrid + 7 days x2": {"recency_weight": 2.0},
    "hybrid + 7 days x4": {"recency_weight": 4.0},
    "hybrid + 3 days x2": {"recency_days": 3, "recency_weight": 2.0},
    "hybrid + 14 days x2": {"recency_days": 14, "recency_weight": 2.0},
    "bm25 + 7 days x2": {"mode": "bm25", "recency_weight": 2.0},
    "hybrid + 7 days, sentences of top 8": {"select": 8},
    "hybrid + 7 days, sentences of top 12": {"select": 12},
    "hybrid + 7 days, sentences of top 20": {"select": 20},
    "hybrid + 7 days, near-duplicates out (cosine 0.95)": {"dedup": 0.95},
    "hybrid + 7 days, near-duplicates out (cosine 0.9)": {"dedup": 0.9},
    "hybrid + 7 days, near-duplicates out (cosine 0.85)": {"dedup": 0.85},
    "hybrid + 7 days, RRF k 10": {"rrf_k": 10},
    "hybrid + 7 days, RRF k 5": {"rrf_k": 5},
    "hybrid + 7 days, 10 candidates per ranking": {"candidates": 10},
    "hybrid + 7 days, 40 candidates per ranking": {"candidates": 40},
    "hybrid + 7 days, 50 candidates per ranking": {"candidates": 50},  # recall@50: what a reranker could reach
    "hybrid + 7 days, coverage rerank": {"rerank": "coverage"},  # issue #19 (benchmarks/rank_levers.py)
}


def evaluate(
    retriever: HybridRetriever,
    items: list[Any],
    count: Any,
    select_from: int = 0,
    budgets: tuple[int, ...] = BUDGETS,
    depth: int = DEPTH,
) -> dict[str, Any]:
    """Score one retriever setting; ``depth`` hits per question (recall only up to it)."""
    aic = {b: [] for b in budgets}  # type: dict[int, list[float]]
    recall = {k: [] for k in RECALL_K}  # type: dict[int, list[float]]
    hit1, mrr, times = [], [], []
    for item in items:
        as_of = date.fromisoformat(item.date) if item.date else None
        t0 = time.perf_counter()
        hits = retriever.retrieve(item.question, depth, as_of)
        times.append(time.perf_counter() - t0)
        if item.answerable:
            for budget in budgets:
                if select_from:
                    chosen = select_context(item.question, hits[:select_from], budget, count)
                    aic[budget].append(metrics.answer_in_context([h.text for h in chosen], item.golds))
                    continue
                used, texts = 0, []
                for h in hits:
                    cost = len(count(h.title)) + len(count(h.text)) + 8  # + "[n] (date)" framing
                    if used + cost > budget:
                        break
                    used += cost
                    texts.append(h.text)
                aic[budget].append(metrics.answer_in_context(texts, item.golds))
            for k in (k for k in RECALL_K if k <= depth):
                recall[k].append(metrics.answer_in_context([h.text for h in hits[:k]], item.golds))
        if item.sources:
            ranking = article_ranking(hits)
            h, _ = metrics.hit_and_rr(ranking, item.sources, 1)
            _, rr = metrics.hit_and_rr(ranking, item.sources, 10)
            hit1.append(h)
            mrr.append(rr)
    ms = sorted(t * 1000 for t in times)
    return {
        **{f"aic@{b}tok": statistics.fmean(v) for b, v in aic.items()},
        **{f"recall@{k}": statistics.fmean(v) if v else None for k, v in recall.items()},
        "hit@1": statistics.fmean(hit1) if hit1 else None,
        "mrr@10": statistics.fmean(mrr) if mrr else None,
        "p50_ms": statistics.median(ms),
        "p95_ms": ms[int(0.95 * (len(ms) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="RealTimeQA folder (qa/, gcs/, gold/)")
    parser.add_argument("--work", type=Path, default=Path("rtqa-bench"), help="corpus, index and results go here")
    parser.add_argument("--index", type=Path, help="data dir of an existing index of the pooled corpus")
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    parser.add_argument("--budgets", type=int, nargs="+", help=f"context budgets in tokens (default: {BUDGETS})")
    args = parser.parse_args()
    budgets = tuple(args.budgets or BUDGETS)

    corpus, _, items = realtimeqa.build(args.data, args.work)
    data_dir = args.index or args.work / "index"
    rag = NewsRAG(Settings(data_dir=data_dir, backend="extractive"))
    if rag.store.count() == 0:
        t0 = time.perf_counter()
        rag.ingest([corpus])
        print(f"ingested {rag.store.count()} chunks in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    count = token_counter()
    retriever = rag.retriever
    retriever.warm()
    results = {}
    answerable = sum(1 for i in items if i.answerable)
    with_gold = sum(1 for i in items if i.sources)
    print(
        f"{len(items)} questions ({answerable} answerable, {with_gold} with gold articles), {rag.store.count()} chunks"
    )
    print()
    cols = (
        [f"aic@{b}tok" for b in budgets] + [f"recall@{k}" for k in RECALL_K] + ["hit@1", "mrr@10", "p50_ms", "p95_ms"]
    )
    print("| variant | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for name, change in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        v = {**DEFAULT, **change}
        # One retriever, its BM25 index built once, re-pointed per variant.
        retriever._mode, retriever._recency_days, retriever._recency_weight = (
            v["mode"],
            v["recency_days"],
            v["recency_weight"],
        )
        retriever._dedup_similarity = v.get("dedup", 1.0)
        retriever._rerank = v.get("rerank", "none")
        retriever._candidates = v.get("candidates", DEPTH)
        retrieve.RRF_K = v.get("rrf_k", RRF_K)
        # The retriever fuses max(k, candidates) per ranking: ask for as many as it fuses.
        row = evaluate(retriever, items, count, v.get("select", 0), budgets, v.get("candidates", DEPTH))
        results[name] = row
        cells = ["—" if row[c] is None else f"{row[c]:.3f}" if "ms" not in c else f"{row[c]:.0f}" for c in cols]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    (args.work / "retrieval.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
