"""Split a two-part question into its parts, and join the answers to the parts into one.

"Who is Hezbollah's new leader, and which official held a news conference in Beirut?" asks
about two articles; one retrieval for the whole question tends to fill every slot with the
article that matches best and miss the other. ``parts`` splits such questions by their
grammar alone (no model call):

- two questions joined by "and" before a question word ("…, and which official …"), when the
  first is itself a question ("Keir Starmer visited Paris and which other capital…?" is one);
- a list after a colon ("Which two officials are named: the president Putin phoned, and the
  head of the delegation?"): each item with the words before the colon. Only a list of things
  described, each to be looked up: a list of names ("Which teams are playing in the final:
  Spain and England?") offers the answer or the options, and is asked as one question; nor is
  a colon with no space after it ("https://…", "10:30") punctuation;
- in a question that asks for several ("Who are …"), two capitalised words joined by "and"
  before what they qualify ("the Israeli and Russian foreign ministers"): the question once
  with each. ("Did Israel and Lebanon exchange drafts?" is one question and stays whole, and so
  is a name with a possessive, "Procter and Gamble's rivals".)

The answer engine retrieves for and answers each part on its own, then ``combine`` joins the
answers: the short answers on the first line ("Naim Qassem and Mohammad Afif"), each part's
supporting sentence after it, citations renumbered. (Retrieving for the parts but answering in
one prompt was measured first: the passages then held both names for 3 of the sample set's 5
two-part questions, yet the 1.5B model named only one.) A question with one part is answered
exactly as before. It does not rewrite questions with a model, nor split more than one level.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

from rag.generate.prompt import REFUSAL_TEXT, short_answer
from rag.text import MARKER_RE, STOPWORDS, WORD_RE
from rag.types import Answer, Hit

_WH = r"(?:who|whom|whose|which|what|where|when|why|how)"
_JOINED_RE = re.compile(rf",?\s+and\s+(?={_WH}\b)", re.IGNORECASE)
_LIST_RE = re.compile(r"^(?P<head>[^:]{3,}):\s+(?P<items>.+)$")
_ITEMS_RE = re.compile(r",\s*and\s+|\s+and\s+|;\s*|,\s*(?=the\s)", re.IGNORECASE)
_PAIR_RE = re.compile(r"\b([A-Z][\w'-]+)\s+and\s+([A-Z][\w-]+)\s+(?=[a-z])")  # no "Gamble's"
_ASKS_RE = re.compile(rf"^\W*(?:{_WH}|is|are|was|were|do|does|did|can|could|will|would|has|have|had)\b", re.I)
_PLURAL_RE = re.compile(rf"^{_WH}\b.*\b(?:are|were)\b", re.IGNORECASE)  # "Who are the …": asks for several
_LEAD_RE = re.compile(rf"^(?:{_WH}\s+\w+\s+)", re.IGNORECASE)  # "Which two", "Who are"


def parts(question: str) -> list[str]:
    """The parts of a two-part ``question`` (each a searchable question), or ``[question]``."""
    q = question.strip()
    found = [p.strip(" ,;?") for p in _JOINED_RE.split(q)]
    if len(found) > 1 and _ASKS_RE.match(found[0]):
        return _kept(found, q)
    listed = _LIST_RE.match(q)
    if listed:
        head = _LEAD_RE.sub("", listed.group("head")).strip()
        items = [i.strip(" ,;?") for i in _ITEMS_RE.split(listed.group("items")) if i.strip(" ,;?")]
        if len(items) > 1 and all(_describes(i) for i in items):
            return _kept([f"{head} {i}" for i in items], q)
    pair = _PAIR_RE.search(q)
    if pair and _PLURAL_RE.search(q[: pair.start()]) and pair.group(1).lower() != pair.group(2).lower():
        one = q[: pair.start()] + pair.group(1) + " " + q[pair.end() :]
        two = q[: pair.start()] + pair.group(2) + " " + q[pair.end() :]
        return _kept([one, two], q)
    return [q]


def _describes(item: str) -> bool:
    """Whether a listed item describes something (a lowercase word beyond the stop words: "the
    head of the delegation") rather than naming it ("Spain", "the Bank of England", "2024")."""
    return any(w[0].islower() and w.lower() not in STOPWORDS for w in WORD_RE.findall(item))


def _kept(found: list[str], question: str) -> list[str]:
    """Parts with enough words to search by; the question itself when fewer than two remain."""
    good = [p for p in dict.fromkeys(found) if len(p.split()) >= 3]
    return good if len(good) > 1 else [question]


def merge_hits(found: list[list[Hit]]) -> list[Hit]:
    """Each part's passages in turn, without repeats: what the sources panel shows."""
    merged: dict[str, Hit] = {}
    for hits in found:
        for hit in hits:
            merged.setdefault(hit.chunk_id, hit)
    return list(merged.values())


def combine(question: str, search_query: str, split: list[str], answers: list[Answer], backend: str) -> Answer:
    """One answer from the answers to each part of ``question``.

    The first line joins the parts' short answers with "and" (each keeping its citation
    marker); their supporting sentences follow in order. Citations are renumbered across the
    parts (a passage cited by both keeps one number). A part the articles do not answer is
    named on a line of its own; when no part is answered, the whole answer is a refusal.
    """
    sources = merge_hits([a.sources for a in answers])
    out = Answer(question=question, answer="", refused=False, sources=sources, backend=backend)
    out.search_query = search_query
    out.timings = _timings(answers)
    errors = [a.error for a in answers if a.error]
    answered = [(part, a) for part, a in zip(split, answers, strict=True) if not a.refused and not a.error]
    if not answered:
        out.answer, out.refused, out.error = (REFUSAL_TEXT, not errors, errors[0] if errors else "")
        if out.refused:  # every part refused: the first part's reason stands for the whole
            out.verdict = next((a.verdict for a in answers if a.verdict), None)
        return out
    numbers: dict[str, int] = {}  # chunk id -> citation number in the combined answer
    shorts, supports = [], []
    for _, a in answered:
        renumber = {}
        for c in a.citations:
            if c.chunk_id not in numbers:
                numbers[c.chunk_id] = len(numbers) + 1
                out.citations.append(replace(c, n=numbers[c.chunk_id]))
            renumber[c.n] = numbers[c.chunk_id]
        text = MARKER_RE.sub(partial(_marks, renumber=renumber), a.answer)
        first, _, rest = text.partition("\n")
        shorts.append(first.strip())
        if rest.strip():
            supports.append(rest.strip())
    out.short_answer = " and ".join(a.short_answer or short_answer(a.answer) for _, a in answered)
    missing = [part for part, a in zip(split, answers, strict=True) if a.refused or a.error]
    lines = [" and ".join(shorts), *supports]
    lines += [f"The articles don't say: {part.rstrip('?')}?" for part in missing]
    out.answer = "\n".join(lines)
    return out


def _marks(match: re.Match[str], renumber: dict[int, int]) -> str:
    return "".join(f" [{renumber.get(int(n), int(n))}]" for n in match.group(1).split(","))


def _timings(answers: list[Answer]) -> dict[str, float]:
    """Generation time and token counts summed over the parts (their clocks start at each part)."""
    out: dict[str, float] = {}
    for key in ("generation", "prompt_tokens", "cached_prompt_tokens", "answer_tokens"):
        values = [a.timings[key] for a in answers if key in a.timings]
        if values:
            out[key] = sum(values)
    return out
