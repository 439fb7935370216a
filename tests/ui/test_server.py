"""`newsrag serve`'s app on a real loopback port, called by real clients.

A uvicorn server in a background thread serves ``create_app`` over a real on-disk Chroma
index of the sample articles, the real MiniLM embedder and the extractive backend (a real
product backend that needs no LLM, so the round trips take milliseconds). The clients are
the ones users have: ``httpx``, the official ``openai`` package and ``gradio_client``. One
server runs without an API key, one with; limits are set low to test each. The bundled
local model answering through the server is ``test_server_e2e.py``.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from rag.api import NewsRAG
from rag.generate.gate import AnswerGate
from rag.settings import Settings
from ui.http.server import create_app

TRUCE_Q = "How long is the proposed truce between Israel and Hezbollah?"
KEY = "s3cret-key-for-tests"
USER_HI = {"role": "user", "content": "hi"}
ASSISTANT_HI = {"role": "assistant", "content": "hi"}
ARTICLE = b"""Glacier museum opens in Longyearbyen
Published: 2024-11-20

A museum about Arctic glaciers opened in Longyearbyen on Wednesday.
The museum has 12 rooms and a replica ice cave, its director said.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving an app on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> NewsRAG:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("serve") / "data",
        backend="extractive",
        max_question_chars=300,
        max_upload_files=3,
        max_upload_mb=0.01,  # 10 kB
        max_waiting_questions=2,
    )
    rag = NewsRAG(settings)
    rag.ingest_samples()
    return rag


@pytest.fixture(scope="module")
def open_server(rag: NewsRAG) -> Iterator[LiveServer]:
    app = create_app(rag)
    with LiveServer(app) as server:
        wait_ready(server.url)
        yield server


@pytest.fixture(scope="module")
def keyed_server(rag: NewsRAG) -> Iterator[LiveServer]:
    keyed = NewsRAG(rag.settings.model_copy(update={"api_key": SecretStr(KEY)}), embedder=rag.embedder)
    with LiveServer(create_app(keyed)) as server:
        wait_ready(server.url)
        yield server


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while httpx.get(f"{url}/readyz").status_code != 200:
        assert time.monotonic() < deadline, "server never became ready"
        time.sleep(0.2)


def sse_events(response: httpx.Response) -> list[tuple[str, Any]]:
    events = []
    for block in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


# REST


def test_probes_say_the_server_is_up_and_ready(open_server: LiveServer) -> None:
    assert httpx.get(f"{open_server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{open_server.url}/readyz").json()
    assert ready["ready"] is True and ready["chunks"] > 0 and ready["backend"] == "extractive"


def test_ask_returns_the_cli_json_with_citations(open_server: LiveServer) -> None:
    r = httpx.post(f"{open_server.url}/api/ask", json={"question": TRUCE_Q, "top_k": 3}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"question", "answer", "refused", "citations", "backend", "search_query", "timings"}
    assert not body["refused"] and "60-day" in body["answer"]
    assert body["citations"] and all("passage" not in c for c in body["citations"])
    assert any("Truce" in c["title"] for c in body["citations"])


def test_ask_takes_an_as_of_date_and_rejects_a_bad_one(open_server: LiveServer) -> None:
    url = f"{open_server.url}/api/ask"
    dated = httpx.post(url, json={"question": TRUCE_Q, "as_of": "2024-11-27"}, timeout=60)
    assert dated.status_code == 200 and "60-day" in dated.json()["answer"]
    bad = httpx.post(url, json={"question": TRUCE_Q, "as_of": "next week"}, timeout=60)
    assert bad.status_code == 422 and "as_of" in bad.json()["error"]["message"]


