"""Read each feed format into raw entries: RSS and Atom (feedparser), JSON Feed, sitemaps (lxml).

Each reader returns a ``RawFeed``: its entries' links exactly as written, dates read into
calendar days (``bad_date`` when a date was given but could not be read), titles and
summaries reduced to one line of text. Checking links, dropping duplicates, ordering and
limiting are left to ``index.web.parse.feeds``, which also decides which reader a body goes to and
refuses entity declarations before any of these parsers runs.
"""

from __future__ import annotations

import io
import json
import re
import xml.sax
from dataclasses import dataclass
from datetime import date
from typing import Any

from index.clean import normalize_space, parse_date
from index.web.types import FeedError

SUMMARY_CHARS = 1000
NOT_A_FEED = "is not an RSS, Atom, JSON Feed or sitemap"
_JSON_FEED_VERSION = re.compile(r"https?://jsonfeed\.org/version/1(?:\.\d+)?/?")
_CLOSING_TAG_AT_END = re.compile(rb"</[\w:.-]+>\s*$")


@dataclass
class RawEntry:
    """An entry as a feed reader found it, before its link is checked and the feed is ordered."""

    link: str
    title: str = ""
    published: date | None = None
    entry_id: str = ""
    summary: str = ""
    bad_date: bool = False  # the feed gave a date that could not be read


@dataclass
class RawFeed:
    kind: str  # "rss", "atom", "json", "sitemap"
    title: str
    entries: list[RawEntry]
    warnings: list[str]


def read_rss_atom(body: bytes, url: str) -> RawFeed:
    """RSS 0.9x/1.0/2.0 or Atom through feedparser; a cut-off feed keeps what came before the cut."""
    import feedparser

    # A BytesIO, never the bytes: feedparser.parse opens bytes that name an existing file.
    # The content type is pinned to application/xml: feedparser reads text/xml as ASCII and
    # flags a missing one as an error; the body's own XML declaration names its encoding.
    result = feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": url, "content-type": "application/xml"}
    )
    version = str(result.get("version") or "")
    entries: list[Any] = list(result.get("entries") or [])
    warnings: list[str] = []
    error = result.get("bozo_exception") if result.get("bozo") else None
    if isinstance(error, xml.sax.SAXException):
        warnings.append(_keep_what_was_read(entries, body, f"{url}: the feed", error))
    if not version and not entries:
        raise FeedError(f"{url} {NOT_A_FEED} (no feed found in its XML): check the URL")
    raw: list[RawEntry] = []
    for entry in entries:
        published, bad_date = _feedparser_date(entry)
        raw.append(
            RawEntry(
                link=_entry_link(entry),
                title=html_to_text(str(entry.get("title") or "")),
                published=published,
                entry_id=str(entry.get("id") or ""),
                summary=html_to_text(str(entry.get("summary") or ""))[:SUMMARY_CHARS],
                bad_date=bad_date,
            )
        )
    kind = "atom" if version.startswith("atom") else "rss"
    return RawFeed(kind, html_to_text(str(result.get("feed", {}).get("title") or "")), raw, warnings)


def _entry_link(entry: Any) -> str:
    """The entry's page: an alternate text/html link first, then any alternate, then ``link``."""
    links = [link for link in entry.get("links") or [] if isinstance(link, dict) and link.get("href")]
    alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
    for link in alternates:
        if str(link.get("type") or "").lower() in ("text/html", "application/xhtml+xml"):
            return str(link["href"])
    if alternates:
        return str(alternates[0]["href"])
    return str(entry.get("link") or "")


def _feedparser_date(entry: Any) -> tuple[date | None, bool]:
    """The entry's published (else updated) day, in UTC as feedparser normalises it."""
    bad = False
    for key in ("published", "updated", "created"):
        # dict.get: FeedParserDict.get("updated") answers with "published" (and a DeprecationWarning).
        parsed, text = dict.get(entry, f"{key}_parsed"), dict.get(entry, key)
        if parsed:
            try:
                return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday), False
            except ValueError:
                bad = True
        elif text:
            found = parse_date(str(text))
            if found is not None:
                return found, False
            bad = True
    return None, bad


