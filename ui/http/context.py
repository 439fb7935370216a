"""What the HTTP routes share: the engine and its warm-up state, question slots, and the error shape.

``ServerContext`` is handed to the REST and OpenAI-compatible routers (``ui.http.rest``,
``ui.http.openai_api``); it hands them answers, passages and article listings with server
paths shown as ``ui.redact`` shows them (``DATA_DIR/…`` or a file name: the HTTP boundary).
``SlotStream`` gives a streamed answer's slot back however the stream ends; ``error_response``
is the one JSON error shape. Kept apart from ``ui.http.server`` so the
routers and the app that includes them import it, not each other. It defines no routes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from fastapi.responses import JSONResponse

from index.errors import NewsragError
from rag.api import NewsRAG
from rag.types import Answer, Retrieved, asked_on
from ui.http.jobs import UploadJobs
from ui.launch import WarmUp
from ui.redact import hide_paths, public_answer, public_hit, public_record


class BusyError(NewsragError):
    """Too many questions are already being answered or waiting."""


@dataclass
class ServerContext:
    """What the routes share: the engine, its warm-up state and the bound on questions."""

    rag: NewsRAG
    warm: WarmUp
    slots: threading.BoundedSemaphore
    jobs: UploadJobs = field(default_factory=UploadJobs)  # background uploads (POST /api/articles?wait=false)

    def public(self, message: str) -> str:
        """``message`` as a remote user may see it: no server paths (``ui.redact``)."""
        return hide_paths(message, self.rag.settings.data_dir)

    def public_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A listed article's fields with ``file_path`` and a path ``source`` shown, not the server's."""
        return public_record(record, self.rag.settings.data_dir)

    def public_event(self, item: Any) -> Any:
        """An answer event as a remote user may see it: its citations and passages name no server path."""
        data_dir = self.rag.settings.data_dir
        if isinstance(item, Answer):
            return public_answer(item, data_dir)
        if isinstance(item, Retrieved):
            return replace(item, hits=[public_hit(h, data_dir) for h in item.hits])
        return item

    def start_answer(
        self,
        question: str,
        history: list[tuple[str, str]],
        top_k: int | None,
        verified: bool = True,
        as_of: date | None = None,
    ) -> tuple[Any, Iterator[Any]]:
        """Take a question slot and run retrieval: the first event and the rest of the events.

        Question checks, an empty index and retrieval errors raise here (so they become JSON
        replies) and give the slot back; otherwise the caller releases it when done.
        """
        if not self.slots.acquire(blocking=False):
            most = self.rag.settings.max_waiting_questions
            raise BusyError(
                f"busy: {most} questions are already being answered or waiting; retry shortly "
                "(or raise NEWSRAG_MAX_WAITING_QUESTIONS)"
            )
        try:
            as_of = asked_on(as_of, self.rag.settings.answer_as_of_today)
            events = self.rag.events(question, history, top_k, verified=verified, as_of=as_of)
            return self.public_event(next(events)), self._public_events(events)
        except BaseException:
            self.slots.release()
            raise

    def _public_events(self, events: Iterator[Any]) -> Iterator[Any]:
        """``events`` through ``public_event``; closing this closes ``events``."""
        try:
            for item in events:
                yield self.public_event(item)
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()


class SlotStream:
    """A response body that gives its question slot back when done, closed, or dropped unread."""

    def __init__(self, ctx: ServerContext, body: Iterator[str]) -> None:
        self._ctx = ctx
        self._body = body
        self._open = True

    def __iter__(self) -> SlotStream:
        return self

    def __next__(self) -> str:
        try:
            return next(self._body)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._open:
            self._open = False
            self._ctx.slots.release()
            close = getattr(self._body, "close", None)
            if close is not None:
                close()

    def __del__(self) -> None:
        self.close()


def error_response(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """The one error shape: ``{"error": {"message", "type", ...extra}}``."""
    body = {"error": {"message": message, "type": kind, **extra}}
    return JSONResponse(body, status_code=status, headers=headers)
