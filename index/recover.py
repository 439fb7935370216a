"""Act on a ``doctor`` diagnosis: repair what the index can keep, rebuild what it cannot.

``repair`` finishes deletions cut short, re-ingests stored files that are incomplete or mixed
and whose sources are still on disk, and with ``prune`` drops the chunks of files that are
gone (and chunks that name no file). ``rebuild`` is for an index Chroma cannot open or read,
or one built with another embedder: it moves ``chroma/`` aside to ``chroma.broken-<time>``
(it never deletes it), makes a fresh index, copies the old one's record of deleted articles
into it (so they stay deleted) and re-ingests the files the old one listed (read straight
from its database when Chroma cannot), the paths given, and, when the old list is
unreadable, the uploads.
Every file ends in a finding: recovered, or lost and why.

It does not lock against a concurrent ingest (the caller does) and prints nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.node_parser import SentenceSplitter

from index.doctor import Diagnosis, Finding, stored_deletions, stored_file_paths
from index.errors import storage_error
from index.ingest import ingest_paths
from index.store.clients import persistent_client, release_client
from index.store.collection import ChromaStore
from index.store.deletions import Deletion
from index.types import IngestReport


def repair(
    diag: Diagnosis,
    splitter: SentenceSplitter,
    embed_model: BaseEmbedding,
    prune: bool,
    index_dir: Path | None = None,
) -> list[Finding]:
    """Re-ingest damaged files whose sources exist; with ``prune`` drop what has no source."""
    store = diag.store
    if store is None or diag.mismatch:
        return []  # nothing readable to repair, or repairing would mix two embedders
    found: list[Finding] = []
    half_deleted = [k for k, s in diag.states.items() if s.pending]
    for key in half_deleted:  # needs no file: the record says which chunks go
        found.append(Finding("fixed", f"{key}: finished a deletion ({store.finish_deletions(key)} chunks dropped)"))
    if half_deleted:
        diag.states = store.file_states()
    redo = diag.needs_reingest()
    if redo:
        report = ingest_paths(redo, store, splitter, embed_model, index_dir=index_dir)
        found += _results(report, verb="re-ingested")
    gone = diag.gone()
    if prune:
        for key in gone:
            found.append(Finding("fixed", f"{key}: dropped {store.remove_file(key)} chunks (the file is gone)"))
        if "" in diag.states:
            found.append(Finding("fixed", f"dropped {_drop_pathless(store)} chunks that named no file"))
    elif gone or "" in diag.states:
        found.append(Finding("warning", "left the chunks of files that are gone: add --prune to drop them"))
    return found


def _drop_pathless(store: ChromaStore) -> int:
    page = store.collection.get(include=["metadatas"])
    ids = [i for i, m in zip(page["ids"], page["metadatas"] or [], strict=False) if not (m or {}).get("file_path")]
    if ids:
        store.collection.delete(ids=ids)
    return len(ids)


def rebuild(
    data_dir: Path,
    collection: str,
    embedder_name: str,
    splitter: SentenceSplitter,
    embed_model: BaseEmbedding,
    diag: Diagnosis,
    paths: Sequence[str | Path] = (),
) -> list[Finding]:
    """Move the index aside, make a fresh one and re-ingest every source still on disk."""
    chroma = data_dir / "chroma"
    found: list[Finding] = []
    if diag.store is not None:
        listed: list[str] | None = sorted(k for k in diag.states if k)
        deleted: list[Deletion] | None = diag.deleted
    else:
        listed = stored_file_paths(chroma / "chroma.sqlite3", collection)
        deleted = stored_deletions(chroma / "chroma.sqlite3", collection)
    targets: list[Path] = [Path(p).expanduser().resolve() for p in paths]
    uploads = data_dir / "uploads"
    if listed is None:
        if uploads.is_dir():
            targets.append(uploads.resolve())
        given = " and ".join(
            ([f"{len(paths)} paths given"] if paths else []) + ([str(uploads)] if uploads.is_dir() else [])
        )
        found.append(Finding("warning", f"the old index's file list cannot be read: re-ingesting {given or 'nothing'}"))
    if not targets and not listed:
        found.append(
            Finding(
                "problem",
                "nothing to re-ingest: give your article files or folders, `newsrag doctor --rebuild PATH...` "
                "(the index was left as it was)",
            )
        )
        return found
    aside: Path | None = None
    if chroma.exists():
        aside = _move_aside(chroma)
        found.append(Finding("fixed", f"moved the old index to {aside} (kept: delete it once you are satisfied)"))
    lost = [k for k in listed or [] if not Path(k).is_file()]
    targets += [Path(k) for k in listed or [] if Path(k).is_file()]
    kept = f" (still in {aside})" if aside else ""
    found += [
        Finding("lost", f"{k}: not recovered: the file is gone; its articles were only in the index{kept}")
        for k in lost
    ]

    store = ChromaStore(persistent_client(chroma), collection, embedder_name)
    if deleted:  # before any ingest, so articles deleted by hand stay deleted
        store.deleted.add(deleted)
        found.append(Finding("ok", f"kept the record of {len(deleted)} deleted articles: they stay deleted"))
    elif deleted is None and listed is None:
        found.append(Finding("warning", "the record of deleted articles cannot be read: they may come back"))
    if targets:
        found += _results(ingest_paths(targets, store, splitter, embed_model, index_dir=chroma), verb="recovered")
    recovered = [f for f in found if f.level == "fixed" and ": recovered " in f.message]
    missing = [f for f in found if f.level == "lost"]
    found.append(
        Finding(
            "ok" if not missing else "problem",
            f"rebuilt the index: {len(recovered)} files recovered ({store.count()} chunks), "
            f"{len(missing)} not recovered",
        )
    )
    return found


def _results(report: IngestReport, verb: str) -> list[Finding]:
    found = []
    for f in report.files:
        if f.status == "failed":
            found.append(Finding("lost", f"{f.path}: not {verb}: {f.reason}"))
        else:
            found.append(Finding("fixed", f"{f.path}: {verb} ({f.chunks} chunks)"))
    return found


def _move_aside(chroma: Path) -> Path:
    """Rename (never copy or delete) the index folder; a rename needs no free space."""
    release_client(chroma)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = chroma.with_name(f"chroma.broken-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = chroma.with_name(f"chroma.broken-{stamp}-{n}")
    try:
        os.rename(chroma, target)
    except OSError as err:
        raise storage_error(err, chroma) from err
    return target
