"""Turn a fetched article page into a ``Page``: its canonical URL, headline, date, author, site and text.

The text is read exactly as an uploaded HTML file is (``index.load.read_html``: trafilatura,
favouring precision) and cleaned by ``index.clean.clean_article``, so a fetched article and
an uploaded copy of it store the same passages. The date comes from the page's metadata,
markup or URL, else a date line heading its text, else the feed entry that led to it; never
from years mentioned in the prose (htmldate's extensive search, which an uploaded file keeps,
turns "until the end of 2025" into 2025-01-01). The title is the page's, else the entry's.
The site name is ``og:site_name`` (else trafilatura's guess), else the host without ``www.``.

``Page.url`` is the page's canonical link (``<link rel=canonical>``, else ``og:url``,
resolved against the page's URL) when it is an http(s) link other than a site's home page,
else the URL the page came from. A canonical link may name another host (a syndicated copy names its original):
``fetched_from`` keeps what was actually asked for.

A page whose cleaned text is under ``MIN_WORDS`` words (a navigation page, a login or
paywall stub, an empty shell filled in by JavaScript) raises ``FetchError``, unless it is a
news brief: a page that says it is an article (an ``<article>`` element, ``og:type`` article,
an ``Article``/``NewsArticle``/``BlogPosting`` JSON-LD type, or a feed entry that linked it)
needs only ``BRIEF_MIN_WORDS`` words of prose. Prose is the lines that end a sentence (not a
headline, dateline, byline or button), leaving out a line that is mostly the text of the
page's links (a menu) or that carries a paywall, sign-up, cookie or error-page phrase
(``_WALL_PHRASES``); a page with a password field in its article (a login form) is no brief.
So navigation, login and consent pages stay refused even when they carry an ``<article>`` tag
or ``og:type``. Pages of ``MIN_WORDS`` words or more are taken as before, without these checks.
Unlike an uploaded file, a page gets no raw-text fallback: a page's text outside the article
is menus.

Bytes are decoded by a byte order mark, else the ``charset`` the server sent, else the page's
``<meta charset>``, else UTF-8 with replacement characters; ISO-8859-1 and ASCII labels mean
windows-1252, as browsers read them. No network: bytes in, ``Page`` out.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from index.clean import clean_article
from index.load import read_html, title_from_text
from index.types import web_link
from index.web.types import FeedEntry, FetchError, Page

MIN_WORDS = 30  # a page with no sign of being an article needs two or three full sentences
# A page that says it is an article needs one full sentence of news: the timestamps heading a
# story ("Feb. 4, 2025 Updated Feb. 13, 2025, 12:11 p.m. ET") run to 10 words; the RealTimeQA
# pool's leads under 12 words are those, bylines and teasers (benchmarks/short_pages.py).
BRIEF_MIN_WORDS = 12
_MAX_LINK_SHARE = 0.5  # a line more than half link text is a menu
# Phrases of paywalls, sign-up prompts, cookie walls, script shells and error pages, kept to
# those that (nearly) never occur in news prose: of 246,457 RealTimeQA pool paragraphs, 86 carry
# one, 5 of them reporting (benchmarks/short_pages.py). Whole words within one sentence.
_WALL_PHRASES = (
    "already a subscriber",
    "not a subscriber",
    "subscribe now",
    "subscribe today",
    "free account",
    "continue reading",
    "unlimited access",
    "sign up here",
    "sign up now",
    "forgot your password",
    "use cookies",
    "cookie policy",
    "cookie settings",
    "your privacy",
    "privacy policy",
    "enable javascript",
    "javascript is disabled",
    "javascript is not available",
    "page not found",
    "page you are looking for",
    "page you were looking for",
    "page you requested",
    "page does not exist",
)
_ARTICLE_TYPES = ("article", "blogposting")  # JSON-LD types ending so: NewsArticle, LiveBlogPosting…
_ENDS_SENTENCE = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")
_WORD_OR_STOP = re.compile(r"[a-z0-9']+|[.!?;:]")
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Labels browsers read as windows-1252 (WHATWG Encoding): its 0x80–0x9F are quotes and dashes.
_WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp819"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def extract_page(
    html: bytes | str,
    *,
    url: str,
    fetched_from: str | None = None,
    entry: FeedEntry | None = None,
    charset: str | None = None,
) -> Page:
    """Read an article page; ``FetchError`` naming ``fetched_from`` (else ``url``) when it holds no article.

    ``url`` is the page's address after redirects; ``fetched_from`` the one asked for (defaults
    to ``url``); ``entry`` the feed entry that linked it, if any; ``charset`` the one the
    server's Content-Type named.
    """
    asked = fetched_from or url
    text_html = html if isinstance(html, str) else decode_html(html, charset)
    found = read_html(text_html, url=url, guess_date=False)
    title = found.title.strip() or (entry.title.strip() if entry else "")
    text, date_in_text = clean_article(title, found.text)
    tree = _parse(text_html)
    if len(text.split()) < MIN_WORDS and not is_brief(tree, text, entry):
        raise FetchError(asked, "no article text found on the page (is it an article? paywalled?)")
    canonical, og_site_name = _head_links(tree, url)
    return Page(
        url=canonical or url,
        fetched_from=asked,
        title=title or title_from_text(text),
        text=text,
        published_at=found.published_at or date_in_text or (entry.published_at if entry else None),
        author=found.author or None,
        site_name=og_site_name or found.site_name or _host(canonical or url) or None,
    )


def decode_html(body: bytes, charset: str | None = None) -> str:
    """The page as text: byte order mark, else ``charset``, else ``<meta charset>``, else UTF-8."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    meta = _META_CHARSET.search(body[:_PRESCAN_BYTES])
    for label in (charset, meta.group(1).decode("ascii") if meta else None):
        codec = _codec(label) if label else None
        if codec:
            return body.decode(codec, errors="replace")
    return body.decode("utf-8", errors="replace")