def test_ask_streams_sources_then_verified_text_then_the_answer(open_server: LiveServer) -> None:
    payload = {"question": TRUCE_Q, "stream": True, "include_passages": True}
    r = httpx.post(f"{open_server.url}/api/ask", json=payload, timeout=60)
    assert r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r)
    kinds = [k for k, _ in events]
    assert kinds[0] == "sources" and kinds[-2:] == ["answer", "end"] and "text" in kinds
    assert events[0][1]["sources"] and events[0][1]["search_query"]
    final = events[-2][1]
    assert "".join(d["text"] for k, d in events if k == "text") == final["answer"]
    assert final["citations"][0]["passage"]  # include_passages


def test_raw_stream_sends_tokens_and_the_verified_answer_last(open_server: LiveServer) -> None:
    payload = {"question": TRUCE_Q, "stream": True, "raw": True}
    events = sse_events(httpx.post(f"{open_server.url}/api/ask", json=payload, timeout=60))
    raw = "".join(d["text"] for k, d in events if k == "text")
    assert [k for k, _ in events][-2:] == ["answer", "end"] and events[-2][1]["citations"]
    final = events[-2][1]["answer"]
    assert raw != final  # the generator's own marker placement ("situation. [1]"), not the verified one

    def unmarked(text: str) -> str:
        return re.sub(r"\s*\[\d+\]", "", text).strip()

    assert unmarked(raw) == unmarked(final)


def test_follow_up_uses_the_history(open_server: LiveServer) -> None:
    history = [{"question": TRUCE_Q, "answer": "A 60-day truce is proposed [1]."}]
    r = httpx.post(f"{open_server.url}/api/ask", json={"question": "Who mediates it?", "history": history}, timeout=60)
    assert r.status_code == 200
    assert "truce" in r.json()["search_query"].lower()


def test_upload_list_delete_round_trip(open_server: LiveServer) -> None:
    url = open_server.url
    files = [
        ("files", ("glacier museum.txt", ARTICLE, "text/plain")),
        ("files", ("broken.json", b"{not json", "application/json")),
        ("files", ("photo.png", b"\x89PNG", "image/png")),
    ]
    r = httpx.post(f"{url}/api/articles", files=files, timeout=120)
    assert r.status_code == 200, r.text
    by_name = {f["name"]: f for f in r.json()["files"]}
    assert by_name["glacier museum.txt"]["status"] == "ingested" and r.json()["articles"] == 1
    assert by_name["broken.json"]["status"] == "failed" and "json" in by_name["broken.json"]["reason"].lower()
    assert by_name["photo.png"]["status"] == "failed" and "not an article file" in by_name["photo.png"]["reason"]

    page = httpx.get(f"{url}/api/articles", params={"q": "glacier"}).json()
    assert page["total"] == 1
    (article,) = page["articles"]
    answer = httpx.post(f"{url}/api/ask", json={"question": "How many rooms does the glacier museum have?"}).json()
    assert "12" in answer["answer"] and answer["citations"][0]["title"] == "Glacier museum opens in Longyearbyen"

    gone = httpx.delete(f"{url}/api/articles/{article['article_id']}")
    assert gone.status_code == 200 and gone.json()["chunks"] >= 1
    assert httpx.get(f"{url}/api/articles", params={"q": "glacier"}).json()["total"] == 0
    again = httpx.delete(f"{url}/api/articles/{article['article_id']}")
    assert again.status_code == 404 and "GET /api/articles" in again.json()["error"]["message"]


def test_articles_are_paged(open_server: LiveServer) -> None:
    url = open_server.url
    total = httpx.get(f"{url}/api/articles").json()["total"]
    first = httpx.get(f"{url}/api/articles", params={"limit": 2}).json()
    second = httpx.get(f"{url}/api/articles", params={"limit": 2, "offset": 2}).json()
    assert total >= 4 and len(first["articles"]) == 2 == len(second["articles"])
    assert {a["article_id"] for a in first["articles"]}.isdisjoint(a["article_id"] for a in second["articles"])


# Limits and errors


