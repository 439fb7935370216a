"""Start the chat app: host/port checks, offline switches, assets, and model warm-up.

Gradio's analytics and version check are switched off before it is imported, the theme
uses fonts bundled with Gradio (no Google Fonts), and the page's CSS/JS come from
``ui/assets``: the page loads with no network beyond the server itself. The app binds to
127.0.0.1 unless told otherwise, and a non-loopback host needs ``allow_remote`` because
the chat UI has no login of its own. The embedder, index and model are loaded in a
background thread at start, so the first question does not pay for them.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from pathlib import Path
from typing import Any

from index.errors import ConfigError
from ui.guard import HostGuard, HostPolicy

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TELEMETRY_ENABLED", "False")

ASSETS = Path(__file__).resolve().parent / "assets"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool, has_key: bool = False) -> None:
    """Refuse a non-loopback host unless an API key guards it or the user insists."""
    if not is_loopback(host) and not allow_remote and not has_key:
        raise ConfigError(
            f"refusing to listen on {host} with no login: anyone who can reach this machine could use it; "
            "keep the default 127.0.0.1, set NEWSRAG_API_KEY (`newsrag serve`), or pass --allow-remote if you mean it"
        )


def host_policy(settings: Any) -> HostPolicy:
    """The Host/Origin rules for a server bound to ``settings.host`` (see ``ui.guard``)."""
    return HostPolicy(settings.host, settings.allowed_hosts, settings.allowed_origins)


def page_assets() -> dict[str, Any]:
    """Theme, CSS and the <head> script for ``launch``/``mount_gradio_app``."""
    import gradio as gr

    js = (ASSETS / "app.js").read_text(encoding="utf-8")
    return {
        "theme": gr.themes.Default(),  # Gradio's bundled fonts: nothing fetched from the internet
        "css": (ASSETS / "app.css").read_text(encoding="utf-8"),
        "head": f"<script>{js}</script>",
    }


class WarmUp:
    """Loads the embedder, the index and the model in a background thread; says how far it got."""

    def __init__(self, rag: Any) -> None:
        self.rag = rag
        self.state = "loading"  # then "ready" or "failed"
        self.error = ""
        self.thread = threading.Thread(target=self._run, name="newsrag-warm-up", daemon=True)

    def start(self) -> WarmUp:
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            self.rag.store.count()
            self.rag.retriever.warm()
            load = getattr(self.rag.generator, "load", None)
            if load is not None:
                load()
            self.state = "ready"
        except Exception as err:  # reported by the readiness check; questions show it again
            self.error = str(err) or type(err).__name__
            self.state = "failed"


def warm_up(rag: Any) -> WarmUp:
    """Start loading the embedder, the index and the model in the background."""
    return WarmUp(rag).start()


def launch(
    rag: Any,
    host: str = "127.0.0.1",
    port: int = 7860,
    allow_remote: bool = False,
    open_browser: bool = False,
    block: bool = True,
) -> Any:
    """Serve the chat UI until interrupted (``block=False``: return the running Blocks at once)."""
    check_host(host, allow_remote)
    from starlette.middleware import Middleware

    from ui.chat.app import build_app

    warm_up(rag)
    from rag.live import start_watching

    start_watching(rag.live)  # followed feeds refresh in the background (a daemon thread)
    policy = HostPolicy(host, rag.settings.allowed_hosts, rag.settings.allowed_origins)
    app = build_app(rag)
    app.queue(default_concurrency_limit=1)
    app.launch(
        prevent_thread_lock=not block,
        server_name=host,
        server_port=port,
        share=False,
        inbrowser=open_browser,
        show_error=False,
        footer_links=[],
        quiet=False,
        max_file_size=int(rag.settings.max_upload_mb * 1_000_000),
        app_kwargs={"middleware": [Middleware(HostGuard, policy=policy)]},
        **page_assets(),
    )
    return app
