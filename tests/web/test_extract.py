"""index.web.parse.extract: a fetched page read into a Page like an uploaded HTML file, with feed fallbacks."""

from __future__ import annotations

from datetime import date

import pytest

from index.web.parse.extract import decode_html, extract_page
from index.web.types import FeedEntry, FetchError

PARAGRAPHS = [
    "The city council on Friday approved a budget of 2.4 billion euros for next year, ending weeks of "
    "negotiations between the governing coalition and opposition groups over housing and transport spending.",
    "The plan sets aside 310 million euros for new social housing, the largest such allocation in a decade, "
    "and freezes public transport fares for residents under 26 until the end of 2025.",
    "Opposition councillors said the budget relied on optimistic tax forecasts and warned that a slowdown "
    "in tourism could leave a gap of up to 80 million euros by the autumn.",
    "Mayor Ana Ruiz said the vote showed the council could still reach agreement on difficult issues and "
    "promised quarterly reports on how the housing money is spent.",
]


def article_page(head: str, *, byline: str = "", charset_meta: str = '<meta charset="utf-8">') -> str:
    body = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en"><head>{charset_meta}
<title>Council approves 2025 budget | Example Times</title>
{head}
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a>
<a href="/sport">Sport</a></nav></header>
<main><article>
<h1>Council approves 2025 budget</h1>
{byline}
{body}
</article></main>
<footer><p>© 2024 Example Times. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""


def test_news_article_takes_canonical_site_name_date_and_author_from_the_page() -> None:
    head = """<link rel="canonical" href="/2024/11/22/council-budget">
<meta property="og:site_name" content="The Example Times">
<meta property="og:title" content="Council approves 2025 budget">
<meta property="article:published_time" content="2024-11-22T09:30:00+01:00">
<meta name="author" content="Maria Lopez">"""
    entry = FeedEntry(url="https://feeds.example.com/r/123", title="Feed title", published_at=date(2024, 11, 25))
    page = extract_page(
        article_page(head).encode(),
        url="https://www.example-times.com/2024/11/22/council-budget?utm_source=rss",
        fetched_from="https://feeds.example.com/r/123",
        entry=entry,
    )
    assert page.url == "https://www.example-times.com/2024/11/22/council-budget"  # canonical, resolved
    assert page.fetched_from == "https://feeds.example.com/r/123"
    assert page.title == "Council approves 2025 budget"  # the page's, not the feed's
    assert page.published_at == date(2024, 11, 22)
    assert page.author == "Maria Lopez"
    assert page.site_name == "The Example Times"
    # One paragraph a line, as an uploaded HTML file is stored: no menu, headline or footer.
    assert page.text == "\n".join(PARAGRAPHS)


def test_page_without_metadata_falls_back_to_the_feed_entry_and_host() -> None:
    html = f"""<html><head></head><body><div class="story">
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
</div></body></html>"""
    entry = FeedEntry(
        url="https://www.local-news.example.org/story/77", title="Budget passes", published_at=date(2024, 11, 21)
    )
    page = extract_page(html, url="https://www.local-news.example.org/story/77", entry=entry)
    assert page.url == "https://www.local-news.example.org/story/77"
    assert page.fetched_from == page.url
    assert page.title == "Budget passes"
    assert page.published_at == date(2024, 11, 21)
    assert page.site_name == "local-news.example.org"
    assert page.author is None


@pytest.mark.parametrize(
    "head",
    [
        '<link rel="canonical" href="javascript:alert(1)"><meta property="og:url" content="file:///etc/passwd">',
        '<link rel="canonical" href="https://example.com/">',  # a site naming its home page on every article
    ],
    ids=["not-http", "home-page"],
)
def test_unusable_canonical_is_ignored(head: str) -> None:
    page = extract_page(article_page(head), url="https://example.com/news/a")
    assert page.url == "https://example.com/news/a"


def test_og_url_is_the_canonical_when_there_is_no_link() -> None:
    head = '<meta property="og:url" content="https://example.com/news/a-story">'
    page = extract_page(article_page(head), url="https://m.example.com/news/a-story?amp=1")
    assert page.url == "https://example.com/news/a-story"


@pytest.mark.parametrize(
    "html",
    [
        # navigation only
        "<html><head><title>Example Times</title></head><body><nav><ul>"
        + "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(40))
        + "</ul></nav></body></html>",
        # a login wall
        "<html><head><title>Subscribe</title></head><body><main><h1>Subscribe to continue reading</h1>"
        "<p>Already a subscriber? Log in.</p><form><input name=email><button>Continue</button></form>"
        "</main></body></html>",
        # an empty shell filled in by JavaScript
        '<html><head><script src="/app.js"></script></head><body><div id="root"></div></body></html>',
        "",
    ],
    ids=["navigation", "login-wall", "js-shell", "empty"],
)
def test_page_without_article_text_is_a_fetch_error(html: str) -> None:
    with pytest.raises(FetchError) as err:
        extract_page(html, url="https://example.com/final", fetched_from="https://example.com/asked")
    assert str(err.value) == (
        "https://example.com/asked: no article text found on the page (is it an article? paywalled?)"
    )


def test_non_utf8_page_is_decoded_by_its_meta_charset() -> None:
    html = article_page(
        '<meta property="og:site_name" content="Le Quotidien d\u2019Exemple">',
        charset_meta='<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
    ).replace("Council approves 2025 budget", "Le conseil adopte le budget \u2013 été 2025")
    body = html.encode("cp1252")
    page = extract_page(body, url="https://quotidien.example.fr/budget")
    assert page.title == "Le conseil adopte le budget \u2013 été 2025"  # é and the cp1252 en dash
    assert page.site_name == "Le Quotidien d\u2019Exemple"
    assert "\ufffd" not in page.text


def test_decoding_order_bom_then_server_charset_then_meta_then_utf8() -> None:
    text = "Caf\u00e9 \u2013 na\u00efve"
    meta_cp1252 = b'<meta charset="windows-1252">'
    assert decode_html(meta_cp1252 + text.encode("cp1252")).endswith(text)
    assert decode_html(meta_cp1252 + text.encode("utf-8"), charset="utf-8").endswith(text)  # server wins
    assert decode_html(b"\xef\xbb\xbf" + meta_cp1252 + text.encode("utf-8")).endswith(text)  # BOM wins
    assert decode_html(text.encode("utf-8"), charset="no-such-charset") == text  # unknown label: UTF-8
    assert decode_html(b"caf\xe9") == "caf\ufffd"  # no label, not UTF-8: replaced, never an exception
