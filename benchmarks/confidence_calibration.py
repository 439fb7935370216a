"""Refusing by the model's confidence (issue #19): design the rule on one eval run, confirm it on another.

    .venv/bin/newsrag eval-realtimeqa ../shared/datasets/realtimeqa-dev --out /tmp/rtqa --limit 110
    .venv/bin/newsrag eval --out /tmp/samples --fresh
    .venv/bin/python benchmarks/confidence_calibration.py --design /tmp/rtqa --confirm /tmp/samples

Both runs are ordinary ``newsrag eval`` runs with the bundled model at the defaults: each row
keeps the model's ``confidence`` in its short answer (``rag.verify.confidence``), whether it
was refused and by which check, and the model's reply before any check.

On the **design** run only:

- every answered question is labelled right (its short answer contains the gold answer) or
  wrong; unanswerable questions the model answered count as wrong;
- each confidence feature (``start``, ``first``, ``mean``, ``least``) is scored by its AUROC
  (the chance a right answer is more confident than a wrong one);
- the feature with the best AUROC is kept, and two thresholds are fixed for it before the
  confirm run is looked at: ``keep95``, the highest that still keeps 95% of the right answers
  (a bounded cost: the candidate for the default, since every right answer refused lowers
  F1), and ``youden``, the one maximising Youden's J (right answers kept minus wrong answers
  kept, as shares; it does not depend on how many answers are wrong).

The **confirm** run is then scored with that feature and threshold, unchanged: answerable
questions still answered right, unanswerable ones refused, and the same AUROCs.

The same script judges the shape rules (``non_answer``, ``unmentioned``) on both runs: for each
answer a rule refused, would the model's stored answer have been right? A rule that mostly
refuses right answers on one set does not generalize. Nothing is asserted; ``--out`` keeps the
numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import contains
from evals.replay import read_results
from rag.generate.prompt import short_answer
from rag.verify.confidence import FEATURES

SHAPE_RULES = ("non_answer", "unmentioned")


@dataclass
class Row:
    id: str
    answerable: bool
    right: bool  # the answer given (or the one a check refused) contains the gold answer
    refused_by: str  # "" when answered, else the check ("model_refused", "non_answer", …)
    confidence: dict[str, float] | None


def load(path: Path) -> list[Row]:
    rows = []
    for r in read_results(path):
        golds = [g for g in [r.get("gold"), *(r.get("accept") or [])] if g]
        check = (r.get("refusal") or {}).get("check", "refused") if r.get("refused") else ""
        said = r.get("short_answer") or r.get("answer") or ""
        if check:  # what the model had said before a check refused it
            said = short_answer(r.get("reply") or "")
        right = bool(golds) and bool(contains(said, golds))
        rows.append(Row(str(r["id"]), bool(golds), right, check, r.get("confidence")))
    return rows


def auroc(right: Sequence[float], wrong: Sequence[float]) -> float | None:
    """P(a right answer scores higher than a wrong one), ties counting half."""
    if not right or not wrong:
        return None
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


def judged(rows: Sequence[Row]) -> list[Row]:
    """Rows the confidence check would judge: the model answered (no other check refused it)."""
    return [r for r in rows if not r.refused_by and r.confidence]


def youden(rows: Sequence[Row], feature: str) -> tuple[float, float]:
    """The threshold (refuse below it) maximising kept-right share minus kept-wrong share, and J."""
    right = [r.confidence[feature] for r in rows if r.right and r.confidence]
    wrong = [r.confidence[feature] for r in rows if not r.right and r.confidence]
    best = (0.0, 0.0)
    for t in sorted({*right, *wrong}):
        j = sum(v >= t for v in right) / len(right) - sum(v >= t for v in wrong) / len(wrong)
        if j > best[1]:
            best = (t, j)
    return best


def keeping(rows: Sequence[Row], feature: str, share: float) -> float:
    """The highest threshold (refuse below it) that keeps ``share`` of the right answers."""
    right = sorted(r.confidence[feature] for r in rows if r.right and r.confidence)
    if not right:
        return 0.0
    return right[int((1.0 - share) * len(right))]


def outcome(rows: Sequence[Row], feature: str | None, threshold: float) -> dict[str, Any]:
    """The set's scores with the confidence check at ``threshold`` (None: without it)."""

    def refused(r: Row) -> bool:
        if r.refused_by:
            return True
        return feature is not None and bool(r.confidence) and r.confidence[feature] < threshold  # type: ignore[index]

    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    answered = [r for r in rows if not refused(r)]
    out: dict[str, Any] = {
        "questions": len(rows),
        "answerable_right": _share(sum(r.right and not refused(r) for r in answerable), len(answerable)),
        "answered_precision": _share(sum(r.right for r in answered), len(answered)),
        "answered": len(answered),
    }
    if unanswerable:
        out["unanswerable_refused"] = _share(sum(refused(r) for r in unanswerable), len(unanswerable))
    return out


def shape_rules(rows: Sequence[Row]) -> dict[str, dict[str, int]]:
    """For each shape rule: how many answers it refused that were wrong (or unanswerable) vs right."""
    out = {}
    for rule in SHAPE_RULES:
        hit = [r for r in rows if r.refused_by == rule]
        out[rule] = {
            "refused": len(hit),
            "were_right": sum(r.right for r in hit),
            "were_wrong_or_unanswerable": sum(not r.right for r in hit),
        }
    return out


def _share(n: int, d: int) -> float | None:
    return round(n / d, 3) if d else None


def report(name: str, rows: Sequence[Row]) -> dict[str, Any]:
    seen = judged(rows)
    right = [r for r in seen if r.right]
    wrong = [r for r in seen if not r.right]
    aurocs = {}
    for f in FEATURES:
        a = auroc([r.confidence[f] for r in right if r.confidence], [r.confidence[f] for r in wrong if r.confidence])
        aurocs[f] = round(a, 3) if a is not None else None
    return {"set": name, "judged": len(seen), "right": len(right), "wrong": len(wrong), "auroc": aurocs}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--design", type=Path, required=True, help="eval run (folder or results.jsonl) to design on")
    ap.add_argument("--confirm", type=Path, required=True, help="eval run to confirm on, untouched")
    ap.add_argument("--out", type=Path, help="write the numbers here as JSON")
    args = ap.parse_args(argv)

    design, confirm = load(args.design), load(args.confirm)
    found = {"design": report(str(args.design), design), "confirm": report(str(args.confirm), confirm)}
    aurocs = found["design"]["auroc"]
    feature = max((f for f in FEATURES if aurocs[f] is not None), key=lambda f: aurocs[f])
    threshold, j = youden(judged(design), feature)
    keep95 = keeping(judged(design), feature, 0.95)
    found["rule"] = {"feature": feature, "keep95": keep95, "youden": round(threshold, 4), "youden_j": round(j, 3)}
    for name, rows in (("design", design), ("confirm", confirm)):
        found[name]["without_check"] = outcome(rows, None, 0.0)
        found[name]["keep95"] = outcome(rows, feature, keep95)
        found[name]["youden"] = outcome(rows, feature, threshold)
        found[name]["shape_rules"] = shape_rules(rows)
    print(json.dumps(found, indent=2))
    if args.out:
        args.out.write_text(json.dumps(found, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
