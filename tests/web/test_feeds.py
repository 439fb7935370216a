"""index.web.parse.feeds: every feed kind read into entries, and every hostile or wrong body refused in one line."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from index.web.parse.feeds import page_feed_links, parse_feed
from index.web.types import FeedError

FEED_URL = "https://news.example.com/feeds/world.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>Example World News</title><link>https://news.example.com/</link>
<item>
  <title>Older story</title><link>https://news.example.com/2024/11/20/older</link>
  <guid isPermaLink="false">urn:example:1001</guid>
  <pubDate>Wed, 20 Nov 2024 08:00:00 GMT</pubDate>
  <description>&lt;p&gt;The &lt;b&gt;older&lt;/b&gt; summary.&lt;/p&gt;</description>
</item>
<item>
  <title>Council &lt;em&gt;approves&lt;/em&gt; budget</title>
  <link>https://news.example.com/2024/11/22/budget</link>
  <guid>urn:example:1002</guid>
  <pubDate>Fri, 22 Nov 2024 09:30:00 GMT</pubDate>
  <description>The council approved the 2025 budget.</description>
</item>
</channel></rss>
"""


def rss_items(items: str, channel_title: str = "Feed") -> bytes:
    channel = f"<channel><title>{channel_title}</title>{items}</channel>"
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">{channel}</rss>'.encode()


def test_rss_2_entries_newest_first_with_guid_date_and_text_title_and_summary() -> None:
    feed = parse_feed(RSS, url=FEED_URL)
    assert feed.kind == "rss"
    assert feed.title == "Example World News"
    assert [e.url for e in feed.entries] == [
        "https://news.example.com/2024/11/22/budget",
        "https://news.example.com/2024/11/20/older",
    ]
    newest = feed.entries[0]
    assert newest.title == "Council approves budget"  # HTML stripped
    assert newest.published_at == date(2024, 11, 22)
    assert newest.entry_id == "urn:example:1002"
    assert feed.entries[1].summary == "The older summary."
    assert feed.warnings == []


def test_atom_prefers_the_alternate_html_link_and_falls_back_to_updated() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Atom &lt;i&gt;News&lt;/i&gt;</title>
<entry>
  <title>Storm hits coast</title><id>tag:example.com,2024:storm</id>
  <link rel="related" href="https://other.example.org/background"/>
  <link rel="alternate" type="application/json" href="https://api.example.com/storm.json"/>
  <link rel="alternate" type="text/html" href="https://news.example.com/storm"/>
  <link rel="enclosure" type="audio/mpeg" href="https://cdn.example.com/storm.mp3"/>
  <updated>2024-11-21T18:00:00Z</updated>
  <summary>Winds of 120 km/h.</summary>
</entry>
</feed>"""
    feed = parse_feed(atom, url=FEED_URL, content_type="application/atom+xml")
    assert feed.kind == "atom"
    assert feed.title == "Atom News"
    (entry,) = feed.entries
    assert entry.url == "https://news.example.com/storm"
    assert entry.entry_id == "tag:example.com,2024:storm"
    assert entry.published_at == date(2024, 11, 21)
    assert entry.summary == "Winds of 120 km/h."


def test_rss_1_0_rdf_with_dc_date() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.com/"><title>RDF News</title></channel>
<item rdf:about="https://example.com/x"><title>X</title><link>https://example.com/x</link>
<dc:date>2024-11-02T10:00:00Z</dc:date></item>
</rdf:RDF>"""
    feed = parse_feed(body, url=FEED_URL)
    assert (feed.kind, feed.title) == ("rss", "RDF News")
    assert [(e.url, e.published_at) for e in feed.entries] == [("https://example.com/x", date(2024, 11, 2))]


