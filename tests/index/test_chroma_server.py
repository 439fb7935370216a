"""newsrag against a real Chroma server (`chroma run`), through the public ``NewsRAG`` API.

A module-wide server is started from this venv's ``chroma`` on a free local port; each test
uses its own collection on it. The fake embedder and the extractive backend keep it fast.
Chroma's own server has no token auth in 1.x, so the token is checked by a small bearer-token
proxy in front of it, the way a deployment would put one.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from index.errors import ConfigError, StoreUnavailableError
from rag.api import SAMPLES_DIR, NewsRAG
from rag.settings import Settings, load_settings
from tests.fakes import FakeEmbedder

CHROMA = Path(sys.executable).parent / "chroma"
# The fake embedder is a bag of words: "days" finds the "60-day truce" passage, "how long" does not.
QUESTION = "How many days would the proposed truce between Israel and Hezbollah last?"
REMOVED = "001_fb5b78a250b89a8b.txt"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """A `chroma run` subprocess persisting to ``path``; ``start`` waits for its heartbeat."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path, self.port = path, port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        log = self.path.parent / f"chroma-{self.port}.log"
        with log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}; see {log}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run did not answer its heartbeat within 60 s; see {log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    if not CHROMA.exists():
        pytest.fail(f"{CHROMA} is missing: install chromadb into this venv")
    srv = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    yield srv
    srv.stop()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLES_DIR, folder)
    return folder


def make_rag(url: str, data_dir: Path, collection: str, **overrides: object) -> NewsRAG:
    settings = Settings(
        chroma_url=url,
        data_dir=data_dir,
        collection=collection,
        backend="extractive",
        **overrides,  # type: ignore[arg-type]
    )
    return NewsRAG(settings, embedder=FakeEmbedder())


@pytest.fixture
def collection() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def rag(server: ChromaServer, tmp_path: Path, corpus: Path, collection: str) -> NewsRAG:
    instance = make_rag(server.url, tmp_path / "data", collection)
    report = instance.ingest([corpus])
    assert report.count("ingested") == 3 and not report.failed
    return instance


def _assert_truce_answer(instance: NewsRAG) -> None:
    answer = instance.ask(QUESTION)
    assert not answer.refused, answer.answer
    assert "60" in answer.answer and "[1]" in answer.answer
    assert answer.citations and "60-day truce" in answer.citations[0].quote


def test_the_index_lives_on_the_server_not_in_the_data_dir(rag: NewsRAG, server: ChromaServer) -> None:
    assert rag.store.count() > 3
    assert not rag.settings.chroma_path.exists()
    assert any(server.path.iterdir())
    info = rag.info()
    assert info["store"].startswith(f"Chroma server {server.url} ") and info["chunks"] == rag.store.count()


def test_reingest_of_unchanged_files_embeds_nothing(rag: NewsRAG, corpus: Path) -> None:
    embedder = rag.embedder
    assert isinstance(embedder, FakeEmbedder)
    before, chunks = embedder.texts_embedded, rag.store.count()
    report = rag.ingest([corpus])
    assert report.count("unchanged") == 3 and embedder.texts_embedded == before
    assert rag.store.count() == chunks


def test_ask_gives_a_cited_answer(rag: NewsRAG) -> None:
    _assert_truce_answer(rag)


def test_remove_a_file_and_list_articles(rag: NewsRAG, corpus: Path) -> None:
    files = {Path(a.file_path).name for a in rag.articles()}
    assert files == {p.name for p in corpus.iterdir()}
    chunks = rag.store.count()
    removed = rag.remove([corpus / REMOVED])
    assert [Path(p).name for p in removed] == [REMOVED]
    assert REMOVED not in {Path(a.file_path).name for a in rag.articles()}
    assert 0 < rag.store.count() < chunks


def test_a_second_instance_sees_the_same_index(
    rag: NewsRAG, server: ChromaServer, tmp_path: Path, corpus: Path, collection: str
) -> None:
    other = make_rag(server.url, tmp_path / "other-data", collection)
    assert other.articles() == rag.articles()
    _assert_truce_answer(other)
    assert other.ingest([corpus]).count("unchanged") == 3  # the file states live on the server too
    assert isinstance(other.embedder, FakeEmbedder) and other.embedder.texts_embedded == 0


def test_a_deleted_article_stays_deleted_for_every_host_of_the_server(
    rag: NewsRAG, server: ChromaServer, corpus: Path, collection: str, tmp_path: Path
) -> None:
    (victim,) = [a for a in rag.articles() if a.title.startswith("Moscow Open to Dialogue")]
    assert rag.remove_articles([victim.article_id]) > 0
    # Another host (its own data dir; the files on a shared mount): the record is on the server.
    other = make_rag(server.url, tmp_path / "other-data", collection)
    other.ingest([corpus])
    other.doctor(repair=True)
    assert victim.article_id not in {a.article_id for a in other.articles()}
    report = other.doctor()
    key = str((corpus / Path(victim.file_path).name).resolve())
    assert report.healthy, report.findings
    assert any(f.message.startswith(f"{key}: complete, 1 article(s) deleted") for f in report.findings)


def test_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(StoreUnavailableError) as err:
        make_rag(url.replace("//", "//user:pw@"), tmp_path, "articles").articles()
    message = str(err.value)
    assert "\n" not in message and "pw" not in message
    assert message.startswith(f"cannot reach the Chroma server at {url}: start it with `chroma run")
    assert "NEWSRAG_CHROMA_URL" in message


