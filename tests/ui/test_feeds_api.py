"""Live news over HTTP: ``urls`` on ``POST /api/articles``, ``/api/feeds``, the OpenAI API's citations.

A real ``newsrag serve`` app (uvicorn on 127.0.0.1, the extractive backend, the fake
embedder over a real on-disk Chroma) fetching from a ``TestSite`` on 127.0.0.1; a second
server with the default settings shows a private address is refused (the server must not
become a proxy into the user's network).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.ui.test_server import LiveServer, wait_ready
from tests.web.pages import STORIES, Entry, article_html, rss
from tests.web.site import TestSite
from ui.http.server import create_app


@pytest.fixture
def site() -> Iterator[TestSite]:
    started = TestSite()
    yield started
    started.close()


def serve(data_dir: Path, **overrides: object) -> LiveServer:
    settings = Settings(data_dir=data_dir, backend="extractive", fetch_host_delay=0.0, **overrides)  # type: ignore[arg-type]
    return LiveServer(create_app(NewsRAG(settings, embedder=FakeEmbedder()), ui=False))


def test_urls_field_ingests_pages_and_answers_cite_them(tmp_path: Path, site: TestSite) -> None:
    site.add("/news/glacier", article_html(STORIES["glacier"]))
    with serve(tmp_path / "data", fetch_allow_private=True) as server:
        wait_ready(server.url)
        reply = httpx.post(
            f"{server.url}/api/articles",
            data={"urls": [site.url("/news/glacier"), site.url("/news/missing"), "javascript:alert(1)"]},
            timeout=60,
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert [u["status"] for u in body["urls"]] == ["stored", "failed", "failed"]
        assert "404" in body["urls"][1]["reason"] and body["articles"] == 1 and body["failed"] == 2

        listed = httpx.get(f"{server.url}/api/articles").json()["articles"]
        assert [(a["url"], a["source"], a["published_at"]) for a in listed] == [
            (site.url("/news/glacier"), "Northern Ledger", "2026-12-01")
        ]
        question = "How much of its ice volume has the Ostral glacier lost since 2010?"
        answer = httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=60).json()
        assert not answer["refused"] and answer["citations"][0]["url"] == site.url("/news/glacier")
        assert answer["newest_cited"] == "2026-12-01"

        completion = httpx.post(
            f"{server.url}/v1/chat/completions",
            json={"model": "newsrag", "messages": [{"role": "user", "content": question}]},
            timeout=60,
        ).json()
        message = completion["choices"][0]["message"]
        assert message["citations"][0]["url"] == site.url("/news/glacier")
        assert f"<{site.url('/news/glacier')}>" in message["content"]  # the sources list links the page
        assert "Newest cited article: 2026-12-01" in message["content"]


def test_feeds_are_followed_listed_refreshed_and_dropped_over_http(tmp_path: Path, site: TestSite) -> None:
    site.add("/news/harbor", article_html(STORIES["harbor"]))
    site.add(
        "/rss", rss([Entry(site.url("/news/harbor"), "Harbor", date(2026, 11, 30))]), content_type="application/rss+xml"
    )
    with serve(tmp_path / "data", fetch_allow_private=True) as server:
        wait_ready(server.url)
        added = httpx.post(f"{server.url}/api/feeds", json={"url": site.url("/rss"), "every": "2h"}, timeout=60)
        assert added.status_code == 201, added.text
        body = added.json()
        assert body["new"] and body["feed"]["every"] == "2h" and body["feed"]["stored"] == 1
        assert [p["status"] for p in body["refresh"]["feeds"][0]["pages"]] == ["stored"]
        assert body["refresh"]["embedded"] > 0

        again = httpx.post(f"{server.url}/api/feeds", json={"url": site.url("/rss"), "refresh": False})
        assert again.status_code == 200 and not again.json()["new"]

        refreshed = httpx.post(f"{server.url}/api/feeds/refresh", json={}, timeout=60).json()
        assert refreshed["feeds"][0]["status"] == "unchanged" and refreshed["embedded"] == 0  # 304

        site.remove("/rss")
        failed = httpx.post(f"{server.url}/api/feeds/refresh", json={}, timeout=60).json()
        assert failed["feeds"][0]["status"] == "failed"
        feeds = httpx.get(f"{server.url}/api/feeds").json()["feeds"]
        assert feeds[0]["failures"] == 1 and "404" in feeds[0]["last_error"]

        bad = httpx.post(f"{server.url}/api/feeds", json={"url": site.url("/x"), "every": "soon"})
        assert bad.status_code == 422 and "30m" in bad.json()["error"]["message"]
        unknown = httpx.post(f"{server.url}/api/feeds/refresh", json={"urls": [site.url("/nope")]})
        assert unknown.status_code == 400 and "feeds add" in unknown.json()["error"]["message"]

        gone = httpx.delete(f"{server.url}/api/feeds", params={"url": site.url("/rss")})
        assert gone.status_code == 200 and httpx.get(f"{server.url}/api/feeds").json()["feeds"] == []
        assert httpx.delete(f"{server.url}/api/feeds", params={"url": site.url("/rss")}).status_code == 404
        assert len(httpx.get(f"{server.url}/api/articles").json()["articles"]) == 1  # its article stays


def test_the_server_refuses_to_fetch_private_addresses_by_default(tmp_path: Path, site: TestSite) -> None:
    site.add("/news/harbor", article_html(STORIES["harbor"]))
    with serve(tmp_path / "data") as server:
        wait_ready(server.url)
        targets = [site.url("/news/harbor"), "http://169.254.169.254/latest/meta-data/", "http://[::1]:9/"]
        body = httpx.post(f"{server.url}/api/articles", data={"urls": targets}, timeout=60).json()
        assert [u["status"] for u in body["urls"]] == ["failed"] * 3
        assert all("NEWSRAG_FETCH_ALLOW_PRIVATE" in u["reason"] for u in body["urls"])
        added = httpx.post(f"{server.url}/api/feeds", json={"url": "http://10.0.0.1/rss"}, timeout=60).json()
        assert added["refresh"]["feeds"][0]["status"] == "failed"
    assert site.requests == []  # nothing reached the loopback site


def test_an_absurd_interval_is_a_422_and_a_bad_stored_row_still_lists(tmp_path: Path, site: TestSite) -> None:
    # The outside probe (#30): every=999999999999d was stored, and from then on GET /api/feeds was a 500.
    site.add("/rss", rss([]), content_type="application/rss+xml")
    with serve(tmp_path / "data", fetch_allow_private=True) as server:
        wait_ready(server.url)
        absurd = httpx.post(f"{server.url}/api/feeds", json={"url": site.url("/rss"), "every": "999999999999d"})
        assert absurd.status_code == 422, absurd.text
        message = absurd.json()["error"]["message"]
        assert message.startswith("every: ") and "(1m)" in message and "(30d)" in message
        assert httpx.get(f"{server.url}/api/feeds").json() == {"feeds": []}  # nothing was stored

        assert httpx.post(f"{server.url}/api/feeds", json={"url": site.url("/rss"), "every": "30d"}).status_code == 201
        with sqlite3.connect(tmp_path / "data" / "feeds.sqlite3") as db:  # a row an older version stored
            db.execute("UPDATE feeds SET every_s = 8.64e16, next_due = 8.64e16, last_success = 8.64e16")
        listed = httpx.get(f"{server.url}/api/feeds")
        assert listed.status_code == 200, listed.text
        (feed,) = listed.json()["feeds"]
        assert feed["every"] == "30d" and feed["next_due"] != "due now"
        again = httpx.post(f"{server.url}/api/feeds/refresh", json={}, timeout=60)
        assert again.status_code == 200 and httpx.get(f"{server.url}/api/feeds").status_code == 200


def test_feed_request_flags_are_strict_booleans(tmp_path: Path) -> None:
    # The outside probe (#30): "refresh": "yes" was read as true; /api/ask refuses it.
    with serve(tmp_path / "data") as server:
        wait_ready(server.url)
        for body in (
            {"url": "http://10.0.0.1/rss", "refresh": "yes"},
            {"url": "http://10.0.0.1/rss", "refresh": 1},
            {"url": "http://10.0.0.1/rss", "refresh": "false"},
            {"url": "http://10.0.0.1/rss", "refesh": False},  # a typo is refused, not ignored
        ):
            reply = httpx.post(f"{server.url}/api/feeds", json=body, timeout=60)
            assert reply.status_code == 422, (body, reply.text)
            assert reply.json()["error"]["type"] == "invalid_request"
        assert httpx.get(f"{server.url}/api/feeds").json() == {"feeds": []}
        ok = httpx.post(f"{server.url}/api/feeds", json={"url": "http://10.0.0.1/rss", "refresh": False})
        assert ok.status_code == 201 and ok.json()["refresh"] is None
