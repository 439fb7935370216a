"""The feeds a user follows and what newsrag knows of each: a small SQLite file in the data dir.

Per feed: how often to refresh it, the validators for a conditional GET (ETag,
Last-Modified), when it was last checked and last refreshed, its last error and how many
refreshes in a row failed (for backoff), and when it is next due. Per entry page that could
not be used: its reason and when to try it again, so a broken link is not fetched on every
refresh. Each change is one transaction, so a killed process leaves the file consistent.

Intervals run from one minute to 30 days: ``parse_every`` refuses anything else, and a row
written outside that range (by an older version, or by hand) is read back clamped into it,
its times kept to what a date can show, so one bad row cannot break a listing or a refresh.

Which articles were stored is not here: the web library's record files say that.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.errors import InputError

MAX_BACKOFF = 24 * 3600.0  # a feed failing for days is still tried daily
MIN_EVERY = 60.0  # a feed is refreshed at most once a minute ...
MAX_EVERY = 30 * 86400.0  # ... and at least once in 30 days
_LATEST = 32_503_680_000.0  # 3000-01-01 UTC: a stored time past it (or before 1970) is read clamped
ENTRY_RETRY = 3600.0  # an entry page that failed is tried again after an hour, then less often

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    every_s REAL NOT NULL,
    added_at REAL NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT '',
    etag TEXT,
    last_modified TEXT,
    last_checked REAL,
    last_success REAL,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_due REAL NOT NULL,
    stored INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS failed_entries (
    url TEXT PRIMARY KEY,
    feed TEXT NOT NULL,
    reason TEXT NOT NULL,
    tries INTEGER NOT NULL,
    next_try REAL NOT NULL
);
"""


