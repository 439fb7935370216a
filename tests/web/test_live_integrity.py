"""Live news keeps its promises under deletions and overlapping passes (issue #30).

- A story deleted by hand stays deleted when its feed links it under a new ``?utm=`` URL, or
  when another outlet republishes it: the copy check consults the record of deletions, not
  only the index (where a deleted article no longer is).
- Two ``watch --once`` processes started a moment apart over one data dir end with the same
  articles as one clean run: each saved version of a record has its own "not yet indexed"
  marker, so one pass can no longer clear what the other saved.
- A record saved but never indexed (what the old shared marker could leave) is found by
  ``doctor`` and stored by ``doctor --repair``.

Real HTTP on 127.0.0.1 (``TestSite``), real on-disk Chroma, subprocesses for the concurrent
runs; the fake embedder, so no model loads.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from index.types import FileResult, IngestReport
from index.web.pending import Markers, content_hash
from index.web.refresh import Pass
from rag.api import NewsRAG
from tests.web.pages import STORIES, Entry, article_html, rss
from tests.web.site import TestSite
from tests.web.test_live import make_live_rag
from tests.web.test_watch_crash import articles, run, saved, story


def follow(rag: NewsRAG, site: TestSite, links: list[str]) -> str:
    entries = [Entry(link, f"Entry {n}") for n, link in enumerate(links)]
    site.add("/rss", rss(entries), content_type="application/rss+xml")
    feed = site.url("/rss")
    rag.live.add_feed(feed)
    return feed


def test_a_deleted_feed_article_stays_deleted_under_a_changed_url(tmp_path: Path, site: TestSite) -> None:
    rag = make_live_rag(tmp_path / "data")
    site.add("/news/rail", article_html(STORIES["rail"]))
    rag.live.ingest_urls([site.url("/news/rail")])  # another story, so the index is not empty
    site.add("/news/library", article_html(STORIES["library"]))  # no canonical link: the URL is all it has
    follow(rag, site, [site.url("/news/library?utm=mon")])
    first = rag.live.refresh(due_only=False)
    assert [p.status for p in first.feeds[0].pages] == ["stored"]
    (stored,) = [a for a in rag.articles() if a.title == STORIES["library"].title]
    assert rag.remove_articles([stored.article_id]) > 0

    follow(rag, site, [site.url("/news/library?utm=tue")])  # the feed now links it under another URL
    again = rag.live.refresh(due_only=False)
    (page,) = again.feeds[0].pages
    assert page.status == "deleted", page
    assert "deleted" in page.reason and STORIES["library"].title in page.reason
    assert [a.title for a in rag.articles()] == [STORIES["rail"].title]
    answer = rag.ask(STORIES["library"].title)
    assert all("/news/library" not in (c.url or "") for c in answer.citations)
    # Remembered: the next refresh does not fetch that URL again.
    hits = site.hits("/news/library")
    rag.live.refresh(due_only=False)
    assert site.hits("/news/library") == hits


def test_another_outlets_copy_of_a_deleted_article_is_not_stored(tmp_path: Path, site: TestSite) -> None:
    rag = make_live_rag(tmp_path / "data")
    original = site.url("/news/glacier")
    site.add("/news/glacier", article_html(STORIES["glacier"]))
    rag.live.ingest_urls([original])
    rag.remove_articles([a.article_id for a in rag.articles()])
    site.add(
        "/wire/glacier",
        article_html(STORIES["glacier"], site_name="Wire Service", extra_paragraph="Reporting by the Wire desk."),
    )
    follow(rag, site, [site.url("/wire/glacier")])
    done = rag.live.refresh(due_only=False)
    assert [p.status for p in done.feeds[0].pages] == ["deleted"]
    assert rag.live.ingest_urls([site.url("/wire/glacier")]).urls[0].status in ("deleted", "known")
    assert rag.articles() == []
    # A different story is still stored: the check is by text, not by site.
    site.add("/wire/rail", article_html(STORIES["rail"], site_name="Wire Service"))
    assert rag.live.ingest_urls([site.url("/wire/rail")]).urls[0].status == "stored"
    assert [a.title for a in rag.articles()] == [STORIES["rail"].title]


def test_refetching_a_deleted_articles_own_url_keeps_it_deleted(tmp_path: Path, site: TestSite) -> None:
    rag = make_live_rag(tmp_path / "data")
    url = site.url("/news/harbor")
    site.add("/news/harbor", article_html(STORIES["harbor"]))
    rag.live.ingest_urls([url])
    rag.remove_articles([a.article_id for a in rag.articles()])
    done = rag.live.ingest_urls([url])  # its own record: ingest leaves the deleted text out
    assert done.urls[0].status == "unchanged"
    assert rag.articles() == []


def stories_feed(site: TestSite, name: str, numbers: range, delay: float) -> str:
    entries = []
    for n in numbers:
        path = f"/story/{n}"
        site.slow(path, delay, article_html(story(n)))
        entries.append(Entry(site.url(path), f"Report {n}"))
    site.add(f"/{name}.xml", rss(entries), content_type="application/rss+xml")
    return site.url(f"/{name}.xml")


def finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out


@pytest.mark.parametrize(("gap", "feeds"), [(0.5, "one"), (2.0, "one"), (1.0, "two"), (2.5, "two")])
def test_two_overlapping_watch_once_runs_leave_the_same_articles_as_one_clean_run(
    tmp_path: Path, site: TestSite, gap: float, feeds: str
) -> None:
    """Both runs follow one feed, or each its own feed (the second run then refreshes both)."""
    first_feed = stories_feed(site, "a", range(12), 0.1)
    second_feed = stories_feed(site, "b", range(12, 24), 0.1) if feeds == "two" else first_feed
    clean = tmp_path / "clean"
    finish(run(clean, first_feed, once=True))
    finish(run(clean, second_feed, once=True))
    expected = articles(clean)
    assert len(expected) == (24 if feeds == "two" else 12)

    data = tmp_path / "overlap"
    first = run(data, first_feed, once=True)
    time.sleep(gap)
    second = run(data, second_feed, once=True)
    finish(first), finish(second)
    assert articles(data) == expected
    assert saved(data) == {url for url, _ in expected}
    assert Markers(data / "web").pending() == []
    rag = make_live_rag(data)
    assert rag.doctor().healthy


def test_a_record_saved_while_another_pass_ingests_is_stored_by_its_own_pass(tmp_path: Path, site: TestSite) -> None:
    """The interleaving that lost an article, forced: pass A's ingest has read the library when
    pass B saves a record; A finishes (the old code then cleared the one shared marker) while B
    is still fetching; B's pass must still store its record."""
    data = tmp_path / "data"
    a, b = make_live_rag(data), make_live_rag(data)
    site.add("/news/rail", article_html(STORIES["rail"]))
    site.add("/news/harbor", article_html(STORIES["harbor"]))
    site.slow("/news/late", 1.5)  # B's second URL: B is still busy when A's pass ends
    harbor = b.live.library.path_for(site.url("/news/harbor"))
    a_store = a.live.collector.store
    b_pass: list[Pass] = []
    b_thread = threading.Thread(
        target=lambda: b_pass.append(b.live.ingest_urls([site.url("/news/harbor"), site.url("/news/late")]))
    )

    def store_then_let_b_save(paths: Sequence[Path]) -> IngestReport:
        report = a_store(paths)  # A's ingest has read the library
        b_thread.start()
        deadline = time.monotonic() + 30
        while not harbor.exists():  # B saves its record now
            assert time.monotonic() < deadline
            time.sleep(0.01)
        return report

    a.live.collector.store = store_then_let_b_save
    assert a.live.ingest_urls([site.url("/news/rail")]).urls[0].status == "stored"
    b_thread.join(60)
    assert [p.status for p in b_pass[0].urls] == ["stored", "failed"]
    titles = {x.title for x in make_live_rag(data).articles()}
    assert titles == {STORIES["rail"].title, STORIES["harbor"].title}


