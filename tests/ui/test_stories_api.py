"""``GET /api/stories`` and ``GET /api/stories/{id}`` on a real server (uvicorn on 127.0.0.1) over a
real on-disk index of the sample articles and the made-up dam story, grouped at ingest; with the
fake embedder and the extractive backend, and an API key (the routes sit behind it).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.index.story_articles import DAM, MATCH, UNDATED, write
from tests.ui.test_server import LiveServer, wait_ready
from ui.http.server import create_app

KEY = "stories-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("stories-api")
    rag = NewsRAG(Settings(data_dir=root / "data", backend="extractive", api_key=KEY), embedder=FakeEmbedder())
    rag.ingest_samples()
    rag.ingest([write(root / "in" / "dam.jsonl", DAM[2], MATCH, DAM[0], UNDATED, DAM[1])])
    with LiveServer(create_app(rag, ui=False)) as live:
        wait_ready(live.url)
        yield live


def get(server: LiveServer, path: str, **params: object) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", params=params, headers=AUTH, timeout=30)  # type: ignore[arg-type]


def test_stories_page_newest_first_and_search(server: LiveServer) -> None:
    everything = get(server, "/api/stories").json()
    assert everything["total"] == len(everything["stories"]) == 8  # 5 samples, the dam, the match, the undated telling
    first = everything["stories"][0]
    assert (first["label"], first["first"], first["last"], first["articles"]) == (
        DAM[0]["title"],
        "2026-03-02",
        "2026-03-09",
        3,
    )
    page = get(server, "/api/stories", limit=2, offset=1).json()
    assert page["total"] == 8 and page["stories"] == everything["stories"][1:3]
    found = get(server, "/api/stories", q="karrow dam").json()["stories"]
    assert {s["label"] for s in found} == {DAM[0]["title"], UNDATED["title"]}  # undated: a story of its own
    assert get(server, "/api/stories", min_articles=2).json()["total"] == 1


def test_a_story_is_its_articles_by_date_with_key_sentences(server: LiveServer) -> None:
    story_id = get(server, "/api/stories").json()["stories"][0]["story_id"]
    story = get(server, f"/api/stories/{story_id}").json()
    assert [(a["published_at"], a["source"]) for a in story["timeline"]] == [
        ("2026-03-02", "Valley Courier"),
        ("2026-03-03", "Northern Ledger"),
        ("2026-03-09", "Valley Courier"),
    ]
    assert [a["url"] for a in story["timeline"]] == [DAM[0]["url"], DAM[1]["url"], DAM[2]["url"]]
    assert all("Karrow" in a["key_sentence"] or "Orlin" in a["key_sentence"] for a in story["timeline"])
    assert story["article_ids"] == [a["article_id"] for a in story["timeline"]]


def test_unknown_story_and_missing_key_are_json_errors(server: LiveServer) -> None:
    missing = get(server, "/api/stories/s-nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
    assert "GET /api/stories" in missing.json()["error"]["message"]
    assert httpx.get(f"{server.url}/api/stories", timeout=30).status_code == 401
    assert get(server, "/api/stories", limit=0).status_code == 422