def test_question_over_the_length_limit_is_413_naming_the_limit(open_server: LiveServer) -> None:
    r = httpx.post(f"{open_server.url}/api/ask", json={"question": "why " * 100})
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "limit_exceeded" and "300 character limit" in r.json()["error"]["message"]
    spaced = httpx.post(f"{open_server.url}/api/ask", json={"question": "x " * 200})  # 400 chars, 200 words
    assert spaced.status_code == 413
    chat = {"model": "newsrag", "messages": [{"role": "user", "content": "why " * 100}]}
    r = httpx.post(f"{open_server.url}/v1/chat/completions", json=chat)
    assert r.status_code == 413 and "300 limit" in r.json()["error"]["message"]


def test_too_many_files_in_one_upload_is_413(open_server: LiveServer) -> None:
    files = [("files", (f"a{i}.txt", b"Title\n\nText.", "text/plain")) for i in range(4)]
    r = httpx.post(f"{open_server.url}/api/articles", files=files)
    assert r.status_code == 413 and "over the limit of 3" in r.json()["error"]["message"]


def test_a_file_over_the_size_limit_is_reported_and_the_rest_ingested(open_server: LiveServer) -> None:
    big = b"Big story\n\n" + b"Words about the harbour. " * 1000  # 25 kB > 10 kB
    small = b"Ferry timetable changes in Bodo\n\nThe ferry to Lofoten leaves at 7 from December."
    files = [("files", ("big.txt", big, "text/plain")), ("files", ("ferry.txt", small, "text/plain"))]
    r = httpx.post(f"{open_server.url}/api/articles", files=files)
    assert r.status_code == 200
    by_name = {f["name"]: f for f in r.json()["files"]}
    assert by_name["big.txt"]["status"] == "failed" and "0.01 MB upload limit" in by_name["big.txt"]["reason"]
    assert by_name["ferry.txt"]["status"] == "ingested"


def test_a_body_over_the_request_cap_is_cut_off_with_413(open_server: LiveServer) -> None:
    r = httpx.post(f"{open_server.url}/api/ask", content=b"{" + b" " * 2_000_000 + b"}")
    assert r.status_code == 413 and r.json()["error"]["type"] == "limit_exceeded"


def test_questions_beyond_the_waiting_bound_get_429(open_server: LiveServer, rag: NewsRAG) -> None:
    gate = threading.Event()
    real = rag.engine.retriever.retrieve

    def slow(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)
        return real(*args, **kwargs)

    rag.engine.retriever.retrieve = slow  # type: ignore[method-assign]
    try:
        with httpx.Client(timeout=60) as client:
            results: list[int] = []

            def ask() -> None:
                results.append(client.post(f"{open_server.url}/api/ask", json={"question": TRUCE_Q}).status_code)

            threads = [threading.Thread(target=ask) for _ in range(2)]
            for t in threads:
                t.start()
            time.sleep(1.0)  # both hold their slots, waiting at retrieval
            busy = client.post(f"{open_server.url}/api/ask", json={"question": TRUCE_Q})
            gate.set()
            for t in threads:
                t.join()
    finally:
        del rag.engine.retriever.retrieve
    assert busy.status_code == 429 and busy.headers["retry-after"]
    assert "NEWSRAG_MAX_WAITING_QUESTIONS" in busy.json()["error"]["message"]
    assert results == [200, 200]
    assert httpx.post(f"{open_server.url}/api/ask", json={"question": TRUCE_Q}).status_code == 200


