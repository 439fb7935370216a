"""index.web.net.fetch against a real loopback web site: metadata, redirects, errors, caps, 304s, robots.txt.

The site is on 127.0.0.1, so these fetchers allow private addresses; the refusals of private
addresses are in test_fetch_safety.py.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from index.web.net.fetch import Fetcher, FetchPolicy
from index.web.types import FetchError
from tests.web.site import TestSite


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    f = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, timeout=5.0))
    yield f
    f.close()


def _refusal(fetcher: Fetcher, url: str, **kwargs: str) -> str:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url, **kwargs)
    assert caught.value.url == url and "\n" not in caught.value.reason
    return caught.value.reason


def test_page_comes_back_with_its_metadata(site: TestSite, fetcher: Fetcher) -> None:
    site.add("/story", "<h1>Café</h1>".encode("latin-1"), content_type='Text/HTML; Charset="ISO-8859-1"')
    got = fetcher.get(site.url("/story"))
    assert got.status == 200 and got.body == "<h1>Café</h1>".encode("latin-1")
    assert got.url == got.final_url == site.url("/story")
    assert (got.content_type, got.charset) == ("text/html", "iso-8859-1")
    seen = site.requests[-1]
    assert got.etag and got.etag.startswith('"') and got.last_modified and got.last_modified.endswith("GMT")
    assert seen.headers["user-agent"].startswith("newsrag/") and seen.headers["host"] == f"127.0.0.1:{site.port}"
    assert seen.headers["accept-encoding"] == "gzip, deflate"
    assert fetcher.requests == 2  # robots.txt, then the page


def test_gzip_and_deflate_bodies_are_decoded(site: TestSite, fetcher: Fetcher) -> None:
    html = b"<p>" + b"news " * 5000 + b"</p>"
    site.add("/gz", gzip.compress(html), headers={"Content-Encoding": "gzip"})
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    site.add("/raw-deflate", raw.compress(html) + raw.flush(), headers={"Content-Encoding": "deflate"})
    site.add("/deflate", zlib.compress(html), headers={"Content-Encoding": "deflate"})
    for path in ("/gz", "/raw-deflate", "/deflate"):
        assert fetcher.get(site.url(path)).body == html
    site.add("/br", b"\x0b\x02\x80hi\x03", headers={"Content-Encoding": "br"})
    assert "unsupported Content-Encoding 'br'" in _refusal(fetcher, site.url("/br"))


def test_redirects_are_followed_and_final_url_set(site: TestSite, fetcher: Fetcher) -> None:
    site.add("/now", "<p>here</p>")
    site.redirect("/old", site.url("/mid"), status=301)  # absolute Location
    site.redirect("/mid", "/now", status=307)  # relative Location
    got = fetcher.get(site.url("/old"))
    assert got.body == b"<p>here</p>" and got.url == site.url("/old") and got.final_url == site.url("/now")
    assert [site.hits(p) for p in ("/old", "/mid", "/now")] == [1, 1, 1]


def test_redirect_loops_and_long_chains_stop_at_the_limit(site: TestSite) -> None:
    site.redirect("/loop", "/loop", status=302)
    short = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, max_redirects=2))
    try:
        assert "more than 2 redirects" in _refusal(short, site.url("/loop"))
        assert site.hits("/loop") == 3  # the first request and two redirects, then it gives up
        site.add("/end", "ok")
        site.redirect("/a", "/b")
        site.redirect("/b", "/end")
        assert short.get(site.url("/a")).body == b"ok"  # exactly two redirects is fine
        site.redirect("/c", "/a")
        assert "more than 2 redirects" in _refusal(short, site.url("/c"))
    finally:
        short.close()


def test_http_errors_say_the_status(site: TestSite, fetcher: Fetcher) -> None:
    site.add("/boom", "oops", status=500)
    assert _refusal(fetcher, site.url("/missing")) == "HTTP 404 Not Found"
    assert _refusal(fetcher, site.url("/boom")) == "HTTP 500 Internal Server Error: try later"


def test_redirect_to_another_scheme_is_refused(site: TestSite, fetcher: Fetcher) -> None:
    site.redirect("/to-file", "file:///etc/passwd")
    site.redirect("/to-ftp", "ftp://127.0.0.1/pub/x")
    for path, scheme in (("/to-file", "file"), ("/to-ftp", "ftp")):
        reason = _refusal(fetcher, site.url(path))
        assert reason.startswith("redirected to ") and f"a {scheme}: URL" in reason
        assert "only http:// and https:// URLs can be fetched" in reason
    assert fetcher.requests == 3  # robots.txt and the two redirects: nothing else was asked


def test_slow_answer_times_out(site: TestSite) -> None:
    site.slow("/slow", 3.0)
    quick = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, timeout=0.5, obey_robots=False))
    try:
        start = time.monotonic()
        assert (
            _refusal(quick, site.url("/slow")) == "no answer within 0.5 s: raise NEWSRAG_FETCH_TIMEOUT to wait longer"
        )
        assert time.monotonic() - start < 2.5
    finally:
        quick.close()


def test_connection_refused(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert (
        _refusal(fetcher, f"http://127.0.0.1:{port}/")
        == "robots.txt unreachable (connection refused: is the site up?): try later"
    )
    with Fetcher(FetchPolicy(allow_private=True, obey_robots=False)) as plain:
        assert _refusal(plain, f"http://127.0.0.1:{port}/") == "connection refused: is the site up?"
    with pytest.raises(RuntimeError, match="closed"):
        plain.get(f"http://127.0.0.1:{port}/")


def test_bodies_over_the_cap_are_refused(site: TestSite) -> None:
    capped = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, max_bytes=2**20, obey_robots=False))
    try:
        site.add("/big", b"x" * (2**20 + 1))
        assert "the body is 1,048,577 bytes, over the 1 MB cap: raise NEWSRAG_FETCH_MAX_MB" in _refusal(
            capped, site.url("/big")
        )
        site.add("/big-chunked", b"x" * (3 * 2**20), headers={"Transfer-Encoding": "chunked"})
        assert site.requests[-1].path == "/big"
        assert _refusal(capped, site.url("/big-chunked")).startswith("the body is over the 1 MB cap")
        site.add("/fits", b"x" * 2**20, headers={"Transfer-Encoding": "chunked"})
        assert len(capped.get(site.url("/fits")).body) == 2**20
    finally:
        capped.close()


def test_gzip_bomb_is_refused_early_and_small(site: TestSite) -> None:
    """200 MB of zeros, gzip'd to ~200 KB, against a 1 MB cap: stops at the cap, holds ~1 MB."""
    site.gzip_bomb("/bomb", 200 * 2**20)
    capped = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, max_bytes=2**20, obey_robots=False))
    try:
        tracemalloc.start()
        start = time.monotonic()
        reason = _refusal(capped, site.url("/bomb"))
        elapsed = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        capped.close()
    assert reason == "the body is over 1 MB once decompressed (a compression bomb?)"
    assert peak < 8 * 2**20, f"held {peak / 2**20:.1f} MB while refusing the bomb"
    assert elapsed < 3.0


