"""Regression tests for the outside probe's findings against ``newsrag serve`` / ``newsrag chat`` (#23).

Each test makes the probe's real request against a real server on 127.0.0.1: uvicorn serving
``create_app`` (REST, OpenAI-compatible API and the mounted Gradio UI) over a real on-disk
Chroma index, the real MiniLM embedder and the extractive backend. Items: Gradio's file check
on the mounted UI (1), Host/Origin checks (2), markup and links in API output (5), and the
small ones (8): API docs with a key, server paths in errors, ``top_k: true``, sources with "/".
"""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from rag.api import NewsRAG
from rag.settings import Settings
from tests.ui.test_server import KEY, LiveServer, wait_ready
from ui.http.server import create_app

SECRET = b"Server secret file\n\nThe vault code of the server is 4417-PLUTO, the operator wrote.\n"


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> NewsRAG:
    settings = Settings(data_dir=tmp_path_factory.mktemp("probe") / "data", backend="extractive")
    rag = NewsRAG(settings)
    rag.ingest_samples()
    return rag


@pytest.fixture(scope="module")
def server(rag: NewsRAG) -> Iterator[LiveServer]:
    with LiveServer(create_app(rag)) as live:
        wait_ready(live.url)
        yield live


def _gradio_call(url: str, fn_name: str, data: list[Any], client: httpx.Client | None = None) -> list[dict[str, Any]]:
    """Call a Gradio event handler by function name through the real queue routes; the SSE messages."""
    client = client or httpx.Client(timeout=60)
    config = client.get(f"{url}/config").json()
    fn_index = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == fn_name)
    session = uuid.uuid4().hex
    joined = client.post(
        f"{url}/gradio_api/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None},
    )
    assert joined.status_code == 200, joined.text
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    with client.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                messages.append(msg)
                if msg.get("msg") == "process_completed" or time.monotonic() > deadline:
                    break
    return messages


# 1. The mounted Gradio UI must not ingest files that were not uploaded through it.


def test_mounted_ui_refuses_to_ingest_a_server_file_by_path(server: LiveServer, rag: NewsRAG, tmp_path: Path) -> None:
    secret = tmp_path / "vault-notes.txt"
    secret.write_bytes(SECRET)
    payload = [[{"path": str(secret), "meta": {"_type": "gradio.FileData"}, "orig_name": "vault-notes.txt"}]]
    messages = _gradio_call(server.url, "upload", payload)
    done = messages[-1]
    assert done.get("msg") == "process_completed"
    assert done.get("success") is False, done
    assert not any("vault" in a.title.lower() for a in rag.articles())
    answer = httpx.post(f"{server.url}/api/ask", json={"question": "What is the vault code of the server?"}).json()
    assert "4417" not in json.dumps(answer)


# 2. Host and Origin checks on the keyless server.

NOTE = b"Harbour council backs tidal pool\n\nThe Bergen harbour council approved a tidal pool on Monday.\n"


def test_a_foreign_host_header_is_refused_everywhere(server: LiveServer, rag: NewsRAG) -> None:
    evil = {"Host": "attacker.example", "Origin": "http://attacker.example"}
    before = len(rag.articles())
    upload = httpx.post(f"{server.url}/api/articles", files={"files": ("a.txt", NOTE)}, headers=evil)
    assert upload.status_code == 403 and "NEWSRAG_ALLOWED_HOSTS" in upload.json()["error"]["message"]
    assert len(rag.articles()) == before
    # DNS rebinding: the attacker's page reads through its own name, with no Origin on a GET.
    for path in ("/api/articles", "/config", "/", "/docs"):
        assert httpx.get(f"{server.url}{path}", headers={"Host": "attacker.example:7860"}).status_code == 403
    asked = httpx.post(f"{server.url}/api/ask", json={"question": "truce?"}, headers={"Host": "rebind.example"})
    assert asked.status_code == 403


