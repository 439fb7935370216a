"""The deadline of one ``Fetcher.get``, and the httpx transport whose sockets keep it.

``Deadline`` holds, per thread, the moment the ``get`` that thread runs must end by, and says
how long is left: for a socket operation (``bound``) or for a lock to be waited for
(``acquire``). ``DeadlineTransport`` is HTTP/1.1 over an httpcore connection pool whose network
backend clamps every connect, TLS handshake, read and write to the time left, so a server
trickling one header line at a time is cut off too; httpcore's errors come out as the httpx
errors they stand for, as httpx's own transport would give them.

Left out: what to connect to and whether it is allowed (``index.web.net.fetch`` vets, pins and
builds every request; this module only carries them out, and only ``Fetcher`` uses it), DNS
(the names are resolved before the connection), HTTP/2, proxies and connection retries.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx


class Deadline(threading.local):
    """The deadline (``time.monotonic()``) of the ``get`` this thread runs; None outside one."""

    at: float | None = None

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """Run the block under a deadline ``seconds`` from now (the outer one comes back after)."""
        outer = self.at
        self.at = time.monotonic() + seconds
        try:
            yield
        finally:
            self.at = outer

    def left(self) -> float:
        """Seconds left before the deadline (negative once past; infinite outside a ``get``)."""
        return float("inf") if self.at is None else self.at - time.monotonic()

    def bound(self, timeout: float | None, late: type[httpcore.TimeoutException]) -> float | None:
        """``timeout`` cut to the time left; raises ``late`` once the deadline has passed."""
        left = self.left()
        if left <= 0:
            raise late("the deadline of the whole request passed")
        if left == float("inf"):
            return timeout
        return left if timeout is None else min(timeout, left)

    def acquire(self, lock: threading.Lock) -> bool:
        """Take ``lock``, waiting no longer than the time left (for ever outside a ``get``)."""
        left = self.left()
        return lock.acquire(timeout=-1 if left == float("inf") else max(0.0, min(left, threading.TIMEOUT_MAX)))


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the current ``get``'s deadline.

    The deadline is read at each call, not when the connection opened: a kept-alive connection
    serves the ``get`` of whichever thread uses it next.
    """

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # A GET's head is a few hundred bytes: one bounded write (the socket may split it) is enough.
        self._inner.write(buffer, self._deadline.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # CPython bounds a whole TLS handshake by the socket timeout, not each record it waits for.
        bounded = self._deadline.bound(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded), self._deadline)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's blocking sockets, with connects and streams bounded by the current ``get``'s deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self._deadline.bound(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)


# httpcore's errors as the httpx ones they stand for, most specific first.
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx() -> Iterator[None]:
    try:
        yield
    except Exception as err:
        for theirs, ours in _HTTPX_ERRORS:
            if isinstance(err, theirs):
                raise ours(str(err)) from err
        raise


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            with _as_httpx():
                close()


class DeadlineTransport(httpx.BaseTransport):
    """HTTP/1.1 over an httpcore pool whose sockets keep the current ``get``'s deadline."""

    def __init__(self, tls: ssl.SSLContext, deadline: Deadline) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,  # httpx's default: servers drop idle connections soon
            network_backend=_DeadlineBackend(deadline),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        sent = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream if isinstance(request.stream, httpx.SyncByteStream) else None,
            extensions=request.extensions,
        )
        with _as_httpx():
            answer = self._pool.handle_request(sent)
        body = answer.stream if isinstance(answer.stream, Iterable) else ()
        return httpx.Response(answer.status, headers=answer.headers, stream=_Body(body), extensions=answer.extensions)

    def close(self) -> None:
        self._pool.close()
