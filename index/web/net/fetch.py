"""Fetch one http(s) URL safely and politely: the only module of newsrag that talks to the network.

``Fetcher.get`` returns a ``Fetched`` (the body after redirects, decoded from gzip/deflate) or
raises ``FetchError`` with a one-line reason. Every hop of a redirect chain is vetted by
``index.web.net.addresses.vet`` (scheme, credentials, every resolved address public unless
``allow_private``) and the connection goes to the checked IP with the real name in the Host
header and TLS SNI, so a DNS answer that changes after the check cannot redirect us. Bodies are
capped before reading (Content-Length) and while streaming, after decompression too. robots.txt
is obeyed per origin (cached an hour) and each host gets one request at a time, started at least
``host_delay`` apart; other hosts go on in parallel.

``FetchPolicy.timeout`` bounds a whole ``get``, not each socket operation: one deadline covers
waiting for the host's turn, the robots.txt fetch it triggers (from the same remaining time),
every redirect hop, connect, TLS, headers and body. The sockets enforce it (an httpcore network
backend clamps each connect/read/write to the time left), so a server trickling one header line
at a time is cut off too. A host whose request ran out its deadline is refused at once for
``SLOW_HOST_PAUSE`` (at most ``SLOW_HOSTS_KEPT`` hosts remembered), so a feed listing many links
to a stalling site costs one timeout, not one each; other hosts are not affected.

Left out: cookies, authentication, proxies (``trust_env`` is off: a proxy would connect by name
and undo the address pinning; only SSL_CERT_FILE/SSL_CERT_DIR are read, for a private CA),
HTTP/2, retries (callers decide when to try again), methods other than GET, caching bodies
(callers keep the ETag/Last-Modified and send them back), and bounding DNS lookups: the
resolver (the system's by default) runs before the connection, under its own timeouts.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import urllib.robotparser
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpcore
import httpx

from index.web.net.addresses import Resolver, Target, vet
from index.web.net.inflate import ACCEPT_ENCODING, EncodingError, Inflater
from index.web.types import Fetched, FetchError

DEFAULT_USER_AGENT = "newsrag/0.1 (news reader; +offline)"
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
ROBOTS_TTL = 3600.0
ROBOTS_RETRY = 300.0  # an unreachable robots.txt is asked again after this long, not an hour
ROBOTS_MAX_BYTES = 512 * 1024  # what Google reads of a robots.txt
SLOW_HOST_PAUSE = 180.0  # a host that ran out a request's deadline is refused at once for this long
SLOW_HOSTS_KEPT = 256  # at most this many such hosts remembered; the oldest mark is dropped first
_CAP_HINT = "raise NEWSRAG_FETCH_MAX_MB to fetch it"
_WAIT_HINT = "raise NEWSRAG_FETCH_TIMEOUT to wait longer"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchPolicy:
    """What the fetcher may do: address range, size and time limits, redirects, politeness."""

    allow_private: bool = False
    max_bytes: int = 5 * 2**20
    timeout: float = 20.0
    max_redirects: int = 5
    host_delay: float = 1.0
    user_agent: str = DEFAULT_USER_AGENT
    obey_robots: bool = True

    @property
    def agent_token(self) -> str:
        """The product token robots.txt rules are matched against ("newsrag")."""
        return self.user_agent.split("/", 1)[0].split()[0] if self.user_agent.strip() else "*"


@dataclass
class _Answer:
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes = b""


@dataclass
class _Gate:
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_start: float = float("-inf")


@dataclass(frozen=True)
class _Robots:
    expires: float
    parser: urllib.robotparser.RobotFileParser | None = None  # None: everything allowed
    error: str = ""  # robots.txt could not be read: refuse until it can


class _Deadline(threading.local):
    """The deadline (``time.monotonic()``) of the ``get`` this thread runs; None outside one."""

    at: float | None = None

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


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the current ``get``'s deadline.

    The deadline is read at each call, not when the connection opened: a kept-alive connection
    serves the ``get`` of whichever thread uses it next.
    """

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
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

    def __init__(self, deadline: _Deadline) -> None:
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


class _Transport(httpx.BaseTransport):
    """HTTP/1.1 over an httpcore pool whose sockets keep the current ``get``'s deadline."""

    def __init__(self, tls: ssl.SSLContext, deadline: _Deadline) -> None:
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


