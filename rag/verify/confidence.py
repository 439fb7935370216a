"""The model's own confidence in its short answer, read from its token log-probabilities.

A generator that reports log-probabilities (the bundled llama.cpp model does) leaves one
``(token, logprob)`` pair per generated token on the ``Prompt``. ``answer_confidence`` finds
the tokens of the short answer — the reply's first line after its "Answer:" label, up to a
``[n]`` marker — and sums them up as a ``Confidence``: the probability of the reply's first
token (answering at all rather than "I don't know"), of the answer's first token, their
geometric mean over the answer, and the least likely answer token.

``ConfidenceCheck`` refuses an answer whose chosen probability is under a threshold. The
feature (``first``: it told right from wrong answers best, AUROC 0.78 against 0.60-0.76) and
the threshold were chosen on 110 RealTimeQA dev answers and checked, unchanged, on the sample
set: docs/EVALS.md ("Issue #19: refusing by the model's confidence";
benchmarks/confidence_calibration.py).
An answer without log-probabilities (another backend, the extractive one) is not judged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from rag.generate.prompt import LABEL_RE
from rag.types import Confidence
from rag.verify.checks import Draft

Feature = Literal["start", "first", "mean", "least"]
FEATURES: tuple[Feature, ...] = ("start", "first", "mean", "least")


def answer_confidence(tokens: Sequence[tuple[str, float]]) -> Confidence | None:
    """The ``Confidence`` of the reply made of ``tokens``; None when it has no short answer."""
    if not tokens:
        return None
    text = "".join(t for t, _ in tokens)
    label = LABEL_RE.match(text)
    start = label.end() if label else 0
    end = len(text)
    for stop in ("\n", "["):
        at = text.find(stop, start)
        if at != -1:
            end = min(end, at)
    answer: list[float] = []
    pos = 0
    for token, logprob in tokens:
        lo, pos = pos, pos + len(token)
        lo += len(token) - len(token.lstrip())  # where its text starts, after any space
        if pos <= start or lo >= end or not token.strip():
            continue
        answer.append(logprob)
    if not answer:
        return None
    return Confidence(
        start=_p(tokens[0][1]),
        first=_p(answer[0]),
        mean=_p(sum(answer) / len(answer)),
        least=_p(min(answer)),
    )


def _p(logprob: float) -> float:
    return round(math.exp(min(0.0, logprob)), 4)


class ConfidenceCheck:
    """The model gave its short answer a probability under ``minimum`` (by ``feature``)."""

    name = "low_confidence"

    def __init__(self, minimum: float, feature: Feature = "first") -> None:
        self.minimum = minimum
        self.feature = feature

    def reason(self, draft: Draft) -> str:
        if draft.confidence is None:
            return ""
        p = getattr(draft.confidence, self.feature)
        if p >= self.minimum:
            return ""
        return f"the model gave its answer a probability of {p:.2f} ({self.feature}), under {self.minimum:g}"
