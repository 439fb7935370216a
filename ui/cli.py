"""``newsrag chat`` and ``newsrag serve``: the web front ends' commands.

``register`` adds them to the ``newsrag`` command line; the package declares it under the
``newsrag.commands`` entry points (see ``rag.cli.plugins``). Both refuse a non-loopback host
without permission before anything listens. Importing this module imports neither gradio nor
the servers: the commands do, when they run, so other commands stay quick.
"""

from __future__ import annotations

from typing import Annotated

import typer

from rag.cli.common import BackendOpt, ConfigOpt, DataDirOpt, err, guard, open_rag
from rag.cli.model import prepare_local_model

HostOpt = Annotated[str | None, typer.Option(help="Address to listen on (NEWSRAG_HOST, default 127.0.0.1).")]
PortOpt = Annotated[int | None, typer.Option(help="Port (NEWSRAG_PORT, default 7860).")]


def register(app: typer.Typer) -> None:
    """Add ``chat`` and ``serve`` to ``app``."""
    app.command()(chat)
    app.command()(serve)


def chat(
    host: HostOpt = None,
    port: PortOpt = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback host (the UI has no login).")
    ] = False,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the UI in a browser.")] = False,
    backend: BackendOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Start the chat web UI (Gradio) on the configured corpus."""
    rag = guard(lambda: open_rag(config, data_dir, backend=backend, host=host, port=port))
    if rag.backend == "local":
        guard(lambda: prepare_local_model(rag))
    from ui.launch import check_host, launch

    s = rag.settings
    guard(lambda: check_host(s.host, allow_remote))
    err.print(f"newsrag chat on http://{s.host}:{s.port} (backend: {rag.backend}; Ctrl+C stops it)")
    guard(lambda: launch(rag, s.host, s.port, allow_remote=allow_remote, open_browser=open_browser))


def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback host with no API key set.")
    ] = False,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Serve only the APIs, not the chat UI.")] = False,
    backend: BackendOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Serve the REST API, the OpenAI-compatible API and the chat UI from one process.

    Set NEWSRAG_API_KEY to require `Authorization: Bearer <key>` on the APIs (and a login on the UI).
    """
    rag = guard(lambda: open_rag(config, data_dir, backend=backend, host=host, port=port))
    if rag.backend == "local":
        guard(lambda: prepare_local_model(rag))
    from ui.http.server import serve as run_server
    from ui.launch import check_host

    s = rag.settings
    guard(lambda: check_host(s.host, allow_remote, has_key=s.api_key is not None))
    auth = "API key required" if s.api_key else "no API key: open to anyone who can reach it"
    where = f"http://{s.host}:{s.port}"
    err.print(
        f"newsrag serve on {where} — UI {where}/, REST {where}/api, OpenAI-compatible {where}/v1, "
        f"docs {where}/docs (backend: {rag.backend}; {auth}; Ctrl+C stops it)"
    )
    guard(lambda: run_server(rag, allow_remote=allow_remote, ui=not no_ui))
