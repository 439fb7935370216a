"""Turn URLs and feeds into stored articles: one pass, reported per URL and per feed.

``Collector.take_urls`` fetches pages a user named; ``Collector.refresh`` checks each due feed
with a conditional GET, fetches the pages of its entries not seen before (newest first, at
most ``max_items`` a feed), and hands every record file written to ``store`` (the file ingest)
in one go at the end, so embeddings are batched across feeds.

A page is one article stored once: before it is saved, its canonical URL and then its text
are compared with what is stored (the library's records, the index through ``CopyFinder``, the
pages saved but not yet indexed by this or another pass, and the articles deleted by hand); a
copy adds its URL to the stored article's ``also_at`` instead, and a copy of a deleted article
is not stored (deleted articles stay deleted under any URL). That decision and the save run
under ``Library.claim``, so passes may run at once, in threads or processes: a slow host holds
up its own pass only. A feed being refreshed by another pass of this process waits.

A feed that fails keeps its error and waits twice as long each time; an entry page that fails
is skipped until its retry time, the rest of the feed goes on.

The feed's validators (ETag, Last-Modified) are kept only when every new entry was taken: a
feed with entries left over (over the cap, or failed) is fetched whole next time, since a 304
would hide them. Scheduling (``watch``, the server's background thread) is the caller's.
``Pass.requests`` counts the fetcher's requests during the pass, a concurrent pass's included.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from index.types import IngestReport, web_link
from index.web.dedupe import THRESHOLD, Copy, containment, shingles
from index.web.library import Library, Record, url_key
from index.web.net.fetch import FEED_ACCEPT, PAGE_ACCEPT
from index.web.parse.extract import extract_page
from index.web.parse.feeds import parse_feed
from index.web.registry import Feed, FeedRegistry
from index.web.types import FeedEntry, FeedError, Fetched, FetchError, Page

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
PARSE_LIMIT = 1000  # entries read from one feed document, newest first (then ``max_items`` are new)


class Fetches(Protocol):
    requests: int

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, accept: str = ...
    ) -> Fetched: ...


class FindsCopies(Protocol):
    threshold: float

    def find(self, title: str, text: str) -> Copy | None: ...

    def find_deleted(self, title: str, text: str) -> Copy | None: ...


Store = Callable[[Sequence[Path]], IngestReport]


@dataclass
class UrlResult:
    """What happened to one URL.

    ``status``: "stored" (a new article), "updated", "unchanged", "copy" (the same article is
    stored under ``stored_as``), "deleted" (a copy of an article deleted by hand: not stored),
    "known" (fetched before: not fetched again), "failed".
    """

    url: str
    status: str
    title: str = ""
    reason: str = ""
    stored_as: str = ""


@dataclass
class FeedResult:
    """What one feed's refresh did; ``status``: "refreshed", "unchanged" (304 or nothing new),
    "failed" or "waiting" (not due)."""

    url: str
    status: str
    title: str = ""
    entries: int = 0
    pages: list[UrlResult] = field(default_factory=list)
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return sum(1 for p in self.pages if p.status in ("stored", "updated"))


@dataclass
class Pass:
    """One collection pass: the per-URL or per-feed results, the ingest of what was written."""

    urls: list[UrlResult] = field(default_factory=list)
    feeds: list[FeedResult] = field(default_factory=list)
    ingest: IngestReport | None = None
    requests: int = 0
    seconds: float = 0.0


class Collector:
    """Fetches pages and feeds into the web library and hands the records to the ingest."""

    def __init__(
        self,
        fetcher: Fetches,
        library: Library,
        registry: FeedRegistry,
        store: Store,
        finder: FindsCopies | None = None,
        max_items: int = 50,
    ) -> None:
        self.fetcher = fetcher
        self.library = library
        self.registry = registry
        self.store = store
        self.finder = finder
        self.max_items = max_items
        self._lock = threading.Lock()
        self._busy: set[str] = set()  # feeds a pass of this process is refreshing

    # Entry points

    def take_urls(self, urls: Sequence[str]) -> Pass:
        """Fetch these pages now (again, when fetched before) and store their articles."""
        return self._run(lambda done: done.urls.extend(self._take(u, force=True) for u in urls))

    def refresh(self, feeds: Sequence[Feed] | None = None, due_only: bool = True) -> Pass:
        """Refresh the given feeds (default: all followed); with ``due_only``, those not due wait."""
        chosen = self.registry.feeds() if feeds is None else list(feeds)
        now = time.time()

        def run(done: Pass) -> None:
            for feed in chosen:
                if due_only and not feed.due(now):
                    done.feeds.append(FeedResult(feed.url, "waiting", title=feed.title))
                    continue
                with self._lock:
                    busy = feed.url in self._busy
                    self._busy.add(feed.url)
                if busy:
                    reason = "being refreshed by another pass"
                    done.feeds.append(FeedResult(feed.url, "waiting", title=feed.title, reason=reason))
                    continue
                try:
                    done.feeds.append(self._refresh(feed))
                finally:
                    with self._lock:
                        self._busy.discard(feed.url)

        return self._run(run)

    def _run(self, work: Callable[[Pass], None]) -> Pass:
        started, requests = time.monotonic(), self.fetcher.requests
        done = Pass()
        try:
            work(done)
        finally:
            # Every record saved and not yet indexed goes in: this pass's, a killed pass's, and
            # another running pass's (its own ingest then finds them unchanged).
            marks, whole = self.library.markers.pending(), self.library.markers.legacy()
            paths = [self.library.root] if whole else list(dict.fromkeys(m.record for m in marks if m.record.is_file()))
            if paths:
                done.ingest = self.store(paths)
            if marks or whole:
                self.library.markers.settle(marks, done.ingest, whole=whole)
            done.requests = self.fetcher.requests - requests
            done.seconds = time.monotonic() - started
        return done

    # One feed

    def _refresh(self, feed: Feed) -> FeedResult:
        try:
            fetched = self.fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified, accept=FEED_ACCEPT)
            if fetched.not_modified:
                self.registry.succeeded(feed.url, not_modified=True)
                return FeedResult(feed.url, "unchanged", title=feed.title, reason="not modified (HTTP 304)")
            parsed = parse_feed(
                fetched.body, url=fetched.final_url, content_type=fetched.content_type, limit=PARSE_LIMIT
            )
        except (FetchError, FeedError) as err:
            reason = err.reason if isinstance(err, FetchError) else str(err)
            self.registry.failed(feed.url, reason)
            return FeedResult(feed.url, "failed", title=feed.title, reason=reason)
        waiting = self.registry.entries_waiting(feed.url)
        fresh = [e for e in parsed.entries if e.url not in waiting and self.library.lookup(e.url) is None]
        taken = [self._take(e.url, entry=e, feed=feed.url) for e in fresh[: self.max_items]]
        complete = len(fresh) <= self.max_items and not waiting and all(p.status != "failed" for p in taken)
        stored = sum(1 for p in taken if p.status in ("stored", "updated"))
        self.registry.succeeded(
            feed.url,
            title=parsed.title,
            kind=parsed.kind,
            etag=fetched.etag if complete else None,
            last_modified=fetched.last_modified if complete else None,
            stored=stored,
        )
        warnings = list(parsed.warnings)
        if len(fresh) > self.max_items:
            warnings.append(f"{len(fresh) - self.max_items} more new entries are left for the next refresh")
        return FeedResult(
            feed.url,
            "refreshed" if stored else "unchanged",
            title=parsed.title,
            entries=len(parsed.entries),
            pages=taken,
            warnings=warnings,
        )

    # One page

    def _take(
        self, url: str, *, entry: FeedEntry | None = None, feed: str | None = None, force: bool = False
    ) -> UrlResult:
        """Fetch one page and store its article unless it is already stored (as this or another URL)."""
        link = web_link(url)
        if not link:
            return UrlResult(url, "failed", reason="not an http(s) URL: give the page's full address (https://…)")
        known = self.library.lookup(link)
        if known is not None and not force:
            return UrlResult(link, "known", title=known.title, stored_as=known.url)
        try:
            page = self._fetch_page(link, entry)
        except FetchError as err:
            if feed is not None:
                self.registry.entry_failed(link, feed, err.reason)
            return UrlResult(link, "failed", reason=err.reason)
        if feed is not None:
            self.registry.entry_worked(link)
        own = self.library.path_for(link)
        with self.library.claim():  # decide "new?" and save as one step, alone
            if known is None and (now := self.library.lookup(link)) is not None:
                return UrlResult(link, "known", title=now.title, stored_as=now.url)  # another pass took it
            copy = self._stored_copy(page, own, again=known is not None and known.path == own)
            if copy is not None:
                return copy
            path, changed = self.library.save(page, feed)
        existed = known is not None and known.path == path
        status = ("updated" if existed else "stored") if changed else "unchanged"
        return UrlResult(link, status, title=page.title, stored_as=page.url)

    def _fetch_page(self, url: str, entry: FeedEntry | None) -> Page:
        fetched = self.fetcher.get(url, accept=PAGE_ACCEPT)
        if fetched.content_type not in HTML_TYPES:
            raise FetchError(url, f"not a web page ({fetched.content_type}): give the article's page, not a file")
        return extract_page(fetched.body, url=fetched.final_url, fetched_from=url, entry=entry, charset=fetched.charset)

    def _stored_copy(self, page: Page, own: Path, again: bool = False) -> UrlResult | None:
        """A result saying where the same article is stored, or None when it is new.

        ``again``: the page was stored from this URL before; its text is compared with nothing
        (it would match itself), only its canonical URL is."""
        link = page.fetched_from
        by_url = self.library.lookup(page.url)
        if by_url is not None and by_url.path != own and not by_url.deleted:  # a deletion is checked anew below
            return self._copy_of(by_url, link, page, "the same canonical URL")
        new = shingles(page.text)
        for record, text in self.library.waiting():
            if record.path != own and containment(new, shingles(text)) >= self._threshold():
                return self._copy_of(record, link, page, "near-identical text")
        found = self.finder.find(page.title, page.text) if self.finder is not None and not again else None
        if found is None or found.file_path == str(own):
            return self._deleted_copy(page, own)
        stored = self.library.record_at(Path(found.file_path)) if found.file_path else None
        if stored is None:
            # Stored from a user's file: that file stays as it is; remember the page as its copy.
            self.library.save_copy(link, page.url, found.file_path or found.url or "")
            return UrlResult(
                link,
                "copy",
                title=page.title,
                stored_as=found.url or Path(found.file_path).name,  # a file's name, never a server path
                reason=f"same text as {found.title!r} ({found.similarity:.2f})",
            )
        return self._copy_of(stored, link, page, f"near-identical text ({found.similarity:.2f})")

    def _deleted_copy(self, page: Page, own: Path) -> UrlResult | None:
        """A result refusing a copy of an article deleted by hand (remembered, so the page is
        not fetched again), or None. The page's own record is not its copy: ingest leaves a
        deleted article out of its own file."""
        gone = self.finder.find_deleted(page.title, page.text) if self.finder is not None else None
        if gone is None or gone.file_path == str(own):
            return None
        self.library.save_copy(page.fetched_from, page.url, gone.file_path, deleted=True)
        why = f"a copy of {gone.title!r}, which was deleted ({gone.similarity:.2f}): not stored"
        return UrlResult(page.fetched_from, "deleted", title=page.title, reason=why)

    def _copy_of(self, record: Record, link: str, page: Page, why: str) -> UrlResult:
        if record.is_article:
            self.library.add_copy(record, link)
            if url_key(page.url) != url_key(link):
                self.library.add_copy(record, page.url)
        return UrlResult(link, "copy", title=page.title, stored_as=record.url or str(record.copy_of), reason=why)

    def _threshold(self) -> float:
        return self.finder.threshold if self.finder is not None else THRESHOLD
