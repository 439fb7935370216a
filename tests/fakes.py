"""Fakes for fast unit tests, behind the same protocols as the real parts.

``FakeEmbedder`` hashes stemmed words into a fixed-size bag-of-words vector, so texts that
share words get similar vectors (not a constant vector). ``FakeGenerator`` replays queued
replies and records the prompts it saw; a call with no reply left fails the test (an
under-scripted test must not silently turn into a refusal test).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

from rag.generate.prompt import Prompt

DIM = 256
STOPWORDS = set(
    "the and for that with was are has had have from this his her its who what how which said "
    "were will would been not but they their about into than then also more".split()
)


class FakeEmbedder:
    def __init__(self) -> None:
        self.calls = 0
        self.texts_embedded = 0

    @property
    def name(self) -> str:
        return "fake:bow256"

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * DIM
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            if len(word) < 3 or word in STOPWORDS:
                continue
            word = word[:6]  # crude stemming: truce/truces, ceasefire/ceasefires
            slot = int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM
            vec[slot] += 1.0
        norm = sum(x * x for x in vec) ** 0.5 or 1.0
        return [x / norm for x in vec]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class FakeGenerator:
    """Scripted replies, one per model call; with ``logprob`` every token reports that log-probability
    (or, given a list, the reply's own) on ``Prompt.token_logprobs`` before it is yielded, as the
    llama.cpp generator does."""

    def __init__(self, replies: Sequence[str] = (), logprob: float | Sequence[float] | None = None) -> None:
        self.replies = list(replies)
        self.prompts: list[Prompt] = []
        # one log-probability for every token, or one per reply in order
        self.logprobs = list(logprob) if isinstance(logprob, Sequence) else [logprob] * len(self.replies)

    @property
    def name(self) -> str:
        return "fake"

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        self.prompts.append(prompt)
        if not self.replies:
            raise AssertionError(
                f"FakeGenerator has no reply left for model call {len(self.prompts)} "
                f"(question: {prompt.question!r}): queue one reply per call the test makes"
            )
        reply = self.replies.pop(0)
        logprob = self.logprobs.pop(0) if self.logprobs else None
        for piece in re.findall(r"\S+\s*", reply):
            if logprob is not None:
                prompt.token_logprobs.append((piece, logprob))
            yield piece
