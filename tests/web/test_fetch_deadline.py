"""``FetchPolicy.timeout`` bounds a whole ``Fetcher.get``, and one stalling host does not hold up others.

Servers here are raw sockets on 127.0.0.1 that speak HTTP/1.1 by hand, so they can do what a
well-behaved server never does: trickle header lines forever, or answer each redirect hop
slowly. Each fetch runs in a helper thread joined with a generous bound, so a fetch that never
ends fails its test instead of hanging the run. The bounds are behaviour bounds, not timings.
The last test runs ``newsrag ingest URL`` as a real process against a trickling server.
"""

from __future__ import annotations

import functools
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.web.net import hosts
from index.web.net.fetch import Fetcher, FetchPolicy
from index.web.types import Fetched, FetchError
from tests.web.site import TestSite

NEWSRAG = str(Path(sys.executable).parent / "newsrag")
BOUND = 10.0  # a fetch with a 2 s timeout must be over well before this


class RawSite:
    """Answers by hand on 127.0.0.1: ``/trickle*`` (and ``/robots.txt``) send a status line, then
    one header line every ``every`` seconds, forever; ``/hop/N`` waits ``hop_delay`` seconds and
    redirects to ``/hop/N+1`` (``/hop/<last>`` is a page); anything else is a small page at once.
    Each answer closes its connection. ``paths`` lists the paths asked for, in order."""

    __test__ = False

    def __init__(self, every: float = 1.0, hop_delay: float = 0.0, last_hop: int = 0) -> None:
        self.every, self.hop_delay, self.last_hop = every, hop_delay, last_hop
        self.paths: list[str] = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                head = b""
                while b"\r\n\r\n" not in head:
                    piece = conn.recv(65536)
                    if not piece:
                        return
                    head += piece
                path = head.split(b" ", 2)[1].decode("ascii")
                self.paths.append(path)
                hop = re.fullmatch(r"/hop/(\d+)", path)
                if path.startswith("/trickle") or path == "/robots.txt":
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    n = 0
                    while not self._stop.wait(self.every):
                        conn.sendall(b"X-Wait-%d: yes\r\n" % n)
                        n += 1
                elif hop and int(hop[1]) < self.last_hop:
                    if self._stop.wait(self.hop_delay):
                        return
                    to = f"/hop/{int(hop[1]) + 1}".encode("ascii")
                    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n" % to)
                    conn.sendall(b"Connection: close\r\n\r\n")
                else:
                    body = b"<html><body><p>here</p></body></html>"
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n")
                    conn.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            except OSError:
                return


@pytest.fixture
def raw() -> Iterator[RawSite]:
    started = RawSite()
    try:
        yield started
    finally:
        started.close()


def timed(call: Callable[[], Fetched], bound: float = BOUND) -> tuple[float, Fetched | FetchError]:
    """Run ``call`` in a thread; its seconds and result or FetchError. Fails if still running at ``bound``."""
    done: list[Fetched | FetchError] = []

    def run() -> None:
        try:
            done.append(call())
        except FetchError as err:
            done.append(err)

    start = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(bound)
    assert done, f"the fetch was still running after {bound:g} s"
    return time.monotonic() - start, done[0]


def refusal(result: Fetched | FetchError) -> str:
    assert isinstance(result, FetchError), f"expected a refusal, got {result!r}"
    assert "\n" not in result.reason
    return result.reason


def names(*hosts: str) -> Callable[[str, int], list[str]]:
    return lambda host, port: ["127.0.0.1"] if host in hosts else []


@pytest.mark.parametrize("obey_robots", [False, True])
def test_headers_trickled_forever_stop_at_the_timeout(raw: RawSite, obey_robots: bool) -> None:
    """Each header line comes well within the timeout; the whole answer (robots.txt first) is still bounded."""
    with Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, timeout=2.0, obey_robots=obey_robots)) as fetcher:
        seconds, result = timed(lambda: fetcher.get(raw.url("/trickle")))
    assert refusal(result) == "no answer within 2 s: raise NEWSRAG_FETCH_TIMEOUT to wait longer"
    assert 1.9 < seconds < 4.0, seconds
    assert raw.paths == (["/robots.txt"] if obey_robots else ["/trickle"])  # the page was never asked for


