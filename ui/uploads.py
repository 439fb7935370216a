"""Save uploaded article files into the data dir and ingest them, one result per file.

Shared by the chat UI and the REST API. Each file gets a safe name, its type is checked
against the loaders and its size against the upload limit while it is copied; a problem
becomes one failed ``FileResult`` that says how to fix it, and the rest of the batch is
still ingested. Uploads live in ``DATA_DIR/uploads``: a re-upload under the same name
updates the article.

Names: the given name's last part, NFC-normalised, keeping letters, marks and digits of any
script and ``. _ - ( )`` space. NFC, not NFKC, because NFKC folds distinct names together
(fullwidth ``ｆｕｌｌ`` into ``full``). A name that had other characters replaced, or that
was cut to fit ``MAX_NAME_BYTES`` of UTF-8, also gets `` ~`` and a hash of the whole given
name: two names that differ only where they were changed then never share a stored file,
while the same given name always maps to the same one (the update above), without a table
of names to keep in step with the folder. ``~`` is never kept from a given name, so no
upload can take a tagged name. Two files of one request with the same name: the later one
is saved as ``name ~2.txt`` and the result says so. An upload of which nothing is left in
the index (every article of it was deleted earlier) is not kept.

Two steps, so a caller can answer before the slow one: ``stage`` copies the streams to hidden
names in the uploads folder (nothing in place yet); ``ingest_staged`` moves them in place and
ingests them, under the upload caps on passages and letting answers go first. A file that
fails to ingest does not stay: a new one is deleted, a failed re-upload gets the earlier
version back (the index still holds that version's articles: a failed file's passages are
never written). Counting files per request, HTTP status codes and background jobs are the
callers' business.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from index.errors import storage_error
from index.ingest import Progress
from index.load import SUPPORTED_SUFFIXES
from index.types import FileResult, IngestReport
from rag.api import NewsRAG

MAX_NAME_BYTES = 150  # well under the 255 bytes of ext4/xfs/btrfs, with room for a tag
_KEPT_MARKS = frozenset("._ -()")
_COPY_BLOCK = 1 << 20
_STAGED_PREFIX = ".upload-"  # hidden: a folder ingest of uploads/ skips these and the backups
_STALE_S = 24 * 3600  # a staged copy this old was left by a crash or restart: no job will take it

# Before each embedding group an upload waits up to this long while answers hold the local
# model (one answer takes ~12 s there): answers go first, and a steady stream of questions
# slows an upload down without stopping it.
ANSWERS_FIRST_S = 20.0


def upload_name(name: str) -> str:
    """A safe file name for an upload: no directories, no odd characters, never empty; one per given name."""
    given = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name).strip(" .")
    safe = "".join(ch if ch in _KEPT_MARKS or unicodedata.category(ch)[0] in "LMN" else "_" for ch in given)
    stem, suffix = _split(safe)
    room = MAX_NAME_BYTES - len(suffix.encode())
    if safe == given and len(stem.encode()) <= room:
        return safe or "upload"
    tag = f" ~{hashlib.sha256(given.encode()).hexdigest()[:10]}"
    return f"{_cut(stem, room - len(tag))}{tag}{suffix}"


def _split(name: str) -> tuple[str, str]:
    suffix = Path(name).suffix
    return (name[: -len(suffix)], suffix) if suffix and len(suffix.encode()) <= 16 else (name, "")


def _cut(text: str, max_bytes: int) -> str:
    return text.encode()[: max(max_bytes, 0)].decode("utf-8", "ignore")


def _another(name: str, taken: set[str]) -> str:
    stem, suffix = _split(name)
    n = 2
    while (candidate := f"{_cut(stem, MAX_NAME_BYTES - len(suffix.encode()) - 8)} ~{n}{suffix}") in taken:
        n += 1
    return candidate


@dataclass
class Staged:
    """An upload copied to hidden names in the uploads folder: checked, not yet in place."""

    failed: list[FileResult] = field(default_factory=list)  # refused while copying
    files: list[tuple[Path, Path]] = field(default_factory=list)  # (hidden copy, where it goes)
    notes: dict[str, str] = field(default_factory=dict)  # stored name -> why it differs from the given one

    @property
    def total(self) -> int:
        return len(self.failed) + len(self.files)

    def discard(self) -> None:
        """Delete the copies not moved in place (all of them when the upload is dropped)."""
        for copy, _ in self.files:
            copy.unlink(missing_ok=True)


def save_and_ingest(
    rag: NewsRAG, files: Sequence[tuple[str, BinaryIO]], progress: Progress | None = None
) -> IngestReport:
    """Copy each (name, stream) into the uploads folder and ingest what was saved."""
    return ingest_staged(rag, stage(rag, files), progress)


def stage(rag: NewsRAG, files: Sequence[tuple[str, BinaryIO]]) -> Staged:
    """Check each (name, stream) and copy it to a hidden name in the uploads folder."""
    max_bytes = int(rag.settings.max_upload_mb * 1_000_000)
    target_dir = rag.upload_dir
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        target_dir = target_dir.resolve()  # the index keys files by resolved path
    except OSError as err:
        raise storage_error(err, f"the uploads folder {target_dir}") from err
    _drop_stale(target_dir)
    staged = Staged()
    taken: set[str] = set()
    try:
        for raw_name, stream in files:
            name = upload_name(raw_name)
            if name in taken:  # two files of this request: the later one must not replace the first
                name = _another(name, taken)
                staged.notes[name] = f"renamed to {name}: another file in this upload is named {upload_name(raw_name)}"
            elif " ~" in name:
                staged.notes[name] = (
                    f"renamed to {name}: {raw_name!r} has characters or a length a file name here cannot take"
                )
            taken.add(name)
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
                reason = f"{name}: not an article file ({kinds}): convert or rename it"
                staged.failed.append(FileResult(name, "failed", reason=reason))
                continue
            copy = _copy_limited(stream, target_dir, max_bytes)
            if copy is None:
                limit = f"{rag.settings.max_upload_mb:g} MB"
                reason = f"{name}: over the {limit} upload limit: split it or raise NEWSRAG_MAX_UPLOAD_MB"
                staged.failed.append(FileResult(name, "failed", reason=reason))
                continue
            staged.files.append((copy, target_dir / name))
    except BaseException:
        staged.discard()
        raise
    return staged


def ingest_staged(
    rag: NewsRAG, staged: Staged, progress: Progress | None = None, on_embed: Callable[[int], None] | None = None
) -> IngestReport:
    """Move the staged files in place and ingest them; failed ones leave nothing behind.

    Runs under a lock on the uploads folder, so two uploads of one name never swap each
    other's earlier versions. ``on_embed`` hears each embedding group's size (see ``NewsRAG.ingest``).
    """
    if not staged.files:
        return IngestReport(files=list(staged.failed))
    placed: list[tuple[Path, Path | None]] = []  # (file in place, the earlier version moved aside)
    kept: set[Path] = set()
    with _uploads_lock(staged.files[0][1].parent):
        try:
            for copy, final in staged.files:
                placed.append((final, _move_in(copy, final)))
            s = rag.settings
            report = rag.ingest(
                [final for final, _ in placed],
                progress=progress,
                max_file_chunks=s.max_upload_chunks_per_file,
                max_chunks=s.max_upload_chunks,
                answers_first=ANSWERS_FIRST_S,
                on_embed=on_embed,
            )
            kept = {Path(r.path) for r in report.files if r.status != "failed"}
        finally:
            staged.discard()  # copies never moved in (a failure part way)
            for final, earlier in placed:
                _settle(final, earlier, final in kept)
    report.files = staged.failed + report.files
    for result in report.files:
        name = Path(result.path).name
        if note := staged.notes.get(name):
            result.reason = "; ".join(r for r in (result.reason, note) if r)
        if result.status != "failed" and not result.chunks:  # all of it was deleted earlier: keep no copy
            (staged.files[0][1].parent / name).unlink(missing_ok=True)
    return report


def file_problem(result: FileResult) -> str:
    """A failed file's reason without the path it starts with (the caller shows the name)."""
    for prefix in (result.path, Path(result.path).name):
        if result.reason.startswith(prefix + ": "):
            return result.reason[len(prefix) + 2 :]
    return result.reason


