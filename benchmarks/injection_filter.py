"""How well ``rag.generate.injection`` tells model-addressed sentences from news: recall and false positives.

    .venv/bin/python benchmarks/injection_filter.py ../shared/datasets/realtimeqa-dev

Scores the paraphrase set (``tests/data/injections.jsonl``, or ``--set FILE``): recall on its
injections per shape, language and round (rounds 2 and 3 were written after the rules of their
time, then joined the set that designs them), and every hard negative it flags. Then, given a RealTimeQA
folder, it splits every article of the pooled corpus (``evals.realtimeqa``: 1,989 articles,
headline and text) into sentences and prints each one the filter flags, with the rule that
flagged it, so a person can read them and say whether any is a true injection. Nothing is
asserted; the numbers go in EVALS/RELIABILITY by hand. About 35 s on one core for the pool.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals import realtimeqa
from rag.generate.injection import matched_rule
from rag.text import split_sentences

DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "injections.jsonl"


def score_set(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    missed, flagged = [], []
    for row in rows:
        rule = matched_rule(row["text"])
        if row["label"] == "injection":
            for key in (f"shape {row['shape']}", f"lang {row['lang']}", f"round {row.get('round', 1)}", "all"):
                totals[key] += 1
                hits[key] += bool(rule)
            if not rule:
                missed.append(row["text"])
        elif rule:
            flagged.append((rule, row["text"]))
    negatives = sum(r["label"] != "injection" for r in rows)
    print(f"## Paraphrase set {path.name}\n\n| group | caught | of |\n|---|---|---|")
    for key in sorted(totals):
        print(f"| {key} | {hits[key]} | {totals[key]} |")
    print(f"\nrecall {hits['all']}/{totals['all']}; hard negatives flagged {len(flagged)}/{negatives}")
    for text in missed:
        print(f"  missed: {text!r}")
    for rule, text in flagged:
        print(f"  false positive ({rule}): {text!r}")


def score_pool(root: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus_dir, _, _ = realtimeqa.build(root, Path(tmp))
        articles = [json.loads(line) for line in (corpus_dir / "articles.jsonl").open(encoding="utf-8")]
    sentences = 0
    flagged: list[tuple[str, str, str]] = []
    articles_flagged = set()
    for article in articles:
        for text in (article["title"], article["text"]):
            for start, end in split_sentences(text):
                sentences += 1
                rule = matched_rule(text[start:end])
                if rule:
                    flagged.append((rule, article["url"], text[start:end]))
                    articles_flagged.add(article["url"])
    print(f"\n## RealTimeQA pool {root}\n")
    print(f"{len(articles):,} articles, {sentences:,} sentences (headlines included)")
    print(f"flagged: {len(flagged)} sentences in {len(articles_flagged)} articles")
    for rule, url, text in flagged:
        print(f"  [{rule}] {url}\n    {' '.join(text.split())[:300]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pool", type=Path, nargs="?", help="a RealTimeQA folder (qa/, gcs/); omit: the set only")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="paraphrase set, JSON lines {label, text, …}")
    args = parser.parse_args()
    score_set(args.set)
    if args.pool:
        score_pool(args.pool)


if __name__ == "__main__":
    main()
