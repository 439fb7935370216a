"""The OpenAI-compatible routes: ``GET /v1/models`` and ``POST /v1/chat/completions``.

newsrag answers as a "model" named ``newsrag``: the last user message is the question,
earlier user/assistant pairs are the conversation (system messages are ignored: the
answer prompt is fixed). Citations travel twice, so every client shows them: as a numbered
``Sources:`` list at the end of the content, and as a ``citations`` field on the message
(and on the final stream chunk). Streaming sends verified sentences, so the [n] markers in
the streamed text are the final ones; while other answers hold the model the stream sends
SSE comments (``: queued, N answer(s) ahead``) that clients skip. Sampling options (temperature, top_p…) are accepted
and ignored: decoding is greedy for reproducible answers. No token usage is reported: the
generator does not count tokens for every backend, and a made-up count would mislead.

The content is meant for clients that render Markdown, and articles are untrusted: article
HTML, non-http(s) links and images are made inert in it (``plain_markdown``); links in the
sources list are http(s) only.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse

from index.errors import InputError, LLMError, NewsragError
from index.types import web_link
from rag.types import Answer, Citation, Queued
from ui.http import schemas
from ui.http.context import ServerContext, SlotStream
from ui.http.schemas import ERRORS

MODEL_ID = "newsrag"
SOURCES_HEADING = "\n\nSources:\n"
_CREATED = int(time.time())


# Markup that a Markdown-rendering client (Open WebUI, LibreChat…) would turn into live HTML,
# a link or a remote image: raw tags and autolinks, inline links/images, link definitions.
_TAG_RE = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*|/?[A-Za-z][^<>]*|!--.*?--)>", re.DOTALL)
_LINK_RE = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
_DEFINITION_RE = re.compile(r"^(\s{0,3}\[[^\]\n]+\]):", re.MULTILINE)


def plain_markdown(text: str) -> str:
    """Article-derived ``text`` made inert for a Markdown renderer.

    HTML tags and ``<scheme:…>`` autolinks are removed, images become their alt text (no remote
    loads), links keep their text and only an http(s) target, and ``[x]: url`` link
    definitions lose their colon. The words are unchanged; the REST API and the ``citations``
    field carry the text as stored (JSON: escaping is the client's job).
    """

    def link(match: re.Match[str]) -> str:
        image, label, target = match.groups()
        url = web_link(target)
        return f"[{label}]({url})" if url and not image else label

    text = _TAG_RE.sub("", text)
    text = _LINK_RE.sub(link, text)
    return _DEFINITION_RE.sub(r"\1 :", text)


def sources_block(citations: Sequence[Citation], freshness: str = "") -> str:
    """The readable source list appended to the content ("" when nothing is cited), then how
    recent the newest cited article is."""
    if not citations:
        return ""
    lines = []
    for c in citations:
        where = ", ".join(x for x in (c.source, c.published_at) if x)
        url = web_link(c.url)
        link = f" <{url}>" if url and url != c.source else ""
        title, quote = plain_markdown(f"{c.title} — {where}"), plain_markdown(" ".join(c.quote.split()))
        also = "".join(f" (also <{u}>)" for u in c.also_at if web_link(u))
        lines.append(f"[{c.n}] {title}{link}{also}: “{quote}”")
    return SOURCES_HEADING + "\n".join(lines) + (f"\n\n{freshness}" if freshness else "")


def conversation(messages: Sequence[schemas.ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (last user message) and earlier (question, answer) pairs, sources lists removed."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InputError("the last message must be the user's question: end 'messages' with a user message")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for m in turns[:-1]:
        if m.role == "user":
            pending = m.text()
        elif pending is not None:
            history.append((pending, m.text().split(SOURCES_HEADING, 1)[0].strip()))
            pending = None
    return turns[-1].text(), history


def router(ctx: ServerContext) -> APIRouter:
    """``/v1/*`` over ``ctx.rag`` (a ``ui.http.context.ServerContext``)."""
    api = APIRouter(prefix="/v1", tags=["openai-compatible"], responses=ERRORS)

    @api.get("/models", response_model=schemas.ModelList)
    def models() -> Any:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": _CREATED, "owned_by": "newsrag"}],
        }

    @api.post(
        "/chat/completions",
        response_model=schemas.ChatCompletion,
        response_model_exclude_none=True,
        responses={200: {"content": {"text/event-stream": {}}, "description": "The completion (or chunks)"}},
    )
    def chat_completions(request: schemas.ChatRequest) -> Any:
        """Answer the last user message from the articles, like a chat model that cites its sources."""
        if request.model != MODEL_ID:
            raise HTTPException(404, f"model {request.model!r} not found: use model={MODEL_ID!r} (GET /v1/models)")
        question, history = conversation(request.messages)
        _, events = ctx.start_answer(question, history, request.top_k, as_of=request.as_of)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        if request.stream:
            return StreamingResponse(
                SlotStream(ctx, _chunks(completion_id, events, ctx.public)),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            answer = next(item for item in events if isinstance(item, Answer))
        finally:
            ctx.slots.release()
        if answer.error:
            raise LLMError(answer.error)
        message = {
            "role": "assistant",
            "content": plain_markdown(answer.answer) + sources_block(answer.citations, answer.freshness()),
            "citations": answer.to_dict()["citations"],
            "refused": answer.refused,
            "refusal": f"{answer.verdict.check}: {answer.verdict.reason}" if answer.verdict else None,
        }
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL_ID,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }

    return api


def _chunk(completion_id: str, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _chunks(completion_id: str, events: Iterator[Any], public: Callable[[str], str]) -> Iterator[str]:
    try:
        yield _chunk(completion_id, {"role": "assistant", "content": ""})
        for item in events:
            if isinstance(item, str):
                yield _chunk(completion_id, {"content": plain_markdown(item)})
            elif isinstance(item, Queued):
                # An SSE comment: OpenAI clients skip it, curl shows it, the connection stays alive.
                yield f": queued, {item.ahead} answer(s) ahead\n\n"
            elif isinstance(item, Answer):
                if item.error:
                    yield _error(public(item.error), "llm_error")
                    return
                citations = item.to_dict()["citations"]
                delta = {"content": sources_block(item.citations, item.freshness()), "citations": citations}
                yield _chunk(completion_id, delta, "stop", citations=citations, refused=item.refused)
        yield "data: [DONE]\n\n"
    except NewsragError as err:
        yield _error(public(str(err)), "invalid_request")


def _error(message: str, kind: str) -> str:
    # The OpenAI SDKs raise an APIError when a stream event carries "error".
    return f"data: {json.dumps({'error': {'message': message, 'type': kind}})}\n\n"
