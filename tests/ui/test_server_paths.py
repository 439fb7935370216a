"""No server path in what the HTTP API returns (#30), against a real server on 127.0.0.1.

uvicorn serves ``create_app`` over a real on-disk Chroma index holding an article of each kind:
an upload (named by its file: no outlet, no URL), a page fetched from a loopback ``TestSite``
(a JSON record under ``DATA_DIR/web``), a file from a folder of the user's, and the samples.
Every reply of ``/api/articles``, ``/api/stories``, ``/api/ask`` (JSON and events) and
``/v1/chat/completions`` (JSON and stream) is walked: no string in it starts with ``/`` or
holds the data dir or the user's folder. Files show as ``DATA_DIR/…`` or by their name; the
listed ``file_path`` finds its article again through ``?q=`` and the article is deleted by
its id. The Python API keeps the real paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.ui.test_server import LiveServer, sse_events, wait_ready
from tests.web.pages import STORIES, article_html
from tests.web.site import TestSite
from ui.http.server import create_app

UPLOAD = b"""Glacier museum opens in Longyearbyen
Published: 2024-11-20

A museum about Arctic glaciers opened in Longyearbyen on Wednesday.
The museum has 12 rooms and a replica ice cave, its director said.
"""
FERRY = """Night ferry to Bjornoya resumes

The night ferry to Bjornoya resumed on Friday after a two-month repair of its engines.
The crossing takes nine hours and runs twice a week until the end of March.
"""
MUSEUM_Q = "How many rooms does the glacier museum in Longyearbyen have?"


class Env:
    """The server, its data dir and the user's folder."""

    def __init__(self, server: LiveServer, data_dir: Path, folder: Path, rag: NewsRAG, page_url: str) -> None:
        self.url, self.data_dir, self.folder, self.rag, self.page_url = server.url, data_dir, folder, rag, page_url

    def assert_no_server_path(self, body: Any, where: str) -> None:
        """No string anywhere in ``body`` starts with "/" or holds the data dir or the user's folder."""
        roots = {str(self.data_dir), str(self.data_dir.resolve()), str(self.folder), str(self.folder.resolve())}
        for text in _strings(body):
            assert not text.startswith("/"), (where, text)
            assert not any(root in text for root in roots), (where, text)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("paths")
    folder = root / "desk" / "notes"
    folder.mkdir(parents=True)
    (folder / "ferry.txt").write_text(FERRY)
    settings = Settings(
        data_dir=root / "data", backend="extractive", fetch_allow_private=True, fetch_host_delay=0.0, fetch_timeout=5.0
    )
    rag = NewsRAG(settings, embedder=FakeEmbedder())
    rag.ingest_samples()
    rag.ingest([folder])
    site = TestSite()
    site.add("/news/glacier", article_html(STORIES["glacier"]))
    try:
        with LiveServer(create_app(rag, ui=False)) as server:
            wait_ready(server.url)
            files = [("files", ("glacier museum.txt", UPLOAD, "text/plain"))]
            page_url = site.url("/news/glacier")
            up = httpx.post(f"{server.url}/api/articles", files=files, data={"urls": page_url}, timeout=120)
            assert up.status_code == 200, up.text
            assert up.json()["articles"] == 2, up.text
            yield Env(server, settings.data_dir, folder, rag, page_url)
    finally:
        site.close()


def test_article_listing_shows_files_relative_to_the_data_dir_or_by_name(env: Env) -> None:
    page = httpx.get(f"{env.url}/api/articles", params={"limit": 500}).json()
    env.assert_no_server_path(page, "/api/articles")
    by_title = {a["title"]: a for a in page["articles"]}
    upload = by_title["Glacier museum opens in Longyearbyen"]
    assert upload["file_path"] == upload["source"] == "DATA_DIR/uploads/glacier museum.txt"
    web = by_title[STORIES["glacier"].title]
    assert web["file_path"].startswith("DATA_DIR/web/") and web["file_path"].endswith(".json")
    assert web["source"] == "Northern Ledger" and web["url"] == env.page_url
    ferry = by_title["Night ferry to Bjornoya resumes"]
    assert ferry["file_path"] == ferry["source"] == "ferry.txt"  # the folder ingested is not recorded: its name
    assert all("/" not in a["file_path"] for a in page["articles"] if not a["file_path"].startswith("DATA_DIR/"))


