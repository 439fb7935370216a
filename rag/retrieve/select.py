"""Context selection under a token budget: the sentences that matter, not whole chunks.

The local model reads ~70 prompt tokens a second, so every passage token costs time. Given
the ranked candidate chunks of a question, ``select_context`` scores each sentence by how
much of the question it covers (question terms weighted by their rarity among the
candidates' sentences) plus a prior for the chunk's rank, and fills the budget greedily
with the best sentences. Each selected sentence brings its neighbour when the budget
allows (an answer often sits next to the sentence that names the topic). The result is
one passage per chunk that contributed, best chunk first, its sentences in article order
joined by " … " where text was skipped; a passage's ``text`` is exactly what the model reads,
so citations point into it.

It does not retrieve, and it does not embed sentences (measured too slow on 2 cores for
the gain); ``budget`` counts the tokens of headlines and text with the given counter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from rag.text import content_terms, split_sentences
from rag.types import Hit

Counter = Callable[[str], Sequence[object]]  # text -> its tokens (only their number is used)

GAP = " … "
FRAMING_TOKENS = 8  # "[n] " and the date around each passage's headline
RANK_PRIOR = 0.35  # how much the retriever's rank weighs against question coverage


def select_context(question: str, hits: Sequence[Hit], budget: int, count: Counter) -> list[Hit]:
    """The best sentences of ``hits`` (ranked best first) that fit in ``budget`` tokens."""
    if not hits:
        return []
    sentences: list[tuple[int, int, str]] = []  # (hit index, sentence index, text)
    per_hit: list[list[str]] = []
    for h, hit in enumerate(hits):
        texts = [hit.text[s:e] for s, e in split_sentences(hit.text)]
        per_hit.append(texts)
        sentences += [(h, i, t) for i, t in enumerate(texts)]
    terms = [content_terms(t) for _, _, t in sentences]
    q_terms = content_terms(question)
    df: dict[str, int] = {}
    for found in terms:
        for key in found:
            df[key] = df.get(key, 0) + 1
    n = len(sentences)
    idf = {k: math.log(1.0 + n / (1.0 + df.get(k, 0))) for k in q_terms}
    total = sum(idf[k] * w for k, w in q_terms.items()) or 1.0

    def covered(j: int) -> float:
        return sum(idf[k] * w for k, w in q_terms.items() if k in terms[j]) / total

    def score(j: int) -> float:
        return covered(j) + RANK_PRIOR / (1.0 + sentences[j][0])

    order = sorted(range(n), key=score, reverse=True)
    index = {(h, i): j for j, (h, i, _) in enumerate(sentences)}
    chosen: set[int] = set()
    headed: set[int] = set()
    used = 0

    def take(j: int) -> bool:
        nonlocal used
        h, _, text = sentences[j]
        cost = len(count(text)) + 1
        if h not in headed:
            cost += len(count(hits[h].title)) + FRAMING_TOKENS
        if used + cost > budget:
            return False
        used += cost
        chosen.add(j)
        headed.add(h)
        return True

    for j in order:
        if j in chosen:
            continue
        if not take(j):  # no room for it: nor for its neighbours, which are context for it alone
            if used >= budget - 8:
                break
            continue
        h, i, _ = sentences[j]
        for neighbour in (i + 1, i - 1):  # context for the sentence, if there is room
            k = index.get((h, neighbour))
            if k is not None and k not in chosen:
                take(k)
    out = []
    for h in sorted(headed):
        picked = sorted(i for j, (hh, i, _) in enumerate(sentences) if hh == h and j in chosen)
        parts: list[str] = []
        for pos, i in enumerate(picked):
            if pos and i != picked[pos - 1] + 1:
                parts.append(GAP.strip())
            parts.append(per_hit[h][i])
        out.append(replace(hits[h], text=" ".join(parts)))
    return out
