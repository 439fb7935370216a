"""Which web records are written but not yet in the index: one marker per version of a record.

Before a record file is renamed into place, ``Markers.add`` writes (and fsyncs) a marker
``<library>/.unindexed/<host>~<name>~<hash>`` naming the record and the SHA-256 of the bytes
about to be renamed in. A marker goes (``settle``) only when

- an ingest read exactly that version and did not fail (its ``FileResult.file_hash``), or
- the record no longer holds that version and the marker is older than ``STALE`` seconds: a
  newer version was written (and its writer left its own marker first), or the record was
  removed, or the writer died between marker and rename (which takes milliseconds).

Each marker speaks for one version of one record, so any number of threads and processes can
write and settle at once without one clearing what another wrote. Until #30 the library kept
one shared marker: two overlapping ``watch --once`` runs could clear it after the other wrote
a record, leaving that article stored but never indexed. A marker of that old kind
(``.pending``) still means "ingest the whole library" once.

Left out: running the ingest (the collector does, under the ingest lock of ``rag.api``) and
finding records the index lacks without a marker (``unindexed``, for the doctor).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from index.types import FileResult, IngestReport

FOLDER = ".unindexed"  # hidden: ingesting the library folder never reads it
LEGACY = ".pending"  # the one marker of versions before #30
STALE = 600.0  # seconds: a marker this old whose version is not on disk was superseded or abandoned


@dataclass(frozen=True)
class Mark:
    """One record version waiting for an ingest."""

    marker: Path
    record: Path
    file_hash: str
    written: float  # the marker's mtime (epoch seconds)


def content_hash(body: bytes) -> str:
    """The hash ``index.ingest`` gives a file with these bytes (``FileResult.file_hash``)."""
    return hashlib.sha256(body).hexdigest()


class Markers:
    """The markers of one web library folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / FOLDER

    def add(self, record: Path, body: bytes) -> None:
        """Mark this version of ``record`` as not yet indexed; call before the record is renamed in."""
        digest = content_hash(body)
        rel = record.relative_to(self.root)
        name = "~".join([*rel.parent.parts, rel.stem, digest[:24]])
        self.folder.mkdir(parents=True, exist_ok=True)
        marker = self.folder / name
        tmp = self.folder / f".tmp-{name}-{os.getpid()}"
        with tmp.open("wb") as handle:
            handle.write(json.dumps({"record": rel.as_posix(), "sha256": digest}).encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, marker)
        fsync_dir(self.folder)

    def pending(self) -> list[Mark]:
        """Every marker now present, oldest first."""
        marks: list[Mark] = []
        if not self.folder.is_dir():
            return marks
        for marker in self.folder.iterdir():
            if marker.name.startswith("."):
                continue  # a marker being written
            try:
                data = json.loads(marker.read_text(encoding="utf-8"))
                written = marker.stat().st_mtime
            except (OSError, ValueError):
                continue  # removed meanwhile, or not ours
            if isinstance(data, dict) and isinstance(data.get("record"), str) and isinstance(data.get("sha256"), str):
                marks.append(Mark(marker, self.root / data["record"], data["sha256"], written))
        return sorted(marks, key=lambda m: (m.written, m.marker.name))

    def legacy(self) -> bool:
        """Whether the single marker of an older version is present (the whole library waits)."""
        return (self.root / LEGACY).is_file()

    def settle(self, marks: Iterable[Mark], report: IngestReport | None, whole: bool = False) -> int:
        """Remove the markers whose version ``report`` stored (or that no longer stand for the
        record on disk); ``whole``: the ingest covered the whole library, so the old marker goes
        too if nothing failed. Returns how many markers went."""
        results: Mapping[str, FileResult] = {}
        if report is not None:
            results = {_key(f.path): f for f in report.files}
        now = time.time()
        gone = 0
        for mark in marks:
            done = results.get(_key(mark.record))
            stored = done is not None and done.status != "failed" and done.file_hash == mark.file_hash
            if stored or (now - mark.written > STALE and _current_hash(mark.record) != mark.file_hash):
                mark.marker.unlink(missing_ok=True)
                gone += 1
        if whole and report is not None and not report.failed:
            (self.root / LEGACY).unlink(missing_ok=True)
        return gone


def unindexed(root: Path, stored: Mapping[str, str], deleted: Iterable[str]) -> list[Path]:
    """Article records under ``root`` that the index does not hold as they are on disk.

    ``stored``: file path → the hash the index holds; ``deleted``: paths with articles deleted
    by hand (a record whose one article was deleted is meant to be missing). Pointers to
    articles stored elsewhere (the hidden copies folder) are not articles.
    """
    gone = set(map(_key, deleted))
    found: list[Path] = []
    if not root.is_dir():
        return found
    held = {_key(k): v for k, v in stored.items()}
    for path in sorted(root.glob("*/*.json")):
        if path.parent.name.startswith(".") or path.name.startswith("."):
            continue
        key = _key(str(path))
        if key in gone and key not in held:
            continue
        try:
            body = path.read_bytes()
            data = json.loads(body)
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            continue
        if held.get(key) != content_hash(body):
            found.append(path)
    return found


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def _current_hash(path: Path) -> str:
    try:
        return content_hash(path.read_bytes())
    except OSError:
        return ""


def fsync_dir(folder: Path) -> None:
    """Make a rename durable: without it a power cut can lose the new directory entry."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
