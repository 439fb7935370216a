"""What the fetcher refuses to connect to, and how it pins the checked address (SSRF, DNS rebinding).

Refusals are shown on a real loopback site that must see no request; hops to public-looking
addresses are checked on ``vet`` alone, so no test ever connects off this machine.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.web.net.addresses import address_kind, vet
from index.web.net.fetch import Fetcher, FetchPolicy
from index.web.types import FetchError
from tests.web.site import TestSite

TLS = Path(__file__).parent / "tls"


@pytest.fixture
def strict() -> Iterator[Fetcher]:
    f = Fetcher(FetchPolicy(host_delay=0.0, timeout=2.0))
    yield f
    f.close()


@pytest.mark.parametrize(
    ("netloc", "kind"),
    [
        ("127.0.0.1:{port}", "a loopback"),
        ("localhost:{port}", "a loopback"),  # the system resolver's answer is checked
        ("[::1]:{port}", "a loopback"),
        ("0.0.0.0:{port}", "an unspecified"),
        ("[::ffff:127.0.0.1]:{port}", "a loopback"),
        ("2130706433:{port}", "a loopback"),  # 127.0.0.1 written as one number
        ("10.0.0.5", "a private"),
        ("169.254.169.254", "a link-local"),
        ("100.64.0.1", "a shared (CGNAT)"),
        ("[fe80::1]", "a link-local"),
    ],
)
def test_private_addresses_are_refused_before_connecting(
    site: TestSite, strict: Fetcher, netloc: str, kind: str
) -> None:
    url = f"http://{netloc.format(port=site.port)}/page"
    with pytest.raises(FetchError) as caught:
        strict.get(url)
    assert f"{kind} address" in caught.value.reason
    assert caught.value.reason.endswith("set NEWSRAG_FETCH_ALLOW_PRIVATE=true to allow it")
    assert strict.requests == 0 and site.requests == []


def test_names_are_pinned_to_the_checked_address_with_the_real_host(site: TestSite) -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return {"news.test": ["127.0.0.1"], "hop.test": ["127.0.0.1"]}[host]

    site.add("/a", "<p>pinned</p>")
    site.redirect("/moved", f"http://hop.test:{site.port}/a")
    fetcher = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0), resolve=resolve)
    try:
        got = fetcher.get(f"http://news.test:{site.port}/moved")
        assert got.body == b"<p>pinned</p>" and got.final_url == f"http://hop.test:{site.port}/a"
        # each hop resolved once (robots.txt and page share the answer's check, not a cache)
        assert ("news.test", site.port) in asked and ("hop.test", site.port) in asked
        hosts = [(r.path, r.headers["host"]) for r in site.requests]
        assert ("/moved", f"news.test:{site.port}") in hosts and ("/a", f"hop.test:{site.port}") in hosts
        assert ("/robots.txt", f"hop.test:{site.port}") in hosts  # the new host's robots.txt is obeyed too
    finally:
        fetcher.close()


def test_every_redirect_hop_is_resolved_and_checked_again(site: TestSite) -> None:
    def resolve(host: str, port: int) -> list[str]:
        if host == "news.test":
            return ["127.0.0.1"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    site.redirect("/away", "http://elsewhere.test/x")
    fetcher = Fetcher(FetchPolicy(allow_private=True, host_delay=0.0), resolve=resolve)
    try:
        with pytest.raises(FetchError) as caught:
            fetcher.get(f"http://news.test:{site.port}/away")
    finally:
        fetcher.close()
    assert caught.value.reason == (
        "redirected to http://elsewhere.test/x: cannot resolve elsewhere.test (Name or service not known): "
        "check the host name"
    )


@pytest.fixture
def tls_site() -> Iterator[tuple[int, list[str | None]]]:
    """A one-page HTTPS server on 127.0.0.1 with a self-signed certificate for news.test: (port, SNI names seen)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS / "news-test.crt", TLS / "news-test.key")
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,misc,func-returns-value]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(5)
                    tls.recv(65536)
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecure")
            except (ssl.SSLError, OSError):
                pass  # a client refusing our certificate: what some tests expect

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], names
    stop.set()
    thread.join(timeout=5)
    listener.close()


def _tls_fetcher() -> Fetcher:
    return Fetcher(
        FetchPolicy(allow_private=True, host_delay=0.0, timeout=5.0, obey_robots=False),
        resolve=lambda h, p: ["127.0.0.1"],
    )


