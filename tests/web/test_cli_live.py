"""The README's live-news example, as a user runs it: the shipped example feed served by
``python -m http.server`` on 127.0.0.1, then ``newsrag feeds add``, ``feeds list``, ``ask``,
``watch --once``, ``ingest URL`` and ``feeds remove`` as subprocesses (real MiniLM, real
Chroma on disk, the extractive backend).

The example's links name port 8001; the test serves a copy with a free port written in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e
NEWSRAG = str(Path(sys.executable).parent / "newsrag")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def example_site(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    folder = tmp_path / "site"
    shutil.copytree(REPO / "examples" / "live", folder)
    for path in folder.rglob("*.*ml"):
        path.write_text(path.read_text().replace("127.0.0.1:8001", f"127.0.0.1:{port}"))
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{base}/feed.xml", timeout=2).close()
            break
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "the example site did not start"
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def newsrag(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEWSRAG_DATA_DIR": str(data_dir),
        "NEWSRAG_FETCH_ALLOW_PRIVATE": "true",
        "NEWSRAG_BACKEND": "extractive",
        "COLUMNS": "200",
    }
    return subprocess.run([NEWSRAG, *args], env=env, capture_output=True, text=True, timeout=300)


def readme_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Live news")
    return re.findall(r"```bash\n(.*?)```", readme[start : readme.find("\n## ", start + 1)], flags=re.S)[0]


def test_the_readme_feed_example_runs_as_written(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "examples").mkdir()
    shutil.copytree(REPO / "examples" / "live", tmp_path / "examples" / "live")
    for path in (tmp_path / "examples").rglob("*.*ml"):
        path.write_text(path.read_text().replace("127.0.0.1:8001", f"127.0.0.1:{port}"))
    script = readme_block().replace("8001", str(port)).replace(".venv/bin/newsrag", NEWSRAG)
    script = script.replace("python3 -m http.server", f"{sys.executable} -m http.server")
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(tmp_path / "data"), "NEWSRAG_BACKEND": "extractive", "COLUMNS": "200"}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "trap 'kill $(jobs -p) 2>/dev/null' EXIT\n" + script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "3 new article(s)" in out  # feeds add
    assert "48 million" in out and f"http://127.0.0.1:{port}/news/library.html" in out  # ask, cited by URL
    assert "unchanged" in out  # ingest URL of a page already stored from the feed
    assert "stopped following" in out


def test_the_readme_feed_example_from_the_command_line(example_site: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    feed = f"{example_site}/feed.xml"
    added = newsrag(["feeds", "add", feed, "--every", "1h"], data)
    assert added.returncode == 0, added.stderr
    assert "following" in added.stdout and "3 new article(s)" in added.stdout, added.stdout

    listed = newsrag(["feeds", "list", "--json"], data)
    rows = json.loads(listed.stdout)
    assert [(r["url"], r["every"], r["stored"], r["last_error"]) for r in rows] == [(feed, "1h", 3, None)]

    asked = newsrag(["ask", "How much will the new Brennwick library cost?", "--json"], data)
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and "48 million" in answer["answer"]
    assert answer["citations"][0]["url"] == f"{example_site}/news/library.html"
    assert answer["newest_cited"] == "2026-12-02"

    # Not due yet: watch --once fetches nothing; an explicit URL is fetched again, unchanged.
    watched = newsrag(["watch", "--once"], data)
    assert watched.returncode == 0 and "0 HTTP request(s)" in watched.stdout, watched.stdout + watched.stderr
    again = newsrag(["ingest", f"{example_site}/news/harbor.html"], data)
    assert again.returncode == 0 and "unchanged" in again.stdout, again.stdout + again.stderr
    bad = newsrag(["ingest", f"{example_site}/news/nothing.html"], data)
    assert bad.returncode == 1 and "HTTP 404" in bad.stderr

    removed = newsrag(["feeds", "remove", feed], data)
    assert removed.returncode == 0
    assert json.loads(newsrag(["feeds", "list", "--json"], data).stdout) == []
    assert json.loads(newsrag(["articles", "--json"], data).stdout).__len__() == 3  # its articles stay


def test_feeds_list_shows_a_bad_stored_row_instead_of_a_traceback(tmp_path: Path) -> None:
    # The outside probe (#30): a row stored with every=999999999999d made `feeds list` crash.
    import sqlite3

    from index.web.registry import FeedRegistry

    data = tmp_path / "data"
    FeedRegistry(data / "feeds.sqlite3").add("http://127.0.0.1:9/feed.xml", 3600)
    with sqlite3.connect(data / "feeds.sqlite3") as db:
        db.execute("UPDATE feeds SET every_s = 8.64e16, next_due = 8.64e16, last_success = 8.64e16")
    table = newsrag(["feeds", "list"], data)
    assert table.returncode == 0 and "Traceback" not in table.stderr, table.stderr
    assert "30d" in table.stdout
    rows = json.loads(newsrag(["feeds", "list", "--json"], data).stdout)
    assert [(r["url"], r["every"]) for r in rows] == [("http://127.0.0.1:9/feed.xml", "30d")]
    refused = newsrag(["feeds", "add", "http://127.0.0.1:9/other.xml", "--every", "999999999999d"], data)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "(30d)" in refused.stderr + refused.stdout
