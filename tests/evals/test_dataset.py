"""Eval-set loading: valid files load, bad lines name their line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cli import SAMPLE_SET
from evals.dataset import load_eval_set
from index.errors import InputError


def write(tmp_path: Path, *rows: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_valid_rows_and_unanswerable(tmp_path: Path) -> None:
    items = load_eval_set(
        write(
            tmp_path,
            {
                "id": "a",
                "question": "Q?",
                "answer": "60 days",
                "accept": ["sixty days"],
                "sources": ["x.txt"],
                "date": "2024-11-27",
                "kind": "single",
            },
            "",
            {"id": "b", "question": "Q2?", "answer": None},
        )
    )
    assert [i.id for i in items] == ["a", "b"]
    assert items[0].golds == ["60 days", "sixty days"] and items[0].extra == {"kind": "single"}
    assert not items[1].answerable and items[1].golds == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("{oops", ":2: invalid JSON"),
        ({"question": "Q?", "answer": "x"}, ":2: field 'id'"),
        ({"id": "b", "question": "Q?"}, ":2: field 'answer' is missing"),
        ({"id": "b", "question": "Q?", "answer": 5}, ":2: field 'answer' must be"),
        ({"id": "b", "question": "Q?", "answer": "x", "sources": "x.txt"}, ":2: field 'sources' must be a list"),
        ({"id": "b", "question": "Q?", "answer": "x", "date": "yesterday"}, ":2: field 'date'"),
        ({"id": "a", "question": "Q?", "answer": "x"}, ":2: duplicate id 'a'"),
    ],
)
def test_bad_lines_name_line_and_field(tmp_path: Path, row: object, message: str) -> None:
    path = write(tmp_path, {"id": "a", "question": "Q?", "answer": "y"}, row)
    with pytest.raises(InputError, match=message):
        load_eval_set(path)


def test_shipped_sample_set_meets_its_spec() -> None:
    items = load_eval_set(SAMPLE_SET)
    kinds = [i.extra.get("kind") for i in items]
    assert len(items) >= 30
    assert kinds.count("unanswerable") >= 6 and all(
        not i.answerable for i in items if i.extra["kind"] == "unanswerable"
    )
    assert kinds.count("multi") >= 4
    assert all(i.sources for i in items if i.answerable)
    samples = SAMPLE_SET.parents[2] / "index" / "samples"
    for item in items:
        if item.answerable:
            text = " ".join((samples / s).read_text() for s in item.sources).lower()
            first_part = item.golds[0].split(" and ")[0].lower()
            assert any(g.lower() in text for g in item.golds) or first_part in text, item.id
