"""Request and response shapes of the HTTP API, as pydantic models (they make the OpenAPI schema).

REST shapes mirror the CLI's JSON (``newsrag ask --json``, ``newsrag articles --json``); the
OpenAI-compatible shapes follow the Chat Completions API with two additions: ``citations``
on the message (and on the final stream chunk), and ``top_k`` in the request. Unknown
request fields of the OpenAI shape are ignored, as clients send many (temperature, user…);
REST requests reject unknown fields so typos show. No behaviour lives here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):  # lax parsing would read JSON true as 1
        raise ValueError("must be a number, not true/false")
    return value


# A passage count that JSON true/false is not (1.0 is still 1, as JSON Schema's "integer" allows).
TopK = Annotated[int, Ge(1), Le(50), BeforeValidator(_not_bool)]


class ErrorDetail(BaseModel):
    message: str = Field(description="What went wrong and how to fix it, in one line.")
    type: str = Field(description="A stable machine-readable kind, e.g. limit_exceeded.")
    sources: list[dict[str, Any]] | None = Field(
        None, description="On llm_error from /api/ask: the passages retrieved before generation failed."
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


# REST


class Exchange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=20_000)
    answer: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    """``question``'s maximum length is the server's ``max_question_chars`` (see ``ask_request``)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="The question about the articles.", min_length=1, pattern=r"\S")
    history: list[Exchange] = Field(
        default_factory=list, max_length=50, description="Earlier exchanges of the conversation, oldest first."
    )
    top_k: TopK | None = Field(None, description="Passages to answer from (default: the server's).")
    as_of: date | None = Field(
        None, description="Ask as of this date: articles of the days before it rank higher (default: no date steering)."
    )
    stream: bool = Field(
        False, strict=True, description="Answer as server-sent events: sources, text pieces, answer, end."
    )
    raw: bool = Field(
        False,
        strict=True,
        description=(
            "With stream: send the model's tokens as generated (text starts sooner, but their [n] markers are "
            "the model's claims; the `answer` event has the verified text). Default: verified sentences."
        ),
    )
    include_passages: bool = Field(
        False, strict=True, description="Add each cited passage's full text to its citation."
    )


def ask_request(max_question_chars: int) -> type[AskRequest]:
    """``AskRequest`` whose schema states the server's question length limit."""
    return create_model(
        "AskRequest",
        __base__=AskRequest,
        question=(
            str,
            Field(
                description=f"The question about the articles (at most {max_question_chars:,} characters).",
                min_length=1,
                max_length=max_question_chars,
                pattern=r"\S",
            ),
        ),
    )


class CitationOut(BaseModel):
    n: int
    title: str
    source: str
    url: str
    published_at: str
    quote: str
    chunk_id: str
    quote_start: int
    quote_end: int
    passage: str | None = None
    also_at: list[str] = Field([], description="Other URLs the same story was published at (syndicated copies).")


class RefusalOut(BaseModel):
    check: str = Field(
        description="What refused the answer: no_relevant_passage, model_refused, unsupported, "
        "parroted_injection, non_answer, unmentioned, low_confidence (or a check of your own)."
    )
    reason: str = Field(description="Why, in a few words.")


class ConfidenceOut(BaseModel):
    start: float = Field(description="Probability of the reply's first token (answering at all).")
    first: float = Field(description="Probability of the short answer's first token (MIN_ANSWER_CONFIDENCE judges it).")
    mean: float = Field(description="Geometric mean of the short answer's token probabilities.")
    least: float = Field(description="Probability of the short answer's least likely token.")


class TimelinePointOut(BaseModel):
    published_at: str = Field(description="Date of the article the point comes from (YYYY-MM-DD).")
    text: str = Field(description="The sentence, with its [n] marker.")
    n: int = Field(description="The citation backing it.")


class AnswerOut(BaseModel):
    question: str
    answer: str
    refused: bool
    citations: list[CitationOut]
    backend: str
    search_query: str
    timings: dict[str, float]
    newest_cited: date | None = Field(None, description="Publication date of the newest article the answer cites.")
    timeline: list[TimelinePointOut] = Field(
        [], description="For a question about change or sequence: the answer's dated points, oldest first."
    )
    newer_articles: list[str] = Field(
        [], description="Articles of the cited article's story published after it (the answer says 'as of <date>')."
    )
    error: str | None = None
    refusal: RefusalOut | None = Field(None, description="On a refusal: which check refused the answer, and why.")
    confidence: ConfidenceOut | None = Field(
        None, description="The model's probabilities for its short answer, when the backend reports them."
    )


class ArticleOut(BaseModel):
    article_id: str
    title: str
    source: str
    url: str
    published_at: str
    file_path: str = Field(description="Its file: DATA_DIR/… for fetched pages and uploads, else the file's name.")
    chunks: int


class ArticlePage(BaseModel):
    total: int = Field(description="Articles matching the search, over all pages.")
    offset: int
    limit: int
    articles: list[ArticleOut]


class FileOut(BaseModel):
    name: str
    status: Literal["ingested", "updated", "unchanged", "failed"]
    articles: int
    chunks: int
    reason: str = ""


