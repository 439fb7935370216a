"""Timeline answers over HTTP: ``/api/ask`` (JSON and stream) and ``/v1/chat/completions`` keep the dated
points and their citations; an answer from one article of a story with newer articles says "as of".

A real server (uvicorn on 127.0.0.1, extractive backend, the fake embedder over real Chroma on
disk) over the sample articles and the made-up Karrow Dam story (``tests/index/story_articles``).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.index.story_articles import DAM, MATCH, write
from tests.ui.test_server import LiveServer, sse_events, wait_ready
from ui.http.server import create_app

QUESTION = "What has happened since the Karrow Dam burst?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("timeline-api")
    # The bag-of-words fake embedder's similarities run lower than MiniLM's: a lower refusal bar.
    settings = Settings(data_dir=root / "data", backend="extractive", min_similarity=0.05)
    rag = NewsRAG(settings, embedder=FakeEmbedder())
    rag.ingest_samples()
    rag.ingest([write(root / "in" / "dam.jsonl", *DAM, MATCH)])
    with LiveServer(create_app(rag, ui=False)) as live:
        wait_ready(live.url)
        yield live.url


def test_rest_returns_dated_points_with_their_citations(server: str) -> None:
    body = httpx.post(f"{server}/api/ask", json={"question": QUESTION}, timeout=60).json()
    points = body["timeline"]
    assert [p["published_at"] for p in points] == ["2026-03-02", "2026-03-03", "2026-03-09"]
    by_n = {c["n"]: c for c in body["citations"]}
    assert [by_n[p["n"]]["url"] for p in points] == [a["url"] for a in DAM]  # each point cites its own article
    assert body["answer"].splitlines()[0].startswith("2026-03-02: ")

    events = sse_events(httpx.post(f"{server}/api/ask", json={"question": QUESTION, "stream": True}, timeout=60))
    final = next(data for name, data in events if name == "answer")
    assert final["timeline"] == points and "".join(d["text"] for n, d in events if n == "text") == final["answer"]


def test_openai_api_keeps_points_and_citations(server: str) -> None:
    reply = httpx.post(
        f"{server}/v1/chat/completions",
        json={"model": "newsrag", "messages": [{"role": "user", "content": QUESTION}]},
        timeout=60,
    ).json()
    message = reply["choices"][0]["message"]
    lines = message["content"].split("\n\nSources:\n")[0].splitlines()
    assert [line[:10] for line in lines] == ["2026-03-02", "2026-03-03", "2026-03-09"]
    assert [c["url"] for c in message["citations"]] == [a["url"] for a in DAM]


def test_an_answer_from_an_older_article_of_a_story_says_as_of(server: str) -> None:
    question = "Who pulled families from rooftops in Orlin?"  # told only by the first report
    body = httpx.post(f"{server}/api/ask", json={"question": question}, timeout=60).json()  # as of today
    assert not body["refused"] and not body["timeline"]
    assert {c["url"] for c in body["citations"]} == {DAM[0]["url"]}
    assert "(as of 2026-03-02; 2 newer articles on this story)" in body["answer"]
    assert len(body["newer_articles"]) == 2
    before = httpx.post(f"{server}/api/ask", json={"question": question, "as_of": "2026-03-02"}, timeout=60).json()
    assert "as of" not in before["answer"] and not before["newer_articles"]  # nothing newer yet on that day
