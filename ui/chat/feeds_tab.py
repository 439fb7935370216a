"""The Articles tab's live-news part: fetch pages by URL, follow feeds, see each feed's state.

``LivePanel`` holds the callbacks (plain methods over ``rag.live``, returning text and
table rows); ``build_live_section`` lays them out inside the tab and wires them, then hands
back the events after which the caller refreshes its article table. Fetching and parsing
are ``index.web``'s; the schedule is ``rag.live.Watcher``'s.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from index.errors import NewsragError
from rag.api import NewsRAG
from rag.live import feed_info

FEED_COLUMNS = ["Feed", "Every", "Last refresh", "Stored", "Next", "Last error"]
INTERVALS = ["15m", "30m", "1h", "2h", "6h", "12h", "1d"]
_MARK = {
    "stored": "new",
    "updated": "updated",
    "unchanged": "unchanged",
    "copy": "copy of a stored article",
    "deleted": "not stored: a copy of a deleted article",
}


class LivePanel:
    """URL and feed callbacks over one ``NewsRAG``; ``public`` hides server paths in messages."""

    def __init__(self, rag: NewsRAG, public: Callable[[str], str]) -> None:
        self.rag = rag
        self.public = public

    def fetch_urls(self, text: str) -> str:
        """Fetch the pages named one per line; one result line per URL."""
        urls = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if not urls:
            return "Paste one or more article addresses (https://…), one per line."
        try:
            done = self.rag.live.ingest_urls(urls)
        except NewsragError as err:
            return f"✗ {_esc(self.public(str(err)))}"
        return _pass_lines(done, self.public)

    def feeds_view(self) -> tuple[Any, Any]:
        """The feeds table and the unfollow choices."""
        feeds = self.rag.live.feeds()
        rows = []
        for f in feeds:
            info = feed_info(f)
            name = f"{f.title}\n{f.url}" if f.title else f.url
            error = (f.last_error or "") + (f" ({f.failures} in a row)" if f.failures > 1 else "")
            rows.append([name, info["every"], _day(info["last_success"]), f.stored, _day(info["next_due"]), error])
        table = gr.Dataframe(value=rows or None, headers=FEED_COLUMNS)
        choices = gr.Dropdown(choices=[(f.title or f.url, f.url) for f in feeds], value=None)
        return table, choices

    def add_feed(self, url: str, every: str | None) -> tuple[Any, Any, str]:
        """Follow a feed and refresh it at once."""
        url = (url or "").strip()
        if not url:
            return (*self.feeds_view(), "Paste the feed's address (RSS, Atom, JSON Feed or news sitemap).")
        try:
            feed, new = self.rag.live.add_feed(url, every or None)
            done = self.rag.live.refresh([feed.url], due_only=False)
        except NewsragError as err:
            return (*self.feeds_view(), f"✗ {_esc(self.public(str(err)))}")
        head = f"{'Following' if new else 'Already following'} {_esc(feed.url)}."
        return (*self.feeds_view(), head + "\n\n" + _pass_lines(done, self.public))

    def remove_feed(self, url: str | None) -> tuple[Any, Any, str]:
        if not url:
            return (*self.feeds_view(), "Pick a feed to unfollow first.")
        gone = self.rag.live.remove_feed(url)
        note = f"Stopped following {_esc(url)} (its articles stay)." if gone else f"Not following {_esc(url)}."
        return (*self.feeds_view(), note)

    def refresh(self) -> tuple[Any, Any, str]:
        if not self.rag.live.feeds():
            return (*self.feeds_view(), "No feeds followed yet.")
        try:
            done = self.rag.live.refresh(due_only=False)
        except NewsragError as err:
            return (*self.feeds_view(), f"✗ {_esc(self.public(str(err)))}")
        return (*self.feeds_view(), _pass_lines(done, self.public))


def _pass_lines(done: Any, public: Callable[[str], str]) -> str:
    lines: list[str] = []
    for page in done.urls:
        lines.append(_page_line(page, public))
    for feed in done.feeds:
        name = _esc(feed.title or feed.url)
        if feed.status == "failed":
            lines.append(f"✗ feed {name}: {_esc(public(feed.reason))}")
            continue
        new = sum(1 for p in feed.pages if p.status == "stored")
        lines.append(f"✓ feed {name}: {feed.entries} entries, {new} new article(s)")
        lines += [f"  {_page_line(p, public)}" for p in feed.pages if p.status != "known"]
    report = done.ingest
    stored = f"{report.articles} article(s) stored, {report.embedded} passages embedded" if report else "nothing new"
    lines.append(f"{stored}; {done.requests} request(s) in {done.seconds:.1f} s.")
    return "\n".join(f"- {line}" if not line.startswith("  ") else f"  - {line.strip()}" for line in lines)


def _page_line(page: Any, public: Callable[[str], str]) -> str:
    if page.status == "failed":
        return f"✗ {_esc(page.url)}: {_esc(public(page.reason))}"
    title = _esc(page.title or page.url)
    where = f" (stored as {_esc(page.stored_as)})" if page.status == "copy" and page.stored_as else ""
    return f"✓ {title}: {_MARK.get(page.status, page.status)}{where}"


def _day(stamp: str | None) -> str:
    return (stamp or "never").replace("T", " ")[:16]


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


@dataclass
class LiveSection:
    """What the caller wires further: the events that change the corpus (to chain its table
    refresh on), and the feeds table's loader with its outputs (for the page load)."""

    events: list[Any]
    load: Callable[[], tuple[Any, Any]]
    load_outputs: list[Any]


