"""index.web.registry: feed intervals are bounded when given, and a bad stored row still reads and lists."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from index.errors import InputError
from index.web.registry import FeedRegistry, format_every, parse_every
from rag.live import feed_info


@pytest.mark.parametrize(("text", "seconds"), [("1m", 60), ("90s", 90), ("2h", 7200), ("45", 2700), ("30d", 2592000)])
def test_intervals_from_a_minute_to_30_days_are_read(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["999999999999d", "31d", "721h", "59s", "0m"])
def test_an_interval_out_of_range_is_refused_in_one_line_naming_the_range(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_every(text)
    message = str(err.value)
    assert "(1m)" in message and "(30d)" in message and "\n" not in message


def test_a_stored_row_with_an_absurd_interval_reads_clamped_and_lists(tmp_path: Path) -> None:
    # The outside probe (#30) stored every=999999999999d; one refresh later next_due was 8.6e16
    # and every listing (API, CLI, UI) crashed on it.
    path = tmp_path / "feeds.sqlite3"
    registry = FeedRegistry(path)
    registry.add("https://example.com/feed", 3600)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE feeds SET every_s = 8.64e16, next_due = 8.64e16, last_success = 1e300, last_checked = -1e20")
    registry.succeeded("https://example.com/feed")  # a refresh of the bad row schedules within 30 days
    (feed,) = registry.feeds()
    assert feed.every_s == 30 * 86400 and feed.next_due <= time.time() + 30 * 86400 + 1
    info = feed_info(feed)
    assert info["every"] == "30d" and info["next_due"] != "due now"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE feeds SET next_due = 1e300, last_success = 1e300")
    info = feed_info(registry.feeds()[0])  # must not raise
    assert info["every"] == "30d" and info["last_success"] is not None
    registry.failed("https://example.com/feed", "HTTP 500")  # the backoff stays finite too
    assert registry.get("https://example.com/feed") is not None


def test_feed_info_never_raises_on_a_time_no_date_can_show() -> None:
    from index.web.registry import Feed

    feed = Feed(url="u", every_s=float("inf"), added_at=0, next_due=8.64e16, last_success=1e300, last_checked=-1e20)
    info = feed_info(feed)
    assert (info["every"], info["next_due"], info["last_success"], info["last_checked"]) == ("30d", "never", None, None)
    assert format_every(float("nan")) == "1m"
