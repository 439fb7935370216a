"""Generation with a GGUF model run in-process by llama.cpp (llama-cpp-python).

The model is loaded on first use, not at import, and kept loaded for later questions; the
fixed system prompt stays in llama.cpp's KV cache, so the next prompt only pays for its new
tokens. One generation at a time (a lock): the model's context is not shareable. Decoding
is greedy, for repeatable answers. Why llama-cpp-python and not xllamacpp: see docs/BENCHMARKS.md.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from index.errors import BackendUnavailableError, ModelError
from rag.prompt import Prompt


def llama_cpp_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


class LocalGenerator:
    """Qwen2.5-Coder-1.5B-Instruct (or any GGUF) on the CPU."""

    def __init__(self, model_path: Path, threads: int = 0, context: int = 4096) -> None:
        self._path = model_path
        self._threads = threads or max(1, os.cpu_count() or 1)
        self._context = context
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"local:{self._path.stem}"

    @cached_property
    def _llm(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError as err:
            raise BackendUnavailableError(
                "the local backend needs llama-cpp-python: pip install -e .[local] (or pick another NEWSRAG_BACKEND)"
            ) from err
        try:
            return Llama(
                model_path=str(self._path),
                n_ctx=self._context,
                n_threads=self._threads,
                n_batch=512,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as err:
            raise ModelError(f"llama.cpp could not load {self._path}: {err}: check the file or rebuild it") from err

    def load(self) -> None:
        """Load the model now (otherwise the first question does)."""
        with self._lock:
            _ = self._llm

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        with self._lock:
            reply = self._llm.create_chat_completion(
                messages=prompt.messages,
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.05,
                stream=True,
            )
            for chunk in reply:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
