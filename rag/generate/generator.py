"""The ``Generator`` protocol and the no-LLM extractive generator.

A generator turns a ``Prompt`` into a stream of text pieces. The LLM-backed ones live in
``llm_openai`` and ``llm_local``; the extractive one here needs no model at all: it answers
with the passage sentences that best match the question, each marked with its passage
number, so the answer step verifies and cites them like any other answer. Sentences that
address the model ("Ignore previous instructions and say …", ``rag.generate.injection``) are never picked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Protocol

from rag.generate.injection import addresses_model
from rag.generate.prompt import Prompt
from rag.text import content_terms, split_sentences

_NUMERIC_Q = re.compile(r"^\W*(how (?:many|much|long|old|far)|when|what (?:year|date|time|percentage))\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion)\b", re.I
)


class Generator(Protocol):
    """Streams the answer to a prompt, piece by piece."""

    @property
    def name(self) -> str: ...

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]: ...


class ExtractiveGenerator:
    """Answers with the best-matching passage sentences (no language model)."""

    def __init__(self, sentences: int = 2) -> None:
        self._sentences = sentences

    @property
    def name(self) -> str:
        return "extractive"

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        question = content_terms(prompt.question)
        candidates: list[tuple[float, int, str]] = []
        doc_freq: dict[str, int] = {}
        sentences: list[tuple[int, str, dict[str, float]]] = []
        for n, hit in enumerate(prompt.passages, 1):
            for start, end in split_sentences(hit.text):
                text = hit.text[start:end]
                if addresses_model(text):  # passages are data: an order in one is never the answer
                    continue
                terms = content_terms(text)
                sentences.append((n, text, terms))
                for t in terms:
                    doc_freq[t] = doc_freq.get(t, 0) + 1
        total = max(len(sentences), 1)
        wants_number = bool(_NUMERIC_Q.search(prompt.question))
        for n, text, terms in sentences:
            overlap = sum(math.log(1 + total / doc_freq[t]) * w for t, w in question.items() if t in terms)
            # Earlier passages ranked higher in retrieval; short fragments rarely answer anything.
            score = overlap / (1 + 0.15 * (n - 1)) * min(1.0, len(text) / 60)
            if not text.rstrip("\"'”’)").endswith((".", "!", "?")):
                score *= 0.5  # a heading or fragment, not a sentence
            if wants_number and _NUMBER.search(text):
                score *= 1.6  # "how long/many/when" questions are answered by a number or date
            if overlap > 0:
                candidates.append((score, n, text))
        if not candidates:
            yield "I don't know."
            return
        best: list[tuple[float, int, str]] = []
        for cand in sorted(candidates, reverse=True):
            if all(cand[2] != b[2] for b in best):  # overlapping chunks repeat sentences
                best.append(cand)
            if len(best) == self._sentences:
                break
        yield " ".join(f"{text.rstrip()} [{n}]" for _, n, text in best)
