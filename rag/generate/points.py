"""Write a timeline answer: one dated, cited point per passage, by extraction (no model call).

Each passage ``rag.retrieve.across`` gathered gives the sentence that best answers the topic,
verbatim: the most topic words, weighted by how rare they are among all the passages'
sentences (as the extractive generator weighs them), halved for a heading or fragment that
does not end like a sentence and for a line under six words. A passage none of whose
sentences shares a topic word gives its first full sentence: it was gathered as part of the
story, and news passages lead with their fact. Sentences that address the model
(``rag.generate.injection``) are never picked, and a sentence already given by an earlier
point (a syndicated copy) is not repeated.

Each sentence is verified against its passage by ``rag.verify.cite`` (the same machinery as
every answer), so its ``Citation`` carries the quote and its span; a sentence the verifier does
not support is left out. Points are numbered [1]..[n] in date order, and the answer text is one
line per point: "2024-11-22: sentence [1]." Every backend answers the same way; rephrasing
the points with a model is not done.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from index.embed import Embedder
from rag.generate.injection import addresses_model
from rag.text import MARKER_RE, content_terms, split_sentences
from rag.types import Citation, Hit, TimelinePoint
from rag.verify.cite import verify

SHORT_WORDS = 6  # a line this short is a caption or heading, rarely a development


def dated_points(
    topic: str, hits: list[Hit], embedder: Embedder | None = None
) -> tuple[list[TimelinePoint], list[Citation]]:
    """The points for ``hits`` (already in date order) and their verified citations."""
    wanted = content_terms(topic)
    sentences = [_sentences(h) for h in hits]
    doc_freq: dict[str, int] = {}
    for terms in (t for per_hit in sentences for _, t in per_hit):
        for term in terms:
            doc_freq[term] = doc_freq.get(term, 0) + 1
    total = max(sum(len(s) for s in sentences), 1)
    points: list[TimelinePoint] = []
    citations: list[Citation] = []
    given: list[frozenset[str]] = []
    for hit, options in zip(hits, sentences, strict=True):
        fresh = [(text, terms) for text, terms in options if frozenset(terms) not in given]
        if not fresh:
            continue

        def score(option: tuple[str, dict[str, float]]) -> float:
            text, terms = option
            overlap = sum(math.log(1 + total / doc_freq[t]) * w for t, w in wanted.items() if t in terms)
            if not text.rstrip("\"'”’)").endswith((".", "!", "?")):
                overlap *= 0.5
            return overlap * (0.5 if len(text.split()) < SHORT_WORDS else 1.0)

        best = max(fresh, key=score)  # max keeps the first of equals: the earlier sentence
        if score(best) <= 0:
            best = next((o for o in fresh if _full(o[0])), fresh[0])
        checked = verify(f"{best[0]} [1]", [hit], embedder, topic)
        if not checked.citations:
            continue
        n = len(citations) + 1
        citations.append(replace(checked.citations[0], n=n))
        text = MARKER_RE.sub(f" [{n}]", checked.text)
        points.append(TimelinePoint(hit.published_at[:10], text, n))
        given.append(frozenset(best[1]))
    return points, citations


def timeline_text(points: list[TimelinePoint]) -> list[str]:
    """The answer's lines, one per point: "2024-11-22: sentence [1]." (with line breaks)."""
    lines = [f"{p.published_at}: {p.text}" for p in points]
    return [line + ("\n" if i < len(lines) - 1 else "") for i, line in enumerate(lines)]


def _sentences(hit: Hit) -> list[tuple[str, dict[str, float]]]:
    """The passage's sentences that could make a point, with their content terms."""
    out = []
    for start, end in split_sentences(hit.text):
        text = hit.text[start:end]
        terms = content_terms(text)
        # Two content words at least: the verifier cites nothing shorter ("Yes.").
        if sum(terms.values()) >= 2 and not addresses_model(text) and not re.fullmatch(r"[\W\d_]+", text):
            out.append((text, terms))
    return out


def _full(text: str) -> bool:
    return text.rstrip("\"'”’)").endswith((".", "!", "?")) and len(text.split()) >= SHORT_WORDS
