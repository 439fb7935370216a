"""Uploads cannot exhaust the server: failed files leave nothing, caps refuse before embedding,
background jobs report progress, and an upload's embedding waits while an answer holds the model.

Real servers on loopback (``LiveServer``), real on-disk Chroma and the real MiniLM embedder,
wrapped to record what it embeds and when. One server answers with the extractive backend;
the other holds its answers behind a 1-slot gate with a generator that waits for the test's
go-ahead, standing in for a local model busy with an answer. Ordering is asserted from
timestamps, never from wall-clock thresholds.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag import factory
from rag.api import NewsRAG
from rag.generate.generator import ExtractiveGenerator
from rag.generate.prompt import Prompt
from rag.settings import Settings
from tests.ui.test_server import ARTICLE, TRUCE_Q, LiveServer, wait_ready
from ui.http.server import create_app

MUSEUM_Q = "How many rooms does the glacier museum have?"
PER_FILE = 8


class RecordingEmbedder:
    """The real embedder, keeping each ``embed`` call's start time and texts."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[float, list[str]]] = []

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append((time.monotonic(), list(texts)))
        return list(self.inner.embed(texts))

    def embed_query(self, text: str) -> list[float]:
        return list(self.inner.embed_query(text))

    def embedded(self, word: str) -> list[float]:
        """Start times of the calls that embedded a text containing ``word``."""
        return [t for t, texts in self.calls if any(word in text for text in texts)]


class HeldGenerator:
    """Extractive answers that start only when the test says go, like a busy local model."""

    name = "held"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.go = threading.Event()
        self.ended = 0.0

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        self.started.set()
        assert self.go.wait(60), "the test never let the answer go"
        yield from ExtractiveGenerator().stream(prompt, max_tokens)
        self.ended = time.monotonic()  # before the gate is left: any later embedding waited for it


def long_article(word: str, paragraphs: int) -> bytes:
    """An article of about ``1.6 * paragraphs`` passages (4 make 7), every one carrying ``word``."""
    body = "\n\n".join(
        f"{word} paragraph {i}: " + " ".join(f"{word}{j} harbour" for j in range(50)) + "." for i in range(paragraphs)
    )
    return f"A long report on {word}\nPublished: 2024-11-20\n\n{body}\n".encode()


def settings(tmp_path_factory: pytest.TempPathFactory, name: str, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp(name) / "data",
        backend="extractive",
        max_upload_mb=1,
        max_upload_chunks_per_file=PER_FILE,
        max_upload_chunks=3 * PER_FILE,
        **extra,
    )


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> RecordingEmbedder:
    return RecordingEmbedder(factory.make_embedder(settings(tmp_path_factory, "models")))


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory, embedder: RecordingEmbedder) -> NewsRAG:
    rag = NewsRAG(settings(tmp_path_factory, "open"), embedder=embedder)
    rag.ingest_samples()
    return rag


@pytest.fixture(scope="module")
def server(rag: NewsRAG) -> Iterator[str]:
    with LiveServer(create_app(rag, ui=False)) as live:
        wait_ready(live.url)
        yield live.url


def uploads(rag: NewsRAG) -> list[str]:
    """What the uploads folder holds, hidden files included (the lock file aside)."""
    folder = rag.settings.data_dir / "uploads"
    return sorted(p.name for p in folder.iterdir() if p.name != ".lock") if folder.exists() else []


def post(url: str, *files: tuple[str, bytes], **params: Any) -> httpx.Response:
    parts = [("files", (name, data, "text/plain")) for name, data in files]
    return httpx.post(f"{url}/api/articles", files=parts, params=params, timeout=300)


def by_name(reply: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in reply["files"]}


def ask(url: str, question: str) -> dict[str, Any]:
    r = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=120)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_failed_upload_leaves_nothing_in_the_uploads_folder(server: str, rag: NewsRAG) -> None:
    before = uploads(rag)
    r = post(server, ("empty.txt", b"  \n"), ("binary.txt", b"\x00\x01\x02\x03" * 200), ("broken.json", b"{nope"))
    assert r.status_code == 200 and r.json()["failed"] == 3
    assert uploads(rag) == before  # before the fix all three stayed, with nothing of theirs in the index


def test_a_failed_re_upload_keeps_the_earlier_version_answerable(server: str, rag: NewsRAG) -> None:
    good = post(server, ("museum.txt", ARTICLE))
    assert by_name(good.json())["museum.txt"]["status"] == "ingested"
    stored = rag.settings.data_dir / "uploads" / "museum.txt"

    for bad in (b"\x00\x01\x02\x03" * 200, long_article("Longyearbyen", 4 * PER_FILE)):  # unreadable; over the cap
        r = post(server, ("museum.txt", bad))
        assert by_name(r.json())["museum.txt"]["status"] == "failed"
        assert stored.read_bytes() == ARTICLE  # the earlier upload is back, no backup left beside it
        assert "museum.txt" in uploads(rag) and not any(n.startswith(".museum") for n in uploads(rag))
        answer = ask(server, MUSEUM_Q)
        assert "12" in answer["answer"] and answer["citations"][0]["title"] == "Glacier museum opens in Longyearbyen"

    # What a later folder ingest or `doctor --repair` reads is the good version, so it stays.
    report = rag.ingest([stored.parent])
    assert {Path(f.path).name: f.status for f in report.files}["museum.txt"] == "unchanged"


