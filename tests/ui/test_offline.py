"""Launching the chat UI and serving its page opens no connection beyond loopback.

The app is launched in this process (fake embedder and generator, real on-disk Chroma) with
an audit hook that records every socket connect and name lookup; the page, its config and its assets are
fetched over loopback. Analytics, version checks or font downloads would show up here.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from rag.api import NewsRAG
from rag.settings import load_settings
from tests.fakes import FakeEmbedder, FakeGenerator
from ui.chat.app import build_app
from ui.launch import check_host, page_assets

CONNECTS: list[Any] = []
_RECORDING = [False]


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _RECORDING[0]:
        return
    if event == "socket.connect":
        CONNECTS.append(args[1])
    elif event == "socket.getaddrinfo":  # a lookup comes first (and fails offline, before any connect)
        CONNECTS.append((args[0], args[1]))


sys.addaudithook(_hook)


def _external(address: Any) -> bool:
    if not isinstance(address, tuple):  # unix sockets
        return False
    host = str(address[0].decode() if isinstance(address[0], bytes) else address[0])
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def test_launch_and_page_load_stay_on_loopback(tmp_path: Path) -> None:
    rag = NewsRAG(load_settings(data_dir=tmp_path / "d", backend="extractive"), embedder=FakeEmbedder(),
                  generator=FakeGenerator())  # fmt: skip
    rag.ingest_samples()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    CONNECTS.clear()
    _RECORDING[0] = True
    app = build_app(rag)
    try:
        app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                           **page_assets())  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        page = urllib.request.urlopen(base + "/", timeout=30).read().decode()
        assert "nr-cite" in page  # our click-to-highlight script is in the page head
        assert "fonts.googleapis" not in page
        config = urllib.request.urlopen(base + "/config", timeout=30).read().decode()
        assert "nr-sources" in config
    finally:
        app.close()
        _RECORDING[0] = False
    external = [a for a in CONNECTS if _external(a)]
    assert not external, f"connections beyond loopback: {external}"
    assert any(isinstance(a, tuple) and a[1] == port for a in CONNECTS)  # the hook did see our own fetches


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.com"])
def test_non_loopback_host_needs_explicit_permission(host: str) -> None:
    from index.errors import ConfigError

    with pytest.raises(ConfigError, match="--allow-remote"):
        check_host(host, allow_remote=False)
    check_host(host, allow_remote=True)
    check_host("127.0.0.1", allow_remote=False)
    check_host("::1", allow_remote=False)