@pytest.mark.parametrize("waiting", ["sse", "openai"])
def test_questions_waiting_for_the_model_are_told_their_place(
    open_server: LiveServer, rag: NewsRAG, waiting: str
) -> None:
    """With one answer slot (the local model's), a later question streams ``queued``, then answers."""
    release, started = threading.Event(), threading.Event()
    real = rag.engine.generator.stream

    def held(*args: Any, **kwargs: Any) -> Iterator[str]:
        started.set()
        assert release.wait(30)
        yield from real(*args, **kwargs)

    url = open_server.url
    replies: dict[str, Any] = {}
    sse = {"question": TRUCE_Q, "stream": True}
    chat = {"model": "newsrag", "messages": [{"role": "user", "content": TRUCE_Q}], "stream": True}
    calls = {
        "json": lambda: httpx.post(f"{url}/api/ask", json={"question": TRUCE_Q}, timeout=60),
        "sse": lambda: httpx.post(f"{url}/api/ask", json=sse, timeout=60),
        "openai": lambda: httpx.post(f"{url}/v1/chat/completions", json=chat, timeout=60),
    }
    gate, rag.engine.gate = rag.engine.gate, AnswerGate(1)
    rag.engine.generator.stream = held  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=lambda n=n: replies.update({n: calls[n]()})) for n in ("json", waiting)]
        threads[0].start()
        assert started.wait(30)  # the first answer holds the model
        rag.engine.generator.stream = real  # type: ignore[method-assign]
        threads[1].start()
        deadline = time.monotonic() + 30
        while rag.engine.gate.waiting() < 1:
            assert time.monotonic() < deadline, "the second question never joined the line"
            time.sleep(0.02)
        release.set()
        for t in threads:
            t.join(60)
    finally:
        release.set()
        rag.engine.gate = gate
        rag.engine.generator.__dict__.pop("stream", None)
    assert replies["json"].status_code == 200 and "60-day" in replies["json"].json()["answer"]
    if waiting == "sse":
        events = sse_events(replies["sse"])
        kinds = [k for k, _ in events]
        assert kinds[:2] == ["sources", "queued"] and kinds[-2:] == ["answer", "end"]
        assert events[1][1] == {"ahead": 1}
        assert "60-day" in events[-2][1]["answer"] and events[-2][1]["timings"]["queued"] > 0
    else:
        raw = replies["openai"].text
        assert ": queued, 1 answer(s) ahead\n\n" in raw and raw.rstrip().endswith("data: [DONE]")
        assert "60-day" in raw


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needle"),
    [
        ("post", "/api/ask", {"question": "   "}, 422, "empty"),
        ("post", "/api/ask", {"question": TRUCE_Q, "top_k": 0}, 422, "top_k"),
        ("post", "/api/ask", {"query": TRUCE_Q}, 422, "question"),
        ("post", "/api/ask", "not json", 422, "fix the request"),
        ("get", "/api/nothing-here", None, 404, "/docs"),
        ("post", "/v1/chat/completions", {"model": "newsrag", "messages": []}, 422, "messages"),
        ("post", "/v1/chat/completions", {"model": "gpt-4o", "messages": [USER_HI]}, 404, "newsrag"),
        ("post", "/v1/chat/completions", {"model": "newsrag", "messages": [ASSISTANT_HI]}, 400, "user"),
    ],
)  # fmt: skip
def test_errors_are_json_with_a_message(
    open_server: LiveServer, method: str, path: str, body: Any, status: int, needle: str
) -> None:
    kwargs: dict[str, Any] = {"json": body} if isinstance(body, dict) else {"content": body} if body else {}
    r = httpx.request(method.upper(), f"{open_server.url}{path}", **kwargs)
    assert r.status_code == status, r.text
    assert needle in r.json()["error"]["message"]
    assert "Traceback" not in r.text


# OpenAI-compatible


def test_openai_client_gets_an_answer_with_citations(open_server: LiveServer) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{open_server.url}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["newsrag"]
    reply = client.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": TRUCE_Q}])
    message = reply.choices[0].message
    assert message.content and "60-day" in message.content
    citations = (message.model_extra or {})["citations"]
    assert citations and "\n\nSources:\n[1] " in message.content
    assert citations[0]["title"] in message.content