class Fetcher:
    """Fetches URLs under a ``FetchPolicy``; safe to share between threads; ``close()`` when done.

    ``resolve(host, port)`` gives a host's IP addresses (default: the system resolver).
    ``requests`` counts the HTTP requests sent, robots.txt and redirect hops included.
    Each ``get`` ends within ``policy.timeout`` (plus the DNS lookups), whatever the servers do.
    """

    def __init__(self, policy: FetchPolicy, resolve: Resolver | None = None) -> None:
        self.policy = policy
        self.requests = 0
        self._resolve = resolve or system_resolve
        self._lock = threading.Lock()
        self._gates: dict[str, _Gate] = {}
        self._clients: dict[tuple[str, str, int], httpx.Client] = {}
        self._robots: dict[tuple[str, str, int], _Robots] = {}
        self._robots_locks: dict[tuple[str, str, int], threading.Lock] = {}
        self._closed = False
        self._tls: ssl.SSLContext | None = None
        self._deadline = _Deadline()
        self._slow: dict[str, float] = {}  # host -> until when it is refused (oldest first)

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, accept: str = PAGE_ACCEPT
    ) -> Fetched:
        """GET ``url`` following redirects; a conditional request when ``etag``/``last_modified`` given.

        Returns ``Fetched(status=304)`` when the server says the resource is unchanged.
        """
        if self._closed:
            raise RuntimeError("this Fetcher is closed")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        outer = self._deadline.at
        self._deadline.at = time.monotonic() + self.policy.timeout
        try:
            target, answer = self._follow(url, headers, self.policy.max_bytes, self.policy.obey_robots)
        finally:
            self._deadline.at = outer
        if answer.status >= 400:
            hint = ": try later" if answer.status == 429 or answer.status >= 500 else ""
            raise FetchError(url, f"HTTP {answer.status} {_short(answer.reason, 60)}".rstrip() + hint)
        media_type, charset = _content_type(answer.headers.get("content-type", ""))
        if answer.status == 304:
            return Fetched(
                url=url,
                final_url=str(target.url),
                status=304,
                etag=answer.headers.get("etag") or etag,
                last_modified=answer.headers.get("last-modified") or last_modified,
            )
        return Fetched(
            url=url,
            final_url=str(target.url),
            status=answer.status,
            content_type=media_type,
            body=answer.body,
            etag=answer.headers.get("etag"),
            last_modified=answer.headers.get("last-modified"),
            charset=charset,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
            self._closed = True
        for client in clients:
            client.close()

    # -- one URL, hop by hop -----------------------------------------------------------------

    def _follow(
        self, url: str, headers: dict[str, str], cap: int, obey_robots: bool, truncate: bool = False
    ) -> tuple[Target, _Answer]:
        """Request ``url`` and each redirect it leads to (each vetted anew); the last answer.

        A body over ``cap`` bytes is refused, or cut at ``cap`` when ``truncate``.
        """
        current = url
        for hop in range(self.policy.max_redirects + 1):
            try:
                target = vet(current, self._resolve, self.policy.allow_private)
                self._refuse_if_slow(target)
                if obey_robots:
                    self._check_robots(target)
                answer = self._send(target, headers, cap, truncate)
            except FetchError as err:
                reason = err.reason if hop == 0 else f"redirected to {_short(current)}: {err.reason}"
                raise FetchError(url, reason) from None
            if answer.status not in _REDIRECTS:
                return target, answer
            location = answer.headers.get("location", "").strip()
            if not location:
                raise FetchError(url, f"HTTP {answer.status} redirect without a Location")
            try:
                current = str(target.url.join(location))
            except (httpx.InvalidURL, ValueError) as err:
                raise FetchError(url, f"redirected to an invalid URL {_short(location)} ({err})") from None
        raise FetchError(url, f"more than {self.policy.max_redirects} redirects (a redirect loop?)")

    def _send(self, target: Target, headers: dict[str, str], cap: int, truncate: bool) -> _Answer:
        """One GET to ``target``'s first reachable checked address, in this host's turn."""
        sent = {
            **headers,
            "Host": target.netloc,
            "User-Agent": self.policy.user_agent,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        # The certificate is checked against the name given as SNI, not the IP connected to.
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        client = self._client(target)
        with self._turn(target):
            self._refuse_if_slow(target)  # the request before this one may have just found it stalling
            budget = self._deadline.left()
            with self._lock:
                self.requests += 1
            for i, address in enumerate(target.addresses):
                try:
                    pinned = target.url.copy_with(host=address)
                    request = client.build_request("GET", pinned, headers=sent, extensions=extensions)
                    response = client.send(request, stream=True)
                except httpx.ConnectError as err:
                    if i + 1 < len(target.addresses):
                        continue  # another of the host's checked addresses may answer
                    raise FetchError(str(target.url), _connect_reason(err)) from None
                except httpx.TimeoutException:
                    raise self._late(target, budget) from None
                except (httpx.HTTPError, httpx.InvalidURL) as err:
                    raise FetchError(str(target.url), _broken_reason(err)) from None
                try:
                    return self._read(target, response, cap, truncate, budget)
                finally:
                    response.close()
        raise FetchError(str(target.url), "no address to connect to")  # vet never returns none

    def _read(self, target: Target, response: httpx.Response, cap: int, truncate: bool, budget: float) -> _Answer:
        answer = _Answer(response.status_code, response.reason_phrase, response.headers)
        if answer.status in _REDIRECTS or answer.status == 304 or answer.status >= 400:
            return answer  # bodies never used: left unread (httpcore then closes the connection, not reuses it)
        where = str(target.url)
        length = response.headers.get("content-length", "").strip()
        if length.isdigit() and int(length) > cap and not truncate:
            raise FetchError(where, f"the body is {int(length):,} bytes, over the {_size(cap)} cap: {_CAP_HINT}")
        try:
            inflater = Inflater(response.headers.get("content-encoding", ""))
        except EncodingError as err:
            raise FetchError(where, str(err)) from None
        body = bytearray()
        raw = 0
        try:
            for chunk in response.iter_raw():  # each read ends by the deadline (the socket's timeout)
                raw += len(chunk)
                if raw > cap and not truncate:
                    raise FetchError(where, f"the body is over the {_size(cap)} cap: {_CAP_HINT}")
                for piece in inflater.feed(chunk):
                    body += piece
                    if len(body) > cap:
                        break
                if len(body) > cap or raw > cap:
                    break
            else:
                for piece in inflater.flush():
                    body += piece
        except EncodingError as err:
            raise FetchError(where, str(err)) from None
        except httpx.TimeoutException:
            raise self._late(target, budget, "the body kept coming" if raw else "") from None
        except httpx.HTTPError as err:
            raise FetchError(where, _broken_reason(err)) from None
        if len(body) > cap and not truncate:
            raise FetchError(where, f"the body is over {_size(cap)} once decompressed (a compression bomb?)")
        answer.body = bytes(body[:cap])
        return answer

    # -- the deadline and stalling hosts ----------------------------------------------------

    def _late(self, target: Target, budget: float, detail: str = "") -> FetchError:
        """The error of a request to ``target`` that ran out the deadline, ``budget`` s after it began.

        The host is remembered as stalling when it had at least half the timeout to answer in:
        a hop left a sliver of time by the hops before it is not the host's fault.
        """
        if budget >= self.policy.timeout / 2:
            with self._lock:
                self._slow.pop(target.host, None)
                self._slow[target.host] = time.monotonic() + SLOW_HOST_PAUSE
                while len(self._slow) > SLOW_HOSTS_KEPT:
                    del self._slow[next(iter(self._slow))]
        why = f" ({detail})" if detail else ""
        return FetchError(str(target.url), f"no answer within {self.policy.timeout:g} s{why}: {_WAIT_HINT}")

    def _stalling(self, host: str) -> bool:
        """Whether ``host`` ran out a request's deadline less than ``SLOW_HOST_PAUSE`` ago."""
        now = time.monotonic()
        with self._lock:
            # Marks are kept in the order they expire: drop the expired ones from the front.
            while self._slow and next(iter(self._slow.values())) <= now:
                del self._slow[next(iter(self._slow))]
            return host in self._slow

    def _refuse_if_slow(self, target: Target) -> None:
        """Fail at once when ``target``'s host is stalling (see ``_stalling``)."""
        if self._stalling(target.host):
            raise FetchError(
                str(target.url),
                f"{target.host} did not answer within {self.policy.timeout:g} s a moment ago: try later",
            )

    # -- robots.txt ------------------------------------------------------------------------

    def _check_robots(self, target: Target) -> None:
        rules = self._robots_for(target)
        if rules.error:
            raise FetchError(str(target.url), f"robots.txt unreachable ({rules.error}): try later")
        agent = self.policy.agent_token
        if rules.parser is not None and not rules.parser.can_fetch(agent, str(target.url)):
            path = target.url.raw_path.decode("ascii")
            raise FetchError(str(target.url), f"robots.txt of {target.host} disallows {agent}: {_short(path)}")

    def _robots_for(self, target: Target) -> _Robots:
        key = target.origin
        with self._lock:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        # One reader per origin: threads asking for the same site wait for its robots.txt once
        # (no longer than their own deadline: the reader ahead may be stuck on a stalling host).
        if not lock.acquire(timeout=self._wait_limit()):
            raise FetchError(str(target.url), self._still_waiting(target))
        try:
            known = self._robots.get(key)
            if known is not None and known.expires > time.monotonic():
                return known
            rules = self._load_robots(target)
            self._robots[key] = rules
            return rules
        finally:
            lock.release()

    def _load_robots(self, target: Target) -> _Robots:
        robots_url = str(target.url.copy_with(path="/robots.txt", query=None))
        now = time.monotonic()
        try:
            accept = {"Accept": "text/plain, */*;q=0.5"}
            _, answer = self._follow(robots_url, accept, ROBOTS_MAX_BYTES, obey_robots=False, truncate=True)
        except FetchError as err:
            if self._deadline.left() <= 0 or self._stalling(target.host):
                raise  # out of time, or the host is stalling: not a verdict on robots.txt to keep
            return _Robots(now + ROBOTS_RETRY, error=err.reason)
        if answer.status >= 500 or answer.status == 429:
            return _Robots(now + ROBOTS_RETRY, error=f"HTTP {answer.status}")
        if answer.status >= 400:
            return _Robots(now + ROBOTS_TTL)  # no robots.txt: everything is allowed
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(answer.body.decode("utf-8", errors="replace").splitlines())
        return _Robots(now + ROBOTS_TTL, parser=parser)

    # -- connections and politeness ------------------------------------------------------------

    def _client(self, target: Target) -> httpx.Client:
        # One client (connection pool) per origin: pools are keyed by the IP connected to, and a
        # shared pool could reuse a TLS connection checked for one name to talk to another name.
        with self._lock:
            if self._closed:
                raise RuntimeError("this Fetcher is closed")  # a caller's bug, not the site's fault
            client = self._clients.get(target.origin)
            if client is None:
                if self._tls is None:
                    # One TLS context for all: the CA bundle costs ~17 ms to load per new site otherwise.
                    # SSL_CERT_FILE / SSL_CERT_DIR are honoured (a private CA); proxy variables are not.
                    self._tls = httpx.create_ssl_context(trust_env=True)
                client = httpx.Client(
                    transport=_Transport(self._tls, self._deadline),
                    trust_env=False,
                    follow_redirects=False,
                    timeout=self.policy.timeout,
                )
                self._clients[target.origin] = client
            return client

    @contextmanager
    def _turn(self, target: Target) -> Iterator[None]:
        """Hold the host's turn: one request at a time, starts at least ``host_delay`` apart.

        Waiting for it counts against the deadline; the request holding it ends by its own.
        """
        with self._lock:
            gate = self._gates.setdefault(target.host, _Gate())
        if not gate.lock.acquire(timeout=self._wait_limit()):
            raise FetchError(str(target.url), self._still_waiting(target))
        try:
            wait = gate.last_start + self.policy.host_delay - time.monotonic()
            if wait > 0:
                if wait >= self._deadline.left():
                    raise FetchError(str(target.url), self._still_waiting(target))
                time.sleep(wait)
            gate.last_start = time.monotonic()
            yield
        finally:
            gate.lock.release()

    def _wait_limit(self) -> float:
        """How long a lock may be waited for: the time left (``Lock.acquire``'s -1 outside a ``get``)."""
        left = self._deadline.left()
        return -1 if left == float("inf") else max(0.0, min(left, threading.TIMEOUT_MAX))

    def _still_waiting(self, target: Target) -> str:
        return f"no answer within {self.policy.timeout:g} s (still waiting for {target.host}'s turn): try later"


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (IP literals come back as they are)."""
    seen: list[str] = []
    for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


def _content_type(value: str) -> tuple[str, str | None]:
    """The lowercased media type and the charset parameter of a Content-Type header."""
    media_type, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, arg = param.partition("=")
        if name.strip().lower() == "charset" and arg.strip():
            charset = arg.strip().strip("\"'").lower() or None
    return media_type.strip().lower(), charset


def _connect_reason(err: httpx.ConnectError) -> str:
    text = _first_line(err)
    low = text.lower()
    if "refused" in low:
        return "connection refused: is the site up?"
    if "certificate" in low or "ssl" in low or "tls" in low:
        return f"TLS failed ({text})"
    return f"cannot connect ({text})"


def _broken_reason(err: Exception) -> str:
    return f"the connection failed ({_first_line(err)})"


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return _short(text[0]) if text else type(err).__name__


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"
