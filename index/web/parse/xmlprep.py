"""Ready an XML feed body for the parsers: decode it once, refuse entities, cut it after N items.

``as_parsed`` decodes the body exactly as feedparser does (its own ``convert_to_utf8``, with
the headers ``feedparser.parse`` is given) and returns UTF-8 that declares UTF-8. The checks
below and every parser after them read those bytes, so the characters checked are the
characters parsed, whatever encoding the body declares: Shift_JIS, GB18030, UTF-16 or UTF-32
(with or without a byte order mark), EBCDIC. Checking the raw bytes instead missed
declarations in any encoding where ``<!ENTITY`` is not ASCII bytes, or that expat cannot
read (it knows UTF-8, UTF-16, ISO-8859-1 and ASCII only): an outside probe (#30) had
feedparser expand an entity declared in a Shift_JIS feed after its first 4,096 bytes.

``refuse_entities`` refuses a document that declares an entity anywhere. Every entity
declaration needs a literal ``<!ENTITY`` in the decoded text (no external DTD is ever
loaded), so one scan of the whole text finds them wherever they are, in the prolog or past
it, and also where feedparser's lenient parser would look when the strict one gives up. The
one false alarm is a literal ``<!ENTITY`` inside CDATA (an article about XML that does not
escape it): such a feed is refused, which is the safe side. defusedxml's expat check on the
prolog (``index.web.parse.feeds``) stays as a second reader of the same bytes.

``cut_after_items`` bounds the work of a huge feed by its items, not only its bytes: 100,000
minimal RSS items fit in the 5 MB fetch cap and took feedparser 8 to 44 s. The document is
cut after the Nth ``<item>``/``<entry>`` of the channel or feed (whole items kept, the open
elements closed, so it stays well-formed), found by expat, which reads 1,000 items in
milliseconds; when expat cannot read that far (an undeclared ``&nbsp;``, a cut-off
download), after the Nth closing tag, with the document's own tail kept. Items past the cut
are never read: feeds list their newest first, so those are the oldest. Sitemaps and JSON
Feed are not cut (their readers take 100,000 entries in well under a second).
"""

from __future__ import annotations

import re
from xml.parsers import expat

from index.web.types import FeedError

# What ``feedparser.parse`` is told in ``index.web.parse.feedformats.read_rss_atom``.
FEEDPARSER_HEADERS = {"content-type": "application/xml"}
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_ITEMS = frozenset({"item", "entry"})


def as_parsed(body: bytes) -> bytes:
    """The body as feedparser decodes it: UTF-8 with an XML declaration saying so.

    Where feedparser finds no encoding that reads it, the bytes come back as they are, and
    feedparser's lenient parser will read them as UTF-8 (bad bytes replaced), as the scan does.
    """
    from feedparser.encodings import convert_to_utf8

    data = convert_to_utf8(dict(FEEDPARSER_HEADERS), body, {})
    return data if isinstance(data, bytes) else bytes(data)


def refuse_entities(data: bytes, url: str) -> None:
    """``FeedError`` when the decoded document (``as_parsed``) declares an XML entity anywhere."""
    if _ENTITY_DECL.search(data):
        raise entities_refused(url)


def entities_refused(url: str) -> FeedError:
    return FeedError(f"{url}: feed declares XML entities (refused: entity expansion attacks)")


class _Enough(Exception):
    pass


def cut_after_items(data: bytes, limit: int) -> bytes | None:
    """``data`` (``as_parsed``) cut after its ``limit``-th item; None when it has no more than that."""
    parser = expat.ParserCreate()  # no namespace processing: names as written, for closing them
    open_tags: list[str] = []
    count = 0
    cut: tuple[int, list[str]] | None = None

    def start(name: str, attributes: object) -> None:
        if count == limit and name.rpartition(":")[2] in _ITEMS and len(open_tags) <= 2:
            raise _Enough  # one more item than we keep: cut after the last kept one
        open_tags.append(name)

    def end(name: str) -> None:
        nonlocal count, cut
        open_tags.pop()
        if name.rpartition(":")[2] in _ITEMS and len(open_tags) <= 2:  # rss/channel/item, rdf:RDF/item, feed/entry
            count += 1
            if count == limit:
                closed_at = data.index(b">", parser.CurrentByteIndex) + 1
                cut = (closed_at, list(open_tags))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Enough:
        assert cut is not None
        closed_at, still_open = cut
        return data[:closed_at] + b"".join(f"</{name}>".encode() for name in reversed(still_open))
    except expat.ExpatError:  # not well-formed before the next item: count closing tags instead
        return _cut_by_tags(data, limit)
    return None


def _cut_by_tags(data: bytes, limit: int) -> bytes | None:
    """For a document expat cannot read as far as ``limit`` items: cut after the Nth closing tag."""
    ends = [m.end() for m in _ITEM_END.finditer(data)]
    if len(ends) <= limit:
        return None
    return data[: ends[limit - 1]] + data[ends[-1] :]