def _copy_limited(stream: BinaryIO, folder: Path, max_bytes: int) -> Path | None:
    """Copy at most ``max_bytes`` to a hidden file in ``folder``; None (nothing left) when longer."""
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=_STAGED_PREFIX)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while block := stream.read(_COPY_BLOCK):
                size += len(block)
                if size > max_bytes:
                    break
                out.write(block)
    except BaseException:
        os.unlink(tmp)
        raise
    if size > max_bytes:
        os.unlink(tmp)
        return None
    return Path(tmp)


def _drop_stale(folder: Path) -> None:
    """Delete staged copies that a crash or restart left behind (up to an upload's size each)."""
    now = time.time()
    for leftover in folder.glob(f"{_STAGED_PREFIX}*"):
        try:
            if now - leftover.stat().st_mtime > _STALE_S:
                leftover.unlink()
        except OSError:  # gone already, or not ours to delete: not worth failing an upload for
            continue


def _move_in(copy: Path, final: Path) -> Path | None:
    """Put ``copy`` at ``final``; an earlier version there moves to a hidden name, returned."""
    earlier = None
    if final.exists():
        earlier = final.with_name(f".{final.name}.previous")
        os.replace(final, earlier)
    try:
        os.replace(copy, final)
    except BaseException:
        if earlier is not None:
            os.replace(earlier, final)
        raise
    return earlier


def _settle(final: Path, earlier: Path | None, stored: bool) -> None:
    """Keep an ingested upload (dropping the earlier version); undo a failed one."""
    if stored:
        if earlier is not None:
            earlier.unlink(missing_ok=True)
    elif earlier is not None:
        os.replace(earlier, final)  # its articles are still the ones in the index
    else:
        final.unlink(missing_ok=True)


@contextmanager
def _uploads_lock(folder: Path) -> Iterator[None]:
    """One upload at a time moves files in and out of ``folder`` (across threads and processes)."""
    with (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
