"""What a question asks about, and whether the passages mention it at all.

The small local model, given passages about a neighbouring topic, answers from them anyway:
"Who is Lebanon's prime minister?" gets Israel's prime minister, "How many Hezbollah fighters
were killed?" gets a count of civilians and soldiers. Each such question names something the
passages never mention, and that is cheap to check before trusting the answer. ``unmentioned``
checks two question shapes and says what is missing, or returns "":

- a count, "how many <things>": the passages cited for the answer must name the things
  counted (any plain word of the phrase; names such as "Hezbollah" do not count), or give a
  number with the noun left out and the question's verb beside it ("At least 95 were killed",
  "the attack killed 95" for "How many people were killed?"; deaths are also "dead", "deaths",
  "death toll"). For people in general ("people", "persons") a number with any noun will do
  ("95 Palestinians were killed"); for anything else the number must not count another noun
  ("100 civilians were killed" does not answer "How many fighters were killed?");
- a role, "Who is <X>'s <role>?" or "Who is the <role> of <X>?": some passage must name the
  role right beside X — "<X>('s) <role>" ("Lebanon's prime minister", "Lebanese Prime
  Minister", "New York Mayor" for New York City, "OpenAI chief"), "<role> (<Name>) of <X>"
  ("prime minister of Lebanon", "Mayor Eric Adams of New York", "Eric Adams, mayor of New
  York"). A country's adjective counts ("French", "South Korean"), and a role's usual synonyms
  (CEO, chief executive, chief, head, boss; leader, head; prime minister, premier; a minister
  and a secretary of the same portfolio; Gov., Sen. and the like written out).

It does not check other question shapes (an ordinal such as "the third phase" was tried and
refused correct answers), other synonyms ("troops" for "soldiers", "floors" for "stories",
"finance minister" for a British chancellor), a title with its owner left out ("President
Joe Biden", "Defense Secretary Pete Hegseth": counting those would let "Prime Minister
Benjamin Netanyahu" answer for Lebanon in a passage that names Lebanon), an owner named only
by reference ("the country's new prime minister"), or whether an answer that passes is right: a role phrase
found anywhere in the passages lets any name through, and a count whose noun is there lets
any number through. Measured on RealTimeQA sentences that state the gold answer (docs/EVALS.md,
issues #8 and #32): right in 24 of its 31 firings there, under the 0.9 issue #32 asks; it stays on
because turning it off, or leaving bare titles alone, loses sample-set refusals (docs/EVALS.md).
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
# "Israel"/"Israeli", "Lebanon"/"Lebanese", "South Korea"/"South Korean" share their start).
_ADJECTIVES = {
    "britain": ("british", "uk"),
    "uk": ("british", "britain"),
    "united kingdom": ("british", "britain", "uk"),
    "england": ("english",),
    "scotland": ("scottish",),
    "france": ("french",),
    "netherlands": ("dutch",),
    "switzerland": ("swiss",),
    "ireland": ("irish",),
    "wales": ("welsh",),
    "denmark": ("danish",),
    "finland": ("finnish",),
    "norway": ("norwegian",),
    "sweden": ("swedish",),
    "spain": ("spanish",),
    "poland": ("polish",),
    "greece": ("greek",),
    "turkey": ("turkish", "türkiye"),
    "italy": ("italian",),
    "china": ("chinese",),
    "thailand": ("thai",),
    "myanmar": ("burmese",),
    "philippines": ("filipino", "philippine"),
    "us": ("american", "u.s."),
    "u.s.": ("american", "us"),
    "america": ("american", "us", "u.s."),
    "united states": ("american", "us", "u.s."),
    "eu": ("european",),
    "european union": ("eu", "european"),
    "uae": ("emirati",),
    "united arab emirates": ("uae", "emirati"),
    "new york city": ("nyc",),
    "cyprus": ("cypriot",),
}
_SPELLINGS = {"defence": "defense", "labour": "labor", "organisation": "organization", "storey": "story"}
_SHORT_FORMS = {  # as news writes them
    "pm": ("prime", "minister"),
    "ceo": ("chief", "executive"),
    "gov": ("governor",),
    "sen": ("senator",),
    "rep": ("representative",),
    "pres": ("president",),
    "secretary-general": ("secretary", "general"),
}
# Roles news writes in more than one way: a role matches any of its group's forms.
_SYNONYMS = (
    (("chief", "executive"), ("chief",), ("boss",), ("head",)),
    (("leader",), ("head",), ("chief",)),
    (("prime", "minister"), ("premier",)),
    (("secretary", "general"), ("chief",), ("head",)),
    (("director",), ("director", "general"), ("head",), ("chief",)),
    (("chairman",), ("chair",), ("chairwoman",), ("chairperson",), ("head",)),
    (("spokesman",), ("spokeswoman",), ("spokesperson",)),
)
# The last word of an owner that names what kind of place or body it is: "New York" is New York City.
_GENERIC = frozenset("city state county province region republic kingdom company corporation group".split())
_WINDOW = 2  # words allowed between the owner and the role ("Israel's new defense minister")
_TITLE_NAME = 3  # capitalised words of a name after a role ("Mayor Eric Adams of New York")
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion dozen dozens".split()
)
_PEOPLE = frozenset(("people", "persons", "individuals"))  # counted in general: any noun names them
_DEATHS = frozenset(stems(["killed", "died", "dead", "deaths", "death", "toll", "fatalities", "lives"]))
_NEAR = 3  # words between a number and the verb it is the subject or object of


def unmentioned(question: str, passages: Sequence[Hit], cited: Sequence[Hit]) -> str:
    """What ``question`` asks about that the passages never mention, or "" when they do (or it can't tell).

    ``cited`` are the passages the answer's first sentence cites; ``passages`` all it was given.
    """
    counted = _counted(question)
    if counted and cited and not _mentions_count(question, counted, cited):
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


def _predicate(question: str) -> set[str]:
    """Stems of the question's verb after what it counts: "How many people were killed?" → {"kill"}.

    With no stop word after the counted words, their last word is the verb ("How many people died?").
    """
    m = _COUNT_RE.search(question)
    words = [w.lower() for w in WORD_RE.findall(m.group(1))] if m else []
    run = 0
    while run < len(words) and words[run] not in STOPWORDS:
        run += 1
    after = [w for w in words[run:] if w not in STOPWORDS]
    verb = set(stems(after[:1] or (words[run - 1 : run] if run > 1 else [])))
    return verb | _DEATHS if verb & _DEATHS else verb


def _is_number(word: str) -> bool:
    return word[:1].isdigit() or word in _NUMBER_WORDS


def _mentions_count(question: str, counted: list[str], cited: Sequence[Hit]) -> bool:
    """Whether the cited passages name the things counted, or count them with the noun left out."""
    want = set(stems(_words(" ".join(counted))))
    verb = _predicate(question)
    general = bool(_PEOPLE & set(counted))
    for hit in cited:
        words = _words(f"{hit.title} {hit.text}")
        got = stems(words)
        if want & set(got):
            return True
        for i, word in enumerate(words):
            if not verb or not _is_number(word):
                continue
            nxt = words[i + 1] if i + 1 < len(words) else ""
            names_a_noun = bool(nxt) and nxt not in STOPWORDS and not _is_number(nxt) and got[i + 1] not in verb
            if names_a_noun and not general:
                continue  # "100 civilians were killed" counts civilians, not fighters
            if verb & set(got[i + 1 : i + 2 + _NEAR]) or verb & set(got[max(0, i - _NEAR) : i]):
                return True
    return False


def _words(text: str) -> list[str]:
    """Lowercased words, one spelling for British and American ones, short forms written out."""
    return [w for w, _ in _cased(text)]


def _cased(text: str) -> list[tuple[str, bool]]:
    """``_words`` with whether each word was capitalised in ``text``."""
    out: list[tuple[str, bool]] = []
    for word in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)?|\d+(?:[.,]\d+)*", text):
        low = _SPELLINGS.get(word.lower(), word.lower())
        if low == "officer" and [w for w, _ in out[-2:]] == ["chief", "executive"]:
            continue  # "chief executive officer" is the CEO
        parts = _SHORT_FORMS.get(low) or tuple(low.split("-"))
        out.extend((part, word[0].isupper()) for part in parts)
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
    """The word sequences that name ``owner``: its name, its country adjectives, its initials, its name
    without a last generic word ("New York" for "New York City")."""
    name = tuple(_words(owner))
    forms = [name, *_OWNER_ADJECTIVES.get(name, [])]
    if len(name) > 1 and name[-1] in _GENERIC:
        forms.append(name[:-1])
    capitals = [w for w in owner.split() if w[:1].isupper()]
    if len(capitals) > 2:
        forms.append((("".join(w[0] for w in capitals)).lower(),))  # "IOC"
    return forms


def _role_forms(role: list[str]) -> list[tuple[str, ...]]:
    """``role`` and the ways news also writes it ("chief" for "chief executive", "defense secretary"
    for "defense minister")."""
    want = tuple(role)
    forms = [want]
    for group in _SYNONYMS:
        if want in group:
            forms += [form for form in group if form not in forms]
    if len(want) > 1 and want[-1] in ("minister", "secretary"):
        forms.append((*want[:-1], "secretary" if want[-1] == "minister" else "minister"))
    return forms


def _names_owner(words: list[str], forms: list[tuple[str, ...]]) -> bool:
    """Whether ``words`` hold one of ``forms``, the last word of a form as a prefix of at least four letters
    ("Lebanese" for Lebanon, "South Korean" for South Korea)."""
    for form in forms:
        n = len(form)
        for j in range(len(words) - n + 1):
            if tuple(words[j : j + n - 1]) != form[:-1]:
                continue
            last, word = form[-1], words[j + n - 1]
            k = min(5, len(last))
            if word == last or (k >= 4 and word[:k] == last[:k] and not last[:1].isdigit()):
                return True
    return False


def _has_role(passages: Sequence[Hit], owner: str, role: list[str]) -> bool:
    """Whether a passage names ``role`` beside ``owner`` (see the module's docstring for the forms)."""
    owners = _owner_forms(owner)
    span = max(len(f) for f in owners) + 1  # an owner's words, and the "s" of "Iran's"
    for hit in passages:
        cased = _cased(hit.text)
        words = [w for w, _ in cased]
        got = stems(words)
        for want in (stems(list(form)) for form in _role_forms(role)):
            for i in range(len(got) - len(want) + 1):
                if got[i : i + len(want)] != want:
                    continue
                if _names_owner(words[max(0, i - span - _WINDOW) : i], owners):
                    return True
                end = i + len(want)
                name = 0
                while name < _TITLE_NAME and end + name < len(cased) and cased[end + name][1]:
                    name += 1
                after = words[end + name : end + name + span + 2]
                if after[:1] == ["of"] and _names_owner(after[1 : 2 + span], owners):
                    return True
    return False