def build_live_section(rag: NewsRAG, public: Callable[[str], str], default_every: str) -> LiveSection:
    """Lay out the URL box and the feeds panel (inside the current tab) and wire them."""
    panel = LivePanel(rag, public)
    hidden: dict[str, Any] = {"api_visibility": "private"}
    with gr.Accordion("Add articles from the web", open=False, elem_id="nr-web"):
        with gr.Row():
            urls = gr.Textbox(
                placeholder="https://… (one article address per line)",
                lines=2,
                show_label=False,
                scale=5,
                elem_id="nr-urls",
            )
            fetch = gr.Button("Fetch", scale=1, elem_id="nr-fetch")
        fetch_result = gr.Markdown(elem_id="nr-fetch-result")
    with gr.Accordion("Feeds", open=False, elem_id="nr-feeds-panel"):
        gr.Markdown("Follow a news feed: its new articles are fetched now and on every refresh.")
        with gr.Row():
            feed_url = gr.Textbox(
                placeholder="https://…/rss (RSS, Atom, JSON Feed or news sitemap)",
                show_label=False,
                scale=4,
                elem_id="nr-feed-url",
            )
            choices = INTERVALS if default_every in INTERVALS else [default_every, *INTERVALS]
            every = gr.Dropdown(choices=choices, value=default_every, label="Every", scale=1, elem_id="nr-feed-every")
            follow = gr.Button("Follow", variant="primary", scale=1, elem_id="nr-feed-add")
        feeds = gr.Dataframe(headers=FEED_COLUMNS, interactive=False, wrap=True, elem_id="nr-feeds")
        with gr.Row():
            pick = gr.Dropdown(label="Unfollow a feed", choices=[], scale=4, elem_id="nr-feed-pick")
            unfollow = gr.Button("Unfollow", variant="stop", scale=1)
            refresh = gr.Button("Refresh now", scale=1, elem_id="nr-feed-refresh")
        feed_result = gr.Markdown(elem_id="nr-feed-result")
    feed_outputs = [feeds, pick, feed_result]
    events = [
        fetch.click(panel.fetch_urls, urls, fetch_result, concurrency_id="ingest", **hidden),
        follow.click(panel.add_feed, [feed_url, every], feed_outputs, concurrency_id="ingest", **hidden),
        refresh.click(panel.refresh, None, feed_outputs, concurrency_id="ingest", **hidden),
    ]
    unfollow.click(panel.remove_feed, pick, feed_outputs, queue=False, **hidden)
    return LiveSection(events, panel.feeds_view, [feeds, pick])
