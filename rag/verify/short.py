"""Cut the question's own words out of a short answer that restates it.

The small model is asked for a short answer but sometimes writes the question back as a
sentence: "Which show received the most nominations?" → "Succession received the most
nominations of any show". This finds the longest run of answer words that also stands, in
the same order, in the question (two or more content words, matched by stem: "apologised"
matches "apologise") and keeps the part of the answer that sits where the question's gap is:

- before the run when the question's wh-phrase comes before it as the subject ("Which show
  received …" → "Succession");
- after the run for why-questions, object questions ("Who did the Academy apologise to?"),
  questions whose wh-word comes after the run, and fill-in questions ending in ":".

If that side is empty the other side is kept; it repeats while a run is found, so "2 million
baby swings and 220,000 rockers were recalled …" becomes "2 million". A run that is part of
a capitalised name on the kept side ("Yellowstone National Park" for "Which national
park …") is left alone, and nothing is cut unless a content word remains. It does not judge
whether the answer is right, and it only reads the question and the short answer line.
"""

from __future__ import annotations

import re

from rag.text import STOPWORDS, stems

_WH = frozenset("what which who whom whose where when why how".split())
_AUX = frozenset("do does did is are was were has have had will would can could should may might".split())
_CAUSE_RE = re.compile(r"^(?:due to|because of|because|as a result of|owing to)\s+", re.IGNORECASE)
_LEAD_VERB_RE = re.compile(r"^(?:(?:is|are|was|were|will|would|has|have|had|said|says)\s+)+(?=\S)", re.IGNORECASE)
_EDGE = " \t\"'“”‘’,.;:!?()[]-–—"
_MIN_RUN = 2  # content words a run needs before it counts as restating the question
_AUX_WINDOW = 3  # words after the wh-word searched for an auxiliary ("What special announcement did")


def _key(token: str) -> str:
    token = re.sub(r"['’]s$", "", token.strip(_EDGE))
    return re.sub(r"[^a-z0-9]", "", token.lower())


def _longest_run(answer: list[str], question: list[str]) -> tuple[int, int, int, int] | None:
    """(answer start, answer end, question start, question end) of the longest shared run.

    Words match by stem; the run with the most content words wins.
    """
    a_stems, q_stems = stems(answer), stems(question)
    best: tuple[int, int, int, int] | None = None
    best_content = 0
    for i in range(len(answer)):
        for j in range(len(question)):
            n = 0
            while i + n < len(answer) and j + n < len(question) and answer[i + n] and a_stems[i + n] == q_stems[j + n]:
                n += 1
            content = sum(1 for k in answer[i : i + n] if k not in STOPWORDS)
            if content >= _MIN_RUN and content > best_content:
                best, best_content = (i, i + n, j, j + n), content
    return best


def _gap_after(question: list[str], q_start: int) -> bool:
    """Whether the question's answer follows the restated words (else it precedes them)."""
    wh = next((i for i, k in enumerate(question) if k in _WH), None)
    if wh is None or question[wh] == "why" or wh >= q_start:  # the wh-word is in or after the run
        return True
    return any(k in _AUX for k in question[wh + 1 : wh + 1 + _AUX_WINDOW])


def _capitalised(token: str) -> bool:
    token = token.lstrip(_EDGE)
    return bool(token) and token[0].isupper()


def _names_join(tokens: list[str], run: tuple[int, int], after: bool) -> bool:
    """Whether the run and the side kept form one capitalised name ("Yellowstone National Park")."""
    start, end = run
    if not all(_capitalised(t) for t in tokens[start:end]):
        return False
    if after and re.search(r"['’]s\W*$", tokens[end - 1]):
        return False  # "John Constable's" ends a name: what follows is another one
    kept = (tokens[end] if end < len(tokens) else "") if after else (tokens[start - 1] if start else "")
    return bool(kept) and _capitalised(kept)


def _has_content(tokens: list[str]) -> bool:
    return any(_key(t) and _key(t) not in STOPWORDS for t in tokens)


def _cut_once(tokens: list[str], question: list[str]) -> list[str] | None:
    """The answer's side of its longest restated run, or None when nothing should be cut."""
    run = _longest_run([_key(t) for t in tokens], question)
    if run is None:
        return None
    a_start, a_end, q_start, _ = run
    after = _gap_after(question, q_start)
    side = tokens[a_end:] if after else tokens[:a_start]
    if not _has_content(side):  # nothing where the gap is: the answer is on the other side
        after = not after
        side = tokens[a_end:] if after else tokens[:a_start]
    if not _has_content(side) or _names_join(tokens, (a_start, a_end), after):
        return None  # the "restated" words belong to the answer's name
    return side


def trim(short: str, question: str) -> str:
    """``short`` without the words that restate ``question``; ``short`` itself when none do."""
    question_keys = [k for k in (_key(t) for t in question.split()) if k]
    tokens = [t for t in short.split() if _key(t) or t.strip(_EDGE)]
    cut = False
    while len(tokens) > 1:
        kept = _cut_once(tokens, question_keys)
        if kept is None:
            break
        tokens, cut = kept, True
    if not cut:
        return short
    text = " ".join(tokens).strip(_EDGE)
    text = _LEAD_VERB_RE.sub("", text)  # "is the speaker of Parliament": the subject was cut
    return _CAUSE_RE.sub("", text).strip(_EDGE) or short
