"""Scoring functions for eval runs: answers, refusals, retrieval, citations, latency.

Answer metrics follow SQuAD normalisation (lowercase, drop punctuation and the articles
a/an/the, collapse whitespace) so our numbers compare with the RealTimeQA baselines, which
were scored the same way: exact match, token F1, and "contains" (the normalised gold
answer occurs inside the normalised prediction). Each takes the best over the gold answer
and its accepted alternatives. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence

from rag.text import MARKER_RE

_PUNCT = set(string.punctuation) | {"“", "”", "‘", "’", "–", "—"}


def normalize(text: str) -> str:
    """SQuAD answer normalisation."""
    # Punctuation is deleted, not replaced by a space ("60-day" → "60day"), as SQuAD does;
    # with curly quotes included this reproduces the published RealTimeQA EM/F1 exactly.
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def strip_markers(text: str) -> str:
    """The answer without its [n] citation markers."""
    return MARKER_RE.sub("", text)


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    p = normalize(strip_markers(prediction))
    return float(any(p == normalize(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    p_tokens = normalize(strip_markers(prediction)).split()
    best = 0.0
    for gold in golds:
        g_tokens = normalize(gold).split()
        common = Counter(p_tokens) & Counter(g_tokens)
        overlap = sum(common.values())
        if not p_tokens or not g_tokens or not overlap:
            continue
        precision, recall = overlap / len(p_tokens), overlap / len(g_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains(prediction: str, golds: Sequence[str]) -> float:
    p = normalize(strip_markers(prediction))
    return float(any(normalize(g) and normalize(g) in p for g in golds))


def source_matches(source: str, gold_sources: Iterable[str]) -> bool:
    """A retrieved/cited source (path or URL) matches a gold source (file name or URL)."""
    s = source.rstrip("/")
    for gold in gold_sources:
        g = gold.rstrip("/")
        if s == g or s.endswith("/" + g) or (g.endswith("/" + s.rsplit("/", 1)[-1]) and s.startswith("/")):
            return True
    return False


def hit_and_rr(retrieved_sources: Sequence[str], gold_sources: Sequence[str], k: int) -> tuple[float, float]:
    """Whether a gold article is in the top k, and the reciprocal rank of the first one."""
    for rank, source in enumerate(retrieved_sources[:k], 1):
        if source_matches(source, gold_sources):
            return 1.0, 1.0 / rank
    return 0.0, 0.0


def answer_in_context(passages: Sequence[str], golds: Sequence[str]) -> float:
    """Whether a normalised gold answer occurs in the normalised retrieved text."""
    text = normalize(" ".join(passages))
    return float(any(normalize(g) and normalize(g) in text for g in golds))


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
