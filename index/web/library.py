"""The web library: each article fetched from the web, kept as one JSON record file.

A fetched page becomes ``<data dir>/web/<host>/<hash of the URL it was fetched from>.json``
holding its headline, text, canonical URL, source, date, author, where and when it was
fetched, the feed it came from and the other URLs the same story was found at (``also_at``).
``index.ingest`` stores these files like any JSON article file, so everything the file ingest
guarantees (skip unchanged, replace in place, deletions left out, crash recovery by
``doctor --repair``) holds for web articles too.

The files are the truth about what has been fetched: a record is written atomically (a
temporary file, fsync, rename) before it is ingested, after a marker of its version
(``index.web.pending``) that stays until an ingest stored that version, and ``lookup``
answers from the files, so a process killed at any point neither loses a fetched article nor
fetches it again. ``claim`` serialises the "is it new? then save it" step across threads and
processes, so two passes cannot both store one story. ``lookup``'s URL table is read once
per process: another process's new records are found by their path (``record_at``) and text.
Fetching, extraction and the index itself are not here.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from index.web.pending import Markers, fsync_dir
from index.web.types import Page

# Pages found to be copies of an article stored from a file (not from the web) are remembered
# here; a hidden folder, so ingesting the library folder never reads them as articles.
COPIES = ".copies"
CLAIM = ".claim"  # the lock file of ``Library.claim``


def url_key(url: str) -> str:
    """A URL as compared for "already fetched": scheme and host lowercased, fragment dropped,
    ``http`` and ``https`` and a trailing slash treated alike."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", host, path, parts.query, ""))