def test_json_feed_1_1_uses_url_else_external_url_and_reads_dates() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "JSON News",
            "items": [
                {
                    "id": 7,
                    "url": "https://news.example.com/a",
                    "title": "A",
                    "date_published": "2024-11-19T10:00:00+01:00",
                    "content_text": "Text of A.",
                },
                {
                    "id": "b",
                    "external_url": "https://elsewhere.example.org/b",
                    "title": "B",
                    "date_published": "2024-11-21T10:00:00Z",
                    "summary": "Sum B",
                },
                "not an object",
            ],
        }
    ).encode()
    feed = parse_feed(body, url="https://news.example.com/feed.json", content_type="application/feed+json")
    assert feed.kind == "json"
    assert feed.title == "JSON News"
    assert [(e.url, e.entry_id, e.published_at, e.summary) for e in feed.entries] == [
        ("https://elsewhere.example.org/b", "b", date(2024, 11, 21), "Sum B"),
        ("https://news.example.com/a", "7", date(2024, 11, 19), "Text of A."),
    ]
    assert any("1 items that are not JSON objects" in w for w in feed.warnings)


def test_json_that_is_not_a_json_feed_is_refused() -> None:
    with pytest.raises(FeedError, match="is JSON but not a JSON Feed"):
        parse_feed(b'{"articles": []}', url="https://api.example.com/x")


NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example.com/business/2024/11/22/rates</loc>
    <lastmod>2024-11-23</lastmod>
    <news:news>
      <news:publication><news:name>Example Times</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-11-22T07:15:00+00:00</news:publication_date>
      <news:title>Bank holds rates &amp; signals cuts</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://news.example.com/sport/2024/11/23/final</loc>
    <news:news>
      <news:publication><news:name>Example Times</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-11-23</news:publication_date>
      <news:title>Home side wins final</news:title>
    </news:news>
  </url>
</urlset>"""


def test_news_sitemap_takes_publication_date_over_lastmod_and_news_title() -> None:
    feed = parse_feed(NEWS_SITEMAP, url="https://news.example.com/news-sitemap.xml")
    assert feed.kind == "sitemap"
    assert feed.title == "Example Times"
    assert [(e.url, e.title, e.published_at) for e in feed.entries] == [
        ("https://news.example.com/sport/2024/11/23/final", "Home side wins final", date(2024, 11, 23)),
        ("https://news.example.com/business/2024/11/22/rates", "Bank holds rates & signals cuts", date(2024, 11, 22)),
    ]


def test_plain_sitemap_reads_loc_and_lastmod() -> None:
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://example.com/a</loc><lastmod>2024-10-01</lastmod></url>
<url><loc>https://example.com/b</loc></url>
<url><loc>https://example.com/c</loc><lastmod>2024-10-03T12:00:00Z</lastmod></url>
</urlset>"""
    feed = parse_feed(body, url="https://example.com/sitemap.xml")
    assert [(e.url, e.published_at) for e in feed.entries] == [
        ("https://example.com/c", date(2024, 10, 3)),
        ("https://example.com/a", date(2024, 10, 1)),
        ("https://example.com/b", None),  # undated after dated
    ]
    assert feed.entries[0].title == ""


def test_sitemap_index_is_refused_naming_its_sitemaps() -> None:
    long_loc = "https://example.com/" + "x" * 200 + ".xml"
    body = f"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://example.com/sitemap-news.xml</loc></sitemap>
<sitemap><loc>{long_loc}</loc></sitemap>
</sitemapindex>""".encode()
    with pytest.raises(FeedError) as err:
        parse_feed(body, url="https://example.com/sitemap_index.xml")
    message = str(err.value)
    assert "sitemap index (it lists 2 sitemaps)" in message
    assert "https://example.com/sitemap-news.xml" in message
    assert long_loc not in message and "…" in message  # shortened
    assert "\n" not in message


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://example.com/a</link></item></channel></rss>"""


@pytest.mark.parametrize("kind", ["rss", "urlset"])
def test_billion_laughs_is_refused_before_expansion(kind: str) -> None:
    body = BILLION_LAUGHS if kind == "rss" else BILLION_LAUGHS.replace(b"<!DOCTYPE rss", b"<!DOCTYPE urlset")
    start = time.perf_counter()
    with pytest.raises(FeedError, match=r"feed declares XML entities \(refused: entity expansion attacks\)"):
        parse_feed(body, url=FEED_URL)
    assert time.perf_counter() - start < 2  # expanded, it is 10**9 "lol"s: minutes and gigabytes


