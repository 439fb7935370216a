"""Measure near-duplicate articles in the RealTimeQA pool: the data behind ``index.web.dedupe``.

``python -m evals.duplicates REALTIMEQA_DIR --out DIR [--labels FILE] [--embed [--chunked N]]`` loads the
pool the way ``evals.realtimeqa`` builds it (every question's search results, deduplicated
by URL) and cleans it the way ingest does (``index.load``), then:

- scores every pair of articles sharing at least ``MIN_SHARED`` rare shingles (an inverted
  index over shingles found in at most ``MAX_DF`` articles, so not all 2M pairs) with
  containment (``dedupe.resemblance``) and Jaccard, and writes ``pairs.jsonl`` (pairs scoring
  0.1 or more, best first) and the score histogram and copy-group counts in ``summary.json``;
- with ``--labels`` (a JSONL of hand-labelled pairs: url_a, url_b, label "same", "different" or
  "junk": both pages are boilerplate only, left out of the counts), precision and recall of each
  threshold for both measures;
- with ``--embed``, the bundled MiniLM on one thread embeds each article's headline and lead
  (``dedupe.lead``) into an in-memory Chroma store holding one record per article, and reports
  the candidate recall of ``CopyFinder.nearest_articles`` on the labelled copies and the cost of
  ``CopyFinder.find`` per article; with ``--chunked N``, the same on a store of the labelled
  copies and N other articles (seeded sample) ingested, chunks and all, as ``newsrag ingest`` does.

It leaves out choosing the threshold: that is read off the output and written into ``dedupe``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

from evals.realtimeqa import build
from index.embed import Embedder
from index.load import load_file
from index.store.collection import ChromaStore
from index.types import Article
from index.web.dedupe import MIN_SHINGLES, THRESHOLD, CopyFinder, containment, lead, shingles

MAX_DF = 50  # a shingle in more articles than this is boilerplate, not a copied sentence
MIN_SHARED = 5
THRESHOLDS = [round(0.05 * i, 2) for i in range(2, 20)]
RANKS = (1, 2, 3, 5, 10, 20)


def load_pool(root: Path, work: Path) -> list[Article]:
    """The pool's articles, cleaned as ingest cleans them."""
    corpus_dir, _, _ = build(root, work)
    return load_file(corpus_dir / "articles.jsonl").articles


def score_pairs(articles: list[Article]) -> list[dict[str, Any]]:
    """Every pair sharing ``MIN_SHARED`` rare shingles, with its containment and Jaccard."""
    sets = [shingles(a.text) for a in articles]
    postings: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for h in s:
            postings[h].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for docs in postings.values():
        if 1 < len(docs) <= MAX_DF:
            shared.update(combinations(docs, 2))
    pairs = []
    for (i, j), n in shared.items():
        if n < MIN_SHARED:
            continue
        a, b = sets[i], sets[j]
        pairs.append(
            {
                "i": i,
                "j": j,
                "url_a": articles[i].url,
                "url_b": articles[j].url,
                "title_a": articles[i].title,
                "title_b": articles[j].title,
                "containment": round(containment(a, b), 4),
                "jaccard": round(len(a & b) / len(a | b), 4),
                "shingles_a": len(a),
                "shingles_b": len(b),
            }
        )
    return sorted(pairs, key=lambda p: -p["containment"])


