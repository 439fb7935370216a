"""index.web.parse.extract: a fetched page read into a Page like an uploaded HTML file, with feed fallbacks."""

from __future__ import annotations

from datetime import date

import pytest

from index.web.parse.extract import BRIEF_MIN_WORDS, MIN_WORDS, decode_html, extract_page
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


# News briefs (#30): a short page that says it is an article is kept; walls that say so are not.

BRIEF = (
    "Heavy snow closed the Kalvik mountain pass on Sunday evening, the road authority said. "
    "Crews expect to reopen it on Tuesday morning if the weather clears."
)
OG_ARTICLE = '<meta property="og:type" content="article">'
LD_NEWS = (
    '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
    '[{"@type": "WebPage"}, {"@type": ["NewsArticle"], "headline": "Snow closes Kalvik pass"}]}</script>'
)


def short_page(body: str, head: str = "", wrapper: str = "article") -> str:
    """A news site's page holding ``body`` in ``<wrapper>``, with the usual header, menu and footer."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Snow closes Kalvik pass | Northern Ledger</title>{head}</head><body>
<header><a href="/">Home</a> <a href="/world">World</a> <a href="/login">Sign in</a></header>
<nav><ul><li><a href="/a">Politics</a></li><li><a href="/b">Business</a></li></ul></nav>
<main><{wrapper}><h1>Snow closes Kalvik pass</h1>{body}</{wrapper}></main>
<footer>© Northern Ledger <a href="/privacy">Privacy</a></footer></body></html>"""


def words_read(html: str) -> int:
    """Words of the page's text as extraction reads it, before any floor."""
    from index.clean import clean_article
    from index.load import read_html

    found = read_html(html, url="https://ledger.example/news/snow", guess_date=False)
    return len(clean_article(found.title, found.text)[0].split())


ENTRY = FeedEntry(url="https://ledger.example/news/snow", title="Snow closes Kalvik pass")


@pytest.mark.parametrize(
    ("head", "wrapper", "entry"),
    [("", "article", None), (OG_ARTICLE, "div", None), (LD_NEWS, "div", None), ("", "div", ENTRY)],
    ids=["article-element", "og-type", "json-ld", "feed-entry"],
)
def test_a_short_brief_that_says_it_is_an_article_is_kept(head: str, wrapper: str, entry: FeedEntry | None) -> None:
    assert len(BRIEF.split()) == 26
    html = short_page(f"<p>{BRIEF}</p>", head, wrapper)
    page = extract_page(html, url="https://ledger.example/news/snow", entry=entry)
    assert BRIEF in page.text
    assert page.title == "Snow closes Kalvik pass"


def test_a_short_page_that_does_not_say_it_is_an_article_keeps_the_30_word_floor() -> None:
    with pytest.raises(FetchError):
        extract_page(short_page(f"<p>{BRIEF}</p>", wrapper="div"), url="https://ledger.example/news/snow")


@pytest.mark.parametrize(
    "body",
    [
        "<p>Heavy snow closed the Kalvik mountain pass on Sunday.</p>",  # 9 words
        "<p>Updated Jan. 26, 2026, 1:24 p.m. ET</p><p>By Jonas Brill and Sara Okafor</p>",  # no sentence
    ],
    ids=["nine-words", "dateline-and-byline"],
)
def test_a_brief_needs_one_full_sentence_of_twelve_words(body: str) -> None:
    with pytest.raises(FetchError):
        extract_page(short_page(body, OG_ARTICLE), url="https://ledger.example/news/snow", entry=ENTRY)


WALLS = {
    "menu": "".join(
        f'<p><a href="/news/{i}">{teaser}</a></p>'
        for i, teaser in enumerate(["Council approves budget.", "Storm warning for the coast.", "Ferry fares rise."])
    )
    + '<p><a href="/weather">Weather for the week ahead.</a> <a href="/traffic">Traffic.</a></p>',
    "login": "<h2>Sign in to your Ledger account</h2><p>Enter the email address and password you registered "
    "with to read this story.</p><form><input name=email><input type=password name=pw><button>Go</button></form>",
    "paywall": "<h2>This story is for subscribers</h2><p>Get unlimited access to every Northern Ledger story "
    "for one euro a week.</p><p>Cancel at any time, with no questions asked.</p>",
    "consent": "<h2>We value your privacy</h2><p>We and our partners use cookies to store information on your "
    "device.</p><p>Read our cookie policy to learn more.</p><button>Accept all</button>",
    "soft-404": "<h2>Page not found</h2><p>Sorry, the page you are looking for may have been moved or deleted "
    "from this site.</p>",
}


@pytest.mark.parametrize("name", sorted(WALLS))
def test_short_walls_that_say_they_are_articles_are_still_refused(name: str) -> None:
    html = short_page(WALLS[name], OG_ARTICLE + LD_NEWS)  # an <article>, og:type, JSON-LD and a feed entry
    assert BRIEF_MIN_WORDS <= words_read(html) < MIN_WORDS  # long enough for a brief: the wall check refuses it
    with pytest.raises(FetchError) as err:
        extract_page(html, url="https://ledger.example/news/snow", entry=ENTRY)
    assert "no article text found" in str(err.value)
