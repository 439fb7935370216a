"""The one settings class: every knob newsrag has, with its environment variable.

Values come from (highest first) explicit arguments, ``NEWSRAG_*`` environment variables, a
TOML config file (``--config FILE``, ``NEWSRAG_CONFIG``, or ``newsrag.toml`` in the working
directory), then the defaults below. Built once at the entry point and passed down; library
functions take plain arguments. Validation only: choosing implementations is ``factory``'s job.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from index.errors import ConfigError

Backend = Literal["auto", "openai", "local", "extractive"]
RetrievalMode = Literal["hybrid", "dense", "bm25"]
Rerank = Literal["none", "coverage"]

CONFIG_FILE_NAME = "newsrag.toml"


class Settings(BaseSettings):
    """newsrag configuration (env prefix ``NEWSRAG_``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSRAG_", extra="forbid", validate_default=True)

    # Storage
    data_dir: Path = Field(
        Path(".newsrag"),
        description="Where the index (unless NEWSRAG_CHROMA_URL is set), the ingest lock and the assembled model live.",
    )
    collection: str = Field(
        "articles",
        description="Chroma collection name (in the data dir or on the server): 3-512 of a-z A-Z 0-9 . _ -.",
    )
    chroma_url: str | None = Field(
        None,
        description="A Chroma server (e.g. http://127.0.0.1:8000, started with `chroma run`) to keep the index in "
        "instead of the embedded one under the data dir.",
    )
    chroma_token: SecretStr | None = Field(
        None, description="Token for the Chroma server, sent as `Authorization: Bearer` and `X-Chroma-Token`."
    )
    chroma_tenant: str = Field("default_tenant", description="Chroma server tenant holding the database.")
    chroma_database: str = Field("default_database", description="Chroma server database holding the collection.")
    chroma_timeout: int = Field(
        60, ge=1, le=3600, description="Seconds to wait for the Chroma server to answer a request before failing."
    )

    # Embeddings
    embed_backend: Literal["local", "openai"] = Field(
        "local", description="'local': bundled all-MiniLM-L6-v2; 'openai': an OpenAI-compatible endpoint."
    )
    embed_model: str = Field("text-embedding-3-small", description="Model name for the embeddings endpoint.")
    embed_base_url: str | None = Field(None, description="Base URL of the embeddings endpoint.")
    embed_api_key: SecretStr | None = Field(None, description="API key for the embeddings endpoint.")
    embed_batch_size: int = Field(
        8, ge=1, le=1024, description="Passages per embedding batch (8 measured fastest on CPU: less padding)."
    )
    embed_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="Precision of the bundled embedder. 'auto': bfloat16 where the CPU has AVX512-BF16 or AMX-BF16 "
        "(~2.5x faster there), else float32 (bf16 without hardware support is slower); 'float32' forces full "
        "precision; 'bfloat16' forces bf16. The vectors are interchangeable: an index built with one precision "
        "answers queries embedded with the other.",
    )
    chunk_tokens: int = Field(200, description="Passage size in embedder word pieces, headline included.")
    chunk_overlap: int = Field(30, ge=0, description="Overlap between consecutive passages, in word pieces.")

    # Retrieval
    retrieval_mode: RetrievalMode = Field("hybrid", description="dense, bm25, or hybrid (fused).")
    top_k: int = Field(4, ge=1, le=50, description="Passages handed to the answer step.")
    candidates: int = Field(20, ge=1, le=200, description="Candidates per retriever before fusion.")
    context_tokens: int = Field(
        0,
        ge=0,
        le=32000,
        description="0: the top-k passages whole. N: the best sentences of the top 2 x top-k passages "
        "that fit in N tokens (faster local answers, worse on real news: docs/BENCHMARKS.md).",
    )
    first_try: int = Field(
        0,
        ge=0,
        le=50,
        description="N > 0: answer from the first N passages first, and from all top-k only when that answer would be "
        "refused (model refusal, low confidence, a failed check); the shared passages stay in llama.cpp's prompt "
        "cache. 0: always the top-k (docs/EVALS.md measures both).",
    )
    recency_days: int = Field(
        7,
        ge=0,
        le=3650,
        description="Steer retrieval toward articles published this many days before the question's date "
        "(when an as-of date is given); 0: off.",
    )
    recency_weight: float = Field(
        1.0,
        ge=0.0,
        le=20.0,
        description="Weight of the recent-articles ranking in the fusion (1: as much as the others).",
    )
    dedup_similarity: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Pass over a retrieved chunk at least this similar (cosine) to a better one: "
        "the same story from two outlets. 1: off.",
    )
    rerank: Rerank = Field(
        "none",
        description="'coverage': order the fused passages again by how much of the question each holds "
        "(more answers in the first passage on RealTimeQA, but the bundled model answered worse from that "
        "order: docs/EVALS.md). 'none': off.",
    )
    min_similarity: float = Field(
        0.25, ge=-1.0, le=1.0, description="Refuse when no passage is at least this similar (cosine)."
    )
    split_questions: bool = Field(
        True,
        description="Answer a two-part question ('Who is X, and which Y …?') one part at a time and join "
        "the answers (rag.decompose): two model calls for such questions.",
    )
    check_answers: bool = Field(
        True,
        description="Refuse when the answer's first sentence only restates the question or gives a number "
        "that is in none of the passages (rag.verify.grounding).",
    )
    check_asked: bool = Field(
        True,
        description="Refuse when the question asks about something its passages never mention: what a "
        "'how many' question counts, or the role in 'Who is X's <role>?' (rag.verify.asked). On RealTimeQA "
        "news it was right in 24 of its 31 firings (issue #32, docs/EVALS.md).",
    )
    min_answer_confidence: float = Field(
        0.209,
        ge=0.0,
        le=1.0,
        description="Refuse when the model gave the first token of its short answer a probability under this "
        "(rag.verify.confidence); 0: off. The default is calibrated for the bundled model on RealTimeQA dev "
        "(docs/EVALS.md); an OpenAI-compatible endpoint is asked for log-probabilities only when this is set "
        "explicitly, since its model needs its own threshold.",
    )
    trim_short_answers: bool = Field(
        True,
        description="Cut the words that restate the question out of the short answer line "
        "('Succession received the most nominations' → 'Succession'; rag.verify.short). The full answer is kept.",
    )

    # Generation
    backend: Backend = Field("auto", description="auto, openai, local or extractive.")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM…).")
    openai_api_key: SecretStr | None = Field(None, description="API key for the chat endpoint.")
    openai_model: str = Field("gpt-4o-mini", description="Chat model name at the endpoint.")
    llm_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the chat endpoint.")
    llm_retries: int = Field(1, ge=0, le=5, description="Retries after a failed endpoint call.")
    max_answer_tokens: int = Field(160, ge=16, le=4096, description="Longest answer generated.")
    local_model_path: Path | None = Field(
        None, description="A GGUF file to use instead of the bundled Qwen2.5-Coder-1.5B-Instruct."
    )
    local_threads: int = Field(0, ge=0, description="CPU threads for the local model (0: all cores).")
    local_context: int = Field(4096, ge=512, description="Context window of the local model, in tokens.")
    local_flash_attn: Literal["auto", "on", "off"] = Field(
        "auto", description="Flash attention in llama.cpp (auto: llama.cpp turns it on where the model supports it)."
    )
    local_batch: int = Field(
        0, ge=0, le=8192, description="Prompt tokens llama.cpp reads per compute pass (n_ubatch; 0: its default, 512)."
    )

    answer_slots: int = Field(
        0,
        ge=0,
        le=1000,
        description="Answers generated at once; the rest wait in line and are told their place. "
        "0: one for the local model (it runs one at a time), no limit for other backends.",
    )

    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")

    host: str = Field("127.0.0.1", description="Address the chat UI / server listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the chat UI / server.")
    api_key: SecretStr | None = Field(
        None, description="`newsrag serve`: bearer token its API routes require, and the UI's login password."
    )
    max_upload_mb: float = Field(20.0, gt=0, description="Largest article file accepted by an upload, in MB.")
    max_upload_files: int = Field(50, ge=1, le=1000, description="Most files accepted in one upload.")
    max_waiting_questions: int = Field(
        8, ge=1, le=1000, description="`newsrag serve`: questions answered or queued at once; more get HTTP 429."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra names the server answers to in the Host header (comma-separated; '*.example.com' for "
        "subdomains, '*' for any): by default only the address it listens on (and localhost on loopback).",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other web origins (comma-separated, e.g. https://intranet.example) allowed to send requests "
        "that change something (upload, delete, ask); by default only newsrag's own pages.",
    )
    # Uploads only (`newsrag ingest` of your own files is not capped). Measured on 2 cores:
    # ~1,400 passages per MB of text, embedded at ~26 passages/s on a quiet host and ~7/s on a
    # busy one; the defaults bound one file to ~1.3-5 minutes of embedding, one upload to ~3-12.
    max_upload_chunks_per_file: int = Field(
        2000, ge=1, description="Most passages one uploaded file may make; a bigger file is refused before embedding."
    )
    max_upload_chunks: int = Field(
        5000, ge=1, description="Most passages one upload (all its files) may make; files past it are refused."
    )

    # Live news (index.web): fetching pages and feeds.
    fetch_allow_private: bool = Field(
        False,
        description="Allow fetching URLs on loopback, private and link-local addresses (off: the server must not "
        "become a proxy into your network; turn on for a feed on your own machine or intranet).",
    )
    fetch_max_mb: float = Field(
        5.0, gt=0, le=200, description="Largest page or feed body fetched, in MB (after decompression)."
    )
    fetch_timeout: float = Field(20.0, gt=0, le=600, description="Seconds to wait for a web server to answer.")
    fetch_host_delay: float = Field(
        1.0, ge=0, le=600, description="Seconds between two requests to the same web host (politeness)."
    )
    feed_every: str = Field(
        "30m", description="How often a feed is refreshed unless `feeds add --every` says otherwise (30m, 2h, 1d)."
    )
    feed_max_items: int = Field(
        50, ge=1, le=10000, description="Most new entries fetched from one feed in one refresh (newest first)."
    )
    feed_refresh: bool = Field(
        True, description="`newsrag serve` and `newsrag chat` refresh due feeds in the background."
    )
    answer_as_of_today: bool = Field(
        True,
        description="Chat, the REST and the OpenAI-compatible API ask questions as of today unless one gives a date "
        "(recent articles first; see recency_days).",
    )
    # Stories (index.stories): articles of one developing event, grouped at ingest. Defaults measured
    # on the RealTimeQA pool (evals.stories; 130 pairs labelled in tests/data/story_pairs.jsonl):
    # 0.5/2/7 groups same-story pairs with precision 0.857, recall 0.677; 0.6 loses a sixth of the
    # recall for two points of precision, a 3-day window splits multi-day stories, 14 days merges more.
    stories: bool = Field(True, description="Group articles into stories after every ingest and deletion.")
    story_similarity: float = Field(
        0.5, ge=0.0, le=1.0, description="Least cosine similarity of two articles' first passages in one story."
    )
    story_min_shared_entities: int = Field(
        2, ge=0, le=50, description="Least named entities (capitalized names, acronyms) two articles of a story share."
    )
    story_window_days: int = Field(
        7, ge=0, le=3650, description="Most days between an article and the one it joins a story by (undated: never)."
    )

    # Stories and timelines (#21)
    timeline_answers: bool = Field(
        True,
        description="Answer a question about change or sequence ('since …', 'between … and …', 'how did … change', "
        "'timeline of') as dated, cited points across the story's articles (rag.timeline); off: as any question.",
    )
    timeline_max_points: int = Field(
        8, ge=1, le=50, description="Most dated points in a timeline answer (one per article; the most relevant kept)."
    )
    flag_stale_answers: bool = Field(
        True,
        description="End an answer whose citations all come from one dated article with '(as of <date>; N newer "
        "articles on this story)' when its story has newer articles.",
    )

    @field_validator("openai_base_url", "embed_base_url", "chroma_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value or None

    @field_validator("allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("collection")
    @classmethod
    def _collection(cls, value: str) -> str:
        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]", value):  # what Chroma accepts
            raise ValueError("must be 3-512 of a-z A-Z 0-9 . _ -, starting and ending with a letter or digit")
        return value

    @field_validator("chroma_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        token = value.get_secret_value() if value is not None else ""
        if token and not (token.isascii() and token.isprintable() and " " not in token):
            raise ValueError("must be printable ASCII without spaces (it is sent in an HTTP header)")
        return value if token else None

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def model_dir(self) -> Path:
        return self.data_dir / "models"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)


def find_config(explicit: Path | None = None) -> Path | None:
    """The config file in use: ``--config``, else ``NEWSRAG_CONFIG``, else ./newsrag.toml."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} not found: check the --config path")
        return explicit
    env = os.environ.get("NEWSRAG_CONFIG")
    if env:
        if not Path(env).is_file():
            raise ConfigError(f"config file {env} not found: fix or unset NEWSRAG_CONFIG")
        return Path(env)
    local = Path(CONFIG_FILE_NAME)
    return local if local.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from overrides, environment and config file, with a one-line error."""
    path = find_config(config)
    cls: type[Settings] = Settings
    if path is not None:
        # A subclass carrying the file name keeps the file choice out of global state.
        cls = type("Settings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": path}})
    try:
        return cls(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        where = f" in {path}" if path else ""
        raise ConfigError(f"invalid setting {field} (NEWSRAG_{field.upper()}{where}): {first['msg']}") from None
    except (OSError, ValueError) as err:  # unreadable or malformed TOML
        raise ConfigError(f"cannot read config file {path}: {err}") from None
