"""Save uploaded article files into the data dir and ingest them, one result per file.

Shared by the chat UI and the REST API. Each file gets a safe name (no directories, no odd
characters), its type is checked against the loaders and its size against the upload limit
while it is copied; a problem becomes one failed ``FileResult`` that says how to fix it, and
the rest of the batch is still ingested. Uploads live in ``DATA_DIR/uploads`` (a re-upload
under the same name updates the article). Counting files per request and HTTP status codes
are the callers' business.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from index.ingest import Progress
from index.load import SUPPORTED_SUFFIXES
from index.types import FileResult, IngestReport
from rag.api import NewsRAG

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
_COPY_BLOCK = 1 << 20


def upload_name(name: str) -> str:
    """A safe file name for an upload: no directories, no odd characters, never empty."""
    base = Path(name.replace("\\", "/")).name
    base = _UNSAFE_NAME.sub("_", base).strip(" .") or "upload"
    return base[:120]


def upload_dir(rag: NewsRAG) -> Path:
    return rag.settings.data_dir / "uploads"


def save_and_ingest(
    rag: NewsRAG, files: Sequence[tuple[str, BinaryIO]], progress: Progress | None = None
) -> IngestReport:
    """Copy each (name, stream) into the uploads folder and ingest what was saved."""
    max_bytes = int(rag.settings.max_upload_mb * 1_000_000)
    target_dir = upload_dir(rag)
    target_dir.mkdir(parents=True, exist_ok=True)
    failed: list[FileResult] = []
    stored: list[Path] = []
    for raw_name, stream in files:
        name = upload_name(raw_name)
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