def test_external_entity_is_refused_and_the_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    for declaration in (
        f'<!ENTITY xxe SYSTEM "file://{secret}">',
        f'<!ENTITY % remote SYSTEM "file://{secret}"> %remote;',
    ):
        body = rss_items("<item><title>&xxe;</title><link>https://example.com/a</link></item>").replace(
            b"<rss", f"<!DOCTYPE rss [{declaration}]><rss".encode(), 1
        )
        with pytest.raises(FeedError, match="declares XML entities") as err:
            parse_feed(body, url=FEED_URL)
        assert "TOP-SECRET-TOKEN" not in str(err.value)


def test_doctype_without_entity_declarations_is_accepted() -> None:
    # RSS 0.91's DOCTYPE names an external DTD: harmless as long as nothing loads it.
    body = rss_items("<item><title>a</title><link>https://example.com/a</link></item>").replace(
        b"<rss",
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss',
        1,
    )
    feed = parse_feed(body, url=FEED_URL)
    assert [e.url for e in feed.entries] == ["https://example.com/a"]


def test_body_naming_a_local_file_is_parsed_not_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # feedparser.parse(bytes) opens the file the bytes name when one exists; parse_feed must not.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "<rss>").write_bytes(rss_items("<item><title>LOCAL</title><link>https://example.com/x</link></item>"))
    with pytest.raises(FeedError, match="no entry could be read"):
        parse_feed(b"<rss>", url=FEED_URL)


def test_html_page_error_names_its_feed_links() -> None:
    page = b"""<!DOCTYPE html><html lang=en><head><title>Example News</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="World" href="/feeds/world.rss">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://news.example.com/atom.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" hreflang="fr" href="https://news.example.com/fr/">
<link rel="alternate" type="application/json" href="https://news.example.com/wp-json/wp/v2/pages/12">
</head><body><p>Hello</p></body></html>"""
    with pytest.raises(FeedError) as err:
        parse_feed(page, url="https://news.example.com/world/", content_type="text/html")
    message = str(err.value)
    assert "is not an RSS, Atom, JSON Feed or sitemap" in message
    assert "https://news.example.com/feeds/world.rss" in message
    assert "https://news.example.com/atom.xml" in message
    assert "javascript" not in message and "/fr/" not in message and "wp-json" not in message
    assert page_feed_links(page, "https://news.example.com/world/") == [
        "https://news.example.com/feeds/world.rss",
        "https://news.example.com/atom.xml",
    ]


def test_html_page_without_feed_links_says_where_to_find_one() -> None:
    page = b"<!doctype html>\n<html><head><title>x</title></head><body><p>No feed here</p></body></html>"
    with pytest.raises(
        FeedError, match=r"it looks like an HTML page: give the feed's URL, often linked as <link rel=alt"
    ):
        parse_feed(page, url="https://example.com/")


def test_plain_text_is_refused() -> None:
    with pytest.raises(
        FeedError, match=r"^https://example.com/x is not an RSS, Atom, JSON Feed or sitemap \(it looks like plain"
    ):
        parse_feed(b"Service temporarily unavailable\n", url="https://example.com/x")
    with pytest.raises(FeedError, match="empty"):
        parse_feed(b"  \n", url="https://example.com/x")


def sitemap_urls(items: str) -> bytes:
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'.encode()


@pytest.mark.parametrize(
    ("make", "item"),
    [
        (rss_items, "<item><title>Story {i}</title><link>https://example.com/story-{i}</link></item>"),
        (sitemap_urls, "<url><loc>https://example.com/story-{i}</loc></url>"),
    ],
    ids=["rss", "sitemap"],
)
def test_truncated_body_keeps_the_complete_entries_with_a_warning(make: Callable[[str], bytes], item: str) -> None:
    body = make("".join(item.format(i=i) for i in range(5)))
    cut = body[: body.index(b"story-4") + 3]  # inside the last entry's link
    feed = parse_feed(cut, url=FEED_URL)
    assert [e.url for e in feed.entries] == [f"https://example.com/story-{i}" for i in range(4)]
    (warning,) = feed.warnings
    assert "is not well-formed XML" in warning and "kept the 4 entries that could be read" in warning


def test_complete_feed_with_an_undeclared_entity_keeps_every_entry() -> None:
    # Common in the wild: HTML's &nbsp; in RSS. The strict parser stops; the lenient one reads on.
    item = "<item><title>Story&nbsp;{i}</title><link>https://example.com/s{i}</link></item>"
    items = "".join(item.format(i=i) for i in range(3))
    feed = parse_feed(rss_items(items), url=FEED_URL)
    assert [e.title for e in feed.entries] == ["Story 0", "Story 1", "Story 2"]
    (warning,) = feed.warnings
    assert "undefined entity" in warning and "kept the 3 entries" in warning


