"""Check that the data dir and the index are usable and consistent, one finding at a time.

In order: the data dir exists, takes a write and has room; Chroma opens; the collection
reads (its metadata, and one nearest-neighbour query so unreadable vector files show); the
embedder recorded in the collection is the configured one; no chunk lacks its file path;
every stored file is complete (less the articles deleted by hand, see ``deletions``), from one
version of the file, and still on disk; every web article saved under ``<data dir>/web`` is in
the index as saved (``check_web``: a refresh stopped between saving and storing). Each result
is a ``Finding`` whose one-line message says how to fix the problem.

It changes nothing (``recover`` repairs and rebuilds) and prints nothing (the CLI does).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from index.errors import IndexDamagedError, NewsragError, storage_error
from index.store.clients import persistent_client
from index.store.collection import ChromaStore, FileState
from index.store.deletions import Deletion, log_name
from index.web.pending import STALE, Markers, unindexed

Level = Literal["ok", "warning", "problem", "fixed", "lost"]

LOW_SPACE = 100 * 2**20  # under this, warn: Chroma can stall for minutes when the disk fills
_SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    level: Level
    message: str

    @property
    def bad(self) -> bool:
        return self.level in ("problem", "lost")


@dataclass
class Diagnosis:
    """The findings, plus what repair and rebuild need to act on them."""

    findings: list[Finding] = field(default_factory=list)
    store: ChromaStore | None = None  # the collection, when it opened and read
    states: dict[str, FileState] = field(default_factory=dict)
    deleted: list[Deletion] = field(default_factory=list)  # read with the states: rebuild carries them over
    broken: bool = False  # Chroma's files cannot be opened or read: only --rebuild helps
    mismatch: bool = False  # built with another embedder: --rebuild re-embeds
    leftovers: bool = False  # empty index next to segment folders of a lost one
    writable: bool = True
    unindexed: list[str] = field(default_factory=list)  # web records saved but not stored as saved

    @property
    def healthy(self) -> bool:
        return not any(f.bad for f in self.findings)

    def add(self, level: Level, message: str) -> None:
        self.findings.append(Finding(level, message))

    def needs_reingest(self) -> list[str]:
        """Stored files that are incomplete or mixed and whose source is still on disk, and web
        records the index does not hold as saved."""
        damaged = {k for k, s in self.states.items() if k and _damaged(s) and Path(k).is_file()}
        return sorted(damaged | set(self.unindexed))

    def gone(self) -> list[str]:
        """Stored files whose source is no longer on disk."""
        return sorted(k for k in self.states if k and not Path(k).is_file())


@dataclass
class DoctorReport:
    """What ``NewsRAG.doctor`` found and did, one finding per line."""

    findings: list[Finding]
    healthy: bool | None = None  # None: no problem among the findings

    def __post_init__(self) -> None:
        if self.healthy is None:
            self.healthy = not any(f.bad for f in self.findings)


def _damaged(state: FileState) -> bool:
    # An empty hash means chunks of two versions of the file: an update stopped half way.
    return not state.complete or not state.file_hash


def diagnose(data_dir: Path, collection: str, embedder_name: str) -> Diagnosis:
    """Check the embedded index under ``data_dir``."""
    diag = Diagnosis()
    if not data_dir.exists():
        diag.add("ok", f"no data dir at {data_dir} yet: nothing ingested (`newsrag ingest PATH` creates it)")
        return diag
    if not data_dir.is_dir():
        diag.add("problem", f"{data_dir} is not a folder: set NEWSRAG_DATA_DIR to a folder")
        return diag
    check_data_dir(data_dir, diag)
    chroma = data_dir / "chroma"
    if not diag.writable:  # Chroma writes even to open: read its database directly instead
        listed = stored_file_paths(chroma / "chroma.sqlite3", collection)
        if listed is not None:
            diag.add("ok", f"the index's database is readable and lists {len(listed)} files (not changed)")
        return diag
    if not chroma.exists():
        diag.add("ok", f"no index in {data_dir} yet: nothing ingested")
        return diag
    try:
        client = persistent_client(chroma)
    except NewsragError as err:
        _unreadable(err, chroma, diag)
        return diag
    check_collection(client, collection, embedder_name, diag, chroma)
    if diag.store is not None and not diag.mismatch:
        check_web(data_dir / "web", diag)
    return diag


def check_web(web: Path, diag: Diagnosis) -> None:
    """Web records saved but not in the index as saved: a problem, unless a running refresh
    marked them in the last ``STALE`` seconds (it stores them when its pass ends)."""
    found = unindexed(web, {k: s.file_hash for k, s in diag.states.items() if k}, (d.file_path for d in diag.deleted))
    if not found:
        return
    now = time.time()
    fresh = {m.record.resolve() for m in Markers(web).pending() if now - m.written <= STALE}
    waiting = [p for p in found if p.resolve() in fresh]
    lost = [p for p in found if p.resolve() not in fresh]
    diag.unindexed = [str(p.resolve()) for p in found]
    if waiting:
        diag.add("ok", f"{len(waiting)} web article(s) just saved are waiting for their refresh to store them")
    if lost:
        diag.add(
            "problem",
            f"{len(lost)} web article(s) saved under {web} are not in the index as saved (a refresh stopped "
            f"before storing them), e.g. {lost[0].name}: `newsrag doctor --repair` stores them",
        )


def check_data_dir(data_dir: Path, diag: Diagnosis) -> None:
    """A real write, since ``os.access`` says yes to root even on a read-only mount."""
    probe = data_dir / f".doctor-{os.getpid()}"
    try:
        with probe.open("wb") as f:
            f.write(b"newsrag doctor write test\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        diag.writable = False
        diag.add("problem", str(storage_error(err, data_dir)))
    else:
        diag.add("ok", f"data dir {data_dir} is writable ({_size(shutil.disk_usage(data_dir).free)} free)")
    finally:
        with contextlib.suppress(OSError):  # a read-only mount refuses even this
            probe.unlink(missing_ok=True)
    free = shutil.disk_usage(data_dir).free
    if free < LOW_SPACE:
        diag.add(
            "warning",
            f"only {_size(free)} free on the disk of {data_dir}: ingest stops when it fills; free some space",
        )


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def check_collection(client: Any, collection: str, embedder_name: str, diag: Diagnosis, chroma: Path) -> None:
    """Open the collection by name, check its embedder, read it all and probe its vectors."""
    try:
        names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
        if collection not in names:
            diag.add("ok", f"no collection {collection!r} in {chroma} yet: nothing ingested")
            _check_leftovers(chroma, diag)
            return
        raw = client.get_collection(collection)
    except Exception as err:
        _unreadable(err, chroma, diag)
        return
    built_with = str((raw.metadata or {}).get("embedder") or "")
    if built_with and built_with != embedder_name:
        diag.mismatch = True
        diag.add(
            "problem",
            f"the index was built with {built_with} but {embedder_name} is configured: configure {built_with} "
            "again, or run `newsrag doctor --rebuild` to re-embed every file with the new one",
        )
    try:
        store = ChromaStore(client, collection, built_with or embedder_name)
        states = store.file_states()
        deleted = store.deleted.records()
        count = store.count()
        _probe_vectors(store)
    except Exception as err:
        _unreadable(err, chroma, diag)
        return
    diag.store, diag.states, diag.deleted = store, states, deleted
    if count == 0:
        diag.add("ok", f"collection {collection!r} is empty: nothing ingested")
        _check_leftovers(chroma, diag)
        return
    check_files(states, diag)


def _unreadable(err: Exception, chroma: Path, diag: Diagnosis) -> None:
    problem = err if isinstance(err, NewsragError) else storage_error(err, chroma)
    if isinstance(problem, IndexDamagedError):
        diag.broken = True
        diag.add(
            "problem",
            f"{problem.place} cannot be read ({problem.detail}): "
            "`newsrag doctor --rebuild` moves it aside and re-ingests its files",
        )
    else:
        diag.add("problem", str(problem))


def _probe_vectors(store: ChromaStore) -> None:
    """One nearest-neighbour query: fails when the vector segment's files are unreadable."""
    first = store.collection.get(limit=1, include=["embeddings"])
    vectors = first.get("embeddings")
    if vectors is not None and len(vectors):
        store.collection.query(query_embeddings=[list(vectors[0])], n_results=1, include=[])