def test_doctor_finds_and_repairs_a_record_saved_but_never_indexed(tmp_path: Path, site: TestSite) -> None:
    rag = make_live_rag(tmp_path / "data")
    site.add("/news/rail", article_html(STORIES["rail"]))
    site.add("/news/harbor", article_html(STORIES["harbor"]))
    rag.live.ingest_urls([site.url("/news/rail")])
    # What the old shared marker could leave: a record on disk, no marker, nothing in the index.
    record = rag.live.library.path_for(site.url("/news/harbor"))
    record.parent.mkdir(parents=True, exist_ok=True)
    body = {"title": STORIES["harbor"].title, "text": "\n\n".join(STORIES["harbor"].paragraphs)}
    record.write_text(json.dumps({**body, "url": site.url("/news/harbor"), "fetched_from": site.url("/news/harbor")}))
    report = rag.doctor()
    assert not report.healthy
    assert any("not in the index as saved" in f.message for f in report.findings)
    fixed = rag.doctor(repair=True)
    assert fixed.healthy, [f.message for f in fixed.findings]
    assert {a.title for a in rag.articles()} == {STORIES["rail"].title, STORIES["harbor"].title}


def test_a_marker_is_cleared_only_by_an_ingest_of_its_own_version(tmp_path: Path) -> None:
    root = tmp_path / "web"
    markers = Markers(root)
    record = root / "example.com" / "a.json"
    record.parent.mkdir(parents=True)
    old, new = b'{"title": "A", "text": "old"}', b'{"title": "A", "text": "new"}'
    markers.add(record, old)
    record.write_bytes(old)
    listed = markers.pending()  # what a pass lists before its ingest
    markers.add(record, new)  # another process saves a newer version meanwhile
    record.write_bytes(new)
    other = root / "example.com" / "b.json"
    markers.add(other, b"{}")  # and a record this ingest never saw
    report = IngestReport([FileResult(str(record), "ingested", file_hash=content_hash(old))])
    assert markers.settle(listed, report) == 1
    left = {(m.record.name, m.file_hash) for m in markers.pending()}
    assert left == {("a.json", content_hash(new)), ("b.json", content_hash(b"{}"))}
    failed = IngestReport([FileResult(str(record), "failed", file_hash=content_hash(new))])
    assert markers.settle(markers.pending(), failed) == 0


def test_the_single_marker_of_older_versions_ingests_the_whole_library_once(tmp_path: Path, site: TestSite) -> None:
    rag = make_live_rag(tmp_path / "data")
    site.add("/news/rail", article_html(STORIES["rail"]))
    rag.live.ingest_urls([site.url("/news/rail")])
    web = rag.live.web_dir
    record = next(p for p in web.glob("*/*.json") if not p.parent.name.startswith("."))
    rag.remove([record])  # the index lost it; an old version's marker says "ingest everything"
    (web / ".pending").touch()
    done = rag.live.refresh(due_only=False)
    assert done.ingest is not None and done.ingest.articles == 1
    assert not (web / ".pending").exists()
    assert [a.title for a in rag.articles()] == [STORIES["rail"].title]
