"""``newsrag ask`` answers a question about change as dated points, from the command line.

Real subprocesses, real MiniLM, real Chroma on disk, the extractive backend: the made-up Karrow
Dam story (``tests/index/story_articles``) is ingested with ``newsrag ingest``, grouped into a
story at ingest, then asked about.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.index.story_articles import DAM, MATCH, write

pytestmark = pytest.mark.e2e
NEWSRAG = str(Path(sys.executable).parent / "newsrag")


def test_ask_gives_a_dated_timeline_and_stories_lists_it(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(tmp_path / "data"), "NEWSRAG_BACKEND": "extractive", "COLUMNS": "200"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([NEWSRAG, *args], env=env, capture_output=True, text=True, timeout=300)

    assert run("ingest", str(write(tmp_path / "dam.jsonl", *DAM, MATCH))).returncode == 0
    asked = run("ask", "What has happened since the Karrow Dam burst?", "--json")
    answer = json.loads(asked.stdout)
    assert [p["published_at"] for p in answer["timeline"]] == ["2026-03-02", "2026-03-03", "2026-03-09"]
    assert [c["url"] for c in answer["citations"]] == [a["url"] for a in DAM]
    plain = run("ask", "What has happened since the Karrow Dam burst?")
    assert plain.returncode == 0 and plain.stdout.splitlines()[0].startswith("2026-03-02: ")
    stories = json.loads(run("stories", "--json").stdout)
    dam = [s for s in stories if len(s["article_ids"]) == 3]
    assert len(dam) == 1 and dam[0]["label"] == DAM[0]["title"]