def test_a_redirect_chain_shares_one_deadline(raw: RawSite) -> None:
    """Four hops of 0.8 s each: every hop is within the 2 s timeout, the chain is not."""
    raw.hop_delay, raw.last_hop = 0.8, 4
    policy = FetchPolicy(allow_private=True, host_delay=0.0, timeout=2.0, obey_robots=False)
    with Fetcher(policy) as fetcher:
        seconds, result = timed(lambda: fetcher.get(raw.url("/hop/0")))
        reason = refusal(result)
        assert reason == "redirected to http://127.0.0.1:{}/hop/2: no answer within 2 s: {}".format(
            raw.port, "raise NEWSRAG_FETCH_TIMEOUT to wait longer"
        )
        assert 1.9 < seconds < 4.0, seconds
        assert raw.paths == ["/hop/0", "/hop/1", "/hop/2"]
        # The hop cut short had 0.4 s of the 2 s: the host is not remembered as stalling.
        raw.last_hop = 1
        _, again = timed(lambda: fetcher.get(raw.url("/hop/0")))
        assert isinstance(again, Fetched) and again.status == 200


def test_other_hosts_go_on_while_one_stalls(raw: RawSite, site: TestSite) -> None:
    site.add("/news", "<p>fresh</p>")
    policy = FetchPolicy(allow_private=True, host_delay=0.0, timeout=3.0, obey_robots=False)
    with Fetcher(policy, resolve=names("stall.test", "quick.test")) as fetcher:
        stalled: list[tuple[float, Fetched | FetchError]] = []
        stuck = threading.Thread(
            target=lambda: stalled.append(timed(lambda: fetcher.get(raw.url("/trickle", "stall.test"))))
        )
        stuck.start()
        time.sleep(0.5)
        seconds, quick = timed(lambda: fetcher.get(f"http://quick.test:{site.port}/news"))
        assert not isinstance(quick, FetchError) and quick.body == b"<p>fresh</p>"
        assert seconds < 1.0 and stuck.is_alive()  # answered while the other host still trickled
        stuck.join(BOUND)
        assert stalled and "no answer within 3 s" in refusal(stalled[0][1])
        # One thread doing both in turn, as a feed refresh does: the stall cost its one timeout.
        seconds, again = timed(lambda: fetcher.get(raw.url("/trickle2", "stall.test")))
        assert "a moment ago" in refusal(again) and seconds < 1.0
        assert isinstance(timed(lambda: fetcher.get(f"http://quick.test:{site.port}/news"))[1], Fetched)


def test_a_stalling_host_is_refused_at_once_for_a_while(raw: RawSite, site: TestSite) -> None:
    site.add("/news", "<p>fresh</p>")
    policy = FetchPolicy(allow_private=True, host_delay=0.0, timeout=2.0)
    with Fetcher(policy, resolve=names("stall.test", "quick.test")) as fetcher:
        seconds, first = timed(lambda: fetcher.get(raw.url("/trickle/1", "stall.test")))
        assert "no answer within 2 s" in refusal(first) and seconds > 1.9
        asked = len(raw.paths)
        for n in range(2, 12):  # a feed listing many links to the stalling site
            seconds, again = timed(functools.partial(fetcher.get, raw.url(f"/trickle/{n}", "stall.test")))
            assert refusal(again) == "stall.test did not answer within 2 s a moment ago: try later"
            assert seconds < 0.5, seconds
        assert len(raw.paths) == asked  # nothing more was sent to it
        other_port = f"http://stall.test:{site.port}/news"
        assert "a moment ago" in refusal(timed(lambda: fetcher.get(other_port))[1])  # the host, on any port
        seconds, quick = timed(lambda: fetcher.get(f"http://quick.test:{site.port}/news"))
        assert not isinstance(quick, FetchError) and quick.body == b"<p>fresh</p>" and seconds < 1.0