def _codec(label: str) -> str | None:
    """The Python codec for a charset label, or None when Python knows no such encoding."""
    label = label.strip().strip("\"'").lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page read byte by byte cannot be UTF-16 without a BOM: its <meta> is ASCII (WHATWG).
    return "utf-8" if name.startswith("utf-16") else name


def is_brief(tree: Any, text: str, entry: FeedEntry | None) -> bool:
    """Whether a page too short for ``MIN_WORDS`` is still an article: a news brief.

    It must say it is an article (``entry``, the feed entry that linked it, counts), have no
    password field in its article, and hold ``BRIEF_MIN_WORDS`` words of prose (``_prose``).
    ``tree`` is the parsed page (None when it could not be parsed: no brief).
    """
    if tree is None or not (entry is not None or _says_article(tree)) or _asks_password(tree):
        return False
    return len(_prose(tree, text).split()) >= BRIEF_MIN_WORDS


def _parse(html: str) -> Any:
    """The page as an lxml document, or None when lxml cannot read it."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        # Bytes and an explicit encoding: lxml refuses a str that carries an XML encoding declaration.
        return lxml_html.document_fromstring(html.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError):
        return None


def _says_article(tree: Any) -> bool:
    """An ``<article>`` element, ``og:type`` article, or an article type in the page's JSON-LD."""
    if next(tree.iter("article"), None) is not None:
        return True
    for meta in tree.iter("meta"):
        key = str(meta.get("property") or meta.get("name") or "").strip().lower()
        if key == "og:type" and str(meta.get("content") or "").strip().lower().startswith("article"):
            return True
    for script in tree.iter("script"):
        if str(script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text_content() or "null")
        except (ValueError, RecursionError):
            continue
        if any(t.rsplit("/", 1)[-1].lower().endswith(_ARTICLE_TYPES) for t in _ld_types(data)):
            return True
    return False


def _ld_types(data: Any, depth: int = 0) -> list[str]:
    """Every ``@type`` named in a JSON-LD value (``@graph`` and nested objects included)."""
    if depth > 20:
        return []
    if isinstance(data, list):
        return [t for item in data for t in _ld_types(item, depth + 1)]
    if not isinstance(data, dict):
        return []
    kind = data.get("@type")
    found = [k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]
    return found + [t for value in data.values() if isinstance(value, dict | list) for t in _ld_types(value, depth + 1)]


def _article_roots(tree: Any) -> list[Any]:
    """The page's ``<article>`` elements, else its ``<main>``, else the whole page."""
    return list(tree.iter("article")) or list(tree.iter("main")) or [tree]


def _asks_password(tree: Any) -> bool:
    """A password field inside the article: a login form (a sign-in box elsewhere on the page does not count)."""
    return any(
        str(field.get("type") or "").strip().lower() == "password"
        for root in _article_roots(tree)
        for field in root.iter("input")
    )


def _prose(tree: Any, text: str) -> str:
    """The lines of ``text`` that end a sentence and are neither mostly link text nor wall wording."""
    anchors = sorted(
        {label for a in tree.iter("a") if (label := " ".join(a.text_content().split()))}, key=len, reverse=True
    )
    kept = []
    for line in text.splitlines():
        words = len(line.split())
        if not words or not _ENDS_SENTENCE.search(line.rstrip()) or _is_wall(line):
            continue
        rest, linked = f" {' '.join(line.split())} ", 0
        for anchor in anchors:  # longest first, whole words
            if f" {anchor} " in rest:
                linked += len(anchor.split()) * rest.count(f" {anchor} ")
                rest = rest.replace(f" {anchor} ", "  ")
        if linked <= _MAX_LINK_SHARE * words:
            kept.append(line)
    return "\n".join(kept)


def _is_wall(line: str) -> bool:
    """Whether ``line`` carries one of ``_WALL_PHRASES`` (whole words, not across a sentence end)."""
    tokens = " " + " ".join(_WORD_OR_STOP.findall(line.lower().replace("\u2019", "'"))) + " "
    return any(f" {phrase} " in tokens for phrase in _WALL_PHRASES)


def _head_links(tree: Any, url: str) -> tuple[str, str]:
    """The page's canonical http(s) URL ("" when none) and its ``og:site_name`` ("" when none)."""
    if tree is None:
        return "", ""
    candidates = [
        str(link.get("href") or "")
        for link in tree.iter("link")
        if "canonical" in str(link.get("rel") or "").lower().split()
    ]
    site_name = ""
    for meta in tree.iter("meta"):
        key = str(meta.get("property") or meta.get("name") or "").strip().lower()
        if key == "og:url":
            candidates.append(str(meta.get("content") or ""))
        elif key == "og:site_name" and not site_name:
            site_name = " ".join(str(meta.get("content") or "").split())
    for candidate in candidates:
        canonical = _absolute(url, candidate)
        # Some sites name their home page as every article's canonical: that would make all
        # their articles one URL.
        if canonical and not (_is_root(canonical) and not _is_root(url)):
            return canonical, site_name
    return "", site_name


def _is_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def _absolute(base: str, link: str) -> str:
    link = link.strip()
    if not link:
        return ""
    try:
        return web_link(urldefrag(urljoin(base, link)).url)
    except ValueError:  # a malformed host such as "http://[::1"
        return ""


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")
