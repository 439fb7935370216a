"""What every ``newsrag`` command shares: the consoles, the common options, error handling.

Front ends that add commands of their own (``ui.cli``, ``evals.cli``) import these so that
their commands read and fail like the built-in ones: settings built once from options,
environment and config file, and a ``NewsragError`` turned into one ``error:`` line and a
non-zero exit (never a traceback for a user mistake). It holds no commands and imports no
front end; heavy imports (models, the RAG pipeline) happen inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from index.errors import InputError, NewsragError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML config file.", envvar="NEWSRAG_CONFIG")]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Index location (NEWSRAG_DATA_DIR).")]
BackendOpt = Annotated[str | None, typer.Option(help="auto, openai, local or extractive.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; a ``NewsragError`` or Ctrl+C becomes a one-line error and an exit."""
    try:
        return fn()
    except NewsragError as e:
        fail(str(e))
    except KeyboardInterrupt:
        fail("interrupted", 130)


def open_rag(config: Path | None, data_dir: Path | None, **overrides: Any) -> Any:
    """The ``NewsRAG`` the options, environment and config file describe."""
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


def date_option(value: str | None, name: str) -> date | None:
    """``value`` (an option written YYYY-MM-DD) as a date; None when not given."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name} {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-11-27") from None


def short_path(source: str) -> str:
    """``source`` relative to the working directory when it is under it (shorter to read)."""
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source
