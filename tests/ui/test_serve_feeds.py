"""``newsrag serve`` refreshes followed feeds in the background, and ``FEED_REFRESH=false`` stops it.

Real processes: a feed is followed with ``newsrag feeds add --later`` (nothing fetched yet),
then ``newsrag serve`` (extractive backend, real MiniLM, Chroma on disk) starts; its articles
must appear in ``GET /api/articles`` without any request asking for a refresh. The feed is on a
``TestSite`` on 127.0.0.1 (``FETCH_ALLOW_PRIVATE`` on for it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.ui.test_browser import free_port
from tests.web.pages import STORIES, Entry, article_html, rss
from tests.web.site import TestSite

pytestmark = pytest.mark.e2e
NEWSRAG = str(Path(sys.executable).parent / "newsrag")


@pytest.fixture
def news_site() -> Iterator[TestSite]:
    site = TestSite()
    site.add("/news/rail", article_html(STORIES["rail"]))
    site.add(
        "/rss",
        rss([Entry(site.url("/news/rail"), "Night train", date(2026, 12, 3))]),
        content_type="application/rss+xml",
    )
    yield site
    site.close()


def serve(data: Path, site: TestSite, refresh: bool) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "NEWSRAG_DATA_DIR": str(data),
        "NEWSRAG_FETCH_ALLOW_PRIVATE": "true",
        "NEWSRAG_FEED_REFRESH": "true" if refresh else "false",
    }
    added = subprocess.run(
        [NEWSRAG, "feeds", "add", site.url("/rss"), "--later"], env=env, capture_output=True, text=True, timeout=120
    )
    assert added.returncode == 0, added.stderr
    port = free_port()
    log = (data.parent / f"serve-{refresh}.log").open("w")
    cmd = [NEWSRAG, "serve", "--no-ui", "--port", str(port), "--backend", "extractive"]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (data.parent / f"serve-{refresh}.log").read_text()
        time.sleep(0.5)


def test_serve_refreshes_followed_feeds_in_the_background(tmp_path: Path, news_site: TestSite) -> None:
    proc, url = serve(tmp_path / "on" / "data", news_site, refresh=True)
    try:
        deadline = time.monotonic() + 90
        while not (articles := httpx.get(f"{url}/api/articles").json()["articles"]):
            assert time.monotonic() < deadline, "the followed feed was never refreshed"
            time.sleep(1)
        assert [a["url"] for a in articles] == [news_site.url("/news/rail")]
        feed = httpx.get(f"{url}/api/feeds").json()["feeds"][0]
        assert feed["stored"] == 1 and feed["last_success"] and feed["next_due"] != "due now"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_feed_refresh_off_leaves_feeds_alone(tmp_path: Path, news_site: TestSite) -> None:
    proc, url = serve(tmp_path / "off" / "data", news_site, refresh=False)
    try:
        time.sleep(5)  # the refresh-on server above stores the article within a few seconds of readiness
        assert httpx.get(f"{url}/api/articles").json()["articles"] == []
        assert news_site.hits("/rss") == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
