"""Generation with a GGUF model run in-process by llama.cpp, through ``xllamacpp``.

Why xllamacpp and not llama-cpp-python: both run the model at the same speed with the same
answers (docs/BENCHMARKS.md). ``scripts/setup.sh`` compiles xllamacpp for the CPU it runs on
(``scripts/build_llamacpp.py``: AVX-512, VNNI and BF16 read prompts ~1.8x faster than the
prebuilt AVX2 wheel here), keeping the prebuilt wheel where that compile fails;
``rag.generate.runtime`` refuses a build made for another CPU before it is loaded. Flash
attention is llama.cpp's choice unless ``LOCAL_FLASH_ATTN`` says otherwise (auto turned it
on here: measured as fast as "on"; "off" read prompts 4% slower).

The model loads on first use, not at import, and stays loaded; llama.cpp's prompt cache
keeps the fixed system prompt, so a later question pays only for its new tokens. One
request runs at a time (one slot); others wait in llama.cpp's queue. Decoding is greedy.
llama.cpp's own counts for each request (prompt tokens, how many came from the cache, rates)
go into ``Prompt.usage``, which the answer step copies into the answer's timings. Each
generated token's log-probability goes into ``Prompt.token_logprobs`` (``rag.verify.confidence``
reads the model's confidence in its answer from them).

xllamacpp quirks handled here: it reports errors as data instead of raising, swallows
exceptions raised in the streaming callback, and always opens an HTTP listener on
127.0.0.1 — which we lock with a random API key so nothing else on the machine can use it.
"""

from __future__ import annotations

import os
import queue
import secrets
import threading
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from index.errors import BackendUnavailableError, LLMError, ModelError
from rag.generate.prompt import Prompt


def runtime_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("xllamacpp") is not None


class LocalGenerator:
    """Qwen2.5-Coder-1.5B-Instruct (or any GGUF) on the CPU."""

    def __init__(
        self,
        model_path: Path,
        threads: int = 0,
        context: int = 4096,
        logprobs: bool = True,
        flash_attn: str = "auto",
        batch: int = 0,
    ) -> None:
        self._path = model_path
        self._logprobs = logprobs  # each token's log-probability (benchmarks/logprob_cost.py: its cost)
        self._threads = threads or max(1, os.cpu_count() or 1)
        self._context = context
        self._flash_attn = flash_attn  # "auto" (llama.cpp decides), "on", "off"
        self._batch = batch  # prompt tokens per compute pass (llama.cpp's n_ubatch); 0: llama.cpp's default
        self._load_lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"local:{self._path.stem}"

    @cached_property
    def _server(self) -> Any:
        from rag.generate.runtime import check_build

        check_build()  # a build for another CPU would die on an illegal instruction: refuse it first
        try:
            import xllamacpp
        except ImportError as err:
            raise BackendUnavailableError(
                "the local backend needs xllamacpp: pip install -e .[local] (or pick another NEWSRAG_BACKEND)"
            ) from err
        params = xllamacpp.CommonParams()
        params.model.path = str(self._path)
        params.n_ctx = self._context
        params.n_parallel = 1
        params.cpuparams.n_threads = self._threads
        params.cpuparams_batch.n_threads = self._threads
        params.verbosity = 0
        fa = xllamacpp.llama_flash_attn_type
        modes = {"on": fa.LLAMA_FLASH_ATTN_TYPE_ENABLED, "off": fa.LLAMA_FLASH_ATTN_TYPE_DISABLED}
        params.flash_attn_type = modes.get(self._flash_attn, fa.LLAMA_FLASH_ATTN_TYPE_AUTO)
        if self._batch:
            params.n_ubatch = self._batch
            params.n_batch = max(params.n_batch, self._batch)
        params.api_keys = [secrets.token_hex(16)]  # its built-in HTTP listener answers no one
        try:
            return xllamacpp.Server(params)
        except Exception as err:  # the binding raises RuntimeError/ValueError for unloadable files
            raise ModelError(f"llama.cpp could not load {self._path}: {err}: check the file or rebuild it") from err

    def load(self) -> None:
        """Load the model now (otherwise the first question does)."""
        with self._load_lock:
            _ = self._server

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        self.load()
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            if "error" in chunk:
                pieces.put(("error", chunk["error"]))
                return True
            for choice in chunk.get("choices", []):
                for item in (choice.get("logprobs") or {}).get("content") or []:  # before the text it scores
                    prompt.token_logprobs.append((str(item.get("token", "")), float(item.get("logprob", 0.0))))
                text = (choice.get("delta") or {}).get("content")
                if text:
                    pieces.put(("text", text))
            if isinstance(chunk.get("timings"), dict):  # llama.cpp's last chunk
                prompt.usage.update(_usage(chunk["timings"]))
            return stop.is_set()  # True tells llama.cpp to stop generating

        def run() -> None:
            try:
                request = {
                    "messages": prompt.messages,
                    "max_tokens": max_tokens,
                    "temperature": 0.0,
                    "top_k": 1,
                    "repeat_penalty": 1.05,
                    "stream": True,
                }
                if self._logprobs:  # each token's own log-probability, for rag.verify.confidence
                    request.update(logprobs=True, top_logprobs=1)
                result = self._server.handle_chat_completions(request, on_chunk)
                if isinstance(result, dict) and "error" in result:
                    pieces.put(("error", result["error"]))
            except Exception as err:  # surfaced to the caller below, not lost in this thread
                pieces.put(("error", err))
            finally:
                pieces.put(("done", None))

        worker = threading.Thread(target=run, name="newsrag-llm", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = pieces.get()
                if kind == "done":
                    return
                if kind == "error":
                    message = value.get("message", value) if isinstance(value, dict) else value
                    raise LLMError(f"the local model failed: {message}")
                yield value
        finally:
            stop.set()  # the caller stopped early (or we are done): let llama.cpp stop too


def _usage(timings: dict[str, Any]) -> dict[str, float]:
    """llama.cpp's per-request timings as ``Prompt.usage`` (prompt tokens include cached ones)."""
    cached, fresh = float(timings.get("cache_n", 0)), float(timings.get("prompt_n", 0))
    return {
        "prompt_tokens": cached + fresh,
        "cached_prompt_tokens": cached,
        "prompt_tokens_per_s": round(float(timings.get("prompt_per_second", 0.0)), 2),
        "answer_tokens": float(timings.get("predicted_n", 0)),
        "answer_tokens_per_s": round(float(timings.get("predicted_per_second", 0.0)), 2),
    }
