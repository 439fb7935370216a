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

Reading answers cross-site stays blocked by the browser's same-origin policy: newsrag adds no
CORS headers, and Gradio's own CORS check (on for the mounted UI) stays as it is. The refusal
is JSON in the server's error shape with status 403. Authentication is ``ui.http.server``'s.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


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
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        host = headers.get("host", "")
        problem = ""
        if not self.policy.host_ok(host):
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
            elif origin is None and headers.get("sec-fetch-site") == "cross-site":
                problem = "cross-site request refused: use newsrag from its own pages"
        if not problem:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = {"error": {"message": problem, "type": "forbidden"}}
        await JSONResponse(body, status_code=403)(scope, receive, send)
