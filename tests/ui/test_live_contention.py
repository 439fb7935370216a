"""One slow host on ``newsrag serve`` holds up no one else's live news (issue #30).

A real server (uvicorn on 127.0.0.1, the extractive backend, the fake embedder over an
on-disk Chroma). A followed feed links a page on a host that trickles header lines forever;
while the server refreshes that feed (``POST /api/feeds`` with ``refresh``), another client
ingests a page from another host. Before #30 the second request waited behind the first
pass's lock until the trickling fetch gave up; now passes overlap, so the second answers while
the first is still waiting on the slow host, and the first ends at ``FETCH_TIMEOUT``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ui.test_feeds_api import serve
from tests.ui.test_server import wait_ready
from tests.web.pages import STORIES, Entry, article_html, rss
from tests.web.site import TestSite
from tests.web.test_fetch_deadline import RawSite

TIMEOUT = 8.0  # FETCH_TIMEOUT: the trickling fetch ends here


@pytest.fixture
def site() -> Iterator[TestSite]:
    started = TestSite()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def raw() -> Iterator[RawSite]:
    started = RawSite(every=1.0)
    try:
        yield started
    finally:
        started.close()


def test_a_trickling_feed_link_does_not_hold_up_another_clients_url_ingest(
    tmp_path: Path, raw: RawSite, site: TestSite
) -> None:
    slow = raw.url("/trickle/story", host="localhost")  # another host name than the test site's
    site.add("/rss", rss([Entry(slow, "Slow story")]), content_type="application/rss+xml")
    site.add("/news/rail", article_html(STORIES["rail"]))
    with serve(tmp_path / "data", fetch_allow_private=True, fetch_timeout=TIMEOUT, feed_refresh=False) as server:
        wait_ready(server.url)
        finished: dict[str, float] = {}
        replies: dict[str, httpx.Response] = {}

        def follow() -> None:
            replies["feed"] = httpx.post(
                f"{server.url}/api/feeds", json={"url": site.url("/rss"), "refresh": True}, timeout=120
            )
            finished["feed"] = time.monotonic()

        started = time.monotonic()
        feed_thread = threading.Thread(target=follow)
        feed_thread.start()
        deadline = time.monotonic() + 30
        while not raw.paths:  # the feed's pass is now stuck on the slow host (its robots.txt trickles too)
            assert time.monotonic() < deadline and feed_thread.is_alive()
            time.sleep(0.05)
        page = httpx.post(f"{server.url}/api/articles", data={"urls": [site.url("/news/rail")]}, timeout=120)
        finished["page"] = time.monotonic()
        feed_thread.join(120)

    assert page.status_code == 200, page.text
    assert [u["status"] for u in page.json()["urls"]] == ["stored"]
    assert finished["page"] < finished["feed"], "the URL ingest waited for the slow feed pass"
    feed = replies["feed"]
    assert feed.status_code in (200, 201), feed.text
    (pages,) = [f["pages"] for f in feed.json()["refresh"]["feeds"]]
    assert [p["status"] for p in pages] == ["failed"]
    assert f"within {TIMEOUT:g} s" in pages[0]["reason"], pages[0]["reason"]
    assert finished["feed"] - started < 4 * TIMEOUT  # the whole request was bounded, headers included
