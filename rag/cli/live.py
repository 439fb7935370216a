"""The live-news commands: ``feeds add|list|remove|refresh``, ``watch``, and URL arguments of ``ingest``.

Each opens the ``NewsRAG`` its options describe and calls ``rag.live`` (``rag.live``); what a
pass did is printed per URL and per feed, with the one-line reason of anything that failed.
A command that leaves a URL or feed failed exits 1 (``watch`` keeps going and reports).
Fetching, parsing and storing are ``index.web``'s.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from index.web.registry import format_every
from rag.cli.common import ConfigOpt, DataDirOpt, err, fail, guard, open_rag, out
from rag.live import feed_info

feeds_app = typer.Typer(help="Follow news feeds (RSS, Atom, JSON Feed, news sitemaps).", no_args_is_help=True)

_MARK = {
    "stored": "[green]new[/]",
    "updated": "[green]updated[/]",
    "unchanged": "unchanged",
    "copy": "[cyan]copy[/]",
    "deleted": "[yellow]not stored[/]",
}


def print_pass(done: Any) -> bool:
    """Print one pass (per URL, per feed, then the ingest); True when something failed."""
    failed = False
    for page in done.urls:
        failed |= _print_page(page, "")
    for feed in done.feeds:
        if feed.status == "waiting":
            continue
        name = escape(feed.title or feed.url)
        if feed.status == "failed":
            err.print(f"[red]feed failed:[/] {escape(feed.url)}: {escape(feed.reason)}")
            failed = True
            continue
        new = sum(1 for p in feed.pages if p.status == "stored")
        out.print(
            f"feed {name}: {feed.entries} entries, {new} new article(s)" + (f" ({feed.reason})" if feed.reason else "")
        )
        for warning in feed.warnings:
            err.print(f"  [yellow]warning:[/] {escape(warning)}")
        for page in feed.pages:
            _print_page(page, "  ")  # an entry page that failed is retried later: not a failed command
    if done.ingest is not None:
        for f in done.ingest.failed:
            err.print(f"[red]failed to store:[/] {escape(f.reason)}")
            failed = True
    out.print(f"{done.requests} HTTP request(s) in {done.seconds:.1f} s" + _embedded(done))
    return failed


def _print_page(page: Any, indent: str) -> bool:
    if page.status == "failed":
        err.print(f"{indent}[red]failed:[/] {escape(page.url)}: {escape(page.reason)}")
        return True
    mark = _MARK.get(page.status, page.status)
    title = f" {escape(page.title)!s}" if page.title else ""
    where = f" (stored as {escape(page.stored_as)})" if page.status == "copy" and page.stored_as else ""
    if page.status == "deleted":
        where = f" ({escape(page.reason)})"
    out.print(f"{indent}{mark}:{title} <{escape(page.url)}>{where}")
    return False


def _embedded(done: Any) -> str:
    if done.ingest is None:
        return "; nothing to store."
    return f"; stored {done.ingest.articles} article(s), {done.ingest.embedded} passage(s) embedded."


def ingest_urls(rag: Any, urls: list[str]) -> bool:
    """``newsrag ingest URL…``: fetch and store pages; True when one failed."""
    return print_pass(guard(lambda: rag.live.ingest_urls(urls)))


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The feed's URL (RSS, Atom, JSON Feed or news sitemap).")],
    every: Annotated[
        str | None, typer.Option("--every", help="Refresh interval: 30m, 2h, 1d (NEWSRAG_FEED_EVERY).")
    ] = None,
    now: Annotated[
        bool, typer.Option("--now/--later", help="Refresh it at once (default) or on the next watch.")
    ] = True,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Follow a feed; its new articles are fetched now and on every refresh."""
    rag = guard(lambda: open_rag(config, data_dir))
    feed, new = guard(lambda: rag.live.add_feed(url, every))
    out.print(f"{'following' if new else 'already following'} {escape(feed.url)}, every {format_every(feed.every_s)}")
    if now and print_pass(guard(lambda: rag.live.refresh([feed.url], due_only=False))):
        raise typer.Exit(1)


@feeds_app.command("list")
def feeds_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """The followed feeds: interval, last refresh, articles stored, next refresh and last error."""
    import json

    rag = guard(lambda: open_rag(config, data_dir))
    feeds = guard(rag.live.feeds)
    if as_json:
        out.print_json(json.dumps([feed_info(f) for f in feeds]))
        return
    if not feeds:
        out.print("no feeds followed: add one with `newsrag feeds add URL`")
        return
    table = Table("feed", "every", "last refresh", "stored", "next", "last error")
    for f in feeds:
        row = feed_info(f)
        table.add_row(
            escape(f.title or f.url) + (f"\n{escape(f.url)}" if f.title else ""),
            row["every"],
            row["last_success"] or "never",
            str(f.stored),
            row["next_due"],
            escape(f.last_error or "") + (f" ({f.failures} in a row)" if f.failures > 1 else ""),
        )
    out.print(table)


@feeds_app.command("remove")
def feeds_remove(
    url: Annotated[str, typer.Argument(help="The feed's URL, as `newsrag feeds list` shows it.")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Stop following a feed (its stored articles stay; `newsrag remove` drops articles)."""
    rag = guard(lambda: open_rag(config, data_dir))
    if not guard(lambda: rag.live.remove_feed(url)):
        fail(f"not following {url}: see `newsrag feeds list`")
    out.print(f"stopped following {escape(url)}")


@feeds_app.command("refresh")
def feeds_refresh(
    urls: Annotated[list[str] | None, typer.Argument(help="Feeds to refresh (default: all).")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Refresh feeds now, due or not."""
    rag = guard(lambda: open_rag(config, data_dir))
    if print_pass(guard(lambda: rag.live.refresh(urls or None, due_only=False))):
        raise typer.Exit(1)


def watch(
    once: Annotated[bool, typer.Option("--once", help="Refresh the due feeds once and exit (for cron).")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Refresh the followed feeds as they fall due, until stopped (Ctrl-C)."""
    rag = guard(lambda: open_rag(config, data_dir))
    if not guard(rag.live.feeds):
        fail("no feeds followed: add one with `newsrag feeds add URL`")
    if once:
        if print_pass(guard(lambda: rag.live.refresh(due_only=True))):
            raise typer.Exit(1)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out.print("watching feeds; Ctrl-C stops")
    try:
        guard(lambda: rag.live.watch(stop, on_pass=print_pass))
    except KeyboardInterrupt:
        stop.set()


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")
    app.command()(watch)
