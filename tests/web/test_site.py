"""The loopback TestSite itself: what other web tests rely on it to serve and record."""

from __future__ import annotations

import gzip
import http.client
import time

from tests.web.site import TestSite


def _get(site: TestSite, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def test_page_etag_and_conditional_answers(site: TestSite) -> None:
    site.add("/a", "<p>one</p>")
    first = _get(site, "/a")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.status == 200 and etag.startswith('"') and modified
    assert _get(site, "/a", {"If-None-Match": etag}).status == 304
    assert _get(site, "/a", {"If-Modified-Since": modified}).status == 304
    site.add("/a", "<p>one</p>")  # same body: same validators
    assert _get(site, "/a", {"If-None-Match": etag}).status == 304
    site.add("/a", "<p>two</p>")
    changed = _get(site, "/a", {"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert changed.headers["Last-Modified"] != modified
    assert _get(site, "/a", {"If-Modified-Since": modified}).status == 200
    assert site.hits("/a") == 6
    assert site.requests[1].headers["if-none-match"] == etag


def test_unknown_removed_redirect_and_robots(site: TestSite) -> None:
    assert _get(site, "/robots.txt").status == 404
    site.add("/gone", "x")
    site.remove("/gone")
    assert _get(site, "/gone").status == 404
    site.redirect("/old", "/new", status=308)
    moved = _get(site, "/old")
    assert moved.status == 308 and moved.headers["Location"] == "/new"


def test_bomb_is_small_on_the_wire(site: TestSite) -> None:
    site.gzip_bomb("/bomb", 20 * 2**20)
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    conn.request("GET", "/bomb")
    resp = conn.getresponse()
    wire = resp.read()
    assert resp.headers["Content-Encoding"] == "gzip" and len(wire) < 100_000
    assert len(gzip.decompress(wire)) == 20 * 2**20


def test_slow_and_chunked(site: TestSite) -> None:
    site.slow("/slow", 0.3)
    start = time.monotonic()
    assert _get(site, "/slow").status == 200
    assert time.monotonic() - start >= 0.3
    site.add("/c", b"x" * 200_000, headers={"Transfer-Encoding": "chunked"})
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    conn.request("GET", "/c")
    resp = conn.getresponse()
    assert resp.headers["Content-Length"] is None and resp.read() == b"x" * 200_000


def test_route_without_conditional_get_always_sends_the_body(site: TestSite) -> None:
    site.add("/feed", "<rss/>", conditional=False)
    first = _get(site, "/feed")
    assert first.status == 200 and first.headers["ETag"] is None and first.headers["Last-Modified"] is None
    asked = {"If-None-Match": "*", "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
    assert _get(site, "/feed", asked).status == 200
    site.add("/feed", "<rss/>")  # the same body, conditional again
    assert _get(site, "/feed", {"If-None-Match": "*"}).status == 304
