"""Turn URLs and feeds into stored articles: one pass, reported per URL and per feed.

``Collector.take_urls`` fetches pages a user named; ``Collector.refresh`` checks each due feed
with a conditional GET, fetches the pages of its entries not seen before (newest first, at
most ``max_items`` a feed), and hands every record file written to ``store`` (the file ingest)
in one go at the end, so embeddings are batched across feeds.

A page is one article stored once: before it is saved, its canonical URL and then its text
are compared with what is stored (the library's records, the index through ``CopyFinder``, and
the pages taken earlier in the same pass); a copy adds its URL to the stored article's
``also_at`` instead. A feed that fails keeps its error and waits twice as long each time; an
entry page that fails is skipped until its retry time, the rest of the feed goes on.

The feed's validators (ETag, Last-Modified) are kept only when every new entry was taken: a
feed with entries left over (over the cap, or failed) is fetched whole next time, since a 304
would hide them. Scheduling (``watch``, the server's background thread) is the caller's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from index.types import IngestReport, web_link
from index.web.dedupe import THRESHOLD, Copy, resemblance
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


Store = Callable[[Sequence[Path]], IngestReport]


@dataclass
class UrlResult:
    """What happened to one URL.

    ``status``: "stored" (a new article), "updated", "unchanged", "copy" (the same article is
    stored under ``stored_as``), "known" (fetched before: not fetched again), "failed".
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
        self._pending: list[tuple[Record, str]] = []  # pages saved this pass, not in the index yet

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
                else:
                    done.feeds.append(self._refresh(feed))

        return self._run(run)

    def _run(self, work: Callable[[Pass], None]) -> Pass:
        started, requests = time.monotonic(), self.fetcher.requests
        done = Pass()
        self._pending = []
        try:
            work(done)
        finally:
            # Records a killed earlier pass wrote but never ingested go in now too: the library
            # keeps a marker from before its first write until an ingest took everything.
            if self.library.has_pending():
                done.ingest = self.store([self.library.root])
                if not done.ingest.failed:
                    self.library.clear_pending()
            self._pending = []
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
        copy = self._stored_copy(page, own, again=known is not None and known.path == own)
        if copy is not None:
            return copy
        path, changed = self.library.save(page, feed)
        existed = known is not None and known.path == path
        record = self.library.lookup(link)
        if record is not None:
            self._pending.append((record, page.text))
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
        if by_url is not None and by_url.path != own:
            return self._copy_of(by_url, link, page, "the same canonical URL")
        for record, text in self._pending:
            if record.path != own and resemblance(page.text, text) >= self._threshold():
                return self._copy_of(record, link, page, "near-identical text")
        found = self.finder.find(page.title, page.text) if self.finder is not None and not again else None
        if found is None or found.file_path == str(own):
            return None
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

    def _copy_of(self, record: Record, link: str, page: Page, why: str) -> UrlResult:
        if record.is_article:
            self.library.add_copy(record, link)
            if url_key(page.url) != url_key(link):
                self.library.add_copy(record, page.url)
        return UrlResult(link, "copy", title=page.title, stored_as=record.url or str(record.copy_of), reason=why)

    def _threshold(self) -> float:
        return self.finder.threshold if self.finder is not None else THRESHOLD
