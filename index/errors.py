"""Every error newsrag raises on purpose, in one place.

Each subclass carries a message that tells the user how to fix the problem. Only the entry
points (CLI, UI, API) turn these into user-facing text; library code raises them and never
prints. Programming errors are not wrapped: they stay ordinary exceptions with tracebacks.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path


class NewsragError(Exception):
    """Base class: a problem the user can fix; ``str(err)`` is a one-line hint."""


class ConfigError(NewsragError):
    """A setting is missing, invalid or inconsistent."""


class InputError(NewsragError):
    """A file, record or question that cannot be used as given."""


class QuestionError(InputError):
    """The question is empty or too long."""


class LimitError(InputError):
    """A request is over a configured limit (question length, upload size or count)."""


class QuestionTooLongError(QuestionError, LimitError):
    """The question is longer than ``max_question_chars``."""


class EmptyIndexError(NewsragError):
    """Asked a question before anything was ingested."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "the index is empty: run `newsrag ingest PATH` (or `newsrag ingest --samples`) first"
        )


class IndexMismatchError(NewsragError):
    """The stored index was built with a different embedder than the one configured."""


class StoreUnavailableError(NewsragError):
    """The Chroma server cannot be reached or refused the request."""


class ModelError(NewsragError):
    """A bundled or configured model is missing, corrupt or failed to load."""


class BackendUnavailableError(NewsragError):
    """An optional backend was chosen but its package is not installed."""


class LLMError(NewsragError):
    """The language model endpoint failed (down, timeout, bad reply)."""


DOCTOR_HINT = "run `newsrag doctor` to check it (`newsrag doctor --rebuild` moves it aside and re-ingests)"


class StorageError(NewsragError):
    """The data dir or the index cannot be written or read: read-only, disk full, damaged files."""


class IndexDamagedError(StorageError):
    """Chroma's files under the data dir are unreadable (corrupt database, missing segment files)."""

    def __init__(self, where: object, detail: str) -> None:
        self.place = f"the index at {where}" if isinstance(where, Path) else str(where)
        self.detail = detail
        super().__init__(f"{self.place} cannot be read ({detail}): {DOCTOR_HINT}")


# Under this much free space a failed write is taken for a full disk: Chroma's own message
# often does not say so ("Failed to apply logs to the metadata segment").
FULL_BELOW = 16 * 2**20

# How SQLite (Chroma's Rust core reports "(code: N)") and the OS word these faults.
_FULL = ("(code: 13)", "database or disk is full", "no space left", "os error 28", "disk quota exceeded")
_READ_ONLY = ("(code: 8)", "readonly database", "read-only file system", "os error 30")
_DENIED = ("permission denied", "os error 13")


def storage_error(err: BaseException, where: object, disk: Path | None = None) -> StorageError:
    """The one-line error for a failed read or write of the data dir or index at ``where``.

    Tells disk full and read-only/permission problems (fix the disk, then rerun) apart from
    damaged index files (run ``newsrag doctor``). ``disk``: a path on the index's disk, whose
    free space decides when the error itself does not say. Kept here so ingest, the store and
    the doctor word these faults the same way.
    """
    errno_ = getattr(err, "errno", None)
    detail = " ".join((getattr(err, "strerror", None) or str(err) or type(err).__name__).split())
    low = f"{detail} {err}".lower()
    if errno_ in (errno.ENOSPC, errno.EDQUOT) or any(s in low for s in _FULL) or _nearly_full(disk):
        return StorageError(
            f"disk full writing {where} ({detail}): free some space, then run the same command again "
            "(what was stored before is kept; `newsrag doctor` checks the index)"
        )
    if errno_ in (errno.EROFS, errno.EACCES, errno.EPERM) or any(s in low for s in _READ_ONLY + _DENIED):
        return StorageError(
            f"cannot write to {where} ({detail}): newsrag must write there, even to answer questions; "
            "fix its permissions, or copy it somewhere writable and set NEWSRAG_DATA_DIR"
        )
    return IndexDamagedError(where, detail)


def _nearly_full(disk: Path | None) -> bool:
    while disk is not None and not disk.exists() and disk != disk.parent:
        disk = disk.parent
    try:
        return disk is not None and shutil.disk_usage(disk).free < FULL_BELOW
    except OSError:
        return False