def test_stalling_hosts_are_forgotten_after_the_pause_and_few_are_kept(
    raw: RawSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hosts, "SLOW_HOST_PAUSE", 2.0)
    monkeypatch.setattr(hosts, "SLOW_HOSTS_KEPT", 2)
    policy = FetchPolicy(allow_private=True, host_delay=0.0, timeout=0.5, obey_robots=False)
    with Fetcher(policy, resolve=names("a.test", "b.test", "c.test")) as fetcher:

        def asks(host: str) -> bool:
            """Whether a fetch from ``host`` reached the server (else it was refused at once)."""
            before = len(raw.paths)
            assert "0.5 s" in refusal(timed(lambda: fetcher.get(raw.url("/trickle", host)))[1])
            return len(raw.paths) > before

        assert asks("a.test") and not asks("a.test")
        time.sleep(2.1)
        assert asks("a.test")  # its mark expired: asked (and timed out, marked) again
        assert asks("b.test") and asks("c.test")  # c's mark pushes out a's, the oldest
        assert not asks("b.test") and not asks("c.test")
        assert asks("a.test")  # forgotten


def test_a_wait_for_another_threads_robots_txt_is_bounded_and_not_kept(
    raw: RawSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B waits for the robots.txt A is reading from a stalling host: both end by their deadlines,
    and the failure is not kept as the origin's robots.txt verdict once the host's pause is over."""
    monkeypatch.setattr(hosts, "SLOW_HOST_PAUSE", 1.0)
    with Fetcher(FetchPolicy(allow_private=True, host_delay=0.0, timeout=2.0)) as fetcher:
        results: dict[str, tuple[float, Fetched | FetchError]] = {}

        def fetch_page(name: str) -> None:
            results[name] = timed(functools.partial(fetcher.get, raw.url(f"/trickle/{name}")))

        first = threading.Thread(target=fetch_page, args=("a",))
        first.start()
        time.sleep(0.3)
        fetch_page("b")
        first.join(BOUND)
        assert "no answer within 2 s" in refusal(results["a"][1])
        assert refusal(results["b"][1]) in (
            "127.0.0.1 did not answer within 2 s a moment ago: try later",
            "no answer within 2 s (still waiting for 127.0.0.1's turn): try later",
        )
        assert results["b"][0] < 2.5
        assert raw.paths == ["/robots.txt"]  # B sent nothing
        time.sleep(1.1)
        fetch_page("c")
        assert "no answer within 2 s" in refusal(results["c"][1])
        assert raw.paths == ["/robots.txt", "/robots.txt"]  # asked again, not refused from memory


@pytest.mark.slow
def test_ingest_of_a_trickling_url_ends(raw: RawSite, tmp_path: Path) -> None:
    """``newsrag ingest URL`` as a user runs it, NEWSRAG_FETCH_TIMEOUT=3: one line for the URL, exit 1."""
    env = {
        **os.environ,
        "NEWSRAG_DATA_DIR": str(tmp_path / "data"),
        "NEWSRAG_FETCH_ALLOW_PRIVATE": "true",
        "NEWSRAG_FETCH_TIMEOUT": "3",
        "NEWSRAG_BACKEND": "extractive",
        "COLUMNS": "200",
    }
    url = raw.url("/trickle")
    start = time.monotonic()
    try:
        done = subprocess.run([NEWSRAG, "ingest", url], env=env, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("`newsrag ingest URL` was still running after 30 s")
    seconds = time.monotonic() - start
    assert done.returncode == 1, done.stderr
    assert f"failed: {url}: no answer within 3 s: raise NEWSRAG_FETCH_TIMEOUT to wait longer" in done.stderr
    assert seconds < 30
