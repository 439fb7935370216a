"""The openai chat and embeddings backends, driven by the official client against a small
OpenAI-compatible server on a loopback port (stdlib only), including failure modes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from index.embed import OpenAIEmbedder
from index.errors import LLMError
from rag.generate.llm_openai import OpenAIGenerator
from rag.generate.prompt import build_prompt
from rag.types import Hit


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    mode = "ok"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        if self.mode == "500":
            self._json(500, {"error": {"message": "boom"}})
        elif self.mode == "slow":
            time.sleep(1.5)
            self._stream(["late"])
        elif self.mode == "truncated":
            self._stream(["Sixty ", "da"], finish=False)
        elif self.mode == "malformed":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"data: {this is not json\n\n")
        elif self.path.endswith("/embeddings"):
            data = [{"object": "embedding", "index": i, "embedding": [3.0, 4.0]} for i, _ in enumerate(body["input"])]
            self._json(200, {"object": "list", "data": data, "model": body["model"], "usage": {}})
        else:
            self._stream(["Sixty ", "days ", "[1]."], logprobs=bool(body.get("logprobs")))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _stream(self, pieces: list[str], finish: bool = True, logprobs: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            chunk = {
                "id": "x",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [
                    {"index": 0, "delta": {"content": piece}, "finish_reason": "stop" if finish and i == last else None}
                ],
            }
            if logprobs:  # OpenAI's shape: the chunk's tokens with their log-probabilities
                scored = [{"token": piece, "logprob": -0.1 * (i + 1), "bytes": None, "top_logprobs": []}]
                chunk["choices"][0]["logprobs"] = {"content": scored}  # type: ignore[index]
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        if finish:
            self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.requests = []
    _Handler.mode = "ok"
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


PROMPT = build_prompt("How long?", [Hit(chunk_id="a:0", text="A 60-day truce.", title="T", source="s")])


def test_chat_streams_pieces_with_key_and_model(server: str) -> None:
    gen = OpenAIGenerator("llama3", server, "secret", timeout=5, retries=0)
    assert "".join(gen.stream(PROMPT, 50)) == "Sixty days [1]."
    (req,) = _Handler.requests
    assert req["model"] == "llama3" and req["stream"] is True and req["auth"] == "Bearer secret"
    assert req["messages"][0]["role"] == "system" and "[1] T" in req["messages"][-1]["content"]


def test_log_probabilities_are_asked_for_only_when_the_confidence_check_needs_them(server: str) -> None:
    plain = build_prompt("How long?", PROMPT.passages)
    assert "".join(OpenAIGenerator("m", server, None, timeout=5, retries=0).stream(plain, 50))
    assert "logprobs" not in _Handler.requests[-1] and plain.token_logprobs == []
    scored = build_prompt("How long?", PROMPT.passages)
    assert "".join(OpenAIGenerator("m", server, None, 5, 0, logprobs=True).stream(scored, 50)) == "Sixty days [1]."
    assert _Handler.requests[-1]["logprobs"] is True
    assert scored.token_logprobs == [("Sixty ", -0.1), ("days ", -0.2), ("[1].", pytest.approx(-0.3))]


def test_embeddings_are_normalised(server: str) -> None:
    vecs = OpenAIEmbedder("e5", server, None).embed(["a", "b"])
    assert vecs == [[0.6, 0.8], [0.6, 0.8]]


def test_http_500_and_down_endpoint_are_llm_errors(server: str) -> None:
    _Handler.mode = "500"
    with pytest.raises(LLMError, match="HTTP 500"):
        list(OpenAIGenerator("m", server, None, timeout=5, retries=0).stream(PROMPT, 50))
    with pytest.raises(LLMError, match="cannot reach"):
        list(OpenAIGenerator("m", "http://127.0.0.1:9/v1", None, timeout=2, retries=0).stream(PROMPT, 50))


def test_timeout_applies_after_the_configured_retries(server: str) -> None:
    _Handler.mode = "slow"
    with pytest.raises(LLMError, match="timed out: raise NEWSRAG_LLM_TIMEOUT"):
        list(OpenAIGenerator("m", server, None, timeout=0.5, retries=1).stream(PROMPT, 50))
    assert len(_Handler.requests) == 2  # the first try and one retry


@pytest.mark.parametrize(("mode", "needle"), [("truncated", "ended its stream"), ("malformed", "broken reply")])
def test_truncated_or_malformed_streams_are_llm_errors(server: str, mode: str, needle: str) -> None:
    _Handler.mode = mode
    with pytest.raises(LLMError, match=needle):
        list(OpenAIGenerator("m", server, None, timeout=5, retries=0).stream(PROMPT, 50))
