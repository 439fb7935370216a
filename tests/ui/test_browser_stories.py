"""The Stories view and a timeline answer in a real browser.

``newsrag ingest`` (real MiniLM, real Chroma on disk) stores the sample articles and the made-up
Karrow Dam story (three dated reports from two outlets, ``tests/index/story_articles``); then
``newsrag chat`` (extractive backend) serves the UI to headless Chromium through Playwright.
The Stories tab must show the dam story as a timeline of its three articles by date, each with
headline, source and key sentence; a "what has happened since" question in the chat must come
back as dated points citing those articles. Screenshots go to test-artifacts/ui/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.index.story_articles import DAM, MATCH, write
from tests.ui.test_browser import SHOTS, ask, browser, free_port, last_answer, open_page

__all__ = ["browser"]  # the shared Chromium fixture
pytestmark = [pytest.mark.browser, pytest.mark.e2e]
NEWSRAG = str(Path(sys.executable).parent / "newsrag")


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("stories-chat")
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(root / "index")}
    articles = write(root / "in" / "dam.jsonl", *DAM, MATCH)
    for args in (["ingest", "--samples"], ["ingest", str(articles)]):
        done = subprocess.run([NEWSRAG, *args], env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    port = free_port()
    log = (root / "chat.log").open("w")
    cmd = [NEWSRAG, "chat", "--port", str(port), "--backend", "extractive"]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"newsrag chat did not start: {(root / 'chat.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_the_stories_view_and_a_timeline_answer(browser: Any, chat_server: str) -> None:
    requests: list[str] = []
    page = open_page(browser, chat_server, requests)
    page.get_by_role("tab", name="Stories").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#nr-story-timeline .nr-tl-item').length >= 3", timeout=60_000
    )
    items = page.locator("#nr-story-timeline .nr-tl-item")
    dates = [items.nth(i).locator(".nr-tl-date").inner_text() for i in range(items.count())]
    assert dates == ["2026-03-02", "2026-03-03", "2026-03-09"]  # the dam story, oldest first
    timeline = page.locator("#nr-story-timeline").inner_text()
    assert DAM[0]["title"] in timeline and "Northern Ledger" in timeline and "Valley Courier" in timeline
    assert "Vessel Rovers" not in timeline  # the cup final shares a name, not the event
    assert page.locator("#nr-story-timeline a[href='https://courier.example/karrow-dam-breach']").count() == 1
    page.screenshot(path=str(SHOTS / "stories.png"), full_page=True)

    page.get_by_role("tab", name="Chat").click()
    ask(page, "What has happened since the Karrow Dam burst?")
    answer = last_answer(page)
    points = page.locator("#nr-chat .nr-timeline-answer li")
    assert points.count() >= 2, answer
    assert "2026-03-02" in answer and "2026-03-09" in answer
    page.screenshot(path=str(SHOTS / "timeline-answer.png"), full_page=True)
    assert all(r.startswith((chat_server, "data:", "blob:")) for r in requests), requests