def host_name(url: str) -> str:
    """The URL's host without a leading ``www.`` (what a page without a site name is credited to)."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


@dataclass(frozen=True)
class Record:
    """One stored web article as read back from its file."""

    path: Path
    url: str
    fetched_from: str
    title: str
    source: str
    also_at: tuple[str, ...] = ()
    feed: str | None = None
    copy_of: str | None = None  # set on a pointer to an article stored from a file
    deleted: bool = False  # a pointer to an article deleted by hand: the page is a copy of it

    @property
    def is_article(self) -> bool:
        return self.copy_of is None


class Library:
    """The folder of web article records, with a lookup by every URL each article is known by."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.markers = Markers(root)
        self._lock = threading.Lock()
        self._claim = threading.Lock()
        self._by_url: dict[str, Record] | None = None
        self._waiting: dict[tuple[Path, int, int], tuple[Record, str] | None] = {}

    def path_for(self, fetched_from: str) -> Path:
        """Where the article fetched from this URL is (or would be) kept."""
        digest = hashlib.sha256(url_key(fetched_from).encode()).hexdigest()[:20]
        host = "".join(c if c.isalnum() or c in ".-" else "_" for c in host_name(fetched_from)) or "_"
        return self.root / host / f"{digest}.json"

    def lookup(self, url: str) -> Record | None:
        """The stored article known by this URL (as its canonical URL, the URL it was fetched
        from, or one of its syndicated copies), or None.

        A page another process saved since this one read the folder is found by its file."""
        with self._lock:
            found = self._index().get(url_key(url))
        if found is not None:
            return found
        own = self.path_for(url)
        for path in (own, self.root / COPIES / own.name):
            data = _read(path) if path.is_file() else None
            if data is not None:
                record = _record(path, data)
                with self._lock:
                    self._add(self._index(), record)
                return record
        return None

    def waiting(self) -> list[tuple[Record, str]]:
        """The articles saved (by any process) that no ingest has stored yet, with their text.

        Asked once per page of a pass: each record is read once per version (its mtime and size)."""
        found: list[tuple[Record, str]] = []
        kept: dict[tuple[Path, int, int], tuple[Record, str] | None] = {}
        for record_path in dict.fromkeys(m.record for m in self.markers.pending()):
            try:
                stat = record_path.stat()
            except OSError:
                continue
            key = (record_path, stat.st_mtime_ns, stat.st_size)
            if key not in self._waiting:
                data = _read(record_path)
                text = data.get("text") if data is not None else None
                self._waiting[key] = (_record(record_path, data), text) if data and isinstance(text, str) else None
            kept[key] = self._waiting[key]
            if (entry := kept[key]) is not None:
                found.append(entry)
        self._waiting = kept  # only what is still waiting stays cached
        return found

    def record_at(self, path: Path) -> Record | None:
        """The web article stored in this file, or None for a file outside the library."""
        if not path.resolve().is_relative_to(self.root.resolve()) or path.parent.name == COPIES:
            return None
        data = _read(path)
        return _record(path, data) if data is not None else None

    def save(self, page: Page, feed: str | None = None) -> tuple[Path, bool]:
        """Write (or rewrite) the record of a fetched page; its syndicated copies are kept.

        Returns the record's path and whether it changed: a page fetched again with the same
        article is left as it was (so ingest finds the file unchanged and embeds nothing).
        """
        path = self.path_for(page.fetched_from)
        earlier = _read(path) if path.exists() else None
        data: dict[str, Any] = {
            "title": page.title,
            "text": page.text,
            "url": page.url,
            "source": page.site_name or host_name(page.url),
            "published_at": page.published_at.isoformat() if page.published_at else None,
            "author": page.author,
            "fetched_from": page.fetched_from,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "feed": feed or (earlier or {}).get("feed"),
            "also_at": list((earlier or {}).get("also_at") or []),
        }
        if earlier is not None and all(earlier.get(k) == v for k, v in data.items() if k != "fetched_at"):
            return path, False
        self._write(path, data)
        return path, True

    def save_copy(self, fetched_from: str, url: str, copy_of: str, deleted: bool = False) -> None:
        """Remember that the page at ``fetched_from`` is a copy of an article stored elsewhere
        (``copy_of``: its file or URL; ``deleted``: of an article deleted by hand), so it is
        not fetched again; no article is stored."""
        path = self.root / COPIES / self.path_for(fetched_from).name
        data: dict[str, Any] = {"fetched_from": fetched_from, "url": url, "copy_of": copy_of}
        self._write(path, {**data, "deleted": True} if deleted else data)

    def add_copy(self, record: Record, url: str) -> bool:
        """Record ``url`` as another place the article of ``record`` was published; False when known."""
        data = _read(record.path)
        if data is None or not record.is_article:
            return False
        known = {url_key(u) for u in [data.get("url") or "", data.get("fetched_from") or "", *data.get("also_at", [])]}
        if url_key(url) in known:
            return False
        data["also_at"] = [*data.get("also_at", []), url]
        self._write(record.path, data)
        return True

    @contextmanager
    def claim(self) -> Iterator[None]:
        """Hold the library alone (threads of this process, and other processes) while deciding
        whether a page is new and saving it."""
        with self._claim:
            self.root.mkdir(parents=True, exist_ok=True)
            with (self.root / CLAIM).open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        body = json.dumps(data, ensure_ascii=False, indent=1).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        if "text" in data:
            self.markers.add(path, body)  # before the rename: a crash in between leaves the marker
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)
        with self._lock:
            if self._by_url is not None:
                self._add(self._by_url, _record(path, data))

    def _index(self) -> dict[str, Record]:
        if self._by_url is None:
            index: dict[str, Record] = {}
            if self.root.is_dir():
                for path in sorted(self.root.glob("*/*.json")):  # the hidden copies folder included
                    data = _read(path)
                    if data is not None:
                        self._add(index, _record(path, data))
            self._by_url = index
        return self._by_url

    @staticmethod
    def _add(index: dict[str, Record], record: Record) -> None:
        for url in (record.url, record.fetched_from, *record.also_at):
            if url:
                index[url_key(url)] = record


def _read(path: Path) -> dict[str, Any] | None:
    """A record file's data; None for a file that is not a record (half-written files are never
    renamed into place, so this is a hand-edited or foreign file)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return data if isinstance(data.get("text"), str) or isinstance(data.get("copy_of"), str) else None


def _record(path: Path, data: dict[str, Any]) -> Record:
    return Record(
        path=path,
        url=str(data.get("url") or ""),
        fetched_from=str(data.get("fetched_from") or ""),
        title=str(data.get("title") or ""),
        source=str(data.get("source") or ""),
        also_at=tuple(str(u) for u in data.get("also_at") or []),
        feed=data.get("feed"),
        copy_of=data.get("copy_of"),
        deleted=data.get("deleted") is True,
    )
