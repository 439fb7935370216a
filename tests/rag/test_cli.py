"""The newsrag command in a real subprocess: bad input gets one line and a non-zero exit.

The extractive backend keeps these fast; the local LLM's CLI run is in tests/e2e.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def newsrag(*args: str, data_dir: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(data_dir), "NEWSRAG_BACKEND": "extractive", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert any(line.startswith("error:") and needle in line for line in lines), result.stderr


def test_ask_before_ingest(tmp_path: Path) -> None:
    one_line_error(newsrag("ask", "Anything?", data_dir=tmp_path), "newsrag ingest")


def test_ingest_reports_bad_files_and_keeps_the_good_ones(tmp_path: Path, samples_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Dam opens in Laos\n\nThe new dam on the Mekong opened on Friday.\n")
    (corpus / "bad.txt").write_bytes(b"\x00\xff" * 500)
    (corpus / "lines.jsonl").write_text('{"title": "T1", "text": "Text one."}\n{oops\n')
    result = newsrag("ingest", str(corpus), str(tmp_path / "missing"), data_dir=tmp_path / "d")
    assert result.returncode == 1
    assert "2 new" in result.stdout and "1 failed" not in result.stdout  # 2 failed: bad.txt, missing
    assert "binary" in result.stderr and "no such file or folder" in result.stderr
    assert "lines.jsonl:2: invalid JSON" in result.stderr
    listed = newsrag("articles", "--json", data_dir=tmp_path / "d")
    assert sorted(a["title"] for a in json.loads(listed.stdout)) == ["Dam opens in Laos", "T1"]


def test_ingest_samples_twice_then_ask_json(tmp_path: Path) -> None:
    first = newsrag("ingest", "--samples", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "3 new" in first.stdout
    second = newsrag("ingest", "--samples", data_dir=tmp_path)
    assert "3 unchanged (skipped, not re-embedded)" in second.stdout and "in 0 chunks" in second.stdout
    result = newsrag("ask", "--json", "How long is the proposed truce between Israel and Hezbollah?", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"question", "answer", "refused", "citations", "backend", "timings"}
    assert data["backend"] == "extractive" and data["refused"] is False
    assert set(data["citations"][0]) >= {"n", "title", "source", "url", "published_at", "quote", "chunk_id"}
    for bad, needle in [("   ", "empty"), ("x" * 100_000, "limit")]:
        one_line_error(newsrag("ask", bad, data_dir=tmp_path), needle)
    dated = newsrag("ask", "--json", "--as-of", "2024-11-27", data["question"], data_dir=tmp_path)
    assert json.loads(dated.stdout)["answer"] == data["answer"]
    one_line_error(newsrag("ask", "--as-of", "27/11/2024", data["question"], data_dir=tmp_path), "YYYY-MM-DD")


def test_bad_settings_and_missing_model(tmp_path: Path) -> None:
    env_bad = newsrag("info", "--config", str(tmp_path / "none.toml"), data_dir=tmp_path)
    one_line_error(env_bad, "config file")
    one_line_error(newsrag("model", "verify", data_dir=tmp_path), "newsrag model install")


def test_truncated_model_file_is_refused_with_a_fix(tmp_path: Path) -> None:
    from rag.generate import model_files

    models = tmp_path / "models"
    models.mkdir()
    (models / model_files.MODEL_NAME).write_bytes(b"GGUF" + b"\x00" * 1024)
    result = newsrag("ask", "--backend", "local", "How long is the truce?", data_dir=tmp_path)
    one_line_error(result, "newsrag model install --force")


def test_chat_refuses_a_public_host_without_permission(tmp_path: Path) -> None:
    result = newsrag("chat", "--host", "0.0.0.0", data_dir=tmp_path)
    one_line_error(result, "--allow-remote")


def test_serve_refuses_a_public_host_without_a_key_or_permission(tmp_path: Path) -> None:
    result = newsrag("serve", "--host", "0.0.0.0", data_dir=tmp_path)
    one_line_error(result, "NEWSRAG_API_KEY")
    assert "--allow-remote" in result.stderr
