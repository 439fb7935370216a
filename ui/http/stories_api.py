"""The stories REST routes and their response shapes: ``GET /api/stories`` and ``GET /api/stories/{id}``.

``GET /api/stories?q=&limit=&offset=&min_articles=`` pages through the stories newest first
(``q``: every word in a story's headlines, key sentences or names); ``GET /api/stories/{story_id}``
gives one story with its articles by date (headline, source, URL, date, key sentence), the
timeline the Stories view draws. Grouping is ``index.stories``' (through ``NewsRAG.stories``);
the routes only read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from ui.http import schemas
from ui.http.context import ServerContext


class StoryOut(BaseModel):
    story_id: str
    label: str = Field(description="The headline of the story's earliest dated article.")
    first: str | None = Field(description="Date of its earliest article (YYYY-MM-DD); null when all are undated.")
    last: str | None = Field(description="Date of its latest article.")
    articles: int = Field(description="How many articles the story holds.")
    article_ids: list[str]


class StoryPage(BaseModel):
    total: int = Field(description="Stories matching the search, over all pages.")
    offset: int
    limit: int
    stories: list[StoryOut]


class StoryArticleOut(BaseModel):
    article_id: str
    title: str
    source: str
    url: str
    published_at: str = Field(description="YYYY-MM-DD, or empty when the article has no date.")
    key_sentence: str = Field(description="The sentence of its lead that says what happened.")
    file_path: str = Field(description="Its file: DATA_DIR/… for fetched pages and uploads, else the file's name.")


class StoryDetail(StoryOut):
    timeline: list[StoryArticleOut] = Field(description="The story's articles by date, undated last.")


def router(ctx: ServerContext) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["stories"], responses=schemas.ERRORS)
    stories = ctx.rag.stories

    @api.get("/stories", response_model=StoryPage)
    def list_stories(
        q: Annotated[str, Query(max_length=500, description="Only stories mentioning every word.")] = "",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        min_articles: Annotated[int, Query(ge=1, le=10_000, description="Only stories of this many articles.")] = 1,
    ) -> Any:
        """Stories (articles reporting one developing event), newest first, a page at a time."""
        found = stories.list(q or None, min_articles)
        page = found[offset : offset + limit]
        return {"total": len(found), "offset": offset, "limit": limit, "stories": [s.summary() for s in page]}

    @api.get("/stories/{story_id}", response_model=StoryDetail)
    def get_story(story_id: Annotated[str, Path(max_length=100, description="An id GET /api/stories lists.")]) -> Any:
        """One story and its articles by date: headline, source, date and key sentence of each."""
        found = stories.get(story_id)
        if found is None:
            raise HTTPException(404, f"no story {story_id!r}: GET /api/stories lists the stories")
        story, articles = found
        return {**story.summary(), "timeline": [ctx.public_record(a.__dict__) for a in articles]}

    return api
