"""The answer path's question and sentence rules on a fixed slice of ordinary inputs (issue #32).

Each question of ``tests/data/misfire_questions.jsonl`` (chat-style, written for this test, not
taken from any dataset) is asked after the row before it and says whether it is a timeline
question, a follow-up of that row, a question in two parts, and one the asked check should read a
count or a role from. Each sentence of ``tests/data/misfire_sentences.jsonl`` (news sentences
written for this test, plus a few real refusals and injections) says whether it is a model's
refusal, an injection, and, where labelled, whether cleaning should remove it as a line of an
article. Decisions come from ``evals.misfires``, the code the harness
(``benchmarks/rule_misfires.py``) runs over RealTimeQA 2025/2026, so a new rule or a changed one
meets these ordinary questions and sentences before it lands. A label says what is right, not
what the rules do today; a row marked ``known_miss`` is a gap no open change covers, kept as a
strict xfail so the test says when it closes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evals.misfires import BY_NAME, question_decisions, run_rule, sentence_decisions

DATA = Path(__file__).resolve().parent.parent / "data"
QUESTION_RULES = ("timeline", "follow_up", "splits", "asked")
SENTENCE_RULES = ("refusal", "injection", "clean_removes")


def _rows(name: str) -> list[dict[str, Any]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


QUESTIONS = _rows("misfire_questions.jsonl")
SENTENCES = _rows("misfire_sentences.jsonl")


def test_the_slice_is_ordinary_and_labelled() -> None:
    assert len(QUESTIONS) >= 60 and len(SENTENCES) >= 40
    assert all(set(QUESTION_RULES) <= row.keys() for row in QUESTIONS)
    assert all({"refusal", "injection"} <= row.keys() for row in SENTENCES)
    switches = [row for row in QUESTIONS if row["previous"] and not row["follow_up"]]
    ordinary = [row for row in SENTENCES if not row["refusal"] and not row["injection"]]
    assert len(switches) >= 40 and len(ordinary) >= 40


@pytest.mark.parametrize("row", QUESTIONS, ids=[row["question"][:60] for row in QUESTIONS])
def test_question_rules_decide_as_labelled(row: dict[str, Any]) -> None:
    got = question_decisions(row["question"], row["previous"])
    want = {rule: row[rule] for rule in QUESTION_RULES}
    assert got == want, f"{row['why']} (after {row['previous']!r})"


def _sentence_cases() -> list[Any]:
    """One case per sentence; a ``known_miss`` row (a gap no open fix covers) is a strict xfail."""
    return [
        pytest.param(row, id=row["text"][:60], marks=[pytest.mark.xfail(strict=True, reason=row["known_miss"])])
        if row.get("known_miss")
        else pytest.param(row, id=row["text"][:60])
        for row in SENTENCES
    ]


@pytest.mark.parametrize("row", _sentence_cases())
def test_sentence_rules_decide_as_labelled(row: dict[str, Any]) -> None:
    got = sentence_decisions(row["text"])
    want = {rule: row[rule] for rule in SENTENCE_RULES if rule in row}
    assert {rule: got[rule] for rule in want} == want, row["why"]


def test_a_rule_that_cannot_be_called_is_reported_not_raised() -> None:
    item = {"key": "q", "question": "Who won the Senate race in Ohio, and which party holds Pennsylvania?"}
    missing = run_rule(replace(BY_NAME["timeline"], functions=("rag.timeline.no_such_rule",)), [item])
    assert "no_such_rule" in missing.unavailable and missing.inputs == 0
    changed = run_rule(replace(BY_NAME["decompose"], functions=("rag.decompose.combine",)), [item])
    assert "combine" in changed.unavailable and not changed.firings  # it wants more arguments than a question
