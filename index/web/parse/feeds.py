"""Parse a feed body into its entries: RSS 2.0/1.0 and Atom, JSON Feed 1/1.1, and news sitemaps.

``parse_feed`` takes the bytes a fetch returned and tells the kind from the body itself (a
server's content type is often wrong). RSS and Atom are read by feedparser, JSON Feed by
``json``, sitemaps (``<urlset>``, Google News ``news:`` fields or plain ``loc``/``lastmod``)
by lxml; the readers live in ``index.web.parse.feedformats``. Every entry's link is resolved
against the feed's URL and must be an http(s) link (``index.types.web_link``); other entries
are skipped with a warning. Duplicate links (ignoring ``#fragments``) keep their first entry.

Order and limit: entries come back newest first by publication date; undated entries follow
the dated ones in document order (feeds list newest first by convention, but an undated
entry gives no evidence that it is newer than a dated one). Dates are calendar days; a
feedparser date is taken in UTC. A date more than a day in the future is a wrong clock or a
scheduled post, not a publication date: the entry keeps no date (with a warning) rather than
sorting above every real story. Only the ``limit`` newest entries are returned.

Hostile or wrong bodies: an XML body that declares entities (billion laughs, external
entities), in its DTD or anywhere else, is refused before any parser expands them, checked
on the text as the parsers decode it, whatever encoding it declares
(``index.web.parse.xmlprep`` says how and why); an HTML page or plain text gets an
error naming the page's own feed links when it has some; a feed that is not well-formed
keeps what the lenient parsers read, with a warning (a cut-off one drops its last, possibly
cut, entry); one with no readable entry is an error. Parsing time and
memory grow with the items (about 0.3 s and 3 MB per thousand RSS items, measured): an RSS
or Atom document is cut after its first ``limit`` items before feedparser reads it (with a
warning), and the size cap on fetched bodies bounds the rest. No network and no file
access: bytes in, ``ParsedFeed`` out.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urldefrag, urljoin
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from index.types import web_link
from index.web.parse.feedformats import NOT_A_FEED, RawFeed, read_json_feed, read_rss_atom, read_sitemap, short
from index.web.parse.xmlprep import as_parsed, cut_after_items, entities_refused, refuse_entities
from index.web.types import FeedEntry, FeedError, ParsedFeed

# Media types a page uses to link its feeds (<link rel="alternate" type="...">). Not plain
# application/json: on WordPress sites that alternate is the REST API's view of the page.
FEED_LINK_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml"}
)
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 4096


def parse_feed(body: bytes, *, url: str, content_type: str = "", limit: int = 200) -> ParsedFeed:
    """Read a feed or news sitemap; ``FeedError`` (one line, saying what to do) when it is none.

    ``url`` is where the body came from (after redirects): relative links resolve against it
    and messages name it. ``content_type`` only breaks a tie the body leaves open.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    head = _sniff_text(body)
    if not head:
        raise FeedError(f"{url}: the feed is empty: check the URL, or try again later")
    if head[0] in "{[" or ("json" in content_type and head[0] != "<"):
        raw = read_json_feed(body, url)
    elif head[0] == "<":
        raw = _read_xml(body, url, head, limit)
    else:
        raise FeedError(f"{url} {NOT_A_FEED} (it looks like plain text): check the URL")
    return _finish(raw, url, limit)


def _sniff_text(body: bytes) -> str:
    """The start of the body as text, enough to tell what it is (byte order marks honoured)."""
    start = body[:_SNIFF_BYTES]
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = start.decode("utf-16", errors="replace")
    else:
        # latin-1 never fails and keeps ASCII markup readable whatever the real encoding is.
        text = start.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    return text.lstrip("\ufeff \t\r\n")


class _RootFound(Exception):
    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


class _StopAtRoot:
    """A parser target that stops the parse at the first element: the prolog is all we check."""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootFound(tag)

    def close(self) -> None:
        return None


