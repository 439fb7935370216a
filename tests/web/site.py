"""A real HTTP/1.1 web site on 127.0.0.1 for the live-news tests: pages, feeds, redirects, faults.

``TestSite`` serves what a test puts on it (``add``), with a strong ETag and a Last-Modified per
body and 304 answers to matching conditional requests, plus redirects, slow answers, gzip bombs
and removals, and records every request it got (method, path, headers, arrival time). Unknown
paths, ``/robots.txt`` included, answer 404. It leaves out TLS, HTTP/2, range requests and
anything a test does not need; it never contacts anything itself.

Routes match on the path with its query string first, then on the bare path. A route added with
``headers={"Transfer-Encoding": "chunked"}`` is sent chunked, without a Content-Length; one added
with ``conditional=False`` behaves like a server without conditional GET (no validators sent,
conditional headers ignored, always the whole body).
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
import zlib
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    """One request the site received; header names are lowercased, ``at`` is time.monotonic()."""

    method: str
    path: str
    headers: dict[str, str]
    at: float = 0.0


@dataclass
class _Route:
    kind: str  # "page", "redirect", "slow", "bomb"
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: float = 0.0  # epoch seconds, whole
    location: str = ""
    delay: float = 0.0
    conditional: bool = True  # False: no ETag/Last-Modified, conditional requests get the full body


@functools.lru_cache(maxsize=4)
def _gzip_zeros(size: int) -> bytes:
    """``size`` zero bytes gzip-compressed (about 1000:1), built a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(2**20)
    parts = []
    left = size
    while left > 0:
        parts.append(packer.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(packer.flush())
    return b"".join(parts)


class TestSite:
    """A started web site on 127.0.0.1 (port chosen by the OS); ``close()`` stops it."""

    __test__ = False  # not a pytest test class despite its name

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle's algorithm and the
            # client's delayed ACK add ~40 ms to every keep-alive answer.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                site._serve(self, head=False)

            def do_HEAD(self) -> None:
                site._serve(self, head=True)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A client that gave up (timeout, size cap) makes the handler's write fail: expected here.
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="test-site", daemon=True)
        self._thread.start()

    # -- what tests call ------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
        conditional: bool = True,
    ) -> None:
        """Serve ``body`` at ``path`` (replacing what was there); a new body gets a new ETag and date.

        ``conditional=False``: send no ETag or Last-Modified and ignore If-None-Match and
        If-Modified-Since, as a server without conditional GET does."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha256(data).hexdigest()[:24] + '"'
        with self._lock:
            old = self._routes.get(path)
            if old is not None and old.kind == "page" and old.etag == etag:
                modified = old.last_modified
            else:
                # Whole seconds (HTTP dates have no more), and strictly later than the old body's.
                modified = float(int(time.time()))
                if old is not None and old.last_modified >= modified:
                    modified = old.last_modified + 1
            self._routes[path] = _Route(
                "page",
                data,
                content_type,
                status,
                dict(headers or {}),
                etag=etag,
                last_modified=modified,
                conditional=conditional,
            )

    def redirect(self, path: str, to_path: str, status: int = 301) -> None:
        """Answer ``path`` with ``status`` and ``Location: to_path``, sent exactly as given."""
        with self._lock:
            self._routes[path] = _Route("redirect", status=status, location=to_path)

    def slow(self, path: str, seconds: float, body: bytes | str = b"<html><body>late</body></html>") -> None:
        """Wait ``seconds`` before answering ``path`` with ``body``."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._routes[path] = _Route("slow", data, delay=seconds)

    def gzip_bomb(self, path: str, decompressed_bytes: int) -> None:
        """Serve ``decompressed_bytes`` zeros gzip-compressed (Content-Encoding: gzip) at ``path``."""
        data = _gzip_zeros(decompressed_bytes)
        with self._lock:
            self._routes[path] = _Route("bomb", data, headers={"Content-Encoding": "gzip"})

    def remove(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    def hits(self, path: str) -> int:
        """How many requests asked for ``path`` (with or without a query string)."""
        with self._lock:
            return sum(1 for r in self.requests if r.path == path or r.path.split("?", 1)[0] == path)

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- serving ---------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, head: bool) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Request(handler.command, handler.path, headers, time.monotonic()))
            route = self._routes.get(handler.path) or self._routes.get(handler.path.split("?", 1)[0])
        if route is None:
            self._send(handler, head, 404, b"not found\n", {"Content-Type": "text/plain"})
        elif route.kind == "redirect":
            self._send(handler, head, route.status, b"", {"Location": route.location})
        elif route.kind == "slow":
            if self._closing.wait(route.delay):
                return
            self._send(handler, head, 200, route.body, {"Content-Type": "text/html; charset=utf-8"})
        elif route.kind == "bomb":
            self._send(handler, head, 200, route.body, {"Content-Type": "text/html", **route.headers})
        else:
            self._serve_page(handler, head, route, headers)

    def _serve_page(self, handler: BaseHTTPRequestHandler, head: bool, route: _Route, asked: dict[str, str]) -> None:
        out = {"Content-Type": route.content_type}
        if 200 <= route.status < 300 and route.conditional:
            out["ETag"] = route.etag
            out["Last-Modified"] = formatdate(route.last_modified, usegmt=True)
            if _unchanged(route, asked):
                self._send(handler, head, 304, b"", {"ETag": route.etag, "Last-Modified": out["Last-Modified"]})
                return
        out.update(route.headers)
        self._send(handler, head, route.status, route.body, out)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, head: bool, status: int, body: bytes, headers: dict[str, str]) -> None:
        chunked = headers.get("Transfer-Encoding", "").lower() == "chunked"
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if not chunked and status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if head or status == 304:
            return
        if not chunked:
            handler.wfile.write(body)
            return
        for start in range(0, len(body), 65536):
            piece = body[start : start + 65536]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        handler.wfile.write(b"0\r\n\r\n")


def _unchanged(route: _Route, asked: dict[str, str]) -> bool:
    """Whether the conditional headers in ``asked`` match ``route``'s current body (RFC 9110 13.2.2)."""
    if_none_match = asked.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or route.etag in tags
    since = asked.get("if-modified-since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(since).timestamp() >= route.last_modified
    except (TypeError, ValueError):
        return False
