"""Words, stems and sentences of news text and answers: the pieces every stage splits text into.

Sentence spans that do not split at abbreviations ("U.S.", "Gen."), content terms weighted
for matching (numbers and names double, English Snowball stems), the stop words, and the
``[n]`` citation marker pattern. Shared by retrieval (sentence selection, BM25 query terms),
generation (the prompt's passage filter, the extractive backend) and verification (citations,
grounding), so they split text the same way. It decides nothing about answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

MARKER_RE = re.compile(r"\s*\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_BOUNDARY_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[^a-z\s])|\n+")
_ABBREV = frozenset(
    (
        "mr mrs ms dr prof gen col lt sgt capt gov sen rep st jr sr inc corp co ltd vs etc no jan feb "
        "mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u "
    ).split()
)
WORD_RE = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*")
STOPWORDS = frozenset(
    (
        "a about above after again against all also am an and any are as at be because been before being "
        "below between both but by can could did do does doing down during each few for from further had "
        "has have having he her here hers herself him himself his how i if in into is it its itself just "
        "me more most my myself no nor not now of off on once only or other our ours ourselves out over "
        "own same she should so some such than that the their theirs them themselves then there these "
        "they this those through to too under until up very was we were what when where which while who "
        "whom why will with would you your yours yourself yourselves said says according passage "
        "passages article articles "
    ).split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def stems(words: Sequence[str]) -> list[str]:
    """The English (Snowball) stems of ``words``, lowercased: "apologised" and "apologise" share one."""
    return list(_stemmer().stemWords([w.lower() for w in words]))


def content_terms(text: str) -> dict[str, float]:
    """Content terms with weights: numbers and capitalised names count double."""
    words = WORD_RE.findall(text)
    out: dict[str, float] = {}
    for i, (word, stem) in enumerate(zip(words, stems(words), strict=False)):
        if word.lower() in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        strong = word[0].isdigit() or (word[0].isupper() and i > 0)
        key = word.replace(",", "") if word[0].isdigit() else stem
        out[key] = max(out.get(key, 0.0), 2.0 if strong else 1.0)
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text`` (abbreviations such as "U.S." do not split)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY_RE.finditer(text):
        if m.group().startswith(tuple(".!?")) and m.group()[0] == ".":
            before = re.search(r"([A-Za-z.]+)$", text[start : m.start()])
            word = before.group(1).lower().rstrip(".") if before else ""
            if word in _ABBREV or len(word) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
                continue
        _add_span(text, start, m.end(), spans)
        start = m.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