def check_files(states: dict[str, FileState], diag: Diagnosis) -> None:
    """One finding per file that is incomplete, mixed or gone, then a summary line."""
    orphans = states.get("")
    if orphans:
        diag.add(
            "problem",
            f"{orphans.chunks} chunks carry no file path (not written by `newsrag ingest`): "
            "`newsrag doctor --repair --prune` drops them",
        )
    bad = 0
    for key, state in sorted(states.items()):
        if not key:
            continue
        on_disk = Path(key).is_file()
        if state.pending:
            bad += 1
            diag.add(
                "problem",
                f"{key}: {state.pending} chunks of deleted articles are still stored (a deletion stopped half way): "
                "`newsrag doctor --repair` finishes it",
            )
        elif _damaged(state):
            bad += 1
            what = (
                f"{state.chunks} of {state.expected} chunks"
                if not state.complete
                else "chunks of two versions of the file"
            )
            fix = (
                "`newsrag doctor --repair` re-ingests it"
                if on_disk
                else "its file is gone: restore it and run `newsrag doctor --repair`, "
                "or drop it with `newsrag doctor --repair --prune`"
            )
            diag.add("problem", f"{key}: incomplete ({what}): {fix}")
        elif not on_disk:
            diag.add(
                "warning",
                f"{key}: the file is no longer on disk; its {state.chunks} chunks still answer questions but "
                "cannot be rebuilt: restore it, or drop them with `newsrag doctor --repair --prune`",
            )
        elif state.deleted:
            diag.add(
                "ok",
                f"{key}: complete, {state.deleted} article(s) deleted (recorded: re-ingest, repair and rebuild "
                "leave them out)",
            )
    files = len([k for k in states if k])
    chunks = sum(s.chunks for s in states.values())
    if not bad:
        diag.add("ok", f"{files} files in {chunks} chunks, every file complete")


