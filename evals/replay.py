"""Re-judge stored answers offline: run the answer checks on the model replies an eval run kept.

An eval run's ``results.jsonl`` keeps, per question, the model's reply before verification,
the passages it was given and the verdict that refused it (if any). ``replay`` verifies each
reply again and runs a chosen set of ``AnswerCheck``s (``rag.verify.checks.judge``), with no
model and no index (``low_confidence`` reads the confidence the run stored): a change to a
check is measured on hundreds of stored answers in seconds,
and every refusal is explained by its check and reason. Two-part questions (answered part by
part) and rows without a stored reply (runs before replies were kept, LLM errors) are counted
as not replayable. Citation verification uses the embedder only when one is given (the live
run had one, so a borderline sentence may be judged differently without it; the summary
counts how many stored answers the replay reproduces).

It reports; it does not rescore metrics (``evals.metrics`` does that on a new run).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.embed import Embedder
from index.errors import InputError
from rag.settings import Settings
from rag.types import Confidence, Hit
from rag.verify.checks import AnswerCheck, AskedCheck, GroundingCheck, judge
from rag.verify.confidence import ConfidenceCheck

CHECKS: dict[str, type[AnswerCheck]] = {"non_answer": GroundingCheck, "unmentioned": AskedCheck}
CONFIDENCE = ConfidenceCheck.name  # "low_confidence" or "low_confidence=<minimum probability>"


@dataclass
class Replayed:
    """One stored answer judged again."""

    id: str
    question: str
    stored: str  # "answered" or the stored verdict's check
    now: str  # "answered" or the replayed verdict's check
    reason: str = ""


@dataclass
class Replay:
    """What a replay found: every replayed row, and how many could not be replayed."""

    rows: list[Replayed] = field(default_factory=list)
    skipped: int = 0

    @property
    def changed(self) -> list[Replayed]:
        return [r for r in self.rows if (r.stored == "answered") != (r.now == "answered")]

    def summary(self) -> dict[str, Any]:
        refused_then = sum(r.stored != "answered" for r in self.rows)
        refused_now = sum(r.now != "answered" for r in self.rows)
        by_check: dict[str, int] = {}
        for r in self.rows:
            if r.now != "answered":
                by_check[r.now] = by_check.get(r.now, 0) + 1
        return {
            "replayed": len(self.rows),
            "not_replayable": self.skipped,
            "refused_stored": refused_then,
            "refused_now": refused_now,
            "changed": len(self.changed),
            "refusals_by_check": dict(sorted(by_check.items())),
        }


def make_checks(names: Iterable[str]) -> list[AnswerCheck]:
    """Checks by name (``non_answer``, ``unmentioned``, ``low_confidence[=P]``), in the order given.

    ``low_confidence`` alone uses the default ``MIN_ANSWER_CONFIDENCE``; ``=P`` another minimum.
    """
    out: list[AnswerCheck] = []
    for name in names:
        base, sep, value = name.partition("=")
        if base == CONFIDENCE:
            try:
                minimum = float(value) if sep else Settings.model_fields["min_answer_confidence"].default
            except ValueError:
                raise ValueError(f"{name!r}: write {CONFIDENCE}=<probability>, e.g. {CONFIDENCE}=0.5") from None
            out.append(ConfidenceCheck(minimum))
            continue
        if name not in CHECKS:
            raise ValueError(f"unknown check {name!r}: use {', '.join([*CHECKS, CONFIDENCE])}")
        out.append(CHECKS[name]())
    return out


def read_results(path: Path) -> list[dict[str, Any]]:
    """The rows of a ``results.jsonl`` (or of every ``*/results.jsonl`` under a run folder)."""
    files = [path] if path.is_file() else sorted(path.glob("*/results.jsonl")) + sorted(path.glob("results.jsonl"))
    if not files:
        raise InputError(f"no results.jsonl at {path}: give an eval run's output folder or its results file")
    rows = []
    for f in files:
        try:
            rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InputError(f"cannot read {f} ({err}): give the results.jsonl an eval run wrote") from None
    return rows


def replay(rows: Sequence[dict[str, Any]], checks: Sequence[AnswerCheck], embedder: Embedder | None = None) -> Replay:
    """Judge every stored reply again with ``checks``."""
    out = Replay()
    for row in rows:
        passages = [_hit(h) for h in row.get("retrieved") or []]
        reply = row.get("reply") or ""
        if not reply or not passages or any(not h.text for h in passages):
            out.skipped += 1
            continue
        question = row["question"]
        confidence = Confidence(**row["confidence"]) if row.get("confidence") else None
        _, verdict = judge(question, row.get("search_query") or question, passages, reply, checks, embedder, confidence)
        stored = (row.get("refusal") or {}).get("check") or ("refused" if row.get("refused") else "answered")
        now = verdict.check if verdict else "answered"
        out.rows.append(Replayed(str(row.get("id", "")), question, stored, now, verdict.reason if verdict else ""))
    return out


def _hit(item: dict[str, Any]) -> Hit:
    return Hit(
        chunk_id=str(item.get("chunk_id", "")),
        text=str(item.get("text", "")),
        title=str(item.get("title", "")),
        source=str(item.get("source", "")),
        published_at=str(item.get("published_at", "")),
        score=float(item.get("score", 0.0)),
        similarity=float(item.get("similarity", 0.0)),
    )
