"""A bounded load test on `newsrag serve` over loopback: concurrent clients ask questions while
uploads are ingested and the corpus is listed. Zero 5xx, every answer correct, every upload
listed at the end. Bounded: 6 clients x 12 questions, 8 uploads, ~10-30 s on 2 cores.

The app is real (uvicorn on 127.0.0.1, real on-disk Chroma, the extractive backend so the
run measures the server, the index and their locking rather than LLM speed); the embedder is
the fake one so the concurrent ingests are quick. Latency p50/p95 and throughput are printed
(run with -s) and recorded in docs/RELIABILITY.md; nothing here asserts on time.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.ui.test_server import LiveServer
from ui.http.server import create_app

CLIENTS, QUESTIONS_EACH, UPLOADS = 6, 12, 8
ASKED = [
    ("How many days would the proposed truce between Israel and Hezbollah last?", "60"),
    ("Who is leading the US efforts to broker the Israel-Hezbollah agreement?", "Hochstein"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("load") / "data", backend="extractive")
    rag = NewsRAG(settings, embedder=FakeEmbedder())
    rag.ingest_samples()
    with LiveServer(create_app(rag, ui=False)) as live:
        yield live.url


def test_concurrent_questions_during_ingest(server: str, tmp_path: Path) -> None:
    latencies: list[float] = []
    statuses: list[int] = []
    wrong: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        with httpx.Client(timeout=60) as http:
            for i in range(QUESTIONS_EACH):
                question, expected = ASKED[(n + i) % len(ASKED)]
                t0 = time.perf_counter()
                r = http.post(f"{server}/api/ask", json={"question": question})
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    statuses.append(r.status_code)
                    if r.status_code == 200 and expected not in r.json()["answer"]:
                        wrong.append(r.json()["answer"])

    def uploader() -> None:
        with httpx.Client(timeout=120) as http:
            for i in range(UPLOADS):
                text = f"Load test story {i}\n\nThe load test harbour number {i} opened on day {i + 1}.\n"
                r = http.post(
                    f"{server}/api/articles", files=[("files", (f"load-{i}.txt", text.encode(), "text/plain"))]
                )
                with lock:
                    statuses.append(r.status_code)
                http.get(f"{server}/api/articles", params={"limit": 500})

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    threads.append(threading.Thread(target=uploader))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    wall = time.perf_counter() - t0

    assert not [s for s in statuses if s >= 500], statuses
    assert all(s == 200 for s in statuses), statuses
    assert len(latencies) == CLIENTS * QUESTIONS_EACH and not wrong, wrong[:3]
    listed = httpx.get(f"{server}/api/articles", params={"q": "load test story", "limit": 500}).json()
    assert listed["total"] == UPLOADS
    ordered = sorted(latencies)
    print(
        f"\n{len(latencies)} questions from {CLIENTS} clients + {UPLOADS} uploads in {wall:.1f} s: "
        f"{len(latencies) / wall:.1f} answers/s, p50 {statistics.median(ordered) * 1000:.0f} ms, "
        f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.0f} ms"
    )