def test_unknown_database_is_a_one_line_error(server: ChromaServer, tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match="NEWSRAG_CHROMA_DATABASE") as err:
        make_rag(server.url, tmp_path, "articles", chroma_database="no_such_db").articles()
    assert "\n" not in str(err.value)


def test_server_restart_loses_nothing_and_downtime_is_a_one_line_error(tmp_path: Path, corpus: Path) -> None:
    srv = ChromaServer(tmp_path / "db").start()
    try:
        instance = make_rag(srv.url, tmp_path / "data", "articles")
        instance.ingest([corpus])
        articles = instance.articles()
        srv.stop()
        with pytest.raises(StoreUnavailableError, match=r"cannot reach the Chroma server at http://127\.0\.0\.1"):
            instance.ask(QUESTION)
        srv.start()  # same path and port
        assert make_rag(srv.url, tmp_path / "data", "articles").articles() == articles
        _assert_truce_answer(instance)  # the first client reconnects on its own
    finally:
        srv.stop()


class _BearerProxy(BaseHTTPRequestHandler):
    """Forwards to Chroma only requests that carry the expected bearer token."""

    upstream = ""
    token = ""
    seen: ClassVar[list[dict[str, str]]] = []

    def _forward(self) -> None:
        self.seen.append(dict(self.headers))
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            body = b"missing or wrong bearer token"
            self.send_response(401)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            reply = httpx.request(
                self.command,
                self.upstream + self.path,
                headers=headers,
                content=self.rfile.read(length) if length else None,
            )
            body = reply.content
            self.send_response(reply.status_code)
            self.send_header("Content-Type", reply.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy(server: ChromaServer) -> Iterator[tuple[str, type[_BearerProxy]]]:
    handler = type("Proxy", (_BearerProxy,), {"upstream": server.url, "token": "s3cret-token", "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def test_token_is_sent_on_every_request(
    proxy: tuple[str, type[_BearerProxy]], tmp_path: Path, corpus: Path, collection: str
) -> None:
    url, handler = proxy
    with pytest.raises(StoreUnavailableError, match="NEWSRAG_CHROMA_TOKEN") as err:
        make_rag(url, tmp_path, collection).articles()
    assert "\n" not in str(err.value)
    with pytest.raises(StoreUnavailableError, match="NEWSRAG_CHROMA_TOKEN"):
        make_rag(url, tmp_path, collection, chroma_token="wrong").articles()

    handler.seen.clear()
    instance = make_rag(url, tmp_path, collection, chroma_token="s3cret-token")
    assert instance.ingest([corpus]).count("ingested") == 3
    _assert_truce_answer(instance)
    assert handler.seen and all(h.get("X-Chroma-Token") == "s3cret-token" for h in handler.seen)
    assert "s3cret-token" not in str(instance.info())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"chroma_url": "127.0.0.1:8000"}, "chroma_url"),
        ({"chroma_token": "two words"}, "chroma_token"),
        ({"collection": "a"}, "collection"),
    ],
)
def test_bad_server_settings_are_config_errors(overrides: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigError, match=f"NEWSRAG_{field.upper()}"):
        load_settings(**overrides)


def test_info_leaves_a_password_in_the_url_out(tmp_path: Path) -> None:
    from rag.factory import store_location

    where = store_location(Settings(chroma_url="https://user:pw@chroma.example:8443/db", data_dir=tmp_path))
    assert where.startswith("Chroma server https://chroma.example:8443/db ") and "pw" not in where
    assert store_location(Settings(data_dir=tmp_path)) == f"embedded Chroma in {(tmp_path / 'chroma').resolve()}"


class _FreezingProxy(_BearerProxy):
    """The bearer proxy, that can stop answering (a hung server: connections accepted, no reply)."""

    frozen = threading.Event()

    def _forward(self) -> None:
        deadline = time.monotonic() + 30
        while self.frozen.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: expected
            super()._forward()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward


def test_a_hung_server_fails_the_request_after_the_timeout_and_recovers(
    server: ChromaServer, tmp_path: Path, corpus: Path, collection: str
) -> None:
    attrs = {"upstream": server.url, "token": "t0ken", "seen": [], "frozen": threading.Event()}
    handler = type("Freezing", (_FreezingProxy,), attrs)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        instance = make_rag(url, tmp_path, collection, chroma_token="t0ken", chroma_timeout=2)
        assert instance.ingest([corpus]).count("ingested") == 3
        handler.frozen.set()
        t0 = time.monotonic()
        with pytest.raises(StoreUnavailableError) as err:
            instance.ask(QUESTION)
        waited = time.monotonic() - t0
        assert "did not answer in time" in str(err.value) and "NEWSRAG_CHROMA_TIMEOUT" in str(err.value)
        assert "\n" not in str(err.value)
        assert waited < 25  # bounded by the 2 s timeout (retries included), not the 30 s hang
        with pytest.raises(StoreUnavailableError, match="did not answer in time"):
            make_rag(url, tmp_path, collection, chroma_token="t0ken", chroma_timeout=2).articles()
        handler.frozen.clear()
        _assert_truce_answer(instance)  # the same client works again once the server answers
    finally:
        handler.frozen.clear()
        httpd.shutdown()
        httpd.server_close()
