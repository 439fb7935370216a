"""``newsrag ask``: answer one question, streaming it to a terminal, with numbered sources.

Prints the answer and its citations (or, with ``--json``, the answer's JSON) and exits 1 when
no answer could be generated. Retrieval, generation and citation checks are ``rag.api``'s;
this module only runs them and prints what comes back. It imports no UI: ``ask`` stays free
of gradio.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.markup import escape

from rag.cli.common import BackendOpt, ConfigOpt, DataDirOpt, date_option, err, guard, open_rag, out, short_path
from rag.cli.model import prepare_local_model


def ask(
    question: Annotated[str, typer.Argument(help="Your question about the articles.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    backend: BackendOpt = None,
    top_k: Annotated[int | None, typer.Option("--top-k", help="Passages to use.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Ask as of this date, YYYY-MM-DD (default today): that week's articles rank first."
        ),
    ] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Answer a question from the ingested articles, with numbered citations."""
    when = guard(lambda: date_option(as_of, "--as-of"))
    rag = guard(lambda: open_rag(config, data_dir, backend=backend, top_k=top_k))
    if rag.backend == "local":
        guard(lambda: prepare_local_model(rag))

    def run() -> Any:
        from rich.live import Live
        from rich.text import Text

        from rag.types import Answer, asked_on

        final = None
        live_text = Text()
        show_live = not as_json and out.is_terminal
        with Live(live_text, console=out, transient=True, refresh_per_second=12) if show_live else _null():
            for item in rag.stream(question, as_of=asked_on(when, rag.settings.answer_as_of_today)):
                if isinstance(item, Answer):
                    final = item
                elif show_live:
                    live_text.append(item)
        return final

    answer = guard(run)
    if as_json:
        sys.stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_answer(answer)
    if answer.error:
        raise typer.Exit(1)


@contextmanager
def _null() -> Iterator[None]:
    yield


def _print_answer(answer: Any) -> None:
    if answer.error:
        err.print(f"[bold red]error:[/] {escape(answer.error)}")
        out.print("[dim]Retrieved passages (no answer was generated):[/]")
        for i, hit in enumerate(answer.sources, 1):
            out.print(f"  [{i}] {escape(hit.title)} — {escape(short_path(hit.source))}")
        return
    out.print(escape(answer.answer))
    if answer.citations:
        out.print("\n[bold]Sources[/]")
        for c in answer.citations:
            date = f", {c.published_at}" if c.published_at else ""
            out.print(f" \\[{c.n}] [bold]{escape(c.title)}[/] ({escape(short_path(c.source))}{date})")
            if c.url and c.url != c.source:
                out.print(f"     {escape(c.url)}", style="dim")
            if c.also_at:
                out.print(f"     also at {escape(', '.join(c.also_at))}", style="dim")
            out.print(f"     “{escape(c.quote)}”", style="dim")
        if fresh := answer.freshness():
            out.print(f"[dim]{escape(fresh)}[/]")
    t = answer.timings
    first = f", first token {t['first_token']:.1f}s" if "first_token" in t else ""
    out.print(
        f"[dim]{answer.backend}: retrieval {t.get('retrieval', 0):.2f}s{first}, total {t.get('total', 0):.1f}s[/]"
    )
