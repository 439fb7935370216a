"""Fetch one http(s) URL safely and politely: the only module of newsrag that talks to the network.

``Fetcher.get`` returns a ``Fetched`` (the body after redirects, decoded from gzip/deflate) or
raises ``FetchError`` with a one-line reason. Every hop of a redirect chain is vetted by
``index.web.net.addresses.vet`` (scheme, credentials, every resolved address public unless
``allow_private``) and the connection goes to the checked IP with the real name in the Host
header and TLS SNI, so a DNS answer that changes after the check cannot redirect us. Bodies are
capped before reading (Content-Length) and while streaming, after decompression too
(``index.web.net.inflate``). robots.txt is obeyed per origin (``index.web.net.robots``: cached
an hour) and each host gets one request at a time, started at least ``host_delay`` apart; other
hosts go on in parallel (``index.web.net.hosts``).

``FetchPolicy.timeout`` bounds a whole ``get``, not each socket operation: one deadline covers
waiting for the host's turn, the robots.txt fetch it triggers (from the same remaining time),
every redirect hop, connect, TLS, headers and body. The sockets enforce it
(``index.web.net.deadline``: an httpcore network backend clamps each connect/read/write to the
time left), so a server trickling one header line at a time is cut off too. A host whose request
ran out its deadline is refused at once for ``hosts.SLOW_HOST_PAUSE`` (at most
``hosts.SLOW_HOSTS_KEPT`` hosts remembered), so a feed listing many links to a stalling site
costs one timeout, not one each; other hosts are not affected.

The modules beside this one do one part each and no I/O of their own, except ``deadline``,
whose transport carries out the requests this module builds and pins; only ``Fetcher`` uses it.
``reasons`` words the failures.

Left out: cookies, authentication, proxies (``trust_env`` is off: a proxy would connect by name
and undo the address pinning; only SSL_CERT_FILE/SSL_CERT_DIR are read, for a private CA),
HTTP/2, retries (callers decide when to try again), methods other than GET, caching bodies
(callers keep the ETag/Last-Modified and send them back), and bounding DNS lookups: the
resolver (the system's by default) runs before the connection, under its own timeouts.
"""

from __future__ import annotations

import functools
import socket
import ssl
import threading
import time
from dataclasses import dataclass

import httpx

from index.web.net import robots
from index.web.net.addresses import Resolver, Target, vet
from index.web.net.deadline import Deadline, DeadlineTransport
from index.web.net.hosts import SlowHosts, Turns
from index.web.net.inflate import ACCEPT_ENCODING, EncodingError, Inflater
from index.web.net.reasons import CAP_HINT, WAIT_HINT, broken_reason, connect_reason, short, size
from index.web.types import Fetched, FetchError

DEFAULT_USER_AGENT = "newsrag/0.1 (news reader; +offline)"
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
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
        self._clients: dict[tuple[str, str, int], httpx.Client] = {}
        self._closed = False
        self._tls: ssl.SSLContext | None = None
        self._deadline = Deadline()
        self._turns = Turns()
        self._slow = SlowHosts()
        self._robots = robots.RobotsCache()

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
        with self._deadline.within(self.policy.timeout):
            target, answer = self._follow(url, headers, self.policy.max_bytes, self.policy.obey_robots)
        if answer.status >= 400:
            hint = ": try later" if answer.status == 429 or answer.status >= 500 else ""
            raise FetchError(url, f"HTTP {answer.status} {short(answer.reason, 60)}".rstrip() + hint)
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
                reason = err.reason if hop == 0 else f"redirected to {short(current)}: {err.reason}"
                raise FetchError(url, reason) from None
            if answer.status not in _REDIRECTS:
                return target, answer
            location = answer.headers.get("location", "").strip()
            if not location:
                raise FetchError(url, f"HTTP {answer.status} redirect without a Location")
            try:
                current = str(target.url.join(location))
            except (httpx.InvalidURL, ValueError) as err:
                raise FetchError(url, f"redirected to an invalid URL {short(location)} ({err})") from None
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
        with self._turns.hold(target.host, self.policy.host_delay, self._deadline, self._still_waiting(target)):
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
                    raise FetchError(str(target.url), connect_reason(err)) from None
                except httpx.TimeoutException:
                    raise self._late(target, budget) from None
                except (httpx.HTTPError, httpx.InvalidURL) as err:
                    raise FetchError(str(target.url), broken_reason(err)) from None
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
            raise FetchError(where, f"the body is {int(length):,} bytes, over the {size(cap)} cap: {CAP_HINT}")
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
                    raise FetchError(where, f"the body is over the {size(cap)} cap: {CAP_HINT}")
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
            raise FetchError(where, broken_reason(err)) from None
        if len(body) > cap and not truncate:
            raise FetchError(where, f"the body is over {size(cap)} once decompressed (a compression bomb?)")
        answer.body = bytes(body[:cap])
        return answer

    # -- the deadline and stalling hosts ----------------------------------------------------

    def _late(self, target: Target, budget: float, detail: str = "") -> FetchError:
        """The error of a request to ``target`` that ran out the deadline, ``budget`` s after it began.

        The host is remembered as stalling when it had at least half the timeout to answer in:
        a hop left a sliver of time by the hops before it is not the host's fault.
        """
        if budget >= self.policy.timeout / 2:
            self._slow.mark(target.host)
        why = f" ({detail})" if detail else ""
        return FetchError(str(target.url), f"no answer within {self.policy.timeout:g} s{why}: {WAIT_HINT}")

    def _refuse_if_slow(self, target: Target) -> None:
        """Fail at once when ``target``'s host ran out a request's deadline a moment ago."""
        if self._slow.stalling(target.host):
            raise FetchError(
                str(target.url),
                f"{target.host} did not answer within {self.policy.timeout:g} s a moment ago: try later",
            )

    def _still_waiting(self, target: Target) -> FetchError:
        """The error of a request whose wait for the host (its turn, its robots.txt) outlasts the deadline."""
        reason = f"no answer within {self.policy.timeout:g} s (still waiting for {target.host}'s turn): try later"
        return FetchError(str(target.url), reason)

    # -- robots.txt ------------------------------------------------------------------------

    def _check_robots(self, target: Target) -> None:
        load = functools.partial(self._load_robots, target)
        rules = self._robots.get(target.origin, load, self._deadline, self._still_waiting(target))
        if rules.error:
            raise FetchError(str(target.url), f"robots.txt unreachable ({rules.error}): try later")
        agent = self.policy.agent_token
        if not rules.allows(agent, str(target.url)):
            path = target.url.raw_path.decode("ascii")
            raise FetchError(str(target.url), f"robots.txt of {target.host} disallows {agent}: {short(path)}")

    def _load_robots(self, target: Target) -> robots.Robots:
        now = time.monotonic()
        try:
            accept = {"Accept": robots.ROBOTS_ACCEPT}
            url = robots.robots_url(target.url)
            _, answer = self._follow(url, accept, robots.ROBOTS_MAX_BYTES, obey_robots=False, truncate=True)
        except FetchError as err:
            if self._deadline.left() <= 0 or self._slow.stalling(target.host):
                raise  # out of time, or the host is stalling: not a verdict on robots.txt to keep
            return robots.unreachable(err.reason, since=now)
        return robots.from_answer(answer.status, answer.body, since=now)

    # -- connections --------------------------------------------------------------------------

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
                    transport=DeadlineTransport(self._tls, self._deadline),
                    trust_env=False,
                    follow_redirects=False,
                    timeout=self.policy.timeout,
                )
                self._clients[target.origin] = client
            return client


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
