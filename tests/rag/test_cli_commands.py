"""Commands other packages add through the ``newsrag.commands`` entry points.

Real entry points: a throwaway distribution (a ``.dist-info`` with ``entry_points.txt``) on
the path, found by ``importlib.metadata`` as pip's would be, in process and through the real
``newsrag`` command in a subprocess. Also: a checkout whose installed metadata predates the
group reads it from its ``pyproject.toml``; a broken package costs one warning line, not the
command line; and ``newsrag ask`` loads the UI's command module but not gradio or the servers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rag.cli.plugins import GROUP, command_entry_points, load_commands
from tests.conftest import REPO

HELLO = '''
import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def hello(name: str = "world") -> None:
        """Say hello."""
        print(f"hello {name}")
'''


def installed_plugin(root: Path, entry_points: str = "hello = newsrag_hello:register") -> Path:
    """A distribution declaring ``entry_points`` in the ``newsrag.commands`` group, as pip installs one."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "newsrag_hello.py").write_text(HELLO, encoding="utf-8")
    info = root / "newsrag_hello-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: newsrag-hello\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{entry_points}\n", encoding="utf-8")
    return root


def fresh_app() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, add_completion=False)

    @app.command()
    def ping() -> None:  # a second command, so typer keeps subcommand names
        print("pong")

    return app


def test_installed_entry_points_add_their_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(installed_plugin(tmp_path / "site")))
    # Installed entry points are what counts (newsrag's own too, once it is installed), sorted by name.
    found = [(ep.name, ep.value) for ep in command_entry_points()]
    assert ("hello", "newsrag_hello:register") in found and found == sorted(found)
    assert set(found) <= {
        ("hello", "newsrag_hello:register"),
        ("evals", "evals.cli:register"),
        ("ui", "ui.cli:register"),
    }
    app = fresh_app()
    assert "hello" in load_commands(app)
    result = CliRunner().invoke(app, ["hello", "--name", "news"])
    assert result.exit_code == 0 and result.output == "hello news\n"


def test_stale_metadata_reads_the_group_from_the_checkouts_pyproject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "entry_points", lambda **_: metadata.EntryPoints(()))
    declared = [(ep.name, ep.value) for ep in command_entry_points()]
    assert declared == [("evals", "evals.cli:register"), ("ui", "ui.cli:register")]
    app = fresh_app()
    assert load_commands(app) == ["evals", "ui"]
    listed = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    for name in ("chat", "serve", "eval", "eval-realtimeqa"):
        assert f" {name} " in listed


def test_no_fallback_from_a_missing_or_foreign_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "entry_points", lambda **_: metadata.EntryPoints(()))
    assert command_entry_points(tmp_path / "pyproject.toml") == []
    foreign = tmp_path / "other.toml"
    foreign.write_text(f'[project]\nname = "other"\n[project.entry-points."{GROUP}"]\nx = "x:register"\n')
    assert command_entry_points(foreign) == []
    broken = tmp_path / "broken.toml"
    broken.write_text("[project\n")
    assert command_entry_points(broken) == []


def test_a_broken_package_costs_a_warning_not_the_other_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(installed_plugin(tmp_path / "site")))
    hello = [ep for ep in command_entry_points() if ep.name == "hello"]
    broken = [metadata.EntryPoint("gone", "newsrag_missing_module:register", GROUP), *hello]
    app = fresh_app()
    assert load_commands(app, broken) == ["hello"]
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: the 'gone' commands (newsrag_missing_module:register)")
    assert "No module named 'newsrag_missing_module'" in lines[0] and "reinstall" in lines[0]
    assert CliRunner().invoke(app, ["hello"]).output == "hello world\n"


def run_newsrag(args: list[str], tmp_path: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    path = [str(REPO), *([str(extra_path)] if extra_path else []), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
        "NEWSRAG_DATA_DIR": str(tmp_path / "data"),
        "NEWSRAG_BACKEND": "extractive",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False
    )


def test_the_newsrag_command_lists_every_command(tmp_path: Path) -> None:
    result = run_newsrag(["-m", "rag.cli", "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    panel = result.stdout.partition("─ Commands ─")[2]
    listed = [line.split()[1] for line in panel.splitlines() if line.startswith("│ ")]
    # The built-in commands, then the front ends' (by entry-point name: evals, ui), then groups.
    built_in = ["ingest", "remove", "articles", "ask", "info", "doctor", "watch", "stories"]
    front_ends = ["eval", "eval-realtimeqa", "eval-replay", "chat", "serve"]
    assert listed == [*built_in, *front_ends, "model", "feeds"], result.stdout


def test_the_newsrag_command_runs_an_installed_packages_command(tmp_path: Path) -> None:
    site = installed_plugin(tmp_path / "site")
    result = run_newsrag(["-m", "rag.cli", "hello", "--name", "plugin"], tmp_path, site)
    assert result.returncode == 0 and result.stdout == "hello plugin\n", result.stderr


def test_ask_loads_the_ui_commands_but_not_gradio_or_the_servers(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        from rag.cli import main
        sys.argv = ["newsrag", "ask", "Anything?"]
        try:
            main()
        except SystemExit as e:
            code = e.code
        heavy = [m for m in sys.modules if m.split(".")[0] in {"gradio", "fastapi", "uvicorn"}
                 or m in {"ui.chat.app", "ui.launch", "ui.http.server", "ui.http.rest", "ui.http.openai_api"}]
        print(json.dumps({"code": code, "heavy": sorted(heavy), "ui_cli": "ui.cli" in sys.modules}))
        """
    )
    result = run_newsrag(["-c", script], tmp_path)
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen == {"code": 1, "heavy": [], "ui_cli": True}, result.stderr
    assert "newsrag ingest" in result.stderr  # it did run: the index is empty