class UrlOut(BaseModel):
    url: str
    status: Literal["stored", "updated", "unchanged", "copy", "deleted", "known", "failed"] = Field(
        description="stored (new article), updated, unchanged, copy (the same article is stored under stored_as), "
        "deleted (a copy of an article deleted by hand: not stored, see reason), known (fetched before), "
        "failed (see reason)."
    )
    title: str = ""
    reason: str = ""
    stored_as: str = Field("", description="The URL the article is stored under (its canonical URL).")


class FeedOut(BaseModel):
    url: str
    title: str
    kind: str = Field(description="rss, atom, json or sitemap (empty until the first refresh).")
    every: str = Field(description="Refresh interval, e.g. 30m.")
    last_checked: str | None
    last_success: str | None
    next_due: str
    last_error: str | None
    failures: int = Field(description="Refreshes in a row that failed (the wait doubles with each).")
    stored: int = Field(description="Articles stored from this feed so far.")


class FeedList(BaseModel):
    feeds: list[FeedOut]


class FeedRefreshOut(BaseModel):
    url: str
    status: Literal["refreshed", "unchanged", "failed", "waiting"]
    title: str = ""
    entries: int = 0
    pages: list[UrlOut] = []
    reason: str = ""
    warnings: list[str] = []


class PassOut(BaseModel):
    """What one fetch pass did: per URL, per feed, and what was stored."""

    urls: list[UrlOut]
    feeds: list[FeedRefreshOut]
    articles: int = Field(description="Articles stored or updated.")
    embedded: int = Field(description="Passages embedded (0 when nothing new came).")
    requests: int = Field(description="HTTP requests made (robots.txt included).")
    seconds: float


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="The feed's URL: RSS, Atom, JSON Feed or a news sitemap.")
    every: str | None = Field(None, max_length=20, description="Refresh interval, 1m to 30d; default the setting.")
    refresh: bool = Field(True, strict=True, description="Refresh it now and include what was stored in the reply.")


class FeedAdded(BaseModel):
    feed: FeedOut
    new: bool = Field(description="false when the feed was already followed (its interval is updated).")
    refresh: PassOut | None = None


class RefreshIn(BaseModel):
    urls: list[str] | None = Field(None, max_length=200, description="Feeds to refresh (default: all followed).")


class FeedRemoved(BaseModel):
    url: str
    removed: bool


class UploadOut(BaseModel):
    files: list[FileOut]
    urls: list[UrlOut] = Field([], description="One result per URL given in the `urls` field.")
    articles: int = Field(description="Articles added or updated by this upload.")
    chunks: int = Field(description="Passages embedded by this upload.")
    failed: int


class UploadJobOut(BaseModel):
    """``POST /api/articles?wait=false``: the upload is saved and waits to be ingested in the background."""

    job_id: str
    state: Literal["queued", "running", "done", "failed"]
    status_url: str = Field(description="GET it for the job's progress and, when done, its results.")
    urls: list[UrlOut] = Field([], description="The pages of the `urls` field: fetched before this reply.")


class UploadJobStatus(BaseModel):
    """A background upload's progress; ``result`` is the synchronous upload's reply once ``state`` is done."""

    job_id: str
    state: Literal["queued", "running", "done", "failed"] = Field(
        description="queued (behind other uploads), running, done (see result) or failed (see error)."
    )
    files_total: int = Field(description="Files in the upload.")
    files_done: int = Field(description="Files finished so far (ingested, unchanged or refused).")
    chunks_embedded: int = Field(description="Passages embedded so far (the group being embedded included).")
    current_file: str = Field("", description="The file being ingested now.")
    result: UploadOut | None = Field(None, description="When done: one result per file, as `wait=true` returns.")
    error: str | None = Field(None, description="When failed: why nothing (more) was ingested.")


class DeleteOut(BaseModel):
    article_id: str
    chunks: int = Field(description="Passages removed.")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool
    state: Literal["loading", "ready", "failed"]
    error: str = ""
    chunks: int | None = None
    backend: str
    generator_loaded: bool
    embedder_loaded: bool


# OpenAI-compatible


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(description="Must be a model from GET /v1/models ('newsrag').")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="Only one choice is generated.")
    top_k: int | None = Field(None, ge=1, le=50, strict=True, description="newsrag extension: passages to answer from.")
    as_of: date | None = Field(None, description="newsrag extension: ask as of this date (recent articles first).")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    citations: list[CitationOut] = Field(description="newsrag extension: the verified citations behind [n].")
    refused: bool = Field(description="newsrag extension: true when the articles do not hold the answer.")
    refusal: str | None = Field(
        None, description="On a refusal, why (as in OpenAI's message.refusal): '<check>: <reason>'."
    )


class Choice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: Literal["stop", "length"]


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: dict[str, Any] | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# The error replies every route may give (documented on each router).
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": what}
    for code, what in {
        400: "Bad input (e.g. an empty question)",
        401: "Missing or wrong API key",
        404: "No such article, job, feed or model",
        409: "Nothing ingested yet",
        413: "Over a limit (question length, upload size or count)",
        422: "Malformed request",
        429: "Too many questions in flight, or uploads waiting to be ingested",
        500: "Internal error (details in the server log)",
        502: "The language model failed (the error carries the retrieved `sources`)",
        503: "The model could not be loaded",
    }.items()
}
