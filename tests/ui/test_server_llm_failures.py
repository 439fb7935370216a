"""`newsrag serve` when its OpenAI-compatible chat endpoint misbehaves: down, HTTP 500, slow
past the timeout, a stream cut short, a malformed stream. The server is the real app on a
loopback port with the openai backend pointed at a small misbehaving endpoint (stdlib HTTP
server, also on loopback). Each failure must give the retrieved sources and a clear message,
and the server must keep serving: the next question, with the endpoint healthy, is answered.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from rag.api import NewsRAG
from rag.generate.llm_openai import OpenAIGenerator
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.ui.test_server import LiveServer, sse_events
from ui.http.server import create_app

QUESTION = "How many days would the proposed truce between Israel and Hezbollah last?"
GOOD = "The proposed truce would last 60 days [1]."


class Endpoint(BaseHTTPRequestHandler):
    mode: ClassVar[str] = "ok"
    calls: ClassVar[int] = 0

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        type(self).calls += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.mode == "500":
            body = json.dumps({"error": {"message": "boom"}}).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.mode == "slow":
            time.sleep(2)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if self.mode == "malformed":
            self.wfile.write(b"data: {not json at all\n\n")
            return
        words = GOOD.split(" ")
        if self.mode == "truncated":
            words = words[:3]
        for i, word in enumerate(words):
            last = i == len(words) - 1 and self.mode != "truncated"
            choice = {
                "index": 0,
                "delta": {"content": word + ("" if last else " ")},
                "finish_reason": "stop" if last else None,
            }
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [choice]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        if self.mode != "truncated":
            self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


@pytest.fixture(scope="module")
def served(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, NewsRAG]]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("llm-fail") / "data",
        backend="openai",
        openai_base_url=endpoint,
        openai_model="m",
        llm_timeout=0.8,
        llm_retries=1,
    )
    rag = NewsRAG(settings, embedder=FakeEmbedder())
    rag.ingest_samples()
    with LiveServer(create_app(rag, ui=False)) as live:
        yield live.url, rag


@pytest.mark.parametrize(
    ("mode", "needle"),
    [
        ("down", "cannot reach"),
        ("500", "HTTP 500"),
        ("slow", "timed out"),
        ("truncated", "ended its stream"),
        ("malformed", "broken reply"),
    ],
)
def test_llm_failure_gives_sources_and_a_message_and_the_server_keeps_serving(
    served: tuple[str, NewsRAG], mode: str, needle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, rag = served
    Endpoint.mode, Endpoint.calls = mode, 0
    if mode == "down":  # the same backend, configured at a port nothing listens on
        down = OpenAIGenerator("m", "http://127.0.0.1:9/v1", None, timeout=2, retries=0)
        monkeypatch.setattr(rag.engine, "generator", down)
    r = httpx.post(f"{server}/api/ask", json={"question": QUESTION}, timeout=30)
    assert r.status_code == 502
    error = r.json()["error"]
    assert error["type"] == "llm_error" and needle in error["message"] and "Traceback" not in r.text
    assert any("60-day" in s["text"] for s in error["sources"])  # what was retrieved still reaches the user
    if mode == "slow":
        assert Endpoint.calls == 2  # NEWSRAG_LLM_RETRIES=1: one retry, then the timeout error

    events = sse_events(httpx.post(f"{server}/api/ask", json={"question": QUESTION, "stream": True}, timeout=30))
    assert events[0][0] == "sources" and events[0][1]["sources"]
    assert [k for k, _ in events][-2:] == ["error", "end"] and needle in events[-2][1]["message"]

    chat = {"model": "newsrag", "messages": [{"role": "user", "content": QUESTION}]}
    r = httpx.post(f"{server}/v1/chat/completions", json=chat, timeout=30)
    assert r.status_code == 502 and needle in r.json()["error"]["message"]

    monkeypatch.undo()
    Endpoint.mode = "ok"
    ok = httpx.post(f"{server}/api/ask", json={"question": QUESTION}, timeout=30)
    assert ok.status_code == 200 and "60 days" in ok.json()["answer"] and ok.json()["citations"]
