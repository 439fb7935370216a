"""Short news briefs through a followed feed (#30): real HTTP on loopback, real Chroma, real parsers.

A ``TestSite`` on 127.0.0.1 serves an RSS feed linking a 26-word brief inside ``<article>`` and
three short walls that also carry ``<article>`` and ``og:type`` article: a menu, a login form
and a cookie-consent page. After a refresh the brief is stored and answerable with a citation
to its URL; the walls are reported failed and nothing of them is stored.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rag.api import NewsRAG
from tests.web.pages import Entry, rss
from tests.web.site import TestSite
from tests.web.test_live import make_live_rag

BRIEF = (
    "Heavy snow closed the Kalvik mountain pass on Sunday evening, the road authority said. "
    "Crews expect to reopen it on Tuesday morning if the weather clears."
)

WALLS = {
    "/news/sections": "".join(
        f'<p><a href="/news/{i}">{teaser}</a></p>'
        for i, teaser in enumerate(["Council approves budget.", "Storm warning for the coast.", "Ferry fares rise."])
    )
    + '<p><a href="/weather">Weather for the week ahead.</a> <a href="/traffic">Traffic.</a></p>',
    "/news/members": "<h2>Sign in to your Ledger account</h2><p>Enter the email address and password you "
    "registered with to read this story.</p><form><input name=email><input type=password name=pw>"
    "<button>Go</button></form>",
    "/news/privacy": "<h2>We value your privacy</h2><p>We and our partners use cookies to store information on "
    "your device.</p><p>Read our cookie policy to learn more.</p><button>Accept all</button>",
}


def page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Northern Ledger</title>
<meta property="og:type" content="article"><meta property="og:site_name" content="Northern Ledger">
<meta property="article:published_time" content="2026-12-06T18:00:00Z"></head><body>
<header><a href="/">Home</a> <a href="/world">World</a> <a href="/login">Sign in</a></header>
<nav><ul><li><a href="/a">Politics</a></li><li><a href="/b">Business</a></li></ul></nav>
<main><article><h1>{title}</h1>{body}</article></main>
<footer>© Northern Ledger <a href="/privacy">Privacy</a></footer></body></html>"""


def test_a_brief_from_a_feed_is_stored_and_answerable_and_walls_are_refused(tmp_path: Path, site: TestSite) -> None:
    rag: NewsRAG = make_live_rag(tmp_path / "data")
    assert len(BRIEF.split()) == 26
    site.add("/news/snow", page("Snow closes Kalvik pass", f"<p>{BRIEF}</p>"))
    for path, body in WALLS.items():
        site.add(path, page("Northern Ledger", body))
    brief = site.url("/news/snow")
    walls = [site.url(path) for path in WALLS]
    entries = [Entry(brief, "Snow closes Kalvik pass", date(2026, 12, 6))] + [Entry(u, "Ledger") for u in walls]
    site.add("/rss", rss(entries), content_type="application/rss+xml")
    rag.live.add_feed(site.url("/rss"))

    done = rag.live.refresh()

    results = {p.url: p for p in done.feeds[0].pages}
    assert results[brief].status == "stored"
    for url in walls:
        assert results[url].status == "failed", url
        assert "no article text found on the page" in results[url].reason
    (stored,) = rag.articles()
    assert (stored.url, stored.title, stored.published_at) == (brief, "Snow closes Kalvik pass", "2026-12-06")
    answer = rag.ask("When do crews expect to reopen the Kalvik mountain pass?")
    assert not answer.refused
    assert answer.citations and answer.citations[0].url == brief
    assert "Tuesday morning" in answer.answer