def test_the_listed_file_path_finds_the_article_and_it_is_deleted_by_its_id(env: Env) -> None:
    listed = httpx.get(f"{env.url}/api/articles", params={"q": "ferry"}).json()["articles"]
    (ferry,) = listed
    again = httpx.get(f"{env.url}/api/articles", params={"q": ferry["file_path"]}).json()
    assert [a["article_id"] for a in again["articles"]] == [ferry["article_id"]]
    web = next(a for a in httpx.get(f"{env.url}/api/articles").json()["articles"] if a["url"] == env.page_url)
    found = httpx.get(f"{env.url}/api/articles", params={"q": web["file_path"]}).json()
    assert [a["article_id"] for a in found["articles"]] == [web["article_id"]]
    # The search reads what is shown, so it cannot be used to guess the server's folders.
    assert httpx.get(f"{env.url}/api/articles", params={"q": str(env.folder)}).json()["total"] == 0
    assert httpx.get(f"{env.url}/api/articles", params={"q": str(env.data_dir)}).json()["total"] == 0

    gone = httpx.delete(f"{env.url}/api/articles/{ferry['article_id']}")
    assert gone.status_code == 200 and gone.json()["chunks"] >= 1
    assert httpx.get(f"{env.url}/api/articles", params={"q": ferry["file_path"]}).json()["total"] == 0
    assert (env.folder / "ferry.txt").exists()  # the user's own file is never touched


def test_citations_and_passages_over_rest_show_no_server_path(env: Env) -> None:
    answer = httpx.post(f"{env.url}/api/ask", json={"question": MUSEUM_Q, "include_passages": True}, timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    env.assert_no_server_path(body, "/api/ask")
    assert "12" in body["answer"]
    assert body["citations"][0]["source"] == "DATA_DIR/uploads/glacier museum.txt"

    streamed = httpx.post(f"{env.url}/api/ask", json={"question": MUSEUM_Q, "stream": True}, timeout=60)
    events = dict(sse_events(streamed))
    env.assert_no_server_path(events, "/api/ask stream")
    sources = {h["source"] for h in events["sources"]["sources"]}
    assert "DATA_DIR/uploads/glacier museum.txt" in sources
    assert events["answer"]["citations"][0]["source"] == "DATA_DIR/uploads/glacier museum.txt"


def test_citations_over_the_openai_api_show_no_server_path(env: Env) -> None:
    request = {"model": "newsrag", "messages": [{"role": "user", "content": MUSEUM_Q}]}
    reply = httpx.post(f"{env.url}/v1/chat/completions", json=request, timeout=60)
    assert reply.status_code == 200, reply.text
    message = reply.json()["choices"][0]["message"]
    env.assert_no_server_path(reply.json(), "/v1/chat/completions")
    assert message["citations"][0]["source"] == "DATA_DIR/uploads/glacier museum.txt"
    assert "DATA_DIR/uploads/glacier museum.txt" in message["content"]  # the Sources: list

    chunks = []
    with httpx.stream("POST", f"{env.url}/v1/chat/completions", json={**request, "stream": True}, timeout=60) as r:
        for line in r.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                chunks.append(json.loads(line[6:]))
    env.assert_no_server_path(chunks, "/v1/chat/completions stream")
    assert chunks[-1]["citations"][0]["source"] == "DATA_DIR/uploads/glacier museum.txt"


def test_story_timelines_show_no_server_path(env: Env) -> None:
    stories = httpx.get(f"{env.url}/api/stories", params={"min_articles": 1, "limit": 500}).json()
    env.assert_no_server_path(stories, "/api/stories")
    assert stories["total"] >= 3
    files = []
    for story in stories["stories"]:
        detail = httpx.get(f"{env.url}/api/stories/{story['story_id']}").json()
        env.assert_no_server_path(detail, f"/api/stories/{story['story_id']}")
        files += [a["file_path"] for a in detail["timeline"]]
    assert "DATA_DIR/uploads/glacier museum.txt" in files
    assert any(f.startswith("DATA_DIR/web/") for f in files)


def test_the_python_api_keeps_the_real_paths(env: Env) -> None:
    upload = next(a for a in env.rag.articles() if a.title == "Glacier museum opens in Longyearbyen")
    assert Path(upload.file_path).is_absolute() and Path(upload.file_path).exists()
    answer = env.rag.ask(MUSEUM_Q)
    assert answer.citations[0].source == upload.file_path


def test_the_chat_ui_names_a_file_by_its_name() -> None:
    from index.store.collection import ArticleInfo
    from index.stories.types import StoryArticle
    from ui.chat.render import article_choice
    from ui.chat.stories_tab import timeline_html

    path = "/srv/newsrag/data/uploads/notes.txt"
    info = ArticleInfo("a1", "Headline", path, "", "2024-11-20", path, 1)
    assert article_choice(info) == ("Headline — notes.txt", "a1")
    member = StoryArticle("a1", "Headline", path, "", "2024-11-20", "The key sentence.", path)

    class Story:
        label, first, last = "Headline", "2024-11-20", "2024-11-20"

    drawn = timeline_html(Story(), [member])
    assert "notes.txt" in drawn and "/srv/" not in drawn
