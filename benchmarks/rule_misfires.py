"""How often the answer path's hand-written rules fire on ordinary news questions and sentences (issue #32).

    .venv/bin/python benchmarks/rule_misfires.py ../shared/datasets/realtimeqa-2025 \\
        ../shared/datasets/realtimeqa-2026-dev --out misfires-after [--labels FILE] [--sample 20]

Runs every rule of ``evals.misfires`` over the pool of the given RealTimeQA folders
(``evals.misfire_pool``: their questions, the gold passages, the articles' sentences and date
phrases) and prints, per rule, the inputs, the firings and their rate, and a seeded sample of
distinct firings for a person to label. Under ``--out`` it writes ``summary.json`` (the counts,
the product checkout and its commit), ``firings.jsonl`` (every firing) and ``samples.jsonl``
(the sample, each with ``label`` null, or taken from ``--labels``: any earlier ``samples.jsonl``
whose ``label`` fields were filled with "right" or "wrong"; a label carries over when the rule,
input and output are the same, and the sample is drawn so that two runs share the firings they
have in common). With labels, each rule's precision over its labelled sample is printed.

The product is whatever ``import rag`` finds: put another checkout first on ``PYTHONPATH`` to
measure it (``PYTHONPATH=/tmp/pre32``); the harness modules are always this checkout's, loaded
from their files. A rule whose function is missing or cannot be called is reported as
unavailable. Nothing is asserted; the table goes in docs/EVALS.md by hand. The fixed slice
written for the test is ``tests/rag/test_rule_misfires.py``. About 90 s on one core.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent.parent
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))  # after PYTHONPATH: a checkout named there provides the product

Labels = dict[tuple[str, str, str, str], bool]


def _module(name: str) -> ModuleType:
    """This checkout's ``evals/<name>.py``, whichever ``evals`` package comes first on the path."""
    spec = importlib.util.spec_from_file_location(f"_harness_{name}", HERE / "evals" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


misfires = _module("misfires")
misfire_pool = _module("misfire_pool")


def _product() -> dict[str, Any]:
    """Which checkout ``rag`` comes from, its commit and its uncommitted product files."""
    import rag

    root = Path(rag.__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
        return done.stdout.rstrip("\n")

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "rag", "index").splitlines() if line]
    return {"rag": rag.__file__, "commit": git("rev-parse", "HEAD"), "uncommitted": dirty}


def _labels(path: Path | None) -> Labels:
    if path is None:
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if row.get("label") in ("right", "wrong"):
            out[misfires.label_key(row)] = row["label"] == "right"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("roots", nargs="+", type=Path, help="RealTimeQA folders (qa/, gcs/)")
    ap.add_argument("--out", type=Path, required=True, help="folder for summary.json, firings.jsonl, samples.jsonl")
    ap.add_argument("--labels", type=Path, help="a labelled samples.jsonl to carry labels from")
    ap.add_argument("--sample", type=int, default=20, help="distinct firings sampled per rule (default 20)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-sentences", type=int, default=0, help="sample this many article sentences (0: all)")
    ap.add_argument("--rules", help="comma-separated rule names (default: all)")
    args = ap.parse_args()
    product = _product()
    print(f"product: {product['rag']} at {product['commit']}; uncommitted: {product['uncommitted'] or 'none'}")
    started = time.perf_counter()
    try:
        split = misfires.resolve("rag.text.split_sentences")
    except misfires.Unavailable as err:
        sys.exit(f"no sentence splitter: {err}")
    pool = misfire_pool.load(args.roots, split, args.max_sentences, args.seed)
    print(
        f"pool: {len(pool.questions)} questions, {len(pool.items('gold'))} with a gold passage, "
        f"{len(pool.sentences):,} of {pool.sentences_total:,} sentences, {len(pool.dates_no_year)} no-year and "
        f"{len(pool.dates_no_day)} no-day date phrases, {len(pool.articles):,} articles "
        f"({time.perf_counter() - started:.0f} s)"
    )
    wanted = set(args.rules.split(",")) if args.rules else None
    labels = _labels(args.labels)
    args.out.mkdir(parents=True, exist_ok=True)
    rows, samples = [], []
    with (args.out / "firings.jsonl").open("w", encoding="utf-8") as firings_file:
        for rule in misfires.RULES:
            if wanted and rule.name not in wanted:
                continue
            t0 = time.perf_counter()
            result = misfires.run_rule(rule, pool.items(rule.pool))
            row = result.summary() | {"seconds": round(time.perf_counter() - t0, 1), "fires_when": rule.fires_when}
            picked = misfires.sample(result, args.sample, args.seed)
            right, labelled = misfires.precision(picked, labels)
            row |= {"sampled": len(picked), "labelled": labelled, "right": right}
            rows.append(row)
            for firing in result.firings:
                firings_file.write(json.dumps(firing, ensure_ascii=False) + "\n")
            for firing in picked:
                label = labels.get(misfires.label_key(firing))
                samples.append(firing | {"label": None if label is None else ("right" if label else "wrong")})
            _print(row, picked, labels)
    with (args.out / "samples.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(s, ensure_ascii=False) + "\n" for s in samples)
    summary = {"product": product, "roots": [str(r) for r in args.roots], "seed": args.seed, "rules": rows}
    summary |= {"sentences_total": pool.sentences_total, "max_sentences": args.max_sentences}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print("\n| rule | inputs | firings | rate | labelled right |\n|---|---|---|---|---|")
    for row in rows:
        shown = "unavailable" if row["unavailable"] else f"{row['firings']}"
        judged = f"{row['right']}/{row['labelled']}" if row["labelled"] else "-"
        print(f"| {row['rule']} | {row['units']} | {shown} | {row['rate']:.4f} | {judged} |")
    print(f"\n{time.perf_counter() - started:.0f} s; written to {args.out}")


def _print(row: dict[str, Any], picked: list[dict[str, Any]], labels: Labels) -> None:
    print(f"\n## {row['rule']} ({row['functions']}): fires when {row['fires_when']}")
    if row["unavailable"]:
        print(f"  UNAVAILABLE: {row['unavailable']}")
        return
    print(
        f"  {row['inputs']} inputs ({row['units']} units), {row['firings']} firings on {row['firing_inputs']} inputs, "
        f"rate {row['rate']:.4f}, {row['errors']} errors {row['first_error']}, {row['seconds']} s"
    )
    for firing in picked:
        label = labels.get(misfires.label_key(firing))
        mark = "?" if label is None else ("right" if label else "WRONG")
        print(f"  [{mark}] {firing['input'][:400]}\n      -> {firing['output'][:300]!r}")


if __name__ == "__main__":
    main()