def test_openai_client_streams_and_the_last_chunk_carries_citations(open_server: LiveServer) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{open_server.url}/v1", api_key="unused", max_retries=0)
    chunks = list(
        client.chat.completions.create(
            model="newsrag",
            stream=True,
            messages=[
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "content": "Tell me about the Israel Hezbollah talks."},
                {"role": "assistant", "content": "Talks are moving forward [1].\n\nSources:\n[1] X — y"},
                {"role": "user", "content": TRUCE_Q},
            ],
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    citations = (last.model_extra or {})["citations"]
    assert citations and "60-day" in text
    body, sources = text.split("\n\nSources:\n")
    assert {int(n) for n in re.findall(r"\[(\d+)\]", body)} == {c["n"] for c in citations}
    listed, freshness = sources.split("\n\n")
    assert listed.count("\n") + 1 == len(citations)
    assert freshness.startswith("Newest cited article: 2024-11-22 (")  # the sample article's date, and its age


def test_unanswerable_question_says_so_through_the_openai_api(open_server: LiveServer) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{open_server.url}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": "What is the boiling point of tungsten?"}]
    )
    message = reply.choices[0].message
    assert (message.model_extra or {})["refused"] is True and "Sources:" not in (message.content or "")


def test_llama_index_openai_like_uses_newsrag_as_a_model(open_server: LiveServer) -> None:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.openai_like import OpenAILike

    llm = OpenAILike(model="newsrag", api_base=f"{open_server.url}/v1", api_key="unused", is_chat_model=True)
    reply = llm.chat([ChatMessage(role="user", content=TRUCE_Q)])
    assert "60-day" in (reply.message.content or "") and "Sources:" in (reply.message.content or "")
    streamed = "".join(r.delta or "" for r in llm.stream_chat([ChatMessage(role="user", content=TRUCE_Q)]))
    assert streamed == reply.message.content


def test_langchain_chat_openai_uses_newsrag_as_a_model(open_server: LiveServer) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model="newsrag", base_url=f"{open_server.url}/v1", api_key="unused", max_retries=0)
    reply = chat.invoke(TRUCE_Q)
    assert isinstance(reply.content, str) and "60-day" in reply.content and "Sources:" in reply.content
    streamed = "".join(str(part.content) for part in chat.stream(TRUCE_Q))
    assert streamed == reply.content


# Gradio UI mounted at /


def test_gradio_client_calls_the_ui_ask_endpoint(open_server: LiveServer) -> None:
    from gradio_client import Client

    client = Client(f"{open_server.url}/", verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    result = client.predict(TRUCE_Q, 3, api_name="/ask")
    assert "60-day" in result["answer"] and result["citations"]


# Auth


def test_without_a_key_every_api_route_is_401(keyed_server: LiveServer) -> None:
    url = keyed_server.url
    for method, path, kwargs in [
        ("POST", "/api/ask", {"json": {"question": TRUCE_Q}}),
        ("GET", "/api/articles", {}),
        ("DELETE", "/api/articles/x", {}),
        ("POST", "/api/articles", {"files": [("files", ("a.txt", io.BytesIO(b"T\n\nx"), "text/plain"))]}),
        ("GET", "/v1/models", {}),
        ("POST", "/v1/chat/completions", {"json": {"model": "newsrag", "messages": [USER_HI]}}),
    ]:  # fmt: skip
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}):
            r = httpx.request(method, f"{url}{path}", headers=headers, **kwargs)
            assert r.status_code == 401, (method, path, headers)
            assert r.json()["error"]["type"] == "unauthorized" and r.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{url}/healthz").status_code == 200  # probes stay open


def test_with_the_key_the_apis_answer(keyed_server: LiveServer) -> None:
    from openai import AuthenticationError, OpenAI

    auth = {"Authorization": f"Bearer {KEY}"}
    r = httpx.post(f"{keyed_server.url}/api/ask", json={"question": TRUCE_Q}, headers=auth, timeout=60)
    assert r.status_code == 200 and r.json()["citations"]
    good = OpenAI(base_url=f"{keyed_server.url}/v1", api_key=KEY, max_retries=0)
    assert [m.id for m in good.models.list()] == ["newsrag"]
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{keyed_server.url}/v1", api_key="nope", max_retries=0).models.list()