def test_conditional_get_gives_304_and_sends_validators(site: TestSite, fetcher: Fetcher) -> None:
    site.add("/feed", "<rss>one</rss>", content_type="application/rss+xml")
    first = fetcher.get(site.url("/feed"))
    again = fetcher.get(site.url("/feed"), etag=first.etag)
    assert again.status == 304 and again.not_modified and again.body == b""
    assert again.etag == first.etag and again.last_modified == first.last_modified
    assert site.requests[-1].headers["if-none-match"] == first.etag
    by_date = fetcher.get(site.url("/feed"), last_modified=first.last_modified)
    assert by_date.status == 304 and site.requests[-1].headers["if-modified-since"] == first.last_modified
    site.add("/feed", "<rss>two</rss>", content_type="application/rss+xml")
    changed = fetcher.get(site.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert changed.status == 200 and changed.body == b"<rss>two</rss>" and changed.etag != first.etag


def test_robots_disallow_refuses_without_asking_for_the_page(site: TestSite, fetcher: Fetcher) -> None:
    site.add("/robots.txt", "User-agent: newsrag\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n", "text/plain")
    site.add("/private/a", "secret")
    site.add("/news/a", "story")
    reason = _refusal(fetcher, site.url("/private/a"))
    assert reason == "robots.txt of 127.0.0.1 disallows newsrag: /private/a"
    assert site.hits("/private/a") == 0
    assert fetcher.get(site.url("/news/a")).body == b"story"  # only /private is closed to newsrag
    assert site.hits("/robots.txt") == 1  # read once for the origin, then cached
    ignoring = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, obey_robots=False))
    try:
        assert ignoring.get(site.url("/private/a")).body == b"secret"
    finally:
        ignoring.close()


def test_robots_missing_allows_and_failing_refuses(site: TestSite, fetcher: Fetcher) -> None:
    site.add("/a", "story")
    assert fetcher.get(site.url("/a")).body == b"story"  # robots.txt 404: everything allowed
    assert site.hits("/robots.txt") == 1
    other = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0))
    try:
        site.add("/robots.txt", "down", "text/plain", status=503)
        assert _refusal(other, site.url("/a")) == "robots.txt unreachable (HTTP 503): try later"
        assert site.hits("/a") == 1
    finally:
        other.close()


def test_one_host_is_asked_politely_other_hosts_in_parallel(site: TestSite) -> None:
    delay = 0.5
    names = {"a.test": ["127.0.0.1"], "b.test": ["127.0.0.1"]}
    polite = Fetcher(
        FetchPolicy(allow_private=True, host_delay=delay, obey_robots=False), resolve=lambda h, p: names[h]
    )
    for i in range(4):
        site.add(f"/p{i}", f"page {i}")
    jobs = [("a.test", 0), ("a.test", 1), ("b.test", 2), ("b.test", 3)]
    threads = [threading.Thread(target=polite.get, args=(f"http://{host}:{site.port}/p{i}",)) for host, i in jobs]
    try:
        # Open each host's connection first, so the timed requests all reuse one: a new connection
        # arrives later at the server than its start, which would shrink the measured gap.
        for host in names:
            polite.get(f"http://{host}:{site.port}/p0")
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    finally:
        polite.close()
    starts = {host: sorted(r.at for r in site.requests if r.headers["host"].startswith(host)) for host in names}
    assert all(len(s) == 3 for s in starts.values())
    same_host_gaps = [(s[2] - s[1]) / delay for s in starts.values()]
    across_hosts = abs(starts["a.test"][1] - starts["b.test"][1]) / delay
    assert min(same_host_gaps) >= 0.8, same_host_gaps
    assert across_hosts < 0.5, across_hosts


def test_a_body_that_trickles_in_stops_at_the_timeout() -> None:
    """Each byte comes well within the read timeout; the whole answer is still bounded by it."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n")
            for _ in range(100):
                if stop.wait(0.05):
                    return
                try:
                    conn.sendall(b"x")
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        with Fetcher(FetchPolicy(allow_private=True, timeout=0.5, obey_robots=False)) as fetcher:
            start = time.monotonic()
            reason = _refusal(fetcher, f"http://127.0.0.1:{port}/")
            elapsed = time.monotonic() - start
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
    assert reason == "no answer within 0.5 s (the body kept coming): raise NEWSRAG_FETCH_TIMEOUT to wait longer"
    assert elapsed < 2.0  # the trickle would take 5 s
