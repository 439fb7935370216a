"""Vet a URL before anything connects to it: scheme, credentials, host, and every address it resolves to.

``vet`` parses a URL, resolves its host once (with the resolver it is given) and checks each
address, returning a ``Target`` that says which checked IP to connect to and which name to
present (Host header, TLS SNI and certificate check). Connecting to that IP, not to the name
again, keeps a DNS answer that changes between check and connect (DNS rebinding) from reaching a
private address.
``address_kind`` names why an address is not public (loopback, private, link-local, ...),
looking inside IPv6 forms that carry an IPv4 address (mapped, compatible, 6to4, NAT64, Teredo).
This module neither resolves (it is handed a resolver) nor connects; ``index.web.net.fetch`` does both.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from index.web.types import FetchError

Resolver = Callable[[str, int], list[str]]

ALLOW_PRIVATE_HINT = "set NEWSRAG_FETCH_ALLOW_PRIVATE=true to allow it"

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPAT = ipaddress.IPv6Network("::/96")


@dataclass(frozen=True)
class Target:
    """A vetted URL: connect to ``addresses`` (checked, in order), speak to ``host`` there."""

    url: httpx.URL
    scheme: str  # "http" or "https"
    host: str  # ASCII (IDNA) host as in the URL, without brackets
    port: int
    addresses: tuple[str, ...]

    @property
    def netloc(self) -> str:
        """The Host header: the host, bracketed when IPv6, with the port when not the default."""
        return self.url.netloc.decode("ascii")

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def address_kind(address: str) -> str | None:
    """Why ``address`` is not a public internet address ("loopback", "private", ...), or None if it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a zone id ("fe80::1%eth0") is not part of the address
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_kind(str(inner))
        if ip.is_site_local:
            return "site-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (CGNAT)"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form routes to, for the forms that carry one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _COMPAT and int(ip) > 1:  # ::a.b.c.d, but not :: and ::1 (IPv6 in their own right)
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def parse_url(url: str) -> httpx.URL:
    """``url`` parsed, when it is an http(s) URL with a host and no credentials; else FetchError."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as err:
        raise FetchError(url, f"not a valid URL ({err})") from None
    scheme = parsed.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"a {scheme}: URL" if scheme else "a URL without a scheme"
        raise FetchError(url, f"{shown}: only http:// and https:// URLs can be fetched")
    if parsed.userinfo:
        raise FetchError(url, "URLs with a user name or password are not fetched: remove the user:password@ part")
    if not parsed.raw_host:
        raise FetchError(url, "the URL has no host: write it like https://example.com/page")
    return parsed.copy_with(fragment=None)


def vet(url: str, resolve: Resolver, allow_private: bool) -> Target:
    """Parse ``url``, resolve its host once and check every address; FetchError when any is refused.

    Every address must pass, not just the first: a name that resolves to one public and one
    private address could otherwise be steered to the private one.
    """
    parsed = parse_url(url)
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    literal = _is_ip(host)
    try:
        addresses = [host] if literal else list(resolve(host, port))
    except (OSError, UnicodeError) as err:
        detail = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise FetchError(url, f"cannot resolve {host} ({detail}): check the host name") from None
    if not addresses:
        raise FetchError(url, f"cannot resolve {host} (no addresses): check the host name")
    for address in addresses:
        if not _is_ip(address):
            raise FetchError(url, f"cannot resolve {host} (the resolver gave {address!r}, not an IP address)")
    if not allow_private:
        for address in addresses:
            kind = address_kind(address)
            if kind is None:
                continue
            article = "an" if kind[0] in "aeiou" else "a"
            where = f"{host} is" if literal else f"{host} resolves to"
            shown = "" if literal else f" {address}"
            raise FetchError(url, f"{where} {article} {kind} address{shown}: {ALLOW_PRIVATE_HINT}")
    return Target(parsed, parsed.scheme, host, port, tuple(addresses))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