def read_json_feed(body: bytes, url: str) -> RawFeed:
    """JSON Feed 1 or 1.1 (https://jsonfeed.org/version/1.1): items' url (else external_url)."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as err:
        raise FeedError(
            f"{url}: invalid JSON at line {err.lineno} column {err.colno} ({err.msg}): check the feed's URL"
        ) from None
    except (RecursionError, UnicodeDecodeError):
        raise FeedError(f"{url}: not a readable JSON document: check the feed's URL") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(version, str) or not _JSON_FEED_VERSION.fullmatch(version):
        raise FeedError(
            f'{url} is JSON but not a JSON Feed (no "version": "https://jsonfeed.org/version/1.1"): '
            "give the URL of an RSS, Atom or JSON Feed"
        )
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(f'{url}: JSON Feed without an "items" list: check the feed\'s URL')
    entries: list[RawEntry] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        raw_date = item.get("date_published") or item.get("date_modified")
        published = parse_date(raw_date) if isinstance(raw_date, str) else None
        summary = item.get("summary") or item.get("content_text") or str(item.get("content_html") or "")
        entries.append(
            RawEntry(
                link=str(item.get("url") or item.get("external_url") or ""),
                title=html_to_text(str(item.get("title") or "")),
                published=published,
                entry_id=str(item.get("id") or ""),
                summary=html_to_text(str(summary))[:SUMMARY_CHARS],
                bad_date=raw_date is not None and published is None,
            )
        )
    skipped = len(items) - len(entries)
    warnings = [f"{url}: skipped {skipped} items that are not JSON objects"] if skipped else []
    return RawFeed("json", html_to_text(str(data.get("title") or "")), entries, warnings)


def read_sitemap(body: bytes, url: str) -> RawFeed:
    """A ``<urlset>``: each ``<url>``'s loc, news:publication_date (else lastmod) and news:title.

    A ``<sitemapindex>`` raises ``FeedError`` naming a few of its sitemaps to add instead.
    The body's DTD must already have been checked for entity declarations; lxml is told not
    to load DTDs, expand entities or touch the network all the same.
    """
    from lxml import etree

    options: dict[str, Any] = {"resolve_entities": False, "no_network": True, "load_dtd": False}
    error: Exception | None = None
    try:
        root = etree.fromstring(body, etree.XMLParser(**options))
    except etree.XMLSyntaxError as err:
        error = err
        root = etree.fromstring(body, etree.XMLParser(recover=True, **options))
        if root is None:
            raise _nothing_read(f"{url}: the sitemap", err) from None
    if _local(root.tag) == "sitemapindex":
        locs = [_child_text(sitemap, "loc") for sitemap in root if _local(sitemap.tag) == "sitemap"]
        examples = ", ".join(short(loc, 80) for loc in locs if loc)[:300]
        raise FeedError(
            f"{url} is a sitemap index (it lists {len(locs)} sitemaps), not a sitemap of articles: "
            f"add one of its sitemaps instead, e.g. {examples or '(none listed)'}"
        )
    entries: list[RawEntry] = []
    publication = ""
    for item in root:
        if _local(item.tag) != "url":
            continue
        news = next((child for child in item if _local(child.tag) == "news"), None)
        raw_date = (_child_text(news, "publication_date") if news is not None else "") or _child_text(item, "lastmod")
        published = parse_date(raw_date) if raw_date else None
        if news is not None and not publication:
            name = next((child for child in news if _local(child.tag) == "publication"), None)
            publication = _child_text(name, "name") if name is not None else ""
        loc = _child_text(item, "loc")
        entries.append(
            RawEntry(
                link=loc,
                title=html_to_text(_child_text(news, "title")) if news is not None else "",
                published=published,
                entry_id=loc,
                bad_date=bool(raw_date) and published is None,
            )
        )
    warnings = [_keep_what_was_read(entries, body, f"{url}: the sitemap", error)] if error else []
    return RawFeed("sitemap", publication, entries, warnings)


def _keep_what_was_read(entries: list[Any], body: bytes, what: str, error: Exception) -> str:
    """The warning for a body that is not well-formed XML; ``FeedError`` when nothing was read.

    Lenient parsers keep the entry a cut-off download ends in, and its link may be cut too:
    when the body does not end with a closing tag, that last entry goes.
    """
    if not _CLOSING_TAG_AT_END.search(body[-1024:]) and len(entries) > 1:
        entries.pop()
    if not entries:
        raise _nothing_read(what, error)
    reason = short(str(error), 80)
    return f"{what} is not well-formed XML ({reason}): kept the {len(entries)} entries that could be read"


def _nothing_read(what: str, error: Exception) -> FeedError:
    return FeedError(
        f"{what} is not well-formed XML ({short(str(error), 80)}) and no entry could be read: "
        "check the URL, or try again if the download was cut short"
    )


def _local(tag: object) -> str:
    """An element's name without its namespace (comments and PIs have none)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child_text(element: Any, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return str(child.text or "").strip()
    return ""


def html_to_text(value: str) -> str:
    """Text of a title or summary that may hold HTML, on one line (scripts and styles dropped)."""
    if "<" in value or "&" in value:
        from lxml import etree
        from lxml import html as lxml_html

        try:
            fragment = lxml_html.fragment_fromstring(value, create_parent="div")
            for bad in fragment.xpath(".//script|.//style"):
                bad.drop_tree()
            value = fragment.text_content()
        except (etree.ParserError, ValueError):
            value = re.sub(r"<[^>]*>", " ", value)
    return " ".join(normalize_space(value).split())


def short(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