def test_truncated_before_any_entry_is_an_error() -> None:
    with pytest.raises(FeedError, match="no entry could be read"):
        parse_feed(RSS[:120], url=FEED_URL)


def test_invalid_and_future_dates_become_none_with_warnings() -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    items = (
        "<item><title>a</title><link>https://example.com/a</link><pubDate>sometime last week</pubDate></item>"
        "<item><title>b</title><link>https://example.com/b</link><pubDate>Mon, 45 Foo 2024 99:99</pubDate></item>"
        f"<item><title>c</title><link>https://example.com/c</link><pubDate>{future}</pubDate></item>"
        "<item><title>d</title><link>https://example.com/d</link>"
        "<pubDate>Tue, 19 Nov 2024 10:00:00 GMT</pubDate></item>"
    )
    feed = parse_feed(rss_items(items), url=FEED_URL)
    assert [(e.title, e.published_at) for e in feed.entries] == [
        ("d", date(2024, 11, 19)),
        ("a", None),
        ("b", None),
        ("c", None),
    ]
    assert any("2 entries have an unreadable date" in w for w in feed.warnings)
    assert any("1 entries are dated more than a day ahead" in w for w in feed.warnings)


def test_links_are_resolved_checked_and_deduplicated() -> None:
    items = (
        "<item><title>rel</title><link>/2024/11/22/relative</link></item>"
        "<item><title>js</title><link>javascript:alert(document.cookie)</link></item>"
        "<item><title>file</title><link>file:///etc/passwd</link></item>"
        "<item><title>dup</title><link>https://news.example.com/2024/11/22/relative#comments</link></item>"
        "<item><title>up</title><link>../sport/match</link></item>"
    )
    feed = parse_feed(rss_items(items), url=FEED_URL)
    assert [(e.title, e.url) for e in feed.entries] == [
        ("rel", "https://news.example.com/2024/11/22/relative"),
        ("up", "https://news.example.com/sport/match"),
    ]
    (warning,) = feed.warnings
    assert "skipped 2 entries whose link is not an http(s) URL" in warning
    assert "javascript:alert" in warning


def test_100k_entries_are_cut_after_the_limit_before_feedparser_reads_them(capsys: pytest.CaptureFixture[str]) -> None:
    n = 100_000
    body = rss_items("".join(f"<item><link>https://e.example/{i}</link></item>" for i in range(n)))
    assert len(body) < 5_000_000  # under the fetch cap: the bytes alone did not bound the work (#30)
    start = time.perf_counter()
    feed = parse_feed(body, url=FEED_URL, limit=1000)
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[measure] parse_feed: {n} minimal RSS items, {len(body) / 1e6:.1f} MB, limit 1000: {elapsed:.2f} s")
    assert [e.url for e in feed.entries] == [f"https://e.example/{i}" for i in range(1000)]  # the first 1,000, whole
    assert feed.warnings == [
        f"{FEED_URL}: feed has over 1000 entries: read the first 1000 (newest first, as feeds list them)"
    ]
    assert elapsed < 5  # feedparser read all 100,000 before: 8 to 44 s


def test_100k_entries_keep_the_newest_limit_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    n = 100_000
    items = "".join(
        f"<item><title>Story {i}</title><link>https://example.com/s/{i}</link><guid>g{i}</guid>"
        f"<pubDate>{date(2020, 1, 1) + timedelta(days=i % 1500):%d %b %Y} 10:00:00 GMT</pubDate></item>"
        for i in range(n)
    )
    body = rss_items(items)
    start = time.perf_counter()
    feed = parse_feed(body, url=FEED_URL, limit=50)
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[measure] parse_feed: {n} RSS entries, {len(body) / 1e6:.1f} MB in {elapsed:.1f} s")
    assert len(feed.entries) == 50
    assert feed.warnings == [
        f"{FEED_URL}: feed has over 50 entries: read the first 50 (newest first, as feeds list them)"
    ]
    # The first 50 in document order, newest first among them (this feed is oldest first).
    assert [e.url for e in feed.entries] == [f"https://example.com/s/{i}" for i in range(49, -1, -1)]
    assert feed.entries[0].published_at == date(2020, 1, 1) + timedelta(days=49)


