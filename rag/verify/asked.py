"""What a question asks about, and whether the passages mention it at all.

The small local model, given passages about a neighbouring topic, answers from them anyway:
"Who is Lebanon's prime minister?" gets Israel's prime minister, "How many Hezbollah fighters
were killed?" gets a count of civilians and soldiers. Each such question names something the
passages never mention, and that is cheap to check before trusting the answer. ``unmentioned``
checks two question shapes and says what is missing, or returns "":

- a count, "how many <things>": the passages cited for the answer must name the things
  counted (any plain word of the phrase; names such as "Hezbollah" do not count);
- a role, "Who is <X>'s <role>?" or "Who is the <role> of <X>?": some passage must name the
  role right beside X ("Lebanon's prime minister", "Lebanese Prime Minister", "prime minister
  of Lebanon"), a country's usual adjective included.

It does not check other question shapes (an ordinal such as "the third phase" was tried and
refused correct answers), synonyms ("troops" for "soldiers", "leader" for "head"; only "PM"
and "CEO" are written out), or whether an answer that passes is right: a role phrase found
anywhere in the passages lets any name through, and a count whose noun is there lets any
number through. The checks were designed on the sample set's unanswerable questions;
RealTimeQA's stored answers are the check that they refuse no correct answer (docs/EVALS.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import STOPWORDS, WORD_RE, stems
from rag.types import Hit

_COUNT_RE = re.compile(r"\bhow many\s+([^?.,;:]*)", re.IGNORECASE)
_OWNER = r"(?:the\s+)?([A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*)"
_ROLE = r"((?:[A-Za-z-]+\s+){0,2}[A-Za-z-]+)"  # one to three words
_ROLE_RES = (
    re.compile(rf"^\W*(?i:who|what)\s+(?i:is|was|are|were)\s+(?i:the\s+name\s+of\s+)?{_OWNER}['’]s\s+{_ROLE}\s*\?"),
    re.compile(
        rf"^\W*(?i:who|what)\s+(?i:is|was|are|were)\s+(?i:the\s+name\s+of\s+)?(?i:the)\s+{_ROLE}\s+of\s+{_OWNER}\s*\?"
    ),
)
# Country adjectives that do not start like the country's name (prefixes match the rest:
# "Israel"/"Israeli", "Lebanon"/"Lebanese" share their first five letters).
_ADJECTIVES = {
    "britain": ("british",),
    "uk": ("british", "britain"),
    "united kingdom": ("british", "britain", "uk"),
    "france": ("french",),
    "netherlands": ("dutch",),
    "switzerland": ("swiss",),
    "ireland": ("irish",),
    "wales": ("welsh",),
    "denmark": ("danish",),
    "finland": ("finnish",),
    "norway": ("norwegian",),
    "spain": ("spanish",),
    "poland": ("polish",),
    "philippines": ("filipino", "philippine"),
    "us": ("american", "u.s."),
    "u.s.": ("american", "us"),
    "america": ("american", "us", "u.s."),
    "united states": ("american", "us", "u.s."),
    "cyprus": ("cypriot",),
}
_SPELLINGS = {"defence": "defense", "labour": "labor", "organisation": "organization"}
_SHORT_FORMS = {"pm": ("prime", "minister"), "ceo": ("chief", "executive")}  # as news writes them
_WINDOW = 2  # words allowed between the owner and the role ("Israel's new defense minister")


def unmentioned(question: str, passages: Sequence[Hit], cited: Sequence[Hit]) -> str:
    """What ``question`` asks about that the passages never mention, or "" when they do (or it can't tell).

    ``cited`` are the passages the answer's first sentence cites; ``passages`` all it was given.
    """
    counted = _counted(question)
    if counted and cited and not set(stems(_words(" ".join(counted)))) & _stem_set(cited):
        return f"the passages it cites never mention {' '.join(counted)}"
    role = _role(question)
    if role and not _has_role(passages, *role):
        owner, words = role
        return f"no passage names {owner}'s {' '.join(words)}"
    return ""


def _counted(question: str) -> list[str]:
    """The plain words of what "how many" counts: "How many Hezbollah fighters have…" → ["fighters"]."""
    m = _COUNT_RE.search(question)
    if not m:
        return []
    run: list[str] = []
    for word in WORD_RE.findall(m.group(1)):
        if word.lower() in STOPWORDS:
            break
        run.append(word)
    return [w.lower() for w in run if w[0].islower()]


def _words(text: str) -> list[str]:
    """Lowercased words, one spelling for British and American ones, "PM" and "CEO" written out."""
    out: list[str] = []
    for word in WORD_RE.findall(text):
        low = _SPELLINGS.get(word.lower(), word.lower())
        if low == "officer" and out[-2:] == ["chief", "executive"]:
            continue  # "chief executive officer" is the CEO
        out.extend(_SHORT_FORMS.get(low, (low,)))
    return out


def _stem_set(passages: Sequence[Hit]) -> set[str]:
    out: set[str] = set()
    for hit in passages:
        out.update(stems(_words(f"{hit.title} {hit.text}")))
    return out


def _role(question: str) -> tuple[str, list[str]] | None:
    """(owner, role words) of "Who is Lebanon's prime minister?" or "Who is the CEO of Twitter?"."""
    for i, pattern in enumerate(_ROLE_RES):
        m = pattern.match(question.strip())
        if m:
            owner, role = (m.group(1), m.group(2)) if i == 0 else (m.group(2), m.group(1))
            words = _words(role)
            return (owner, words) if not any(w in STOPWORDS for w in words) else None
    return None


_OWNER_ADJECTIVES = {  # the table above, keys and adjectives as ``_words`` reads them ("u.s." → u s)
    tuple(_words(name)): [tuple(_words(a)) for a in adjectives] for name, adjectives in _ADJECTIVES.items()
}


def _owner_forms(owner: str) -> list[tuple[str, ...]]:
    """The word sequences that name ``owner``: its name and its country adjectives."""
    name = tuple(_words(owner))
    return [name, *_OWNER_ADJECTIVES.get(name, [])]


def _names_owner(words: list[str], forms: list[tuple[str, ...]]) -> bool:
    """Whether ``words`` hold one of ``forms``, or a word sharing a one-word owner's first five letters."""
    for form in forms:
        n = len(form)
        if any(tuple(words[j : j + n]) == form for j in range(len(words) - n + 1)):
            return True
    name = forms[0]
    n = min(5, len(name[0]))
    return len(name) == 1 and n >= 4 and any(w[:n] == name[0][:n] for w in words)


def _has_role(passages: Sequence[Hit], owner: str, role: list[str]) -> bool:
    """Whether a passage names ``role`` beside ``owner``: "<owner>('s) … <role>" or "<role> of (the) <owner>"."""
    want = stems(role)
    forms = _owner_forms(owner)
    span = max(len(f) for f in forms) + 1  # an owner's words, and the "s" of "Iran's"
    for hit in passages:
        words = _words(hit.text)
        got = stems(words)
        for i in range(len(got) - len(want) + 1):
            if got[i : i + len(want)] != want:
                continue
            if _names_owner(words[max(0, i - span - _WINDOW) : i], forms):
                return True
            after = words[i + len(want) : i + len(want) + span + 2]
            if after[:1] == ["of"] and _names_owner(after[1 : 2 + span], forms):
                return True
    return False
