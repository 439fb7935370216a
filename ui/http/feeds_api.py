"""The live-news REST routes: follow, list, refresh and drop feeds; the JSON shape of a fetch pass.

``GET /api/feeds`` lists the followed feeds with their last refresh and error; ``POST
/api/feeds`` follows one (and by default refreshes it at once); ``DELETE /api/feeds?url=…``
stops following it (its articles stay); ``POST /api/feeds/refresh`` refreshes now. An
interval ``parse_every`` refuses (unreadable, or outside 1m to 30d) is a 422 naming the
range, like any malformed field, before anything is stored; the flags are strict JSON
booleans and unknown fields are refused. Pages named in the ``urls`` field of ``POST
/api/articles`` are ingested by ``ui.http.rest`` through ``pass_body``. The server's own
background refresh is ``rag.live.Watcher``'s; fetching (private addresses refused unless
allowed, size caps, robots.txt) is ``index.web``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from index.errors import InputError
from index.web.registry import parse_every
from rag.live import feed_info
from ui.http import schemas
from ui.http.context import ServerContext


def url_body(page: Any, public: Callable[[str], str]) -> dict[str, Any]:
    return {
        "url": page.url,
        "status": page.status,
        "title": page.title,
        "reason": public(page.reason),
        "stored_as": page.stored_as,
    }


def pass_body(done: Any, public: Callable[[str], str]) -> dict[str, Any]:
    """A fetch pass (``index.web.refresh.Pass``) as JSON, messages without server paths."""
    feeds = [
        {
            "url": f.url,
            "status": f.status,
            "title": f.title,
            "entries": f.entries,
            "pages": [url_body(p, public) for p in f.pages],
            "reason": public(f.reason),
            "warnings": [public(w) for w in f.warnings],
        }
        for f in done.feeds
    ]
    report = done.ingest
    return {
        "urls": [url_body(p, public) for p in done.urls],
        "feeds": feeds,
        "articles": report.articles if report else 0,
        "embedded": report.embedded if report else 0,
        "requests": done.requests,
        "seconds": round(done.seconds, 3),
    }


def router(ctx: ServerContext) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["feeds"], responses=schemas.ERRORS)
    live = ctx.rag.live

    @api.get("/feeds", response_model=schemas.FeedList)
    def list_feeds() -> Any:
        """The followed feeds: interval, last refresh, articles stored, next refresh, last error."""
        return {"feeds": [_public_feed(feed_info(f), ctx.public) for f in live.feeds()]}

    @api.post(
        "/feeds",
        response_model=schemas.FeedAdded,
        status_code=201,
        responses={200: {"model": schemas.FeedAdded, "description": "The feed was already followed"}},
    )
    def add_feed(body: schemas.FeedIn) -> Any:
        """Follow a feed; with ``refresh`` (default) its new articles are fetched before the reply."""
        _check_interval(body.every)
        feed, new = live.add_feed(body.url, body.every)
        done = live.refresh([feed.url], due_only=False) if body.refresh else None
        current = live.registry.get(feed.url) or feed
        reply = {
            "feed": _public_feed(feed_info(current), ctx.public),
            "new": new,
            "refresh": pass_body(done, ctx.public) if done else None,
        }
        return JSONResponse(schemas.FeedAdded.model_validate(reply).model_dump(), status_code=201 if new else 200)

    @api.delete("/feeds", response_model=schemas.FeedRemoved)
    def remove_feed(url: str = Query(max_length=2000, description="The feed's URL as GET /api/feeds lists it.")) -> Any:
        """Stop following a feed; the articles stored from it stay (DELETE them like any article)."""
        if not live.remove_feed(url):
            raise HTTPException(404, f"not following {url!r}: GET /api/feeds lists the followed feeds")
        return {"url": url, "removed": True}

    @api.post("/feeds/refresh", response_model=schemas.PassOut)
    def refresh(body: schemas.RefreshIn | None = None) -> Any:
        """Refresh the followed feeds (or the ones named) now, due or not."""
        urls = body.urls if body is not None else None
        return pass_body(live.refresh(urls, due_only=False), ctx.public)

    return api


def _check_interval(every: str | None) -> None:
    if every is None:
        return
    try:
        parse_every(every)
    except InputError as err:
        raise RequestValidationError([{"loc": ("body", "every"), "msg": str(err), "type": "value_error"}]) from None


def _public_feed(info: dict[str, Any], public: Callable[[str], str]) -> dict[str, Any]:
    return {**info, "last_error": public(info["last_error"]) if info["last_error"] else None}
