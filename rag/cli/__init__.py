"""The ``newsrag`` command line: the query side's commands, and the one entry point for all.

``app`` holds the commands of the query side: ``ingest``, ``remove``, ``articles``, ``ask``,
``info``, ``doctor``, ``stories``, the ``model`` and ``feeds`` groups and ``watch`` (``corpus``, ``ask``, ``model``,
``live``; what they share
is in ``common``). ``main`` adds the commands other packages register under the
``newsrag.commands`` entry points (``chat`` and ``serve`` from ``ui.cli``, ``eval`` and
``eval-realtimeqa`` from ``evals.cli``; see ``plugins``) and runs the command line, so
``rag`` never imports a front end. Heavy imports (models, gradio) happen inside the commands
that need them: ``newsrag ask`` does not import gradio.
"""

from __future__ import annotations

import typer

from rag.cli import live, model, stories
from rag.cli.ask import ask
from rag.cli.corpus import articles, doctor, info, ingest, remove
from rag.cli.plugins import load_commands

app = typer.Typer(
    help="Ask questions about news articles; answers cite the passages they come from.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _command in (ingest, remove, articles, ask, info, doctor):
    app.command()(_command)
model.register(app)
live.register(app)
stories.register(app)


def main() -> None:
    """The ``newsrag`` console script: every registered command."""
    load_commands(app)
    app()


__all__ = ["app", "main"]