def test_a_file_over_the_passage_cap_is_refused_unembedded_and_the_rest_ingested(server: str, rag: NewsRAG) -> None:
    ferry = b"Ferry timetable changes in Bodo\nPublished: 2024-11-21\n\nThe ferry to Lofoten leaves at 7 from December."
    r = post(server, ("huge.txt", long_article("Zanzibar", 4 * PER_FILE)), ("ferry.txt", ferry))
    assert r.status_code == 200
    files = by_name(r.json())
    reason = files["huge.txt"]["reason"]
    assert files["huge.txt"]["status"] == "failed" and "\n" not in reason
    assert f"over the limit of {PER_FILE} per uploaded file" in reason
    assert "NEWSRAG_MAX_UPLOAD_CHUNKS_PER_FILE" in reason
    assert int(re.findall(r"([\d,]+) passages", reason)[0].replace(",", "")) > PER_FILE  # the count it made
    assert files["ferry.txt"]["status"] == "ingested"
    assert rag.embedder.embedded("Lofoten") and not rag.embedder.embedded("Zanzibar")  # type: ignore[attr-defined]
    assert "huge.txt" not in uploads(rag)
    assert "7" in ask(server, "When does the ferry to Lofoten leave?")["answer"]


def test_files_past_the_cap_per_upload_are_refused_naming_it(server: str, rag: NewsRAG) -> None:
    files = [(f"part{i}.txt", long_article(f"Part{i}x", 4)) for i in range(5)]  # 7 passages each: 3 fit in 24
    reply = post(server, *files).json()
    statuses = [f["status"] for f in sorted(reply["files"], key=lambda f: f["name"])]  # taken in name order
    assert statuses == ["ingested"] * 3 + ["failed"] * 2 and reply["chunks"] == 21
    refused = [f for f in reply["files"] if f["status"] == "failed"]
    assert all(f"over the limit of {3 * PER_FILE} per upload" in f["reason"] for f in refused)
    assert all("NEWSRAG_MAX_UPLOAD_CHUNKS)" in f["reason"] for f in refused)


def test_a_background_upload_reports_progress_and_ends_with_the_results(server: str, rag: NewsRAG) -> None:
    r = post(server, ("glacier.txt", ARTICLE.replace(b"12 rooms", b"14 rooms")), ("bad.json", b"{"), wait="false")
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] in ("queued", "running") and r.headers["location"] == job["status_url"]
    status = poll(server + job["status_url"], lambda s: s["state"] in ("done", "failed"))
    assert status["state"] == "done" and status["files_total"] == status["files_done"] == 2
    result = by_name(status["result"])
    assert result["glacier.txt"]["status"] == "ingested" and result["bad.json"]["status"] == "failed"
    assert status["chunks_embedded"] >= result["glacier.txt"]["chunks"] >= 1
    assert "bad.json" not in uploads(rag)
    assert "14" in ask(server, "How many rooms does the glacier museum in Longyearbyen have?")["answer"]
    missing = httpx.get(f"{server}/api/articles/jobs/nope")
    assert missing.status_code == 404 and "no upload job" in missing.json()["error"]["message"]


def test_the_job_routes_are_documented(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    assert "/api/articles/jobs/{job_id}" in spec["paths"]
    post_doc = spec["paths"]["/api/articles"]["post"]
    assert "202" in post_doc["responses"] and any(p["name"] == "wait" for p in post_doc["parameters"])
    assert {"UploadJobOut", "UploadJobStatus"} <= set(spec["components"]["schemas"])


def poll(url: str, until: Any, deadline_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + deadline_s
    while True:
        status = httpx.get(url).json()
        if until(status):
            return dict(status)
        assert time.monotonic() < deadline, f"job stuck: {status}"
        time.sleep(0.05)


def test_an_upload_waits_while_an_answer_holds_the_model(
    tmp_path_factory: pytest.TempPathFactory, embedder: RecordingEmbedder
) -> None:
    held = HeldGenerator()
    rag = NewsRAG(settings(tmp_path_factory, "held", answer_slots=1), embedder=embedder, generator=held)
    rag.ingest_samples()
    with LiveServer(create_app(rag, ui=False)) as live:
        wait_ready(live.url)
        answer: dict[str, Any] = {}
        asking = threading.Thread(target=lambda: answer.update(ask(live.url, TRUCE_Q)))
        asking.start()
        try:
            assert held.started.wait(60)  # the answer holds the 1-slot gate
            r = post(live.url, ("waiting.txt", long_article("Reykjavik", 4)), wait="false")
            assert r.status_code == 202
            url = live.url + r.json()["status_url"]
            waiting = poll(url, lambda s: s["current_file"] == "waiting.txt")
            assert waiting["state"] == "running" and waiting["chunks_embedded"] == 0
        finally:
            held.go.set()
            asking.join(60)
        done = poll(url, lambda s: s["state"] in ("done", "failed"))
    assert done["state"] == "done" and done["result"]["files"][0]["status"] == "ingested"
    assert answer and answer["answer"]
    starts = embedder.embedded("Reykjavik")
    assert starts and min(starts) > held.ended > 0  # every group of the upload waited for the answer


def test_staged_copies_a_crash_left_behind_are_dropped_by_the_next_upload(server: str, rag: NewsRAG) -> None:
    folder = rag.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    old, recent = folder / ".upload-crashed", folder / ".upload-queued"
    for leftover in (old, recent):
        leftover.write_bytes(b"x" * 1000)
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    post(server, ("note.txt", b"Harbour note\n\nThe harbour reopened on Monday, the port authority said."))
    assert not old.exists() and recent.exists()  # a recent one may belong to a queued job
    recent.unlink()