ITEMS = "".join(f"<item><title>Story {i}</title><link>https://example.com/{i}</link></item>" for i in range(5))
ENTRIES = "".join(f"<entry><title>Story {i}</title><link href='https://example.com/{i}'/></entry>" for i in range(5))


@pytest.mark.parametrize(
    "body",
    [
        rss_items(ITEMS),
        f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>F</title>{ENTRIES}</feed>".encode(),
        (
            "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' xmlns='http://purl.org/rss/1.0/'>"
            "<channel><title>F</title></channel>" + ITEMS + "</rdf:RDF>"
        ).encode(),
        rss_items(ITEMS.replace("Story 0", "Story&nbsp;0")),  # expat stops at once: the closing tags are counted
    ],
    ids=["rss", "atom", "rdf", "not-well-formed"],
)
def test_the_cut_keeps_whole_entries_and_a_readable_document(body: bytes) -> None:
    from index.web.parse.xmlprep import as_parsed, cut_after_items

    assert cut_after_items(as_parsed(body), 5) is None  # no more than the limit: nothing cut
    feed = parse_feed(body, url=FEED_URL, limit=3)
    assert [(e.title, e.url) for e in feed.entries] == [(f"Story {i}", f"https://example.com/{i}") for i in range(3)]
    assert (
        feed.warnings[0] == f"{FEED_URL}: feed has over 3 entries: read the first 3 (newest first, as feeds list them)"
    )
    assert all("kept the 3 entries" in w for w in feed.warnings[1:])  # nothing lost to the cut itself
    if b"nbsp" not in body:
        assert feed.warnings[1:] == []  # the cut document is well-formed: feedparser's strict parser read it


ENTITY_IN_THE_PROLOG = (
    '<?xml version="1.0" encoding="{encoding}"?>\n<!-- {padding} -->\n'
    '<!DOCTYPE rss [\n<!ENTITY t "PWNED">\n]>\n'
    '<rss version="2.0"><channel><title>c</title><item><title>&t;</title><link>https://example.com/a</link></item>'
    "</channel></rss>"
)


@pytest.mark.parametrize("encoding", ["Shift_JIS", "GB18030", "EUC-JP", "Big5"])
def test_an_entity_is_refused_whatever_the_encoding_and_wherever_the_dtd_is(encoding: str) -> None:
    # The outside probe (#30): expat cannot read these encodings, and the old fallback looked
    # for "<!ENTITY" in the first 4,096 bytes only.
    body = ENTITY_IN_THE_PROLOG.format(encoding=encoding, padding="x" * 5000).encode(encoding)
    with pytest.raises(FeedError, match="declares XML entities") as err:
        parse_feed(body, url=FEED_URL)
    assert "PWNED" not in str(err.value)


def test_an_entity_declaration_anywhere_in_the_text_is_refused() -> None:
    from index.web.parse.xmlprep import as_parsed

    # After the root: feedparser's lenient parser would read a declaration wherever it is.
    body = rss_items("<item><title>a</title><link>https://example.com/a</link></item>").replace(
        b"</channel>", b'<!DOCTYPE x [\n<!ENTITY t "PWNED">\n]></channel>'
    )
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_feed(body, url=FEED_URL)
    # UTF-32 and EBCDIC: "<!ENTITY" is not ASCII bytes there, but it is in what the parser reads.
    for encoding in ("utf-32", "cp037"):
        text = ENTITY_IN_THE_PROLOG.format(encoding=encoding, padding="")
        assert b'<!ENTITY t "PWNED">' in as_parsed(text.encode(encoding))


def test_a_feed_in_another_encoding_is_read_as_it_declares() -> None:
    title = "東京の新しい図書館"
    for encoding in ("Shift_JIS", "UTF-16"):
        body = (
            f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>c</title>'
            f"<item><title>{title}</title><link>https://example.com/a</link></item></channel></rss>"
        ).encode(encoding)
        feed = parse_feed(body, url=FEED_URL)
        assert [(e.title, e.url) for e in feed.entries] == [(title, "https://example.com/a")], encoding
