"""``newsrag serve``: one FastAPI app with the REST API, the OpenAI-compatible API and the chat UI.

``create_app`` wires the parts: routes from ``ui.http.rest`` and ``ui.http.openai_api``, the Gradio UI
mounted at ``/``, bearer-token auth on every API route when an API key is configured (the UI
then asks for it as its login password), a request-body cap per route, a bound on questions
in flight (HTTP 429 beyond it), and error handlers that turn every failure into JSON
``{"error": {"message", "type"}}`` with a fitting status — never a traceback. ``/healthz``
and ``/readyz`` stay open so probes need no secret.

It leaves answering and ingesting to ``NewsRAG`` and page layout to ``ui.chat.app``.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from index.errors import (
    BackendUnavailableError,
    ConfigError,
    EmptyIndexError,
    LimitError,
    LLMError,
    ModelError,
    NewsragError,
)
from rag.api import NewsRAG
from ui.guard import HostGuard
from ui.http import feeds_api, openai_api, rest, stories_api
from ui.http.context import BusyError, ServerContext, error_response
from ui.launch import WarmUp, host_policy, warm_up
from ui.redact import hide_paths

log = logging.getLogger("newsrag.server")

# Largest JSON body accepted on a question route: far above any legal question plus history.
QUESTION_BODY_BYTES = 1_000_000


def _status(err: NewsragError) -> tuple[int, str]:
    if isinstance(err, BusyError):
        return 429, "busy"
    if isinstance(err, LimitError):
        return 413, "limit_exceeded"
    if isinstance(err, EmptyIndexError):
        return 409, "empty_index"
    if isinstance(err, LLMError):
        return 502, "llm_error"
    if isinstance(err, (ModelError, BackendUnavailableError)):
        return 503, "model_unavailable"
    if isinstance(err, ConfigError):
        return 500, "config_error"
    return 400, "invalid_request"


def _install_error_handlers(app: FastAPI, data_dir: Path) -> None:
    @app.exception_handler(NewsragError)
    async def newsrag_error(request: Request, err: NewsragError) -> JSONResponse:
        status, kind = _status(err)
        headers = {"Retry-After": "5"} if status == 429 else None
        return error_response(status, hide_paths(str(err), data_dir), kind, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = dict(err.errors()[0]) if err.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        if where == "question" and first.get("type") == "string_too_long":
            limit = int((first.get("ctx") or {}).get("max_length", 0))
            message = (
                f"the question is over the {limit:,} character limit: shorten it (or raise NEWSRAG_MAX_QUESTION_CHARS)"
            )
            return error_response(413, message, "limit_exceeded")
        if where == "question" and first.get("type") in ("string_pattern_mismatch", "string_too_short"):
            return error_response(422, "the question is empty: type a question about the articles", "invalid_request")
        return error_response(422, f"{where}: {first.get('msg', 'invalid')}: fix the request body", "invalid_request")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> JSONResponse:
        kind = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        return error_response(err.status_code, str(err.detail), kind, dict(err.headers or {}))

    @app.exception_handler(Exception)
    async def crashed(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error: the server log has the details", "internal_error")


def bearer_auth(api_key: str | None) -> Callable[..., None]:
    """A dependency that demands ``Authorization: Bearer <api_key>``; a no-op when no key is set.

    With no key the OpenAPI schema declares no security scheme either, so it stays true.
    """
    if api_key is None:
        return lambda: None
    scheme = HTTPBearer(auto_error=False, description="The server's NEWSRAG_API_KEY.")
    expected = api_key.encode()

    def check(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:  # noqa: B008
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, expected):
            raise HTTPException(
                401,
                "missing or wrong API key: send 'Authorization: Bearer <NEWSRAG_API_KEY>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse request bodies over a per-route cap, counted as they arrive.

    The cap is checked against Content-Length first and then against the bytes actually
    received (chunked uploads have no length), so a huge upload is cut off early instead of
    being spooled to disk and parsed.
    """

    def __init__(self, app: Any, caps: Callable[[str, str], int | None]) -> None:
        self.app = app
        self.caps = caps

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        cap = self.caps(scope.get("method", ""), scope.get("path", "")) if scope["type"] == "http" else None
        if cap is None:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode() or "0"
        if declared.isdigit() and int(declared) > cap:
            await self._refuse(scope, receive, send, cap)
            return
        received = 0
        started = False

        async def counted_receive() -> MutableMapping[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _TooLarge()
            return message

        async def tracked_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send, cap)

    @staticmethod
    async def _refuse(scope: Any, receive: Any, send: Any, cap: int) -> None:
        response = error_response(
            413,
            f"request body over the {cap:,}-byte limit: send fewer or smaller files (NEWSRAG_MAX_UPLOAD_MB, "
            "NEWSRAG_MAX_UPLOAD_FILES)",
            "limit_exceeded",
        )
        await response(scope, receive, send)


