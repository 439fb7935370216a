"""Refuse requests for another host (DNS rebinding) and cross-site requests that change state (CSRF).

``HostGuard`` is ASGI middleware in front of the whole server (REST, OpenAI-compatible API,
the Gradio UI and its queue). It needs no API key, so it protects the default keyless server:

- **Host**: the ``Host`` header must name this server. Bound to loopback, that is
  ``localhost``, a loopback address or a name in ``NEWSRAG_ALLOWED_HOSTS``; bound to all
  interfaces (``0.0.0.0``/``::``), any IP address or a listed name; bound to one address or
  name, that one or a listed name. A web page that rebinds its own domain to 127.0.0.1 sends
  its domain as Host and is refused, so it can neither use the API nor read its answers.
  ``*`` in the list accepts every host (behind a proxy that checks it); ``*.example.com``
  accepts that domain's subdomains.
- **Origin**: a request that can change something (any method but GET/HEAD/OPTIONS) and every
  WebSocket handshake must come from this server's own pages: a browser's ``Origin`` must
  match the ``Host`` it sent (or be listed in ``NEWSRAG_ALLOWED_ORIGINS``), and
  ``Sec-Fetch-Site: cross-site`` is refused. Clients that are not browsers (curl, SDKs) send
  neither header and pass. This stops any web page from uploading, deleting or asking with a
  plain form post, which needs no CORS preflight.

A request that repeats ``Host`` or ``Origin`` is refused with 400 (RFC 9110/9112 allow one
of each): judging one copy while the app or a proxy reads the other would let a foreign host
through, so no copy is chosen. A ``Host`` whose port is not 1 to 65535 in digits
(``localhost:evil``), or that is not a name, an IPv4 address or a bracketed IPv6 address, is
refused with 400 as well.

Reading answers cross-site stays blocked by the browser's same-origin policy: newsrag adds no
CORS headers, and Gradio's own CORS check (on for the mounted UI) stays as it is. The refusal
is JSON in the server's error shape with status 403 (400 for the malformed headers above).
Authentication is ``ui.http.server``'s.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})
_HOST_HEADER = re.compile(r"(?:\[(?P<ip6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._-]+))(?::(?P<port>[0-9]{1,5}))?")
_SINGLE = ("host", "origin")  # headers a request may carry once

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


def host_header_ok(header: str) -> bool:
    """Whether a ``Host`` value is well-formed: a name, IPv4 or ``[IPv6]``, and a port of 1 to 65535 if any."""
    match = _HOST_HEADER.fullmatch(header.strip().lower())
    if match is None:
        return False
    if match["ip6"] is not None and not isinstance(_ip(match["ip6"]), ipaddress.IPv6Address):
        return False
    return match["port"] is None or 1 <= int(match["port"]) <= 65535


def host_name(header: str) -> str:
    """The host of a ``Host`` header value, lower case, without its port (IPv6 in brackets kept bare)."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


class HostPolicy:
    """Which ``Host`` names and ``Origin`` hosts a server bound to ``bind`` accepts."""

    def __init__(self, bind: str, allowed_hosts: Iterable[str] = (), allowed_origins: Iterable[str] = ()) -> None:
        self.bind = host_name(bind) if bind not in _WILDCARD_BINDS else bind
        self.names = {h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip()}
        self.origins = {o.strip().lower().rstrip("/") for o in allowed_origins if o.strip()}

    def host_ok(self, host: str) -> bool:
        name = host_name(host).rstrip(".")
        if not name:
            return False
        if "*" in self.names or name in self.names:
            return True
        if any(p.startswith("*.") and name.endswith(p[1:]) for p in self.names):
            return True
        ip = _ip(name)
        if self.bind in _WILDCARD_BINDS:
            return ip is not None or name == "localhost"
        bound = _ip(self.bind)
        if self.bind == "localhost" or (bound is not None and bound.is_loopback):
            return name == "localhost" or (ip is not None and ip.is_loopback)
        return name == self.bind or (ip is not None and bound is not None and ip == bound)

    def origin_ok(self, origin: str, host: str) -> bool:
        """Whether a browser's ``Origin`` is this server itself (or listed)."""
        origin = origin.strip().lower().rstrip("/")
        if origin in self.origins or "*" in self.origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # "null" (sandboxed frames, file: pages) and other schemes
        return parts.netloc == host.strip().lower()


class HostGuard:
    """ASGI middleware enforcing a ``HostPolicy`` on HTTP requests and WebSocket handshakes."""

    def __init__(self, app: Any, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        pairs = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers") or []]
        headers = dict(reversed(pairs))  # the first copy; a repeated Host or Origin is refused below
        host = headers.get("host", "")
        problem, status = "", 403
        repeated = [name for name in _SINGLE if sum(k == name for k, _ in pairs) > 1]
        if repeated:
            problem, status = f"the request repeats the {repeated[0].title()} header: send it once", 400
        elif host and not host_header_ok(host):
            problem, status = f"malformed Host header {host[:100]!r}: send host[:port], the port 1 to 65535", 400
        elif not self.policy.host_ok(host):
            problem = (
                f"requests for host {host_name(host)[:100] or '(none)'!r} are refused: open newsrag by the address it "
                "listens on, or add the name to NEWSRAG_ALLOWED_HOSTS"
            )
        elif scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and not self.policy.origin_ok(origin, host):
                problem = (
                    f"cross-site request from {origin[:100]!r} refused: use newsrag from its own pages, or add that "
                    "origin to NEWSRAG_ALLOWED_ORIGINS"
                )
            elif origin is None and any(k == "sec-fetch-site" and v == "cross-site" for k, v in pairs):
                problem = "cross-site request refused: use newsrag from its own pages"
        if not problem:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = {"error": {"message": problem, "type": "forbidden" if status == 403 else "invalid_request"}}
        await JSONResponse(body, status_code=status)(scope, receive, send)