def test_cross_site_state_changes_are_refused_but_same_origin_and_clients_pass(
    server: LiveServer, rag: NewsRAG
) -> None:
    url = server.url
    host = url.removeprefix("http://")
    cross = {"Origin": "http://attacker.example"}
    # A plain form post needs no CORS preflight: the attack the probe made.
    form = httpx.post(f"{url}/api/articles", files={"files": ("tidal.txt", NOTE)}, headers=cross)
    assert form.status_code == 403 and "cross-site" in form.json()["error"]["message"]
    assert not any("tidal" in a.title.lower() for a in rag.articles())
    for method, path in (("POST", "/api/ask"), ("POST", "/v1/chat/completions"), ("DELETE", "/api/articles/x")):
        r = httpx.request(method, f"{url}{path}", json={}, headers=cross)
        assert r.status_code == 403, (method, path, r.status_code)
    assert httpx.post(f"{url}/gradio_api/queue/join", json={}, headers={"Origin": "null"}).status_code == 403
    fetch = httpx.post(f"{url}/api/ask", json={"question": "x"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    # The server's own pages (same origin) and non-browser clients (no Origin) are served.
    same = httpx.post(f"{url}/api/articles", files={"files": ("tidal.txt", NOTE)}, headers={"Origin": f"http://{host}"})
    assert same.status_code == 200, same.text
    assert httpx.get(f"{url}/api/articles", headers=cross).status_code == 200  # reads: the browser's CORS rule
    plain = httpx.post(f"{url}/api/ask", json={"question": "What did the Bergen harbour council approve?"})
    assert plain.status_code == 200 and "tidal pool" in plain.json()["answer"]
    assert httpx.get(f"{url}/api/articles", headers={"Host": f"localhost:{server.port}"}).status_code == 200


def test_configured_names_and_origins_are_accepted(rag: NewsRAG) -> None:
    settings = rag.settings.model_copy(
        update={"allowed_hosts": ["news.example", "*.corp.example"], "allowed_origins": ["https://portal.example"]}
    )
    with LiveServer(create_app(NewsRAG(settings, embedder=rag.embedder), ui=False)) as live:
        wait_ready(live.url)
        for host in ("news.example", "a.corp.example:8443", "127.0.0.1"):
            assert httpx.get(f"{live.url}/api/articles", headers={"Host": host}).status_code == 200, host
        assert httpx.get(f"{live.url}/api/articles", headers={"Host": "corp.example.evil"}).status_code == 403
        ok = httpx.post(
            f"{live.url}/api/ask", json={"question": "truce?"}, headers={"Origin": "https://portal.example"}
        )
        assert ok.status_code == 200


def test_newsrag_chat_has_the_same_host_and_origin_checks(rag: NewsRAG) -> None:
    from tests.ui.test_server import free_port
    from ui.launch import launch

    port = free_port()
    blocks = launch(rag, "127.0.0.1", port, block=False)
    try:
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/config").status_code == 200
        assert httpx.get(f"{url}/config", headers={"Host": "attacker.example"}).status_code == 403
        cross = httpx.post(f"{url}/gradio_api/queue/join", json={}, headers={"Origin": "http://attacker.example"})
        assert cross.status_code == 403
    finally:
        blocks.close()


@pytest.mark.parametrize(
    ("bind", "host", "ok"),
    [
        ("127.0.0.1", "127.0.0.1:7860", True),
        ("127.0.0.1", "localhost", True),
        ("127.0.0.1", "[::1]:7860", True),
        ("127.0.0.1", "127.0.0.1.nip.io", False),
        ("127.0.0.1", "192.168.1.5", False),
        ("127.0.0.1", "", False),
        ("0.0.0.0", "192.168.1.5:7860", True),
        ("0.0.0.0", "[2001:db8::1]:7860", True),
        ("0.0.0.0", "rebind.attacker.example", False),
        ("192.168.1.5", "192.168.1.5:7860", True),
        ("192.168.1.5", "127.0.0.1", False),
        ("news.lan", "NEWS.LAN:7860", True),
        ("news.lan", "other.lan", False),
    ],
)
def test_host_policy(bind: str, host: str, ok: bool) -> None:
    from ui.guard import HostPolicy

    assert HostPolicy(bind).host_ok(host) is ok


def raw_request(url: str, request: str) -> tuple[int, str]:
    """Send a request as written (httpx cannot repeat a header); its status and body."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=60) as conn:
        conn.sendall(request.encode("latin-1"))
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def test_a_repeated_host_or_origin_header_is_refused(server: LiveServer) -> None:
    # The outside probe (#30): the guard judged the last copy, while others may read the first.
    here = server.url.removeprefix("http://")
    for first, last in (("attacker.example", here), (here, "attacker.example")):
        request = f"GET /api/articles HTTP/1.1\r\nHost: {first}\r\nHost: {last}\r\nConnection: close\r\n\r\n"
        status, body = raw_request(server.url, request)
        assert status == 400 and "repeats the Host header" in body, (first, last, status, body)
    ask = (
        f"POST /api/ask HTTP/1.1\r\nHost: {here}\r\nOrigin: http://attacker.example\r\nOrigin: http://{here}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    status, body = raw_request(server.url, ask)
    assert status == 400 and "repeats the Origin header" in body, (status, body)
    status, _ = raw_request(server.url, f"GET /api/articles HTTP/1.1\r\nHost: {here}\r\nConnection: close\r\n\r\n")
    assert status == 200


def test_a_host_port_must_be_digits_from_1_to_65535(server: LiveServer) -> None:
    for host in ("localhost:evil", "127.0.0.1:99999", "127.0.0.1:0", "localhost:", "127.0.0.1:80:80", "::1"):
        reply = httpx.get(f"{server.url}/api/articles", headers={"Host": host})
        assert reply.status_code == 400, (host, reply.status_code)
        assert "malformed Host header" in reply.json()["error"]["message"]
    assert httpx.get(f"{server.url}/api/articles", headers={"Host": f"localhost:{server.port}"}).status_code == 200


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("localhost", True),
        ("news.example:8443", True),
        ("[::1]:7860", True),
        ("127.0.0.1:65535", True),
        ("localhost:evil", False),
        ("localhost:+80", False),
        ("localhost: 80", False),
        ("127.0.0.1:65536", False),
        ("127.0.0.1:0", False),
        ("[::1]:", False),
        ("[not-an-ip]:80", False),
        ("::1", False),
        ("user@localhost", False),
    ],
)
def test_host_header_ok(header: str, ok: bool) -> None:
    from ui.guard import host_header_ok

    assert host_header_ok(header) is ok


def test_allowed_hosts_setting_reads_a_comma_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.settings import load_settings

    monkeypatch.setenv("NEWSRAG_ALLOWED_HOSTS", "news.example, *.corp.example")
    assert load_settings().allowed_hosts == ["news.example", "*.corp.example"]


# 5. Article markup and links in the REST and OpenAI-compatible output.

HOSTILE_RECORD = {
    "title": "Fjord bridge <b>reopens</b> after repairs",
    "source": "Fjord Post",
    "url": "javascript:alert(document.cookie)",
    "published_at": "2024-11-21",
    "text": (
        "The Fjord bridge reopened on Tuesday after repairs costing 31 million kroner "
        '<img src=x onerror="alert(1)"> [read the details](javascript:alert(2)) '
        "![pixel](http://attacker.example/p.png) <javascript:alert(3)>.\n\n"
        "Traffic on the bridge is expected to return to normal within a week, the road agency said."
    ),
}


def test_openai_content_has_no_live_markup_and_links_are_http_only(server: LiveServer) -> None:
    files = {"files": ("fjord.json", json.dumps(HOSTILE_RECORD).encode(), "application/json")}
    assert httpx.post(f"{server.url}/api/articles", files=files, timeout=120).status_code == 200
    question = "How much did the Fjord bridge repairs cost?"
    body = {"model": "newsrag", "messages": [{"role": "user", "content": question}]}
    reply = httpx.post(f"{server.url}/v1/chat/completions", json=body, timeout=60).json()
    message = reply["choices"][0]["message"]
    content = message["content"]
    assert "31 million" in content and "Fjord Post" in content
    for bad in ("javascript:", "<img", "onerror", "<b>", "![", "attacker.example"):
        assert bad not in content, (bad, content)
    assert all(c["url"] == "" for c in message["citations"])
    stream = httpx.post(f"{server.url}/v1/chat/completions", json={**body, "stream": True}, timeout=60).text
    chunks = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: {")]
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "31 million" in streamed and "javascript:" not in streamed and "<img" not in streamed
    # REST: JSON, text as stored (escaping is the client's), but no non-http(s) link anywhere.
    rest = httpx.post(f"{server.url}/api/ask", json={"question": question}).json()
    assert rest["citations"] and all(not c["url"] for c in rest["citations"])
    assert all(not s["url"] for s in rest.get("sources", []))
    listed = httpx.get(f"{server.url}/api/articles", params={"q": "fjord"}).json()["articles"]
    assert listed and all(a["url"] == "" for a in listed)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a [b](javascript:x) c", "a b c"),
        ("a [b](https://ok.example/x) c", "a [b](https://ok.example/x) c"),
        ('a [b](https://ok.example "t") c', "a [b](https://ok.example) c"),
        ("see ![x](https://t.example/p.png)", "see x"),
        ("<script>alert(1)</script>hi", "alert(1)hi"),
        ("a <https://ok.example> b <data:text/html,x>", "a  b "),
        ("[ref]: javascript:alert(1)", "[ref] : javascript:alert(1)"),
        ("4 < 5 and 6 > 3", "4 < 5 and 6 > 3"),
        ("<!-- hidden --> shown", " shown"),
    ],
)
def test_plain_markdown(text: str, shown: str) -> None:
    from ui.http.openai_api import plain_markdown

    assert plain_markdown(text) == shown


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://news.example/a?b=1#c", True),
        ("HTTP://NEWS.EXAMPLE/", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,x", False),
        ("file:///etc/passwd", False),
        ("//news.example/a", False),
        ("https://news.example/a b", False),
        ('https://x.example/">', False),
        ("https:///nohost", False),
    ],
)
def test_web_link(url: str, kept: bool) -> None:
    from index.types import web_link

    assert (web_link(url) == url) is kept


# 8. Small ones: API docs with a key, server paths in errors, top_k true, sources with "/".


def test_api_docs_need_the_key_when_one_is_set(rag: NewsRAG) -> None:
    keyed = NewsRAG(rag.settings.model_copy(update={"api_key": SecretStr(KEY)}), embedder=rag.embedder)
    with LiveServer(create_app(keyed, ui=False)) as live:
        wait_ready(live.url)
        for path in ("/openapi.json", "/docs"):
            assert httpx.get(f"{live.url}{path}").status_code == 401, path
            ok = httpx.get(f"{live.url}{path}", headers={"Authorization": f"Bearer {KEY}"})
            assert ok.status_code == 200, path
        schema = httpx.get(f"{live.url}/openapi.json", headers={"Authorization": f"Bearer {KEY}"}).json()
        assert "/api/ask" in schema["paths"] and "/openapi.json" not in schema["paths"]


def test_http_errors_name_no_server_paths(server: LiveServer, rag: NewsRAG) -> None:
    data_dir = str(rag.settings.data_dir.resolve())
    files = [
        ("files", ("empty.txt", b"   \n\n  ", "text/plain")),
        ("files", ("broken.json", b"{not json", "application/json")),
        ("files", ("notext.json", b'[{"title": "no text"}]', "application/json")),
        (
            "files",
            ("partly.jsonl", b'{"title": "no text"}\n{"title": "Dam", "text": "The dam opened."}\n', "text/plain"),
        ),
    ]
    r = httpx.post(f"{server.url}/api/articles", files=files, timeout=60)
    reasons = [f["reason"] for f in r.json()["files"]]
    assert all(reasons) and not any(data_dir in x or re.search(r"(?<!DATA_DIR)/uploads/", x) for x in reasons)
    assert "DATA_DIR/uploads/notext.json item 1" in reasons[2], reasons


def test_hide_paths(tmp_path: Path) -> None:
    from ui.redact import hide_paths

    data = tmp_path / "data"
    assert hide_paths(f"cannot write to {data}/chroma (read-only): fix it", data) == (
        "cannot write to DATA_DIR/chroma (read-only): fix it"
    )
    assert hide_paths(f"{tmp_path}/other/file.txt: no articles.", data) == "file.txt: no articles."
    kept = "GET /api/articles lists the ids; Reuters/AP on 2024/11/20, see http://127.0.0.1:8000/api/v2 or /docs"
    assert hide_paths(kept, data) == kept


def test_top_k_must_be_a_number(server: LiveServer) -> None:
    for route, body in (
        ("/api/ask", {"question": "How long is the truce?", "top_k": True}),
        ("/v1/chat/completions", {"model": "newsrag", "messages": [{"role": "user", "content": "x"}], "top_k": True}),
        ("/api/ask", {"question": "How long is the truce?", "stream": "yes"}),
    ):
        r = httpx.post(f"{server.url}{route}", json=body)
        assert r.status_code == 422, (route, body, r.text)
    ok = httpx.post(f"{server.url}/api/ask", json={"question": "How long is the truce?", "top_k": 2}, timeout=60)
    assert ok.status_code == 200


def test_a_source_with_a_slash_keeps_its_name() -> None:
    from rag.types import Hit
    from ui.chat.render import sources_html

    def card(source: str) -> str:
        from ui.chat.render import Turn

        hit = Hit(chunk_id="a:0", text="Text.", title="Headline", source=source)
        return sources_html([Turn(number=1, question="q", hits=[hit])])

    assert "Reuters/AP" in card("Reuters/AP")
    shown = card("/srv/newsrag/uploads/harbour.txt")
    assert "harbour.txt" in shown and "/srv/newsrag" not in shown
