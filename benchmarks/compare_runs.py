"""Two eval runs of the same questions, question by question: what changed between them.

    .venv/bin/python benchmarks/compare_runs.py BEFORE/results.jsonl AFTER/results.jsonl [--show]

For a change that should not change answers (a faster build, another precision), the summary
metrics can agree while answers move in both directions. This counts, over the questions both
runs answered: answer texts that differ, short answers that differ, refusals that flipped,
"contains" that flipped (each way), retrieved passages that differ (the ids, in order), and
the median first-token and full-answer times of each run with their ratio. ``--show`` lists
the changed answers. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, dict[str, Any]]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["id"]: row for row in rows}


def _retrieved(row: dict[str, Any]) -> list[str]:
    # By content, not chunk id: ids carry the corpus path, which differs between two runs' folders.
    return [f"{h.get('title')}|{str(h.get('text'))[:200]}" for h in row.get("retrieved") or []]


def _median(rows: list[dict[str, Any]], key: str) -> float:
    values = [float(r["timings"][key]) for r in rows if (r.get("timings") or {}).get(key) is not None]
    return statistics.median(values) if values else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--show", action="store_true", help="list the changed answers")
    args = ap.parse_args()
    before, after = _load(args.before), _load(args.after)
    common = [k for k in before if k in after]
    pairs = [(before[k], after[k]) for k in common]
    contains = [
        (a["metrics"].get("contains"), b["metrics"].get("contains"))
        for a, b in pairs
        if a.get("metrics", {}).get("contains") is not None and b.get("metrics", {}).get("contains") is not None
    ]
    out = {
        "questions": len(common),
        "answer_text_changed": sum(a["answer"] != b["answer"] for a, b in pairs),
        "short_answer_changed": sum(a.get("short_answer") != b.get("short_answer") for a, b in pairs),
        "refusal_flipped": sum(bool(a["refused"]) != bool(b["refused"]) for a, b in pairs),
        "contains_gained": sum(x < y for x, y in contains),
        "contains_lost": sum(x > y for x, y in contains),
        "retrieved_changed": sum(_retrieved(a) != _retrieved(b) for a, b in pairs),
    }
    for key in ("first_token", "total"):
        m0, m1 = _median([a for a, _ in pairs], key), _median([b for _, b in pairs], key)
        out[f"{key}_p50_s"] = {
            "before": round(m0, 2),
            "after": round(m1, 2),
            "ratio": round(m1 / m0, 3) if m0 else None,
        }
    print(json.dumps(out, indent=2))
    if args.show:
        for a, b in pairs:
            if a["answer"] != b["answer"]:
                print(f"\n{a['id']}: {a['question']}\n  before: {a['answer']!r}\n  after:  {b['answer']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
