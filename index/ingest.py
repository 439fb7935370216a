"""Ingest files into the index: skip what is unchanged, replace what changed, report the rest.

The flow per run: expand paths into files → hash each file → skip files whose hash and
chunk count already match the index (no parsing, no embedding) → load, clean and chunk the
others → embed in batches across files (llama-index's embedding transform) → replace each
file's chunks in one write. In a changed file, chunks whose headline, date and text are
unchanged keep their stored vectors: one edited article in a 2,000-article JSONL file
re-embeds that article only. A file that fails is reported with its reason and skipped; the
rest of the batch still lands, except after a failed write that every later write would
repeat (disk full, read-only, unreadable index, Chroma server gone): then the run stops and
reports the files it did not store. A write the disk has no room for is refused before
Chroma starts it. ``prune`` drops files that vanished from the given folders. Articles
deleted by hand (``deletions``) are left out of their file each time it is ingested.

Uploads pass caps on passages per file and per run: a file over them is refused after
chunking and before any embedding, and the rest of the batch goes on. A ``pause`` hook runs
before each file and each embedding group, so a caller can let other work (answers) go first.

It leaves locking against concurrent runs to the caller (``rag.api``).
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import BaseNode, MetadataMode

from index.chunk import chunk_articles
from index.errors import FULL_BELOW, LimitError, NewsragError, StorageError, StoreUnavailableError, storage_error
from index.load import LoadedFile, discover, file_hash, load_file, read_limited
from index.store.collection import ChromaStore
from index.store.deletions import Deletion
from index.types import FileResult, IngestReport

# Bump when loading, cleaning or chunking changes what a file turns into: stored files made
# by another version are then re-ingested instead of skipped as unchanged.
PIPELINE_VERSION = 2  # 2: chunks carry published_day (date-aware retrieval)

# Embed this many chunks at once: big enough to keep the embedder busy across small files.
EMBED_GROUP = 256

# Disk an index takes per chunk, rounded up (measured: about 17 KB with a 256-dim embedder,
# SQLite's full-text index included), and the free space kept beyond it.
CHUNK_BYTES = 32 * 2**10

_SKIPPED = "not stored: skipped after the failed write above"

Progress = Callable[[int, int, str], None]
Pause = Callable[[int], None]  # hears the passages about to be embedded (0 before a file is loaded)


@dataclass
class _Pending:
    loaded: LoadedFile
    nodes: list[BaseNode]
    status: str
    in_place: frozenset[str] = frozenset()  # reused vectors already stored under the same id
    reused: int = 0


def ingest_paths(
    paths: Iterable[str | Path],
    store: ChromaStore,
    splitter: SentenceSplitter,
    embed_model: BaseEmbedding,
    prune: bool = False,
    progress: Progress | None = None,
    index_dir: Path | None = None,
    *,
    max_file_chunks: int | None = None,
    max_chunks: int | None = None,
    pause: Pause | None = None,
    embed_group: int = EMBED_GROUP,
) -> IngestReport:
    """Bring the index in line with the given files and folders.

    ``index_dir``: where an embedded index keeps its files, to tell a full disk when a write fails.
    ``max_file_chunks``: refuse a file that makes more passages; ``max_chunks``: refuse a file
    whose passages would take this run past that many (both name the upload settings).
    ``pause``: called before each file is loaded and before each embedding group of at most
    ``embed_group`` passages.
    """
    paths = list(paths)
    pipeline = pipeline_id(splitter, embed_model)
    files, problems = discover(paths)
    report = IngestReport(files=[FileResult(path=p, status="failed", reason=why) for p, why in problems])
    known = store.file_states()
    deleted = store.deleted.by_file()
    pending: list[_Pending] = []
    pending_chunks = 0
    taken = 0  # passages of the files accepted so far, against ``max_chunks``

    for n, path in enumerate(files, 1):
        if progress:
            progress(n - 1, len(files), path.name)
        if pause:
            pause(0)
        key = str(path)
        try:
            state = known.get(key)
            data = read_limited(path)
            if state and state.complete and state.pipeline == pipeline and state.file_hash == file_hash(data):
                report.files.append(FileResult(key, "unchanged", chunks=state.chunks, file_hash=state.file_hash))
                continue
            loaded = load_file(path, data)
            if key in deleted and (nothing_left := _leave_out_deleted(loaded, deleted[key], store, bool(state))):
                nothing_left.file_hash = loaded.file_hash
                report.files.append(nothing_left)
                continue
            room = _room(max_file_chunks, None if max_chunks is None else max_chunks - taken)
            caps = (max_file_chunks, max_chunks)
            if room is not None:  # a file far over a cap is refused before it costs any chunking
                _check_caps(key, _passages_floor(loaded, splitter.chunk_size), True, room, caps, taken)
            nodes = chunk_articles(loaded.articles, loaded.file_hash, splitter, limit=room)
            _check_caps(key, len(nodes), len(loaded.articles) > 1, room, caps, taken)
            in_place = _reuse_vectors(nodes, store, key) if state and state.pipeline == pipeline else set()
        except NewsragError as err:
            report.files.append(FileResult(key, "failed", reason=str(err)))
            continue
        except OSError as err:
            report.files.append(FileResult(key, "failed", reason=f"{key}: cannot read: {err.strerror or err}"))
            continue
        except Exception as err:  # one broken file must not stop the batch
            report.files.append(FileResult(key, "failed", reason=f"{key}: {type(err).__name__}: {err}"))
            continue
        taken += len(nodes)
        kept = [n for n in nodes if n.embedding is not None]
        pending.append(_Pending(loaded, nodes, "updated" if state else "ingested", frozenset(in_place), len(kept)))
        pending_chunks += len(nodes) - len(kept)
        if pending_chunks >= EMBED_GROUP:
            done, stop = _flush(pending, store, embed_model, pipeline, index_dir, pause, embed_group)
            report.files += done
            pending, pending_chunks = [], 0
            if stop:
                # Disk full or read-only: every later write would fail the same way.
                report.files += [FileResult(str(p), "failed", reason=f"{p}: {_SKIPPED}") for p in files[n:]]
                return report
    report.files += _flush(pending, store, embed_model, pipeline, index_dir, pause, embed_group)[0]
    if progress:
        progress(len(files), len(files), "")

    if prune:
        report.removed_files = prune_missing(paths, files, known, store)
    return report


def _leave_out_deleted(
    loaded: LoadedFile, deleted: Mapping[str, Deletion], store: ChromaStore, stored: bool
) -> FileResult | None:
    """Drop the articles deleted by hand from a loaded file; a result when none is left.

    Records of articles no longer in the file are dropped: their text is gone, and if it comes
    back it is new text.
    """
    key = str(loaded.path)
    present = {a.content_hash for a in loaded.articles}
    if stale := set(deleted) - present:
        store.deleted.forget(key, stale)
    kept = [a for a in loaded.articles if a.content_hash not in deleted]
    left_out = len(loaded.articles) - len(kept)
    if not left_out:
        return None
    note = f"{key}: left out {left_out} deleted article(s) (to restore: `newsrag remove` the file, then ingest it)"
    if kept:
        loaded.articles = kept
        loaded.warnings.append(note)
        return None
    if stored:  # only chunks of deleted articles were left (a deletion cut short): finish it
        store.remove_file(key)
        return FileResult(key, "updated", reason=note)
    return FileResult(key, "unchanged", reason=note)


def _room(*caps: int | None) -> int | None:
    """The most passages a file may make under the given caps (None: no cap)."""
    given = [c for c in caps if c is not None]
    return min(given) if given else None


def _passages_floor(loaded: LoadedFile, chunk_tokens: int) -> int:
    """Fewest passages the file can make: every word is at least one word piece (chunking a
    20 MB article takes ~30 s of a core; counting its words, well under a second)."""
    return sum(len(a.text.split()) for a in loaded.articles) // chunk_tokens


def _check_caps(
    key: str,
    passages: int,
    at_least: bool,
    room: int | None,
    caps: tuple[int | None, int | None],
    taken: int,
) -> None:
    """Refuse a file over a passage cap (per file, per run); ``at_least``: ``passages`` is a floor."""
    if room is None or passages <= room:
        return
    per_file, per_run = caps
    count = f"{'at least ' if at_least else ''}{passages:,} passages"
    if per_file is not None and passages > per_file:
        raise LimitError(
            f"{key}: {count}, over the limit of {per_file:,} per uploaded file: split the file "
            "(or raise NEWSRAG_MAX_UPLOAD_CHUNKS_PER_FILE)"
        )
    assert per_run is not None
    raise LimitError(
        f"{key}: {count} with {taken:,} before it in this upload, over the limit of {per_run:,} per upload: "
        "upload it on its own (or raise NEWSRAG_MAX_UPLOAD_CHUNKS)"
    )


def _reuse_vectors(nodes: Sequence[BaseNode], store: ChromaStore, file_path: str) -> set[str]:
    """Give nodes whose embedded text is already stored for this file their stored vector.

    Returns the ids of those stored under the same id already (their records need only new metadata).
    """
    stored = store.stored_vectors(file_path)
    same_id: set[str] = set()
    for node in nodes:
        key = (
            str(node.metadata.get("title", "")),
            str(node.metadata.get("published_at", "") or ""),
            node.get_content(metadata_mode=MetadataMode.NONE),
        )
        found = stored.get(key)
        if found is not None:
            node.embedding = found[1]
            if found[0] == node.node_id:
                same_id.add(node.node_id)
    return same_id


def pipeline_id(splitter: SentenceSplitter, embed_model: BaseEmbedding) -> str:
    """Identifies how chunks are made: code version, chunk sizes and embedder."""
    return f"v{PIPELINE_VERSION}:{splitter.chunk_size}/{splitter.chunk_overlap}:{embed_model.model_name}"


def _flush(
    pending: Sequence[_Pending],
    store: ChromaStore,
    embed_model: BaseEmbedding,
    pipeline: str,
    index_dir: Path | None = None,
    pause: Pause | None = None,
    embed_group: int = EMBED_GROUP,
) -> tuple[list[FileResult], str]:
    """Embed and store the pending files; also returns why to stop the run ("" to go on)."""
    if not pending:
        return [], ""
    results: list[FileResult] = []
    to_embed = [node for p in pending for node in p.nodes if node.embedding is None]
    try:
        for start in range(0, len(to_embed), embed_group):
            group = to_embed[start : start + embed_group]
            if pause:
                pause(len(group))
            embed_model(group)
    except Exception as err:
        reason = str(err) if isinstance(err, NewsragError) else f"embedding failed: {err}"
        return [FileResult(str(p.loaded.path), "failed", reason=reason) for p in pending], ""
    for i, p in enumerate(pending):
        key = str(p.loaded.path)
        try:
            _check_room(index_dir, len(p.nodes))
            store.replace_file(key, p.nodes, pipeline, p.in_place)
        except Exception as err:
            fault = _write_fault(err, index_dir)
            if fault is None:
                results.append(FileResult(key, "failed", reason=f"{key}: could not store: {err}"))
                continue
            results.append(FileResult(key, "failed", reason=f"{key}: not stored: {fault}"))
            results += [
                FileResult(str(q.loaded.path), "failed", reason=f"{q.loaded.path}: {_SKIPPED}")
                for q in pending[i + 1 :]
            ]
            return results, str(fault)
        results.append(
            FileResult(
                key,
                p.status,
                articles=len(p.loaded.articles),
                chunks=len(p.nodes),
                reason="; ".join(p.loaded.warnings),
                reused=p.reused,
                file_hash=p.loaded.file_hash,
            )
        )
    return results, ""


def _check_room(index_dir: Path | None, chunks: int) -> None:
    """Refuse a write the disk cannot take before Chroma starts it.

    On a full disk Chroma can fail half way through a write or wait on SQLite's lock for
    minutes; a refusal up front leaves the index as it was, with a clear reason.
    """
    if index_dir is None:
        return
    need = FULL_BELOW + chunks * CHUNK_BYTES
    free = shutil.disk_usage(index_dir if index_dir.exists() else index_dir.parent).free
    if free < need:
        raise OSError(errno.ENOSPC, f"{free // 2**20} MB free, about {need // 2**20 + 1} MB needed")


def _write_fault(err: Exception, index_dir: Path | None) -> NewsragError | None:
    """A failed write that every later write would repeat (disk full, read-only, store gone)."""
    from chromadb.errors import InternalError

    if isinstance(err, StoreUnavailableError | StorageError):
        return err
    if isinstance(err, OSError | InternalError):  # InternalError: SQLite or segment files failed
        return storage_error(err, "the index", index_dir)
    return None  # a problem with this file's chunks only: report it and go on


def prune_missing(
    paths: Sequence[str | Path], present: Sequence[Path], known: Mapping[str, object], store: ChromaStore
) -> list[str]:
    """Remove stored files that lie under the given folders but no longer exist there."""
    roots = [Path(p).expanduser().resolve() for p in paths if Path(p).is_dir()]
    present_keys = {str(p) for p in present}
    removed = []
    for key in known:
        if key not in present_keys and any(Path(key).is_relative_to(root) for root in roots):
            store.remove_file(key)
            removed.append(key)
    return removed


def remove_paths(paths: Iterable[str | Path], store: ChromaStore) -> list[str]:
    """Drop every stored file at or under the given paths (which need not exist any more).

    Their records of deleted articles go too: ingesting such a file again restores all of it.
    """
    targets = [Path(p).expanduser().resolve() for p in paths]
    removed = []
    for key in sorted(set(store.file_states()) | set(store.deleted.by_file())):
        if any(Path(key) == t or Path(key).is_relative_to(t) for t in targets):
            store.remove_file(key, forget=True)
            removed.append(key)
    return removed