def test_https_to_the_pinned_ip_presents_the_real_name_and_checks_the_certificate(
    tls_site: tuple[int, list[str | None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, names = tls_site
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "news-test.crt"))  # trust the test's own CA
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with _tls_fetcher() as fetcher:
        got = fetcher.get(f"https://news.test:{port}/")
        assert got.body == b"secure" and got.final_url == f"https://news.test:{port}/"
        with pytest.raises(FetchError) as caught:  # same IP, a name the certificate does not cover
            fetcher.get(f"https://other.test:{port}/")
    assert names == ["news.test", "other.test"]
    assert caught.value.reason.startswith("TLS failed") and "Hostname mismatch" in caught.value.reason


def test_https_with_an_untrusted_certificate_is_refused(
    tls_site: tuple[int, list[str | None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, names = tls_site
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with _tls_fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get(f"https://news.test:{port}/")
    assert names == ["news.test"]
    assert caught.value.reason.startswith("TLS failed") and "certificate verify failed" in caught.value.reason


# -- vet: the check each hop goes through, without any connection ----------------------------


def _refused(url: str, resolve: dict[str, list[str]] | None = None) -> str:
    table = resolve or {}
    with pytest.raises(FetchError) as caught:
        vet(url, lambda h, p: table[h], allow_private=False)
    return caught.value.reason


def test_vet_refuses_bad_urls_with_a_hint() -> None:
    assert _refused("ftp://x.test/a") == "a ftp: URL: only http:// and https:// URLs can be fetched"
    assert _refused("file:///etc/passwd").startswith("a file: URL")
    assert _refused("javascript:alert(1)").startswith("a javascript: URL")
    assert _refused("www.example.test/a") == "a URL without a scheme: only http:// and https:// URLs can be fetched"
    assert _refused("http://user:pw@x.test/") == (
        "URLs with a user name or password are not fetched: remove the user:password@ part"
    )
    assert _refused("http:///path").startswith("the URL has no host")
    assert (
        _refused("http://none.test/", {"none.test": []})
        == "cannot resolve none.test (no addresses): check the host name"
    )


def test_vet_checks_every_resolved_address() -> None:
    mixed = {"mixed.test": ["93.184.216.34", "10.0.0.5"]}
    assert _refused("http://mixed.test/", mixed) == (
        "mixed.test resolves to a private address 10.0.0.5: set NEWSRAG_FETCH_ALLOW_PRIVATE=true to allow it"
    )
    public = vet("https://bücher.test/a?b=1#frag", lambda h, p: ["93.184.216.34", "2606:4700::1"], allow_private=False)
    assert (public.host, public.port, public.addresses) == (
        "xn--bcher-kva.test",
        443,
        ("93.184.216.34", "2606:4700::1"),
    )
    assert public.netloc == "xn--bcher-kva.test" and str(public.url) == "https://xn--bcher-kva.test/a?b=1"
    assert _refused("http://odd.test/", {"odd.test": ["odd.test"]}) == (
        "cannot resolve odd.test (the resolver gave 'odd.test', not an IP address)"
    )
    allowed = vet("http://lan.test:8080/", lambda h, p: ["10.0.0.5"], allow_private=True)
    assert allowed.addresses == ("10.0.0.5",) and allowed.netloc == "lan.test:8080"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.2", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "private"),  # reserved 240/4 is in Python's private list
        ("255.255.255.255", "private"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fe80::1%eth0", "link-local"),
        ("fc00::1", "private"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.5", "private"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("::10.0.0.5", "private"),  # IPv4-compatible (deprecated, still routed by some stacks)
        ("64:ff9b::a00:5", "private"),  # NAT64 of 10.0.0.5
        ("2002:a00:5::1", "private"),  # 6to4 of 10.0.0.5
        ("93.184.216.34", None),
        ("2606:4700::1", None),
        ("::ffff:93.184.216.34", None),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert address_kind(address) == kind


def test_the_next_checked_address_is_tried_when_one_refuses(site: TestSite) -> None:
    """The site listens on 127.0.0.1 only, so its port on 127.0.0.2 refuses (nothing else can hold it)."""
    site.add("/a", "dual")
    with Fetcher(
        FetchPolicy(allow_private=True, host_delay=0.0, obey_robots=False),
        resolve=lambda h, p: ["127.0.0.2", "127.0.0.1"],
    ) as fetcher:
        assert fetcher.get(f"http://dual.test:{site.port}/a").body == b"dual"
        assert fetcher.requests == 1 and site.requests[-1].headers["host"] == f"dual.test:{site.port}"
