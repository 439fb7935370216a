"""The eval runner end to end with the real embedder and the extractive backend:
scores, resume after an interruption, config changes, gates, and the CLI's exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evals.dataset import EvalItem
from evals.runner import RunConfig, check_gates, parse_gates, run_config
from index.errors import ConfigError
from rag.api import SAMPLES_DIR
from rag.settings import load_settings

pytestmark = pytest.mark.slow

ITEMS = [
    EvalItem(
        "truce",
        "How long is the proposed truce between Israel and Hezbollah?",
        "60 days",
        accept=("60-day",),
        sources=("004_f7c72934c7020051.txt",),
    ),
    EvalItem(
        "astana", "Where did the 22nd round of Syria talks take place?", "Astana", sources=("000_0e868e9262ff71bb.txt",)
    ),
    EvalItem("apple", "What did Apple announce at its developer conference?", None),
]


def test_run_scores_resumes_and_gates(tmp_path: Path) -> None:
    base = load_settings(backend="extractive")
    cfg = RunConfig("x", {"top_k": "3"})
    summary = run_config(ITEMS, [SAMPLES_DIR], tmp_path / "out", cfg, base, tmp_path / "cache")
    m = summary["metrics"]
    assert summary["questions"] == 3 and summary["answerable"] == 2
    assert m["hit@1"] == 1.0 and m["contains"] == 1.0 and m["refusal_accuracy"] == 1.0
    assert set(summary["latency"]) >= {"retrieval", "total"}
    results = tmp_path / "out" / "x" / "results.jsonl"
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["truce", "astana", "apple"]
    assert rows[0]["citations"] and rows[0]["retrieved"][0]["source"].endswith(".txt")

    # Interrupted run: the last row half-written. Resuming redoes only what is missing.
    lines = results.read_text().splitlines()
    results.write_text(lines[0] + "\n" + lines[1][:40])
    again = run_config(ITEMS, [SAMPLES_DIR], tmp_path / "out", cfg, base, tmp_path / "cache")
    assert again["metrics"] == m
    assert len(results.read_text().splitlines()) == 3

    with pytest.raises(ConfigError, match="different configuration"):
        run_config(ITEMS, [SAMPLES_DIR], tmp_path / "out", RunConfig("x", {"top_k": "2"}), base, tmp_path / "cache")
    assert check_gates(summary, parse_gates(["contains=0.9"])) == []
    assert "below the gate" in check_gates(summary, parse_gates(["refusal_accuracy=1.01"]))[0]
    assert "not measured" in check_gates(summary, {"nonsense": 0.1})[0]


def test_eval_cli_gate_exit_code_and_report(tmp_path: Path) -> None:
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text(
        "".join(
            json.dumps({"id": i.id, "question": i.question, "answer": i.answer, "sources": list(i.sources)}) + "\n"
            for i in ITEMS
        )
    )
    env = {**os.environ, "NEWSRAG_BACKEND": "extractive"}
    cmd = [sys.executable, "-m", "rag.cli", "eval", "--set", str(eval_set), "--out", str(tmp_path / "o")]
    ok = subprocess.run([*cmd, "--min", "hit@1=0.9"], capture_output=True, text=True, env=env, check=False)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "o" / "report.html").read_text().count("<svg") >= 2
    bad = subprocess.run([*cmd, "--min", "refusal_accuracy=1.5"], capture_output=True, text=True, env=env, check=False)
    assert bad.returncode == 1 and "gate failed" in bad.stderr and "Traceback" not in bad.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "question": "q"}\n')
    res = subprocess.run([*cmd[:-4], "--set", str(broken)], capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 1 and "broken.jsonl:1: field 'answer' is missing" in res.stderr


def test_bad_override_value_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bad value for top_k"):
        run_config(ITEMS, [SAMPLES_DIR], tmp_path, RunConfig("x", {"top_k": "many"}), load_settings(), tmp_path)