def test_the_ui_asks_for_a_login_when_a_key_is_set(keyed_server: LiveServer) -> None:
    from gradio_client import Client

    page = httpx.get(f"{keyed_server.url}/")
    assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
    assert httpx.post(f"{keyed_server.url}/login", data={"username": "me", "password": "wrong"}).status_code == 400
    with pytest.raises(Exception, match=r"(?i)login|auth|401|403"):
        Client(f"{keyed_server.url}/", verbose=False)
    client = Client(f"{keyed_server.url}/", auth=("me", KEY), verbose=False)
    assert "60-day" in client.predict(TRUCE_Q, 0, api_name="/ask")["answer"]


def test_openapi_schema_lists_the_routes(open_server: LiveServer) -> None:
    schema = httpx.get(f"{open_server.url}/openapi.json").json()
    assert {"/api/ask", "/api/articles", "/api/articles/{article_id}", "/v1/chat/completions", "/v1/models"} <= set(
        schema["paths"]
    )


def test_data_dir_uploads_cannot_escape(open_server: LiveServer, rag: NewsRAG) -> None:
    files = [("files", ("../../escape.txt", b"Escape attempt\n\nThe text of it.", "text/plain"))]
    r = httpx.post(f"{open_server.url}/api/articles", files=files)
    assert r.status_code == 200 and r.json()["files"][0]["name"] == "escape.txt"
    assert (Path(rag.settings.data_dir) / "uploads" / "escape.txt").is_file()
    assert not (Path(rag.settings.data_dir).parent.parent / "escape.txt").exists()


def test_a_refusal_says_which_check_refused_it_on_both_apis(open_server: LiveServer) -> None:
    question = "Who won the 1998 football world cup?"
    rest = httpx.post(f"{open_server.url}/api/ask", json={"question": question}, timeout=60).json()
    assert rest["refused"] and rest["refusal"]["check"] == "no_relevant_passage" and rest["refusal"]["reason"]
    body = {"model": "newsrag", "messages": [{"role": "user", "content": question}]}
    message = httpx.post(f"{open_server.url}/v1/chat/completions", json=body, timeout=60).json()["choices"][0]
    assert message["message"]["refused"] and message["message"]["refusal"].startswith("no_relevant_passage: ")
    answered = httpx.post(f"{open_server.url}/api/ask", json={"question": TRUCE_Q}, timeout=60).json()
    assert not answered["refused"] and "refusal" not in answered


def test_the_models_confidence_is_in_the_rest_answer_and_a_low_one_refuses(rag: NewsRAG) -> None:
    import math

    from tests.fakes import FakeGenerator

    reply = "Answer: 60 days\nThe proposed truce would last 60 days [1]."
    gen = FakeGenerator([reply, reply], logprob=[math.log(0.8), math.log(0.1)])
    settings = rag.settings.model_copy(update={"min_answer_confidence": 0.209})
    scored = NewsRAG(settings, embedder=rag.embedder, generator=gen)
    with LiveServer(create_app(scored)) as server:
        wait_ready(server.url)
        sure = httpx.post(f"{server.url}/api/ask", json={"question": TRUCE_Q}, timeout=60).json()
        assert not sure["refused"] and sure["confidence"]["first"] == pytest.approx(0.8, abs=1e-3)
        unsure = httpx.post(f"{server.url}/api/ask", json={"question": TRUCE_Q}, timeout=60).json()
    assert unsure["refused"] and unsure["refusal"]["check"] == "low_confidence"
    assert unsure["confidence"]["first"] == pytest.approx(0.1, abs=1e-3)
