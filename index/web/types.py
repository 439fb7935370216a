"""Domain types of the live-news side: a fetched response, a feed and its entries.

Plain dataclasses with no library objects (no httpx responses, no feedparser dicts), so the
rest of newsrag never depends on how a page was fetched or a feed was parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from index.errors import InputError


class FetchError(InputError):
    """A URL that could not be fetched or used; ``str(err)`` is ``"<url>: <one-line reason>"``."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class FeedError(InputError):
    """A feed body that is not a usable feed (not XML/JSON, hostile, truncated)."""


@dataclass(frozen=True)
class Fetched:
    """One HTTP(S) response after redirects, its body decoded from any Content-Encoding."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200, or 304 when a conditional request found the resource unchanged
    content_type: str = ""  # media type only, lowercased ("text/html")
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    charset: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed or news sitemap: where its page is, and what the feed says of it."""

    url: str
    title: str = ""
    published_at: date | None = None
    entry_id: str = ""  # guid / id when the feed gives one, else the url
    summary: str = ""


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its kind ("rss", "atom", "json", "sitemap"), title and entries, newest first."""

    kind: str
    title: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    """An article read from a web page: what is stored, and where it was found."""

    url: str  # the canonical URL when the page names an http(s) one, else the URL after redirects
    fetched_from: str  # the URL that was asked for (a feed entry's link, a user's URL)
    title: str
    text: str
    published_at: date | None = None
    author: str | None = None
    site_name: str | None = None