def _root_element(data: bytes, url: str) -> str | None:
    """The root element's local name, lowercased; None when the prolog is not well-formed XML.

    ``data`` is the body as the parsers decode it (``xmlprep.as_parsed``). Raises
    ``FeedError`` when the DTD declares entities: defusedxml's expat handlers refuse the
    first declaration, so neither an expansion bomb nor an external entity is ever read.
    """
    parser = DefusedXMLParser(target=_StopAtRoot(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    try:
        for offset in range(0, len(data), 65536):
            parser.feed(data[offset : offset + 65536])
    except _RootFound as found:
        return found.tag.rpartition("}")[2].rpartition(":")[2].lower()
    except DefusedXmlException:
        raise entities_refused(url) from None
    except (ParseError, ValueError):  # not well-formed: refuse_entities has scanned all of it
        pass
    return None


def _read_xml(body: bytes, url: str, head: str, limit: int) -> RawFeed:
    data = as_parsed(body)  # every check and parser below reads these bytes
    refuse_entities(data, url)
    root = _root_element(data, url)
    if root in ("urlset", "sitemapindex"):
        return read_sitemap(data, url)  # an index raises, naming sitemaps to add instead
    if root == "html" or (root is None and _HTML_START.search(head)):
        raise _html_page_error(body, url)
    if root not in (None, "rss", "rdf", "feed", "channel"):
        raise FeedError(f"{url} {NOT_A_FEED} (it is XML whose root is <{root}>): check the URL")
    cut = cut_after_items(data, limit)
    raw = read_rss_atom(data if cut is None else cut, url)
    if cut is not None:
        raw.warnings.insert(
            0, f"{url}: feed has over {limit} entries: read the first {limit} (newest first, as feeds list them)"
        )
    return raw


def _finish(raw: RawFeed, url: str, limit: int) -> ParsedFeed:
    """Check and resolve links, drop duplicates and future dates, order newest first, keep ``limit``."""
    latest = datetime.now(UTC).date() + timedelta(days=1)
    warnings = list(raw.warnings)
    bad_links: list[str] = []
    seen: set[str] = set()
    future = bad_dates = 0
    kept: list[FeedEntry] = []
    for item in raw.entries:
        link = _resolve(url, item.link)
        if not link:
            bad_links.append(item.link)
            continue
        if link in seen:
            continue
        seen.add(link)
        published = item.published
        if published is not None and published > latest:
            future += 1
            published = None
        bad_dates += item.bad_date
        kept.append(FeedEntry(link, item.title, published, item.entry_id or link, item.summary))
    if bad_links:
        warnings.append(
            f"{url}: skipped {len(bad_links)} entries whose link is not an http(s) URL "
            f"(first: {short(bad_links[0], 60)!r})"
        )
    if bad_dates:
        warnings.append(f"{url}: {bad_dates} entries have an unreadable date: kept without a date")
    if future:
        warnings.append(f"{url}: {future} entries are dated more than a day ahead: kept without a date")
    # sorted() is stable with reverse=True too: same-day entries keep the feed's order.
    dated = sorted((e for e in kept if e.published_at), key=lambda e: e.published_at or date.min, reverse=True)
    ordered = dated + [e for e in kept if e.published_at is None]
    if len(ordered) > limit:
        warnings.append(f"{url}: feed has {len(ordered)} entries: kept the newest {limit}")
    return ParsedFeed(kind=raw.kind, title=raw.title, entries=ordered[:limit], warnings=warnings)


def _resolve(base: str, link: str) -> str:
    link = link.strip()
    if not link:
        return ""
    try:
        resolved = urljoin(base, link)
    except ValueError:  # e.g. an unbalanced "[" in a host
        return ""
    return web_link(urldefrag(resolved).url)


def _html_page_error(body: bytes, url: str) -> FeedError:
    feeds = page_feed_links(body, url)
    if feeds:
        named = feeds[0] if len(feeds) == 1 else "one of " + ", ".join(feeds[:3])
        return FeedError(f"{url} {NOT_A_FEED} (it is an HTML page that links its feeds: add {named})")
    return FeedError(
        f"{url} {NOT_A_FEED} (it looks like an HTML page: give the feed's URL, "
        "often linked as <link rel=alternate type=application/rss+xml>)"
    )


def page_feed_links(html: bytes, url: str) -> list[str]:
    """The feeds an HTML page links with ``<link rel="alternate" type="application/rss+xml">`` and kin."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    found: list[str] = []
    for link in tree.iter("link"):
        rel = str(link.get("rel") or "").lower().split()
        kind = str(link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_LINK_TYPES:
            resolved = _resolve(url, str(link.get("href") or ""))
            if resolved and resolved not in found:
                found.append(resolved)
    return found
