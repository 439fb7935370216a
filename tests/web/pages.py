"""Article pages and feeds for the live-news tests: realistic HTML and the four feed formats.

Stories are written for these tests (no real outlet's text). Each page has a header, a
navigation bar, the article and a footer, as a news site would, so extraction has something
to leave out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from html import escape


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    published: date | None = None
    author: str | None = None


STORIES = {
    "harbor": Story(
        "harbor",
        "Port of Veldmark reopens after three-week dockworkers' strike",
        (
            "The Port of Veldmark reopened on Monday after dockworkers ended a three-week strike that had left "
            "more than 40 container ships waiting offshore, the port authority said.",
            "Union leader Marta Kessling said members voted 812 to 205 to accept a contract that raises wages by "
            "11 percent over three years and limits night shifts to four a week.",
            "Shipping companies warned that clearing the backlog would take at least ten days, and several "
            "retailers said holiday deliveries could arrive late in the northern provinces.",
            "The strike was the longest at the port since 1987, when a dispute over automation closed the "
            "terminals for five weeks.",
        ),
        date(2026, 11, 30),
        "Jonas Brill",
    ),
    "glacier": Story(
        "glacier",
        "Survey finds Ostral glacier lost a fifth of its ice since 2010",
        (
            "The Ostral glacier has lost about 21 percent of its ice volume since 2010, according to a survey "
            "published on Tuesday by the Northern Alpine Institute.",
            "Researchers used drone flights and ground radar to measure the ice, which now covers 14 square "
            "kilometres, down from 18 square kilometres fifteen years ago.",
            "The institute's director, Dr. Helen Varga, said the melting had accelerated after two unusually warm "
            "summers and called for a regional water plan for the valleys that depend on the glacier.",
            "Farmers in the Lenz valley said irrigation channels fed by meltwater ran dry for the first time in "
            "living memory this August.",
        ),
        date(2026, 12, 1),
        "Sara Okafor",
    ),
    "library": Story(
        "library",
        "City council approves new central library for Brennwick",
        (
            "Brennwick's city council approved plans on Wednesday for a new central library on the site of the "
            "old tram depot, ending a decade of debate over the project.",
            "The building, designed by the architecture firm Holm and Ruud, will cost 48 million euros and hold "
            "400,000 books, a maker space and a rooftop reading garden.",
            "Councillor Petra Lind, who chairs the culture committee, said construction would begin next spring "
            "and the library should open in 2029.",
            "Opponents had argued the money should go to neighbourhood branches, three of which closed in 2021.",
        ),
        date(2026, 12, 2),
    ),
    "rail": Story(
        "rail",
        "Night train between Kalvik and Sorenberg to return in March",
        (
            "The night train between Kalvik and Sorenberg will return in March after a six-year pause, the "
            "national rail operator announced on Thursday.",
            "The service will run three times a week with sleeper cars bought second-hand from an operator in "
            "the south, and tickets will go on sale on January 15.",
            "Rail minister Ida Marsh said the route had been restored because passenger numbers on the daytime "
            "trains doubled since 2023.",
            "The journey of 740 kilometres will take eleven hours, with a stop in Halden for passengers to the "
            "ski resorts.",
        ),
        None,
    ),
}


def article_html(
    story: Story,
    *,
    canonical: str | None = None,
    site_name: str | None = "Northern Ledger",
    with_date: bool = True,
    extra_paragraph: str = "",
) -> str:
    """A news page for ``story``: header, navigation, the article, related links and a footer."""
    meta = []
    if canonical:
        meta.append(f'<link rel="canonical" href="{escape(canonical)}">')
    if site_name:
        meta.append(f'<meta property="og:site_name" content="{escape(site_name)}">')
    if with_date and story.published:
        meta.append(f'<meta property="article:published_time" content="{story.published.isoformat()}T08:00:00Z">')
    if story.author:
        meta.append(f'<meta name="author" content="{escape(story.author)}">')
    paragraphs = [*story.paragraphs, *([extra_paragraph] if extra_paragraph else [])]
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    byline = f'<p class="byline">By {escape(story.author)}</p>' if story.author else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(story.title)} | {escape(site_name or "News")}</title>
{"".join(meta)}</head>
<body>
<header><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a> <a href="/login">Sign in</a></header>
<nav><ul><li><a href="/a">Politics</a></li><li><a href="/b">Business</a></li>
<li><a href="/c">Science</a></li></ul></nav>
<main><article><h1>{escape(story.title)}</h1>{byline}
{body}
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/x">Weather this weekend</a></li><li><a href="/y">Quiz</a></li></ul></aside>
<footer>© Northern Ledger. All rights reserved. <a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
</body></html>"""


@dataclass(frozen=True)
class Entry:
    url: str
    title: str
    published: date | None = None


def _rfc822(day: date) -> str:
    return format_datetime(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))


def rss(entries: list[Entry], title: str = "Northern Ledger") -> str:
    items = "".join(
        f"<item><title>{escape(e.title)}</title><link>{escape(e.url)}</link><guid>{escape(e.url)}</guid>"
        + (f"<pubDate>{_rfc822(e.published)}</pubDate>" if e.published else "")
        + "</item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://ledger.example/</link><description>News</description>"
        f"{items}</channel></rss>"
    )


def atom(entries: list[Entry], title: str = "Northern Ledger (Atom)") -> str:
    items = "".join(
        f'<entry><title>{escape(e.title)}</title><link rel="alternate" type="text/html" href="{escape(e.url)}"/>'
        f"<id>{escape(e.url)}</id>"
        + (f"<updated>{e.published.isoformat()}T09:00:00Z</updated>" if e.published else "")
        + "</entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:ledger</id><updated>2026-12-02T00:00:00Z</updated>{items}</feed>"
    )


def json_feed(entries: list[Entry], title: str = "Northern Ledger (JSON)") -> str:
    items = [
        {"id": e.url, "url": e.url, "title": e.title}
        | ({"date_published": f"{e.published.isoformat()}T09:00:00Z"} if e.published else {})
        for e in entries
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items})


def news_sitemap(entries: list[Entry]) -> str:
    urls = "".join(
        f"<url><loc>{escape(e.url)}</loc><news:news><news:publication><news:name>Northern Ledger</news:name>"
        "<news:language>en</news:language></news:publication>"
        + (f"<news:publication_date>{e.published.isoformat()}</news:publication_date>" if e.published else "")
        + f"<news:title>{escape(e.title)}</news:title></news:news></url>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    )


FEED_TYPES = {
    "rss": (rss, "application/rss+xml"),
    "atom": (atom, "application/atom+xml"),
    "json": (json_feed, "application/feed+json"),
    "sitemap": (news_sitemap, "application/xml"),
}
