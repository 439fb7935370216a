"""Eval sets: JSONL files of questions with known answers, validated line by line.

One question a line: ``id``, ``question``, ``answer`` (string, or null when the articles do
not hold it), optional ``accept`` (alternative answers), ``sources`` (file names or URLs of
the gold articles), ``choices``, ``date`` (when the question is asked), and free-form extra
fields (e.g. ``kind``) that are kept but not interpreted. A bad line is an ``InputError``
naming the line number and field. Loading only; scoring is ``metrics``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from index.errors import InputError

_KNOWN = {"id", "question", "answer", "accept", "sources", "choices", "date"}


@dataclass(frozen=True)
class EvalItem:
    """One question of an eval set."""

    id: str
    question: str
    answer: str | None
    accept: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    date: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def answerable(self) -> bool:
        return self.answer is not None

    @property
    def golds(self) -> list[str]:
        return [self.answer, *self.accept] if self.answer is not None else []


def _strings(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: field '{name}' must be a list of strings")
    return tuple(value)


def parse_item(data: Any, where: str) -> EvalItem:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object")
    for name in ("id", "question"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise InputError(f"{where}: field '{name}' is missing or not a non-empty string")
    if "answer" not in data:
        raise InputError(f"{where}: field 'answer' is missing (use null for questions the articles don't answer)")
    answer = data["answer"]
    if answer is not None and (not isinstance(answer, str) or not answer.strip()):
        raise InputError(f"{where}: field 'answer' must be a non-empty string or null")
    when = data.get("date")
    if when is not None:
        try:
            date.fromisoformat(str(when)[:10])
        except ValueError:
            raise InputError(f"{where}: field 'date' must be an ISO date like 2024-11-27") from None
    return EvalItem(
        id=data["id"].strip(),
        question=data["question"].strip(),
        answer=answer.strip() if isinstance(answer, str) else None,
        accept=_strings(data.get("accept"), where, "accept"),
        sources=_strings(data.get("sources"), where, "sources"),
        choices=_strings(data.get("choices"), where, "choices"),
        date=str(when)[:10] if when else None,
        extra={k: v for k, v in data.items() if k not in _KNOWN},
    )


def load_eval_set(path: Path) -> list[EvalItem]:
    """Read and validate an eval set; raises ``InputError`` at the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise InputError(f"cannot read eval set {path}: {err.strerror or err}") from err
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text: save the eval set as UTF-8 JSONL") from None
    items: list[EvalItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: invalid JSON ({err.msg}): fix the line") from None
        item = parse_item(data, where)
        if item.id in seen:
            raise InputError(f"{where}: duplicate id {item.id!r}: ids must be unique")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{path}: no questions: add one JSON object per line")
    return items


def write_eval_set(items: list[EvalItem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for item in items:
            row = {
                "id": item.id,
                "question": item.question,
                "answer": item.answer,
                "accept": list(item.accept),
                "sources": list(item.sources),
                "choices": list(item.choices),
                "date": item.date,
                **item.extra,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
