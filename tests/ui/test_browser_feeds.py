"""Live news in the chat UI, in a real browser: follow a feed, see it listed, ask about its new article.

``newsrag chat`` runs as a subprocess (real MiniLM, real Chroma on disk, the extractive
backend so an answer takes seconds, not a model's minute) and fetches from a ``TestSite`` on
127.0.0.1 (``NEWSRAG_FETCH_ALLOW_PRIVATE`` on: the only server it may reach is the test's own).
Headless Chromium through Playwright; screenshots go to test-artifacts/ui/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.ui.test_browser import SHOTS, ask, browser, free_port, last_answer, open_page
from tests.web.pages import STORIES, Entry, article_html, rss
from tests.web.site import TestSite

__all__ = ["browser"]  # the shared Chromium fixture
pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def news_site() -> Iterator[TestSite]:
    site = TestSite()
    for slug in ("glacier", "harbor"):
        site.add(f"/news/{slug}", article_html(STORIES[slug]))
    site.add(
        "/rss",
        rss([Entry(site.url("/news/glacier"), STORIES["glacier"].title, date(2026, 12, 1))]),
        content_type="application/rss+xml",
    )
    yield site
    site.close()


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("feeds-chat")
    port = free_port()
    env = {
        **os.environ,
        "NEWSRAG_DATA_DIR": str(data / "index"),
        "NEWSRAG_FETCH_ALLOW_PRIVATE": "true",
        "NEWSRAG_FETCH_HOST_DELAY": "0",
    }
    cmd = [str(Path(sys.executable).parent / "newsrag"), "chat", "--port", str(port), "--backend", "extractive"]
    log = (data / "chat.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data)
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
            pytest.fail(f"newsrag chat did not start: {(data / 'chat.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_follow_a_feed_in_the_ui_and_ask_about_its_new_article(
    browser: Any, chat_server: str, news_site: TestSite
) -> None:
    requests: list[str] = []
    page = open_page(browser, chat_server, requests)
    page.get_by_role("tab", name="Articles").click()
    page.get_by_text("Feeds", exact=True).click()
    page.fill("#nr-feed-url input, #nr-feed-url textarea", news_site.url("/rss"))
    page.click("#nr-feed-add")
    page.wait_for_function(
        "() => (document.querySelector('#nr-feed-result')?.textContent || '').includes('new article')",
        timeout=120_000,
    )
    result = page.locator("#nr-feed-result").inner_text()
    assert "1 new article" in result, result
    page.wait_for_function(
        "() => (document.querySelector('#nr-feeds')?.textContent || '').includes('Northern Ledger')", timeout=30_000
    )
    page.wait_for_function(
        "t => (document.querySelector('#nr-articles')?.textContent || '').includes(t)",
        arg=STORIES["glacier"].title,
        timeout=30_000,
    )
    page.screenshot(path=str(SHOTS / "feeds-followed.png"), full_page=True)

    # A page by URL, through the web box.
    page.get_by_text("Add articles from the web", exact=True).click()
    page.fill("#nr-urls textarea", news_site.url("/news/harbor"))
    page.click("#nr-fetch")
    page.wait_for_function(
        "() => (document.querySelector('#nr-fetch-result')?.textContent || '').includes('stored')", timeout=120_000
    )

    page.get_by_role("tab", name="Chat").click()
    ask(page, "How much of its ice volume has the Ostral glacier lost since 2010?")
    answer = last_answer(page)
    assert "21 percent" in answer, answer
    sources = page.locator("#nr-sources").inner_text()
    assert STORIES["glacier"].title in sources
    page.screenshot(path=str(SHOTS / "feeds-answer.png"), full_page=True)
    # The page itself fetched nothing from outside this machine.
    assert all(r.startswith((chat_server, "data:", "blob:")) for r in requests), requests
