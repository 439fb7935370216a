"""Named entities and the key sentence of an article's headline and lead, by a transparent heuristic.

Entities are lower-cased single words that are capitalized where English does not require it:
inside a sentence of the lead, an acronym (``NATO``, ``U.S.``), or a sentence-initial word also
capitalized mid-sentence elsewhere or followed by another capitalized word ("Hezbollah said",
"Gideon Saar said"). Headlines are often written in Title Case, where capitals say nothing: a
Title-Case headline adds only its acronyms and the words the lead capitalizes too. Words of
``STOP`` (weekdays, months, titles, pronouns, news agencies that sign every wire story) never
count. Single words rather than names, so "Benjamin Netanyahu" and "Netanyahu" share one.

The key sentence is the lead's first sentence that reads as news: 6-60 words, an entity, a verb
(a small list, or a word ending in -ed), and no boilerplate (captions, sign-ups, credits).

It leaves out any model (nothing is downloaded), numbers with units, and telling people from
places (a story is what its articles share, whatever kind of name that is).
"""

from __future__ import annotations

import re

LEAD_CHARS = 1500  # about the first passage: what a story is about is said up front

STOP = frozenset(
    """
    a an the this that these those it its he she his her they their we our you your i my me us them
    and or but if so as at by for from in into of on to with without after before since while when
    where what who why how there here then than also not no yes all any some more most many much
    mr mrs ms dr sir gov sen rep president prime minister secretary chief officials official spokesman
    spokeswoman says said according told photo file getty images video watch read more click copyright
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    ap afp reuters cnn associated press upi tt new news breaking update updated live
    """.split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’.\-]*[A-Za-z.]|[A-Za-z]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])|\n+")
_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}|[A-Z]{2,6}")
_VERB = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|could|can|may|might|must|did|does|do|says|said|"
    r"won|lost|told|made|took|gave|met|hit|left|led|ran|fell|rose|sent|won't|struck|sought|began|became|"
    r"[a-z]{3,}ed|[a-z]{3,}s)\b"
)
_CREDIT = re.compile(r"\((?:AP|Reuters|AFP|Getty Images|File|Photo)[^)]{0,40}\)\W*$", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"sign up|subscribe|newsletter|cookie|click here|advertis|all rights reserved|getty|file photo|"
    r"\((?:ap|reuters|afp|getty images)\)\s*$|^(?:photo|image|video|watch|read more|listen)\b|"
    r"how relevant is this ad|javascript|your browser",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """``text`` split at sentence ends and line breaks, blank pieces dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def body_lines(lead: str) -> list[str]:
    """The lead's paragraphs that are prose: no photo captions (ending in a credit such as
    "(AP)"), no repeated lines (scraped pages repeat the headline and captions), no Title-Case
    headings."""
    seen: set[str] = set()
    kept = []
    for line in lead[:LEAD_CHARS].splitlines():
        line = line.strip().lstrip("#").strip()
        if not line or line in seen or _CREDIT.search(line) or _title_case(_WORD.findall(line)):
            seen.add(line)
            continue
        seen.add(line)
        kept.append(line)
    return kept


def _norm(word: str) -> str:
    word = re.sub(r"['’]s$", "", word).strip("'’.-")
    return word.replace(".", "").lower() if _ACRONYM.fullmatch(word + ".") or "." in word else word.lower()


def _capitalized(word: str) -> bool:
    return word[:1].isupper()


def _lead_entities(lead: str) -> set[str]:
    parts = [_WORD.findall(s) for line in body_lines(lead) for s in sentences(line)]
    inner = {_norm(w) for words in parts for w in words[1:] if _capitalized(w)}
    found: set[str] = set()
    for words in parts:
        for i, word in enumerate(words):
            if not _capitalized(word):
                continue
            key = _norm(word)
            initial_ok = key in inner or (i + 1 < len(words) and _capitalized(words[i + 1]))
            if i > 0 or initial_ok or _ACRONYM.fullmatch(word):
                found.add(key)
    return found


def _title_case(words: list[str]) -> bool:
    """Most longer words capitalized: a headline or heading, whose capitals say nothing."""
    long = [w for w in words if len(w) >= 4]
    return len(long) >= 2 and sum(_capitalized(w) for w in long) / len(long) > 0.6


def entities(title: str, lead: str) -> frozenset[str]:
    """The entities of an article's headline and lead (lower-cased words; see the module)."""
    found = _lead_entities(lead)
    words = _WORD.findall(title)
    if _title_case(words):
        found |= {_norm(w) for w in words if _ACRONYM.fullmatch(w) or _norm(w) in found}
    else:
        found |= {_norm(w) for i, w in enumerate(words) if _capitalized(w) and (i > 0 or _ACRONYM.fullmatch(w))}
    return frozenset(e for e in found if len(e) > 1 and e not in STOP and not e.isdigit())


def key_sentence(title: str, lead: str) -> str:
    """The lead's first sentence that says what happened; the headline when none does."""
    names = _lead_entities(lead) - STOP
    for sentence in (s for line in body_lines(lead) for s in sentences(line)):
        words = sentence.split()
        if not 6 <= len(words) <= 60 or sentence.strip() == title.strip() or _BOILERPLATE.search(sentence):
            continue
        if _VERB.search(sentence) and any(_norm(w) in names for w in _WORD.findall(sentence)):
            return sentence
    return title.strip()
