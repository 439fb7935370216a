"""The REST routes: ask (JSON or server-sent events), articles (upload, list, delete), probes.

``POST /api/articles`` ingests before it replies (files in ``files``, web pages in ``urls``);
with ``?wait=false`` it saves the files, replies 202 with a job id and ``status_url``, and
ingests them in the background (``ui.http.jobs``; pages are fetched before the reply either way);
``GET /api/articles/jobs/{job_id}`` tells the job's progress and, once done, the same
per-file results.

``POST /api/ask`` returns what ``newsrag ask --json`` prints (server paths shown as ``DATA_DIR/…``
or a file name, as in every reply here: ``ServerContext``); with ``"stream": true`` it sends
server-sent events: ``sources`` (search query and retrieved passages, as soon as retrieval is
done), ``queued`` (``{"ahead": n}``, while other answers hold the model; repeated as the
line moves and every few seconds), ``text`` (verified sentences whose [n] markers match the final citations; with
``"raw": true`` the model's tokens as generated, which start sooner), ``answer``
(the same JSON as the non-streaming reply, citations included), then ``end`` — or ``error``
if generation fails midway. Errors before the first event (bad question, empty index) are
ordinary JSON error replies. Auth and error shapes are ``ui.http.server``'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from index.errors import InputError, LimitError, NewsragError
from index.types import IngestReport
from rag.types import Answer, Hit, Queued, Retrieved
from ui.http import schemas
from ui.http.context import BusyError, ServerContext, SlotStream, error_response
from ui.http.feeds_api import pass_body
from ui.http.jobs import UploadJob
from ui.uploads import Staged, file_problem, ingest_staged, stage


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def hit_dict(hit: Hit) -> dict[str, Any]:
    return asdict(hit)


def router(ctx: ServerContext) -> APIRouter:
    """``/api/*`` over ``ctx.rag`` (a ``ui.http.context.ServerContext``)."""
    api = APIRouter(prefix="/api", tags=["newsrag"], responses=schemas.ERRORS)
    rag = ctx.rag
    ask_body = schemas.ask_request(rag.settings.max_question_chars)

    def ask(request: schemas.AskRequest) -> Any:
        """Answer a question from the ingested articles, with verified citations."""
        history = [(h.question, h.answer) for h in request.history]
        verified = not (request.stream and request.raw)
        first, events = ctx.start_answer(request.question, history, request.top_k, verified, request.as_of)
        if request.stream:
            return StreamingResponse(
                SlotStream(ctx, _event_stream(first, events, request.include_passages, ctx.public)),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            answer = _last(events)
        finally:
            ctx.slots.release()
        if answer.error:  # the retrieved passages still help: they travel with the error
            sources = [hit_dict(h) for h in answer.sources]
            return error_response(502, ctx.public(answer.error), "llm_error", sources=sources)
        return answer.to_dict(include_passages=request.include_passages)

    # The body model carries this server's question limit, so it is bound here, not annotated.
    ask.__annotations__["request"] = ask_body
    api.post(
        "/ask",
        response_model=schemas.AnswerOut,
        response_model_exclude_none=True,
        responses={200: {"content": {"text/event-stream": {}}, "description": "The answer (or events)"}},
    )(ask)

    @api.get("/articles", response_model=schemas.ArticlePage)
    def list_articles(
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        q: Annotated[str, Query(max_length=500, description="Only headlines/sources/files containing this.")] = "",
    ) -> Any:
        """The stored articles, newest first, a page at a time; ``file_path`` relative to the data
        dir (``DATA_DIR/…``) or the file's name, never a server path (``q`` searches what is shown)."""
        items = [ctx.public_record(a.__dict__) for a in rag.articles()]
        if q.strip():
            needle = q.strip().lower()
            items = [a for a in items if needle in f"{a['title']} {a['source']} {a['file_path']}".lower()]
        items.sort(key=lambda a: (a["published_at"] or "", a["title"]), reverse=True)
        page = items[offset : offset + limit]
        return {"total": len(items), "offset": offset, "limit": limit, "articles": page}

    @api.post(
        "/articles",
        response_model=schemas.UploadOut,
        responses={202: {"model": schemas.UploadJobOut, "description": "With wait=false: the upload's job"}},
    )
    def upload(
        files: Annotated[list[UploadFile] | None, File(description="Article files to ingest.")] = None,
        urls: Annotated[
            list[str] | None,
            Form(description="Web pages to fetch and ingest (http/https; repeat the field for several)."),
        ] = None,
        wait: Annotated[
            bool, Query(description="false: save the files, reply 202 with a job to poll, ingest in the background.")
        ] = True,
    ) -> Any:
        """Ingest uploaded files and web pages; one result per file and per URL (a bad one is
        reported, the rest still lands). Pages are fetched before the reply, also with wait=false."""
        files = files or []
        links = [u.strip() for u in urls or [] if u.strip()]
        if not files and not links:
            raise InputError("nothing to ingest: send article files in `files` or web page addresses in `urls`")
        most = rag.settings.max_upload_files
        if len(links) > most:
            raise LimitError(f"{len(links)} URLs in one request, over the limit of {most}: send fewer at once")
        fetched = pass_body(rag.live.ingest_urls(links), ctx.public)["urls"] if links else []
        if not files:
            return {"files": [], "urls": fetched, **_totals(fetched)}
        if len(files) > most:
            raise LimitError(
                f"{len(files)} files in one upload, over the limit of {most}: send them in smaller batches "
                "(or raise NEWSRAG_MAX_UPLOAD_FILES)"
            )
        with ExitStack() as stack:
            for f in files:
                stack.callback(f.file.close)
            staged = stage(rag, [(f.filename or "upload", f.file) for f in files])
        if wait:
            body = _upload_body(ingest_staged(rag, staged), ctx.public)
            return {**body, "urls": fetched, **_totals(fetched, body)}
        job = ctx.jobs.submit(staged.total, lambda job: _run_upload(rag, staged, job, ctx.public))
        if job is None:
            staged.discard()
            raise BusyError(
                f"{ctx.jobs.max_waiting} uploads are already waiting to be ingested: retry when one is done "
                "(GET its status_url)"
            )
        url = f"/api/articles/jobs/{job.job_id}"
        body = {"job_id": job.job_id, "state": job.state, "status_url": url, "urls": fetched}
        return JSONResponse(body, status_code=202, headers={"Location": url})

    @api.get("/articles/jobs/{job_id}", response_model=schemas.UploadJobStatus, response_model_exclude_none=True)
    def upload_job(job_id: str) -> Any:
        """A background upload's state and progress; its per-file results once done."""
        job = ctx.jobs.get(job_id)
        if job is None:
            raise HTTPException(
                404, f"no upload job {job_id!r}: it never existed or finished long ago (only recent ones are kept)"
            )
        view = job.view()
        if view["error"]:  # a failed job's reason is a message like any other: no server paths
            view["error"] = ctx.public(view["error"])
        return view

    @api.delete("/articles/{article_id}", response_model=schemas.DeleteOut)
    def delete(article_id: str) -> Any:
        """Delete one article for good (re-ingesting its file leaves it out); an emptied upload is deleted."""
        removed = rag.remove_articles([article_id])
        if not removed:
            raise HTTPException(404, f"no article {article_id!r}: GET /api/articles lists the stored ids")
        return {"article_id": article_id, "chunks": removed}

    return api


def _upload_body(report: IngestReport, public: Callable[[str], str]) -> dict[str, Any]:
    """The upload reply: one result per file and the totals."""
    out = [
        {
            "name": r.path.rsplit("/", 1)[-1],
            "status": r.status,
            "articles": r.articles,
            "chunks": r.chunks,
            "reason": public(file_problem(r)),
        }
        for r in report.files
    ]
    return {"files": out, "articles": report.articles, "chunks": report.chunks, "failed": len(report.failed)}


def _totals(urls: list[dict[str, Any]], files: dict[str, Any] | None = None) -> dict[str, Any]:
    """The totals of an upload reply with its URL results counted in (articles, failed)."""
    stored = sum(1 for u in urls if u["status"] in ("stored", "updated"))
    failed = sum(1 for u in urls if u["status"] == "failed")
    files = files or {"articles": 0, "chunks": 0, "failed": 0}
    return {"articles": files["articles"] + stored, "chunks": files["chunks"], "failed": files["failed"] + failed}


def _run_upload(rag: Any, staged: Staged, job: UploadJob, public: Callable[[str], str]) -> dict[str, Any]:
    """A background upload: ingest what was staged, keeping ``job``'s progress current."""
    refused = len(staged.failed)
    job.files_done = refused

    def progress(done: int, total: int, name: str) -> None:
        job.files_done, job.current_file = refused + done, name

    def embedded(count: int) -> None:  # heard before each group: counts it as it starts
        job.chunks_embedded += count

    report = ingest_staged(rag, staged, progress, embedded)
    job.files_done, job.current_file = job.files_total, ""  # also when a failed write ended the run early
    return _upload_body(report, public)


def _last(events: Iterator[Retrieved | str | Answer]) -> Answer:
    answer = None
    for item in events:
        if isinstance(item, Answer):
            answer = item
    assert answer is not None
    return answer


def _event_stream(
    first: Any, events: Iterator[Any], include_passages: bool, public: Callable[[str], str]
) -> Iterator[str]:
    try:
        if isinstance(first, Retrieved):
            sources = [hit_dict(h) for h in first.hits]
            yield sse("sources", {"search_query": first.search_query, "sources": sources})
        for item in events:
            if isinstance(item, str):
                yield sse("text", {"text": item})
            elif isinstance(item, Queued):
                yield sse("queued", {"ahead": item.ahead})
            elif isinstance(item, Answer):
                if item.error:
                    yield sse("error", {"message": public(item.error), "type": "llm_error"})
                else:
                    yield sse("answer", item.to_dict(include_passages=include_passages))
    except NewsragError as err:
        yield sse("error", {"message": public(str(err)), "type": "invalid_request"})
    yield sse("end", {})


def probes(ctx: ServerContext) -> APIRouter:
    """``/healthz`` (the process answers) and ``/readyz`` (index and models loaded); no auth."""
    api = APIRouter(tags=["probes"])

    @api.get("/healthz", response_model=schemas.Health)
    def healthz() -> Any:
        return {"status": "ok"}

    @api.get("/readyz", response_model=schemas.Readiness, responses={503: {"model": schemas.Readiness}})
    def readyz() -> Any:
        """Whether the index, embedder and model are loaded (503 while loading or after a failure)."""
        rag, warm = ctx.rag, ctx.warm
        ready = warm.state == "ready"
        body = {
            "ready": ready,
            "state": warm.state,
            "error": ctx.public(warm.error),
            "chunks": rag.store.count() if ready else None,
            "backend": rag.backend,
            "generator_loaded": ready,
            "embedder_loaded": "embedder" in rag.__dict__,
        }
        return body if ready else JSONResponse(body, status_code=503)

    return api


def not_found() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @api.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def missing(rest: str) -> None:
        raise HTTPException(404, "no such API route: see /docs for the routes")

    return api
