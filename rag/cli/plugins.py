"""Commands other packages add to ``newsrag``, found through the ``newsrag.commands`` entry points.

A package with commands of its own declares, in its ``pyproject.toml``,
``[project.entry-points."newsrag.commands"]`` ``NAME = "package.module:register"``, where
``register(app: typer.Typer) -> None`` adds its commands to the app. That is how ``ui``
(``chat``, ``serve``) and ``evals`` (``eval``, ``eval-realtimeqa``) join the command line
without ``rag`` importing them: the layers stay one-way. Only the ``register`` module is
imported when the CLI starts; what a command needs it imports when it runs.

It does not check what a ``register`` adds: a later command of the same name replaces an
earlier one, as in typer.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import typer
from rich.markup import escape

from rag.cli.common import err

GROUP = "newsrag.commands"
# The checkout's own project file: there only in a source checkout (editable install), not in a wheel.
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def command_entry_points(pyproject: Path = PYPROJECT) -> list[metadata.EntryPoint]:
    """The installed ``newsrag.commands`` entry points; those of ``pyproject`` when none is installed.

    pip writes entry points only when it installs: a checkout installed editable before the
    group existed runs the new code with the old metadata, and would silently lose ``chat``,
    ``serve`` and ``eval``. Its ``pyproject.toml`` says what a reinstall would write, so read
    the group from there rather than make every checkout reinstall.

    Sorted by name, as pip writes them, so ``--help`` lists commands in one order either way.
    """
    found = list(metadata.entry_points(group=GROUP)) or _from_pyproject(pyproject)
    return sorted(found, key=lambda ep: ep.name)


def _from_pyproject(path: Path) -> list[metadata.EntryPoint]:
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    if project.get("name") != "newsrag":  # some other project's file above an installed package
        return []
    declared = project.get("entry-points", {}).get(GROUP, {})
    return [metadata.EntryPoint(name, value, GROUP) for name, value in declared.items()]


def load_commands(app: typer.Typer, entry_points: list[metadata.EntryPoint] | None = None) -> list[str]:
    """Let each entry point add its commands to ``app``; returns the names of those that did.

    One that fails to load costs a warning line, not the whole command line: ``newsrag ask``
    still works when, say, the UI's package is broken.
    """
    loaded = []
    for ep in command_entry_points() if entry_points is None else entry_points:
        try:
            ep.load()(app)
        except Exception as e:  # any error in another package's import or register
            reason = " ".join(f"{type(e).__name__}: {e}".split())
            err.print(
                f"[yellow]warning:[/] the {escape(ep.name)!r} commands ({escape(ep.value)}) did not load "
                f"({escape(reason)}): reinstall the package that provides them"
            )
        else:
            loaded.append(ep.name)
    return loaded
