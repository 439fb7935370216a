"""Live news end to end through ``NewsRAG.live``: real HTTP on loopback, real Chroma, real parsers.

Pages and feeds come from a ``TestSite`` on 127.0.0.1 (the only server these tests reach);
the index is a real embedded Chroma with the fake bag-of-words embedder (it counts what it
embeds, so "nothing re-embedded" is measured, not assumed) and the extractive backend.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.web.pages import FEED_TYPES, STORIES, Entry, article_html, rss
from tests.web.site import TestSite


def make_live_rag(data_dir: Path, embedder: FakeEmbedder | None = None) -> NewsRAG:
    settings = Settings(
        data_dir=data_dir,
        backend="extractive",
        fetch_allow_private=True,  # the test site is on loopback
        fetch_host_delay=0.0,
        fetch_timeout=5.0,
    )
    return NewsRAG(settings, embedder=embedder or FakeEmbedder())


@pytest.fixture
def rag(tmp_path: Path) -> NewsRAG:
    return make_live_rag(tmp_path / "data")


def put_story(site: TestSite, slug: str, **kwargs: object) -> str:
    path = f"/news/{slug}"
    site.add(path, article_html(STORIES[slug], **kwargs))  # type: ignore[arg-type]
    return site.url(path)


def stored(rag: NewsRAG) -> dict[str, object]:
    return {a.url: a for a in rag.articles()}


def test_pages_by_url_are_stored_with_their_metadata_and_bad_urls_are_reported(rag: NewsRAG, site: TestSite) -> None:
    harbor = put_story(site, "harbor", canonical=None)
    rail = put_story(site, "rail", site_name=None)
    site.redirect("/old/glacier", "/news/glacier")
    put_story(site, "glacier")
    site.add("/report.pdf", b"%PDF-1.4 not a page", content_type="application/pdf")

    done = rag.live.ingest_urls(
        [harbor, rail, site.url("/old/glacier"), site.url("/missing"), site.url("/report.pdf"), "file:///etc/passwd"]
    )

    status = {p.url: p.status for p in done.urls}
    reasons = {p.url: p.reason for p in done.urls}
    assert status[harbor] == status[rail] == status[site.url("/old/glacier")] == "stored"
    assert "404" in reasons[site.url("/missing")]
    assert "not a web page" in reasons[site.url("/report.pdf")]
    assert "http" in reasons["file:///etc/passwd"]
    articles = stored(rag)
    assert set(articles) == {harbor, rail, site.url("/news/glacier")}  # the redirect's target is the URL
    h = next(a for a in rag.articles() if a.url == harbor)
    assert h.title == STORIES["harbor"].title
    assert h.source == "Northern Ledger"  # og:site_name
    assert h.published_at == "2026-11-30"
    r = next(a for a in rag.articles() if a.url == rail)
    assert r.source == f"127.0.0.1:{site.port}"  # no site name: the host
    assert r.published_at in ("", None)  # the page has no date and no feed gave one


def test_a_stored_page_is_answerable_with_a_citation_to_its_url(rag: NewsRAG, site: TestSite) -> None:
    url = put_story(site, "glacier")
    rag.live.ingest_urls([url])
    answer = rag.ask("How much of its ice volume has the Ostral glacier lost since 2010?")
    assert not answer.refused
    assert answer.citations and answer.citations[0].url == url
    assert "21 percent" in answer.answer
    assert answer.newest_cited() == date(2026, 12, 1)


def test_fetching_a_page_again_reembeds_nothing_when_it_did_not_change(tmp_path: Path, site: TestSite) -> None:
    embedder = FakeEmbedder()
    rag = make_live_rag(tmp_path / "data", embedder)
    url = put_story(site, "harbor")
    assert rag.live.ingest_urls([url]).urls[0].status == "stored"
    before = embedder.texts_embedded
    again = rag.live.ingest_urls([url])
    assert again.urls[0].status == "unchanged"
    assert embedder.texts_embedded == before
    site.add("/news/harbor", article_html(STORIES["harbor"], extra_paragraph="Update: two more ships docked."))
    assert rag.live.ingest_urls([url]).urls[0].status == "updated"
    assert len(rag.articles()) == 1


def test_the_same_story_under_other_urls_is_stored_once_with_its_copies_recorded(rag: NewsRAG, site: TestSite) -> None:
    original = put_story(site, "library")
    # A syndicated copy naming the original as canonical, and one with another outlet's
    # boilerplate and no canonical link at all.
    site.add("/partner/library", article_html(STORIES["library"], canonical=original, site_name="Partner Daily"))
    site.add(
        "/wire/library-approved",
        article_html(STORIES["library"], site_name="Wire Service", extra_paragraph="Reporting by the Wire desk."),
    )
    done = rag.live.ingest_urls([original, site.url("/partner/library"), site.url("/wire/library-approved")])
    assert [p.status for p in done.urls] == ["stored", "copy", "copy"]
    assert all(p.stored_as == original for p in done.urls[1:])
    assert len(rag.articles()) == 1
    record = rag.live.library.lookup(original)
    assert record is not None
    data = json.loads(record.path.read_text())
    assert set(data["also_at"]) == {site.url("/partner/library"), site.url("/wire/library-approved")}
    # Known copies are not fetched again by a feed.
    hits = site.hits("/wire/library-approved")
    site.add("/feed.xml", rss([Entry(site.url("/wire/library-approved"), "Library approved")]))
    rag.live.add_feed(site.url("/feed.xml"))
    rag.live.refresh(due_only=False)
    assert site.hits("/wire/library-approved") == hits


def test_a_copy_fetched_in_a_later_pass_is_found_in_the_index(rag: NewsRAG, site: TestSite) -> None:
    original = put_story(site, "glacier")
    rag.live.ingest_urls([original])
    site.add(
        "/wire/glacier",
        article_html(STORIES["glacier"], site_name="Wire Service", extra_paragraph="Reporting by the Wire desk."),
    )
    done = rag.live.ingest_urls([site.url("/wire/glacier")])
    assert (done.urls[0].status, done.urls[0].stored_as) == ("copy", original)
    assert len(rag.articles()) == 1
    assert done.ingest is not None and done.ingest.embedded == 0  # the copy's URL is added, vectors kept
    answer = rag.ask("How much of its ice volume has the Ostral glacier lost since 2010?")
    assert answer.citations[0].url == original
    assert answer.citations[0].also_at == (site.url("/wire/glacier"),)  # the copy is an extra source
    record = rag.live.library.lookup(site.url("/wire/glacier"))
    assert record is not None and record.url == original  # known by its copy's URL too
    # A different story from the same site is not taken for a copy.
    rail = put_story(site, "rail")
    assert rag.live.ingest_urls([rail]).urls[0].status == "stored"


def test_a_page_copying_an_article_from_a_file_is_not_stored_twice(
    rag: NewsRAG, site: TestSite, tmp_path: Path
) -> None:
    story = STORIES["harbor"]
    record = {"title": story.title, "text": "\n\n".join(story.paragraphs), "source": "Print edition"}
    (tmp_path / "print.json").write_text(json.dumps(record))
    rag.ingest([tmp_path / "print.json"])
    url = put_story(site, "harbor")
    done = rag.live.ingest_urls([url])
    assert (done.urls[0].status, done.urls[0].stored_as) == ("copy", "print.json")  # a name, not a server path
    assert len(rag.articles()) == 1
    hits = site.hits("/news/harbor")
    site.add("/rss", rss([Entry(url, "Harbor")]), content_type="application/rss+xml")
    rag.live.add_feed(site.url("/rss"))
    rag.live.refresh()
    assert site.hits("/news/harbor") == hits  # remembered as a copy: not fetched again


@pytest.mark.parametrize("kind", sorted(FEED_TYPES))
def test_each_feed_format_brings_in_its_entries(rag: NewsRAG, site: TestSite, kind: str) -> None:
    build, content_type = FEED_TYPES[kind]
    urls = [put_story(site, slug, with_date=False) for slug in ("harbor", "glacier")]
    entries = [
        Entry(urls[0], "Harbor reopens", date(2026, 11, 30)),
        Entry(urls[1], "Glacier survey", date(2026, 12, 1)),
    ]
    site.add("/feed", build(entries), content_type=content_type)
    rag.live.add_feed(site.url("/feed"))
    done = rag.live.refresh()
    assert [f.status for f in done.feeds] == ["refreshed"]
    articles = stored(rag)
    assert set(articles) == set(urls)
    # The pages carry no date: the feed's dates are kept.
    assert sorted(a.published_at for a in rag.articles()) == ["2026-11-30", "2026-12-01"]


def test_an_unchanged_feed_is_answered_304_and_nothing_is_reembedded_then_a_new_entry_arrives(
    tmp_path: Path, site: TestSite
) -> None:
    embedder = FakeEmbedder()
    rag = make_live_rag(tmp_path / "data", embedder)
    first = put_story(site, "harbor")
    site.add("/rss", rss([Entry(first, "Harbor", date(2026, 11, 30))]), content_type="application/rss+xml")
    feed, new = rag.live.add_feed(site.url("/rss"), "30m")
    assert new
    rag.live.refresh(due_only=False)
    embedded, page_hits = embedder.texts_embedded, site.hits("/news/harbor")

    again = rag.live.refresh(due_only=False)
    assert again.feeds[0].status == "unchanged"
    assert site.requests[-1].path == "/rss" and "if-none-match" in site.requests[-1].headers
    assert embedder.texts_embedded == embedded  # nothing re-embedded
    assert site.hits("/news/harbor") == page_hits  # nor re-fetched

    second = put_story(site, "glacier")
    entries = [Entry(second, "Glacier", date(2026, 12, 1)), Entry(first, "Harbor", date(2026, 11, 30))]
    site.add("/rss", rss(entries), content_type="application/rss+xml")
    done = rag.live.refresh(due_only=False)
    assert [p.url for p in done.feeds[0].pages] == [second]
    answer = rag.ask("Which institute published the survey of the Ostral glacier?")
    assert not answer.refused and answer.citations[0].url == second
    assert rag.live.registry.get(feed.url).stored == 2  # type: ignore[union-attr]


def test_a_feed_that_fails_keeps_its_error_and_waits_longer(rag: NewsRAG, site: TestSite) -> None:
    rag.live.add_feed(site.url("/gone.xml"), "1h")
    done = rag.live.refresh()
    assert done.feeds[0].status == "failed" and "404" in done.feeds[0].reason
    feed = rag.live.feeds()[0]
    assert feed.failures == 1 and "404" in (feed.last_error or "")
    assert not feed.due()  # waits before the next try
    site.add("/gone.xml", "<html><body>Not a feed</body></html>")
    rag.live.refresh(due_only=False)
    feed = rag.live.feeds()[0]
    assert feed.failures == 2 and "not an RSS" in (feed.last_error or "")
    assert feed.next_due - (feed.last_checked or 0) == pytest.approx(2 * 3600, abs=5)  # doubled


def test_an_entry_page_that_fails_is_skipped_and_the_rest_of_the_feed_lands(rag: NewsRAG, site: TestSite) -> None:
    good = put_story(site, "rail")
    entries = [Entry(site.url("/news/broken"), "Broken"), Entry(good, "Night train")]
    site.add("/rss", rss(entries), content_type="application/rss+xml")
    rag.live.add_feed(site.url("/rss"))
    done = rag.live.refresh()
    statuses = {p.url: p.status for p in done.feeds[0].pages}
    assert statuses == {site.url("/news/broken"): "failed", good: "stored"}
    # The broken page waits for its retry time: the next refresh does not fetch it again.
    hits = site.hits("/news/broken")
    rag.live.refresh(due_only=False)
    assert site.hits("/news/broken") == hits


def test_the_item_cap_leaves_the_rest_for_the_next_refresh(tmp_path: Path, site: TestSite) -> None:
    rag = NewsRAG(
        Settings(
            data_dir=tmp_path / "d",
            backend="extractive",
            fetch_allow_private=True,
            fetch_host_delay=0.0,
            feed_max_items=2,
        ),
        embedder=FakeEmbedder(),
    )
    urls = [put_story(site, slug) for slug in ("harbor", "glacier", "library")]
    site.add("/rss", rss([Entry(u, u) for u in urls]), content_type="application/rss+xml")
    rag.live.add_feed(site.url("/rss"))
    first = rag.live.refresh()
    assert len(first.feeds[0].pages) == 2 and first.feeds[0].warnings
    second = rag.live.refresh(due_only=False)
    # The capped feed was fetched whole (no 304 hiding the rest) and the third entry came in.
    assert [p.status for p in second.feeds[0].pages] == ["stored"]
    assert len(rag.articles()) == 3


def test_private_addresses_are_refused_unless_allowed(tmp_path: Path, site: TestSite) -> None:
    rag = NewsRAG(Settings(data_dir=tmp_path / "d", backend="extractive"), embedder=FakeEmbedder())
    url = put_story(site, "harbor")
    done = rag.live.ingest_urls([url])
    assert done.urls[0].status == "failed" and "NEWSRAG_FETCH_ALLOW_PRIVATE" in done.urls[0].reason
    assert site.hits("/news/harbor") == 0  # refused before any connection
    assert rag.store.count() == 0