def copy_groups(n: int, pairs: list[dict[str, Any]], threshold: float) -> list[list[int]]:
    """Connected groups of articles joined by pairs at or above ``threshold`` (union-find)."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p["containment"] >= threshold:
            parent[root(p["i"])] = root(p["j"])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[root(i)].append(i)
    return [g for g in groups.values() if len(g) > 1]


def precision_recall(labelled: list[dict[str, Any]], key: str, threshold: float) -> dict[str, float]:
    """Of the "same"/"different" pairs (not "junk": two boilerplate-only pages), as in the labels test."""
    labelled = [p for p in labelled if p["label"] in ("same", "different")]
    said = [p for p in labelled if p[key] >= threshold]
    same = [p for p in labelled if p["label"] == "same"]
    hits = sum(p["label"] == "same" for p in said)
    return {
        "threshold": threshold,
        "precision": round(hits / len(said), 3) if said else 1.0,
        "recall": round(hits / len(same), 3) if same else 1.0,
        "flagged": len(said),
    }


def label_report(labels_file: Path, pairs: list[dict[str, Any]]) -> dict[str, Any]:
    by_urls = {frozenset((p["url_a"], p["url_b"])): p for p in pairs}
    labelled = []
    for line in labels_file.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            scored = by_urls.get(frozenset((row["url_a"], row["url_b"])))
            if scored is not None:
                labelled.append({**scored, "label": row["label"]})
    return {
        "labelled": len(labelled),
        "same": sum(p["label"] == "same" for p in labelled),
        "junk": sum(p["label"] == "junk" for p in labelled),
        "containment": [precision_recall(labelled, "containment", t) for t in THRESHOLDS],
        "jaccard": [precision_recall(labelled, "jaccard", t) for t in THRESHOLDS],
        "pairs": labelled,
    }


def embed_report(articles: list[Article], same_pairs: list[dict[str, Any]], chunked: int, work: Path) -> dict[str, Any]:
    """Candidate recall of the embedding step and find() cost, with MiniLM on one thread.

    On a store of every article's lead (one record each), and with ``chunked``, on a store of the
    labelled copies and ``chunked`` sampled others, ingested (chunked, embedded) as newsrag does.
    """
    import chromadb
    import torch
    from chromadb.config import Settings

    from index.embed import MiniLMEmbedder

    torch.set_num_threads(1)
    embedder = MiniLMEmbedder(threads=1)
    client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
    store = ChromaStore(client, f"dup-{uuid.uuid4().hex[:8]}", embedder.name)
    start = time.perf_counter()
    vectors = embedder.embed([lead(a.title, a.text) for a in articles])
    embed_s = time.perf_counter() - start
    for begin in range(0, len(articles), 1000):
        batch = articles[begin : begin + 1000]
        store.collection.add(
            ids=[f"{a.article_id}:0" for a in batch],
            embeddings=vectors[begin : begin + len(batch)],  # type: ignore[arg-type]
            documents=[a.text for a in batch],
            metadatas=[
                {"article_id": a.article_id, "chunk_index": 0, "title": a.title, "url": a.url or "", "file_path": ""}
                for a in batch
            ],
        )
    out = {
        "leads": {
            "articles": len(articles),
            "embed_ms_per_lead": round(embed_s * 1000 / len(articles), 1),
            **_candidates(store, embedder, articles, {a.url or "": a.article_id for a in articles}, same_pairs),
        }
    }
    if chunked:
        from index.chunk import make_splitter
        from index.embed import LlamaIndexEmbedding, token_counter
        from index.ingest import ingest_paths

        wanted = {i for p in same_pairs for i in (p["i"], p["j"])}
        others = [i for i in range(len(articles)) if i not in wanted]
        sample = sorted(wanted) + sorted(random.Random(0).sample(others, min(chunked, len(others))))
        path = work / "sample.jsonl"
        path.write_text(
            "".join(
                json.dumps({"title": articles[i].title, "text": articles[i].text, "url": articles[i].url}) + "\n"
                for i in sample
            ),
            encoding="utf-8",
        )
        full = ChromaStore(client, f"dup-{uuid.uuid4().hex[:8]}", embedder.name)
        start = time.perf_counter()
        ingest_paths([path], full, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(embedder))
        ingest_s = time.perf_counter() - start
        ids = {a.url: a.article_id for a in full.articles()}
        out["chunked"] = {
            "articles": len(sample),
            "chunks": full.count(),
            "ingest_s": round(ingest_s, 1),
            **_candidates(full, embedder, [articles[i] for i in sample], ids, same_pairs, articles),
        }
    return out


def _candidates(
    store: ChromaStore,
    embedder: Embedder,
    stored: list[Article],
    ids: dict[str, str],
    same_pairs: list[dict[str, Any]],
    pool: list[Article] | None = None,
) -> dict[str, Any]:
    """Where each labelled copy's partner ranks among its nearest stored articles; find() cost."""
    pool = pool or stored
    finder = CopyFinder(store, embedder, candidates=max(RANKS) + 1)
    ranks: list[int | None] = []
    missed: list[str] = []
    for p in same_pairs:
        for x, y in ((p["i"], p["j"]), (p["j"], p["i"])):
            query, target = pool[x], ids[pool[y].url or ""]
            near = [a for a in finder.nearest_articles(query.title, query.text) if a != ids[query.url or ""]]
            ranks.append(near.index(target) + 1 if target in near else None)
            if target not in near:
                missed.append(f"{query.url} -> {pool[y].url}")
    recall = {k: round(sum(r is not None and r <= k for r in ranks) / len(ranks), 3) for k in RANKS} if ranks else {}
    default = CopyFinder(store, embedder)
    timed = stored[:: max(1, len(stored) // 100)]
    start = time.perf_counter()
    for a in timed:
        default.find(a.title, a.text)
    find_ms = (time.perf_counter() - start) * 1000 / len(timed)
    start = time.perf_counter()
    for a in timed:  # the embedding alone, one lead at a time as find() embeds it
        embedder.embed([lead(a.title, a.text)])
    lead_ms = (time.perf_counter() - start) * 1000 / len(timed)
    return {
        "directions": len(ranks),
        "candidate_recall_at": recall,
        "missed_at_20": missed,
        "find_ms_per_article": round(find_ms, 1),
        "of_which_embedding_ms": round(lead_ms, 1),
        "find_articles_timed": len(timed),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m evals.duplicates", description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="RealTimeQA folder (qa/, gcs/)")
    parser.add_argument("--out", type=Path, required=True, help="folder for pairs.jsonl and summary.json")
    parser.add_argument("--labels", type=Path, help="hand-labelled pairs (JSONL: url_a, url_b, label)")
    parser.add_argument("--embed", action="store_true", help="measure candidate recall with the bundled MiniLM")
    parser.add_argument(
        "--chunked", type=int, default=0, help="with --embed: also on a chunked store of N sampled articles"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    articles = load_pool(args.root, args.out / "pool")
    start = time.perf_counter()
    pairs = score_pairs(articles)
    score_s = time.perf_counter() - start
    with (args.out / "pairs.jsonl").open("w", encoding="utf-8") as f:
        for p in pairs:
            if p["containment"] >= 0.1:
                f.write(json.dumps(p, ensure_ascii=False) + "\n")
    histogram = Counter(min(int(p["containment"] * 10), 9) / 10 for p in pairs)
    groups = copy_groups(len(articles), pairs, THRESHOLD)
    summary: dict[str, Any] = {
        "articles": len(articles),
        "too_short_to_judge": sum(len(shingles(a.text)) < MIN_SHINGLES for a in articles),
        "candidate_pairs": len(pairs),
        "scoring_s": round(score_s, 2),
        "containment_histogram": {f"{k:.1f}": histogram[k] for k in sorted(histogram)},
        "threshold": THRESHOLD,
        "pairs_at_threshold": sum(p["containment"] >= THRESHOLD for p in pairs),
        "copy_groups": len(groups),
        "articles_in_copy_groups": sum(len(g) for g in groups),
        "largest_group": max((len(g) for g in groups), default=0),
    }
    if args.labels:
        labels = label_report(args.labels, pairs)
        summary["labels"] = {k: v for k, v in labels.items() if k != "pairs"}
        if args.embed:
            same = [p for p in labels["pairs"] if p["label"] == "same"]
            summary["embedding"] = embed_report(articles, same, args.chunked, args.out)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
