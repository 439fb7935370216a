"""The commands that look after the corpus: ``ingest``, ``remove``, ``articles``, ``info``, ``doctor``.

Each builds the ``NewsRAG`` its options describe, calls one of its methods and prints the
result; a command that leaves work undone (a file that failed, a problem that remains) exits 1.
Loading, chunking, storing and checking the index are ``index``'s, through ``rag.api``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from rag.cli.common import ConfigOpt, DataDirOpt, err, fail, guard, open_rag, out, progress_bar, short_path


def ingest(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files or folders (recursive), or http(s) URLs of article pages.")
    ] = None,
    samples: Annotated[bool, typer.Option("--samples", help="Ingest the built-in sample articles.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Also drop stored files missing from these folders.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Add or update articles (.txt .md .html .json .jsonl, or web pages by URL); unchanged files are skipped."""
    from rag.api import SAMPLES_DIR
    from rag.cli.live import ingest_urls

    given = list(paths or [])
    urls = [p for p in given if p.lower().startswith(("http://", "https://"))]
    targets = [Path(p) for p in given if p not in urls] + ([SAMPLES_DIR] if samples else [])
    if not targets and not urls:
        fail("nothing to ingest: give files, folders or URLs, or --samples for the built-in articles")
    rag = guard(lambda: open_rag(config, data_dir))
    failed = ingest_urls(rag, urls) if urls else False
    if targets:
        failed |= _ingest_files(rag, targets, prune)
    if failed:
        raise typer.Exit(1)


def _ingest_files(rag: Any, targets: list[Path], prune: bool) -> bool:
    """Ingest files and folders and print the report; True when a file failed."""

    def run() -> Any:
        with progress_bar("ingesting") as progress:
            return rag.ingest(targets, prune=prune, progress=progress)

    report = guard(run)
    for f in report.files:
        if f.status == "failed":
            err.print(f"[red]failed:[/] {escape(f.reason)}")
        elif f.reason:
            err.print(f"[yellow]warning:[/] {escape(f.reason)}")
    embedded = report.count("ingested") + report.count("updated")
    kept = report.chunks - report.embedded
    out.print(
        f"{len(report.files)} files: {report.count('ingested')} new, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged (skipped, not re-embedded), {len(report.failed)} failed. "
        f"Embedded {report.articles} articles in {report.chunks} chunks from {embedded} files"
        + (f" ({kept} unchanged chunks kept their stored vectors)." if kept else ".")
    )
    if report.removed_files:
        out.print(f"Pruned {len(report.removed_files)} files no longer on disk.")
    out.print(f"Index: {rag.store.count()} chunks in {rag.settings.data_dir}")
    return bool(report.failed)


def remove(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders whose articles to drop.")] = None,
    article: Annotated[list[str] | None, typer.Option("--article", help="Article id (see `newsrag articles`).")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Drop articles from the index, by file/folder or by article id."""
    if not paths and not article:
        fail("nothing to remove: give files or folders, or --article ID")
    rag = guard(lambda: open_rag(config, data_dir))
    files = guard(lambda: rag.remove(paths or []))
    chunks = guard(lambda: rag.remove_articles(article or []))
    for f in files:
        out.print(f"removed {escape(f)}")
    if not files and not chunks:
        fail("nothing matched: see `newsrag articles` for what is stored")
    out.print(f"Removed {len(files)} files and {chunks} chunks by article id. Index: {rag.store.count()} chunks.")


def articles(
    search: Annotated[str | None, typer.Option("--search", help="Only titles/sources containing this.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """List the stored articles."""
    rag = guard(lambda: open_rag(config, data_dir))
    items = guard(rag.articles)
    if search:
        needle = search.lower()
        items = [a for a in items if needle in a.title.lower() or needle in a.source.lower()]
    if as_json:
        out.print_json(json.dumps([a.__dict__ for a in items]))
        return
    table = Table("id", "headline", "date", "source", "chunks")
    for a in items:
        table.add_row(a.article_id, escape(a.title), a.published_at or "—", escape(short_path(a.source)), str(a.chunks))
    out.print(table)


def info(config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Show the data dir, corpus size, embedder, backend and why it was chosen."""
    rag = guard(lambda: open_rag(config, data_dir))
    details = guard(rag.info)
    for key, value in details.items():
        out.print(f"[bold]{key:>15}[/]  {escape(str(value))}")


def doctor(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="With --rebuild: files or folders to re-ingest too.")
    ] = None,
    repair: Annotated[bool, typer.Option("--repair", help="Re-ingest incomplete files still on disk.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="With --repair: drop chunks of files that are gone.")] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Move an unreadable index aside; re-ingest its files into a new one.")
    ] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Check the data dir and the index, one line per finding; exit 1 while problems remain.

    --repair and --rebuild fix what they can and delete nothing: a rebuilt index's old files
    stay in DATA_DIR/chroma.broken-<time>.
    """
    if prune and not repair:
        fail("--prune only goes with --repair: `newsrag doctor --repair --prune`")
    if paths and not rebuild:
        fail("paths only go with --rebuild: `newsrag doctor --rebuild PATH...` (or `newsrag ingest PATH`)")
    rag = guard(lambda: open_rag(config, data_dir))
    report = guard(lambda: rag.doctor(repair=repair, rebuild=rebuild, prune=prune, paths=list(paths or [])))
    if rag.backend == "local":  # the build the model runs on decides its speed: say which one it is
        from rag.cli.model import runtime_finding

        finding = runtime_finding()
        report.findings.insert(0, finding)
        report.healthy = bool(report.healthy) and not finding.bad
    styles = {"ok": "green", "fixed": "green", "warning": "yellow", "problem": "bold red", "lost": "bold red"}
    for f in report.findings:
        out.print(f"[{styles[f.level]}]{f.level}:[/] {escape(f.message)}")
    bad = sum(f.bad for f in report.findings)
    if report.healthy:
        out.print("healthy" if not bad else "healthy now")
        return
    hint = "" if repair or rebuild else "; the lines above say how to fix each"
    out.print(f"problems remain{hint}")
    raise typer.Exit(1)