def _check_leftovers(chroma: Path, diag: Diagnosis) -> None:
    """Vector folders with no database rows: the database was lost or replaced."""
    known = _segment_ids(chroma / "chroma.sqlite3")
    stray = [p for p in chroma.iterdir() if p.is_dir() and _SEGMENT_DIR.match(p.name) and p.name not in known]
    if stray:
        diag.leftovers = True
        diag.add(
            "warning",
            f"the index is empty but {chroma} holds {len(stray)} vector folders of an earlier index whose database "
            "was lost: if articles are missing, `newsrag doctor --rebuild PATH...` re-ingests them",
        )


def _segment_ids(sqlite_file: Path) -> set[str]:
    try:
        with contextlib.closing(_read_only(sqlite_file)) as db:
            return {row[0] for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error:
        return set()


def _read_only(sqlite_file: Path) -> sqlite3.Connection:
    # immutable=1: no lock, no journal, no write of any kind to a file that may be damaged.
    return sqlite3.connect(f"file:{sqlite_file}?mode=ro&immutable=1", uri=True)


def stored_deletions(sqlite_file: Path, collection: str) -> list[Deletion] | None:
    """The deleted-article records of an index's database, read straight from SQLite; None if unreadable.

    For ``rebuild`` of an index Chroma refuses to open, like ``stored_file_paths``.
    """
    if not sqlite_file.is_file():
        return None
    query = (
        "SELECT m.id, m.key, m.string_value FROM embedding_metadata m JOIN embeddings e ON e.id = m.id "
        "JOIN segments s ON s.id = e.segment_id JOIN collections c ON c.id = s.collection WHERE c.name = ?"
    )
    rows: dict[int, dict[str, str]] = {}
    try:
        with contextlib.closing(_read_only(sqlite_file)) as db:
            for rid, key, value in db.execute(query, (log_name(collection),)):
                rows.setdefault(rid, {})[str(key)] = str(value or "")
    except sqlite3.Error:
        return None
    return [d for meta in rows.values() if (d := Deletion.from_metadata(meta)) is not None]


def stored_file_paths(sqlite_file: Path, collection: str) -> list[str] | None:
    """The source files an index's database lists, read straight from SQLite; None if unreadable.

    For an index Chroma refuses to open: its rows may still be readable. Tied to Chroma's
    schema (``embedding_metadata`` rows keyed ``file_path``), checked by the tests.
    """
    if not sqlite_file.is_file():
        return None
    query = (
        "SELECT DISTINCT m.string_value FROM embedding_metadata m JOIN embeddings e ON e.id = m.id "
        "JOIN segments s ON s.id = e.segment_id JOIN collections c ON c.id = s.collection "
        "WHERE m.key = 'file_path' AND c.name = ?"
    )
    try:
        with contextlib.closing(_read_only(sqlite_file)) as db:
            return sorted(str(row[0]) for row in db.execute(query, (collection,)) if row[0])
    except sqlite3.Error:
        return None
