"""Domain types of the ingest side: what an article and a stored chunk are.

Plain dataclasses with no llama-index or Chroma objects, so the public API never leaks a
library type. They leave out anything about querying (hits, citations, answers live in
``rag.types``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

_URL_JUNK = re.compile(r"[\s\x00-\x1f\x7f<>\"`\\]")


def web_link(url: object) -> str:
    """``url`` when it is an http(s) link with a host, else "": the only links newsrag stores or shows.

    ``javascript:``, ``data:``, ``file:`` and other schemes, relative paths and text with
    spaces, quotes or angle brackets (which could break out of a Markdown or HTML link) are dropped.
    """
    text = str(url or "").strip()
    if not text or _URL_JUNK.search(text):
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


@dataclass(frozen=True)
class Article:
    """One news article as loaded from a file or record, before chunking.

    ``source`` is what a citation names: the outlet when a record gives one, else the URL,
    else the file path.
    ``article_id`` is stable for the same file position, so re-ingest replaces in place.
    """

    article_id: str
    title: str
    text: str
    source: str
    file_path: str
    url: str | None = None
    published_at: date | None = None
    author: str | None = None
    content_hash: str = ""
    also_at: tuple[str, ...] = ()  # other URLs the same story was published at (syndicated copies)


@dataclass(frozen=True)
class Chunk:
    """A passage of one article as stored in the index."""

    chunk_id: str
    article_id: str
    text: str
    title: str
    source: str
    file_path: str
    url: str | None = None
    published_at: str | None = None
    author: str | None = None
    index: int = 0
    metadata: dict[str, str | int | float] = field(default_factory=dict)


@dataclass
class FileResult:
    """What ingest did with one file."""

    path: str
    status: str  # "ingested" | "updated" | "unchanged" | "failed"
    articles: int = 0
    chunks: int = 0
    reason: str = ""
    reused: int = 0  # chunks of an updated file whose stored vectors were kept (text unchanged)
    file_hash: str = ""  # SHA-256 of the bytes this ingest read ("" when it read none): which version it stored


@dataclass
class IngestReport:
    """Summary of one ingest run, printed by the CLI and returned by the API."""

    files: list[FileResult] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def articles(self) -> int:
        return sum(f.articles for f in self.files if f.status in ("ingested", "updated"))

    @property
    def chunks(self) -> int:
        return sum(f.chunks for f in self.files if f.status in ("ingested", "updated"))

    @property
    def embedded(self) -> int:
        """Chunks that went through the embedder (stored ones with unchanged text are reused)."""
        return self.chunks - sum(f.reused for f in self.files if f.status in ("ingested", "updated"))

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]
