"""Live news for one ``NewsRAG``: ingest web pages, follow feeds, keep the corpus fresh.

    live = rag.live
    live.ingest_urls(["https://example.com/news/truce"])   # a Pass: per-URL results + ingest
    live.add_feed("https://example.com/rss", every="30m")
    live.refresh()                                          # every due feed, once
    live.watch(stop_event)                                  # refresh as feeds fall due, until stopped

Builds the ``index.web`` parts from the settings (the fetch policy, the web library under
``<data dir>/web``, the feed registry ``<data dir>/feeds.sqlite3``, the copy finder over the
index) for the CLI, the server's background thread and the UI. Passes may overlap (a user's
URL ingest while the watcher refreshes, or another process's ``watch``): the collector
serialises only the "is it new? save it" step and the ingest, so a slow host holds up no one
else's pass. The articles themselves are stored by ``NewsRAG.ingest``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from index.errors import InputError
from index.types import IngestReport, web_link
from index.web.dedupe import CopyFinder
from index.web.library import Library
from index.web.net.fetch import Fetcher, FetchPolicy
from index.web.refresh import Collector, Pass
from index.web.registry import Feed, FeedRegistry, format_every, parse_every

if TYPE_CHECKING:
    from index.embed import Embedder
    from index.store.collection import ChromaStore
    from rag.settings import Settings


class Corpus(Protocol):
    """What live news needs of a ``NewsRAG`` (a protocol, so ``rag.api`` and this module do not
    import each other): its settings, its index and embedder, and its file ingest."""

    settings: Settings

    @property
    def store(self) -> ChromaStore: ...

    @property
    def embedder(self) -> Embedder: ...

    def ingest(self, paths: Sequence[Path], *, answers_first: float = ...) -> IngestReport: ...


IDLE_CHECK = 60.0  # a watcher looks for newly added feeds at least this often

log = logging.getLogger("newsrag.feeds")


class LiveNews:
    """URL ingest and feed following over one ``NewsRAG``'s index."""

    def __init__(self, rag: Corpus) -> None:
        self.rag = rag
        self.settings = rag.settings

    @cached_property
    def fetcher(self) -> Fetcher:
        s = self.settings
        return Fetcher(
            FetchPolicy(
                allow_private=s.fetch_allow_private,
                max_bytes=int(s.fetch_max_mb * 2**20),
                timeout=s.fetch_timeout,
                host_delay=s.fetch_host_delay,
            )
        )

    @cached_property
    def library(self) -> Library:
        return Library(self.web_dir)

    @property
    def web_dir(self) -> Path:
        """Where fetched articles are kept, one JSON record each (their files in the index)."""
        return self.settings.data_dir / "web"

    @cached_property
    def registry(self) -> FeedRegistry:
        return FeedRegistry(self.settings.data_dir / "feeds.sqlite3")

    @cached_property
    def collector(self) -> Collector:
        return Collector(
            self.fetcher,
            self.library,
            self.registry,
            store=self._store,
            finder=CopyFinder(self.rag.store, self.rag.embedder),
            max_items=self.settings.feed_max_items,
        )

    def _store(self, paths: Sequence[Path]) -> IngestReport:
        return self.rag.ingest(paths, answers_first=20.0)

    # Pages

    def ingest_urls(self, urls: Sequence[str]) -> Pass:
        """Fetch these pages (again, if fetched before) and store their articles."""
        return self.collector.take_urls(list(urls))

    # Feeds

    def add_feed(self, url: str, every: str | None = None) -> tuple[Feed, bool]:
        """Follow a feed (refreshed on the next pass); True when it was not followed before."""
        link = web_link(url)
        if not link:
            raise InputError(f"{url}: not an http(s) URL: give the feed's full address (https://…)")
        return self.registry.add(link, parse_every(every or self.settings.feed_every))

    def remove_feed(self, url: str) -> bool:
        """Stop following a feed; the articles stored from it stay (remove them like any article)."""
        return self.registry.remove(web_link(url) or url)

    def feeds(self) -> list[Feed]:
        return self.registry.feeds()

    def refresh(self, urls: Sequence[str] | None = None, due_only: bool = True) -> Pass:
        """Refresh the followed feeds (or those of ``urls``); with ``due_only``, only those due."""
        feeds = self.registry.feeds()
        if urls is not None:
            wanted = {web_link(u) or u for u in urls}
            if missing := wanted - {f.url for f in feeds}:
                raise InputError(f"not followed: {', '.join(sorted(missing))}: add it with `newsrag feeds add URL`")
            feeds = [f for f in feeds if f.url in wanted]
        return self.collector.refresh(feeds, due_only=due_only)

    def seconds_to_next(self) -> float:
        """Seconds until the next feed is due (IDLE_CHECK when none is followed)."""
        feeds = self.registry.feeds()
        if not feeds:
            return IDLE_CHECK
        return max(0.0, min(f.next_due for f in feeds) - time.time())

    def watch(self, stop: threading.Event, on_pass: Callable[[Pass], None] | None = None) -> None:
        """Refresh feeds as they fall due until ``stop`` is set (a crash loses nothing: see
        ``index.web.library``). Errors of one pass are reported through its results, not raised."""
        while not stop.is_set():
            done = self.refresh(due_only=True)
            if on_pass is not None and any(f.status != "waiting" for f in done.feeds):
                on_pass(done)
            stop.wait(min(max(self.seconds_to_next(), 1.0), IDLE_CHECK))


class Watcher:
    """The background refresh of ``newsrag serve`` and ``newsrag chat``: a daemon thread running
    ``LiveNews.watch``; an error (index unavailable, disk full) is logged and retried a minute
    later instead of ending the thread."""

    def __init__(self, live: LiveNews) -> None:
        self.live = live
        self.stop_event = threading.Event()
        self.passes = 0
        self.thread = threading.Thread(target=self._run, name="newsrag-feeds", daemon=True)

    def start(self) -> Watcher:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.live.watch(self.stop_event, on_pass=self._log)
            except Exception as err:  # the thread must outlive any one failed pass
                log.warning("feed refresh failed: %s (retrying in %.0f s)", err, IDLE_CHECK)
                self.stop_event.wait(IDLE_CHECK)

    def _log(self, done: Pass) -> None:
        self.passes += 1
        for feed in done.feeds:
            if feed.status == "failed":
                log.warning("feed %s: %s", feed.url, feed.reason)
            elif feed.status != "waiting":
                log.info("feed %s: %d new article(s)", feed.url, feed.stored)


def start_watching(live: LiveNews) -> Watcher | None:
    """Start the background refresh when the ``feed_refresh`` setting allows it; its lines go
    to stderr next to the server's own log unless logging is configured otherwise."""
    if not live.settings.feed_refresh:
        return None
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))  # uvicorn's layout
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return Watcher(live).start()


def feed_info(feed: Feed) -> dict[str, Any]:
    """A feed as plain values, times as local ISO dates (``feeds list --json``, the server, the UI)."""
    return {
        "url": feed.url,
        "title": feed.title,
        "kind": feed.kind,
        "every": format_every(feed.every_s),
        "last_checked": _when(feed.last_checked),
        "last_success": _when(feed.last_success),
        "next_due": (_when(feed.next_due) or "never") if feed.next_due > time.time() else "due now",
        "last_error": feed.last_error,
        "failures": feed.failures,
        "stored": feed.stored,
    }


def _when(stamp: float | None) -> str | None:
    """A Unix time as a local ISO date; None for none, and for one no date can show (a bad stored row)."""
    if not stamp:
        return None
    try:
        return datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return None