def parse_every(text: str) -> float:
    """Seconds in an interval like ``30m``, ``2h``, ``1d`` or ``90s``: one minute to 30 days."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not match:
        raise InputError(f"cannot read the interval {text!r}: write it like 30m, 2h or 1d")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "m"]
    if not MIN_EVERY <= seconds <= MAX_EVERY:
        raise InputError(
            f"interval {text.strip()!r} is out of range: refresh a feed from once a minute (1m) "
            "to once in 30 days (30d)"
        )
    return seconds


def bounded_every(seconds: float) -> float:
    """An interval clamped to one minute … 30 days (NaN reads as one minute)."""
    return min(max(seconds, MIN_EVERY), MAX_EVERY) if seconds == seconds else MIN_EVERY


def format_every(seconds: float) -> str:
    """``30m``, ``2h``, ``1d`` or ``90s``; an interval out of range is shown clamped into it."""
    seconds = bounded_every(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


@dataclass(frozen=True)
class Feed:
    """One followed feed and its refresh state (times are Unix seconds)."""

    url: str
    every_s: float
    added_at: float
    title: str = ""
    kind: str = ""
    etag: str | None = None
    last_modified: str | None = None
    last_checked: float | None = None
    last_success: float | None = None
    last_error: str | None = None
    failures: int = 0
    next_due: float = 0.0
    stored: int = 0  # articles stored from this feed so far

    def due(self, now: float | None = None) -> bool:
        return self.next_due <= (time.time() if now is None else now)


def _feed(row: sqlite3.Row) -> Feed:
    """A stored row as a ``Feed``: interval and times clamped, never due later than one wait from now."""
    values = dict(row)
    every = bounded_every(float(values["every_s"]))
    values["every_s"] = every
    for key in ("added_at", "last_checked", "last_success", "next_due"):
        if values[key] is not None:
            values[key] = _bounded_time(float(values[key]))
    values["next_due"] = min(values["next_due"], time.time() + max(every, MAX_BACKOFF))
    return Feed(**values)


def _bounded_time(stamp: float) -> float:
    return min(max(stamp, 0.0), _LATEST) if stamp == stamp else 0.0


class FeedRegistry:
    """The feeds table and the failed-entries table of one data dir."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self.path, timeout=30)
            try:
                db.row_factory = sqlite3.Row
                with db:  # one transaction: committed on success, rolled back on error
                    yield db
            finally:
                db.close()

    def add(self, url: str, every_s: float) -> tuple[Feed, bool]:
        """Follow a feed (due at once); an already followed one gets the new interval. True when new."""
        now = time.time()
        with self._db() as db:
            known = db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone() is not None
            if known:
                db.execute("UPDATE feeds SET every_s = ? WHERE url = ?", (bounded_every(every_s), url))
            else:
                db.execute(
                    "INSERT INTO feeds (url, every_s, added_at, next_due) VALUES (?, ?, ?, ?)",
                    (url, bounded_every(every_s), now, now),
                )
        feed = self.get(url)
        assert feed is not None
        return feed, not known

    def remove(self, url: str) -> bool:
        with self._db() as db:
            gone = db.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0
            db.execute("DELETE FROM failed_entries WHERE feed = ?", (url,))
        return gone

    def get(self, url: str) -> Feed | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _feed(row) if row else None

    def feeds(self) -> list[Feed]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM feeds ORDER BY added_at, url").fetchall()
        return [_feed(r) for r in rows]

    def due(self, now: float | None = None) -> list[Feed]:
        now = time.time() if now is None else now
        return [f for f in self.feeds() if f.due(now)]

    def succeeded(
        self,
        url: str,
        *,
        title: str | None = None,
        kind: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        stored: int = 0,
        not_modified: bool = False,
    ) -> None:
        """A refresh worked: validators kept, failures reset, next due one interval from now.

        A 304 answer keeps the stored validators (a server need not repeat them).
        """
        now = time.time()
        with self._db() as db:
            row = db.execute("SELECT every_s, title, kind, etag, last_modified FROM feeds WHERE url = ?", (url,))
            current = row.fetchone()
            if current is None:  # removed while it was being refreshed
                return
            if not_modified:
                etag, last_modified = etag or current["etag"], last_modified or current["last_modified"]
            db.execute(
                "UPDATE feeds SET title = ?, kind = ?, etag = ?, last_modified = ?, last_checked = ?, "
                "last_success = ?, last_error = NULL, failures = 0, next_due = ?, stored = stored + ? WHERE url = ?",
                (
                    title or current["title"],
                    kind or current["kind"],
                    etag,
                    last_modified,
                    now,
                    now,
                    now + bounded_every(current["every_s"]),
                    stored,
                    url,
                ),
            )

    def failed(self, url: str, reason: str) -> None:
        """A refresh failed: the error kept for ``feeds list``; retried after a doubling wait."""
        now = time.time()
        with self._db() as db:
            current = db.execute("SELECT every_s, failures FROM feeds WHERE url = ?", (url,)).fetchone()
            if current is None:
                return
            failures = current["failures"] + 1
            wait = min(bounded_every(current["every_s"]) * 2 ** min(failures - 1, 32), MAX_BACKOFF)
            db.execute(
                "UPDATE feeds SET last_checked = ?, last_error = ?, failures = ?, next_due = ? WHERE url = ?",
                (now, reason, failures, now + wait, url),
            )

    def entry_failed(self, url: str, feed: str, reason: str) -> None:
        now = time.time()
        with self._db() as db:
            row = db.execute("SELECT tries FROM failed_entries WHERE url = ?", (url,)).fetchone()
            tries = (row["tries"] if row else 0) + 1
            wait = min(ENTRY_RETRY * 2 ** min(tries - 1, 32), MAX_BACKOFF)
            db.execute(
                "INSERT OR REPLACE INTO failed_entries (url, feed, reason, tries, next_try) VALUES (?, ?, ?, ?, ?)",
                (url, feed, reason, tries, now + wait),
            )

    def entry_worked(self, url: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM failed_entries WHERE url = ?", (url,))

    def entries_waiting(self, feed: str, now: float | None = None) -> dict[str, str]:
        """Entry pages of this feed that failed and are not due for another try: url → reason."""
        now = time.time() if now is None else now
        with self._db() as db:
            rows = db.execute("SELECT url, reason FROM failed_entries WHERE feed = ? AND next_try > ?", (feed, now))
            return {r["url"]: r["reason"] for r in rows.fetchall()}
