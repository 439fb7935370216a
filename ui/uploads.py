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

Counting files per request and HTTP status codes are the callers' business.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from index.ingest import Progress
from index.load import SUPPORTED_SUFFIXES
from index.types import FileResult, IngestReport
from rag.api import NewsRAG

MAX_NAME_BYTES = 150  # well under the 255 bytes of ext4/xfs/btrfs, with room for a tag
_KEPT_MARKS = frozenset("._ -()")
_COPY_BLOCK = 1 << 20


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


def upload_dir(rag: NewsRAG) -> Path:
    return rag.upload_dir


def save_and_ingest(
    rag: NewsRAG, files: Sequence[tuple[str, BinaryIO]], progress: Progress | None = None
) -> IngestReport:
    """Copy each (name, stream) into the uploads folder and ingest what was saved."""
    max_bytes = int(rag.settings.max_upload_mb * 1_000_000)
    target_dir = upload_dir(rag)
    target_dir.mkdir(parents=True, exist_ok=True)
    failed: list[FileResult] = []
    stored: list[Path] = []
    notes: dict[str, str] = {}
    taken: set[str] = set()
    for raw_name, stream in files:
        name = upload_name(raw_name)
        if name in taken:  # two files of this request: the later one must not replace the first
            name = _another(name, taken)
            notes[name] = f"renamed to {name}: another file in this upload is named {upload_name(raw_name)}"
        elif " ~" in name:
            notes[name] = f"renamed to {name}: {raw_name!r} has characters or a length a file name here cannot take"
        taken.add(name)
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
            reason = f"{name}: not an article file ({kinds}): convert or rename it"
            failed.append(FileResult(name, "failed", reason=reason))
            continue
        if not _copy_limited(stream, target_dir / name, max_bytes):
            limit = f"{rag.settings.max_upload_mb:g} MB"
            reason = f"{name}: over the {limit} upload limit: split it or raise NEWSRAG_MAX_UPLOAD_MB"
            failed.append(FileResult(name, "failed", reason=reason))
            continue
        stored.append(target_dir / name)
    report = rag.ingest(stored, progress=progress) if stored else IngestReport()
    report.files = failed + report.files
    for result in report.files:
        name = Path(result.path).name
        if note := notes.get(name):
            result.reason = "; ".join(r for r in (result.reason, note) if r)
        if result.status != "failed" and not result.chunks:  # all of it was deleted earlier: keep no copy
            (target_dir / name).unlink(missing_ok=True)
    return report


def file_problem(result: FileResult) -> str:
    """A failed file's reason without the path it starts with (the caller shows the name)."""
    for prefix in (result.path, Path(result.path).name):
        if result.reason.startswith(prefix + ": "):
            return result.reason[len(prefix) + 2 :]
    return result.reason


def _copy_limited(stream: BinaryIO, target: Path, max_bytes: int) -> bool:
    """Copy at most ``max_bytes``; False (and nothing written) when the stream is longer."""
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while block := stream.read(_COPY_BLOCK):
                size += len(block)
                if size > max_bytes:
                    return False
                out.write(block)
        os.replace(tmp, target)
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