def create_app(rag: NewsRAG, *, ui: bool = True, warm: WarmUp | None = None) -> FastAPI:
    """The whole server over ``rag``; the API key (if any) comes from ``rag.settings``."""
    s = rag.settings
    api_key = s.api_key.get_secret_value() if s.api_key else None
    ctx = ServerContext(rag, warm or warm_up(rag), threading.BoundedSemaphore(s.max_waiting_questions))
    app = FastAPI(
        title="newsrag",
        version="0.1.0",
        summary="Answers from your news articles, with verified citations.",
        docs_url=None if api_key else "/docs",
        openapi_url=None if api_key else "/openapi.json",
        redoc_url=None,
    )
    _install_error_handlers(app, s.data_dir)
    auth = [Depends(bearer_auth(api_key))]
    if api_key:  # the API description is behind the key too
        _keyed_docs(app, auth)
    app.include_router(rest.probes(ctx))
    app.include_router(rest.router(ctx), dependencies=auth)
    app.include_router(openai_api.router(ctx), dependencies=auth)
    app.include_router(feeds_api.router(ctx), dependencies=auth)
    app.include_router(stories_api.router(ctx), dependencies=auth)
    app.include_router(rest.not_found())  # JSON 404s under /api and /v1 instead of the UI's page

    upload_cap = int(s.max_upload_files * s.max_upload_mb * 1_000_000) + 1_000_000

    def caps(method: str, path: str) -> int | None:
        if method == "POST" and path == "/api/articles":
            return upload_cap
        if path.startswith(("/api/", "/v1/")):
            return QUESTION_BODY_BYTES
        return None

    app.add_middleware(BodyLimit, caps=caps)
    app.add_middleware(HostGuard, policy=host_policy(s))  # added last: it runs first
    if ui:
        _mount_ui(app, rag, api_key)
    return app


def _keyed_docs(app: FastAPI, auth: list[Any]) -> None:
    """``/openapi.json`` and ``/docs`` for a server with an API key: both need the key."""
    from fastapi.openapi.docs import get_swagger_ui_html

    @app.get("/openapi.json", include_in_schema=False, dependencies=auth)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=auth)
    def docs() -> Any:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="newsrag API")


def _mount_ui(app: FastAPI, rag: NewsRAG, api_key: str | None) -> None:
    import gradio as gr

    from ui.chat.app import build_app
    from ui.launch import page_assets

    def login(username: str, password: str) -> bool:
        return api_key is not None and hmac.compare_digest(password.encode(), api_key.encode())

    blocks = build_app(rag)
    blocks.queue(default_concurrency_limit=1)
    s = rag.settings
    gr.mount_gradio_app(
        app,
        blocks,
        path="",
        server_name=s.host,
        server_port=s.port,
        footer_links=[],
        auth=login if api_key else None,
        auth_message="Log in with any user name and the server's API key (NEWSRAG_API_KEY) as the password.",
        show_error=False,
        max_file_size=int(s.max_upload_mb * 1_000_000),
        **page_assets(),
    )
    # Gradio checks that a file handed to an event came from its own upload folder only once
    # the Blocks have "launched"; ``mount_gradio_app`` never sets that flag, so a mounted UI
    # would ingest any server file a request names (probe #23, item 1). Set it as launch() does.
    blocks.has_launched = True


def serve(rag: NewsRAG, *, allow_remote: bool = False, ui: bool = True) -> None:
    """Run the server until interrupted (uvicorn, one process)."""
    import uvicorn

    from rag.live import start_watching
    from ui.launch import check_host

    s = rag.settings
    check_host(s.host, allow_remote, has_key=s.api_key is not None)
    app = create_app(rag, ui=ui)
    watcher = start_watching(rag.live)  # followed feeds refresh in the background
    try:
        uvicorn.run(app, host=s.host, port=s.port, log_level="info", proxy_headers=False, server_header=False)
    finally:
        if watcher is not None:
            watcher.stop()
