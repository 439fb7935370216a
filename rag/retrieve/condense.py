"""Turn a follow-up question into a standalone one for retrieval.

"And who leads their delegation?" means nothing to a search index on its own. When a
question is a follow-up, the content words of the previous standalone question are added to
it, so retrieval sees what the conversation is about. Questions that stand on their own pass
through unchanged. The result is shown to the user as "searched for".

A question is a follow-up when it (in this order):

- opens like one ("and", "but", "what about"…);
- points outside itself: a pronoun or pointer that nothing in the question can stand for.
  "Why did it fail?" points back; "Why did Boeing cut its forecast?", "Which company said it
  would cut jobs?" and "Pete Hegseth said he would…" do not, since the question names what
  "its", "it" and "he" stand for (a name, a "which <noun>" or an "a <noun>" phrase). An object
  ("Did Biden sign it?") never means its own clause's subject, so it points back unless a
  clause boundary ("that", "when", a comma…) stands between it and a name ("the university
  that tried to expel her"). "this/these <noun>" and "that" after a preposition ("on that
  ruling") point back, unless "this <noun>" stands in a statement that sets up the question
  ("A thief stole this item. What was it?"); time phrases ("this year", "these days"),
  existential "there" ("were there"), "it" that stands for what follows ("make it illegal to…")
  and "that" after a noun or verb ("the bill that…", "said that…") point at nothing;
- is only a few words long and names nothing ("When?", "How many died?");
- with an embedder, names nothing and is close in meaning to the previous question (cosine
  >= ``CLOSE``): "What were the terms of the deal?" after a question about a trade deal.

Measured on ``tests/data/follow_ups.jsonl`` (64 chat-style pairs, half topic switches) and on
consecutive RealTimeQA questions (nearly all switches): docs/EVALS.md, issue #32.

Rules and one optional embedding, not a model call: asking the local 1.5B model to rewrite
the question would add seconds to every follow-up on 2 CPU cores. It does not resolve which
earlier thing a pronoun means, tell names from other capitalised words, or see a follow-up
that names its own subject and points at nothing ("How did Denmark respond?" after a question
about Greenland); the answer prompt still carries the earlier turns, so the model reads the
follow-up in its conversation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.embed import Embedder
from rag.text import STOPWORDS, WORD_RE

_OPENER = re.compile(r"^\s*(?:and|but|also|so|then|what about|how about|and what about)\b[\s,]*", re.IGNORECASE)
# Old topic words never carried over: they point, they do not name.
_POINTER = re.compile(
    r"\b(?:they|them|their|theirs|he|him|his|she|her|hers|it|its|this|that|these|those|there|"
    r"the same|the other|the two|both)\b",
    re.IGNORECASE,
)
_SHORT = 5  # words: "When?", "Where was it signed?"
_MAX_CONTEXT_WORDS = 12
_MAX_TURNS = 5  # the earlier questions a chain of follow-ups is traced through
CLOSE = 0.3  # cosine (MiniLM) between a question that names nothing and the previous one

_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d[\d,.]*|[^\w\s]")
_FUNCTION = (STOPWORDS - {"said", "says", "according", "passage", "passages", "article", "articles"}) | {
    "wo",  # won't
    "ca",  # can't
    "whose",
    "whether",
    "anyone",
    "anything",
    "someone",
    "something",
    "everyone",
}
_AUX = frozenset(
    "is are was were be been being am do does did have has had will would can could should may might must shall "
    "wo ca".split()
)
_SUBJECT = frozenset(("he", "she", "they"))
_POSSESSIVE = frozenset(("its", "his", "their", "theirs", "hers"))
_OBJECT = frozenset(("him", "them"))
_TIME = frozenset(
    "year years week weeks weekend month months day days morning afternoon evening night time season summer "
    "winter spring autumn fall quarter decade century term past monday tuesday wednesday thursday friday "
    "saturday sunday january february march april may june july august september october november december".split()
)
_BOUNDARY = frozenset((",", ";", ".", ":", "that", "who", "which", "when", "after", "before", "because", "if", "while"))
_INTRODUCES = frozenset(("which", "what", "whose", "a", "an"))
_GROUP = re.compile(r"\b(?:the same|the other|the two|both)\b", re.IGNORECASE)


def _base(token: str) -> str:
    """A token as the word lists hold it: "didn't" → "did", "year's" → "year", "he's" → "he"."""
    low = token.lower().replace("’", "'")
    if low.endswith("n't"):
        return low[:-3]
    return low.split("'", 1)[0]


def _named_at(tokens: list[str]) -> list[int]:
    """Where the question names something of its own: a name, a "which <noun>" or an "a <noun>" phrase.

    A capitalised word counts unless it opens a sentence, where it counts only as the start of a
    noun phrase ("British doctors say…", "Netflix says…"; not "Tell me…") or as an acronym ("EU").
    """
    at: list[int] = []
    for i, token in enumerate(tokens):
        base = _base(token)
        opens = i == 0 or tokens[i - 1] in (".", "?", "!", ":")
        capitalised = token[:1].isupper() and base not in _FUNCTION and base not in _TIME and base != "i"
        then = _word(tokens, i + 1)
        if capitalised and (not opens or token[:2].isupper() or (then and then not in _FUNCTION)):
            at.append(i)
        nxt = _word(tokens, i + 1)
        # "Which company said it…" names what "it" is; in "What party does he lead?" the phrase
        # is the object and "he" someone else.
        inverted = _word(tokens, i + 2) in _AUX and _word(tokens, i + 3) in _SUBJECT | {"it"}
        if base in _INTRODUCES and nxt[:1].isalpha() and nxt not in _FUNCTION and not inverted:
            at.append(i + 1)
    return at


def _word(tokens: list[str], i: int) -> str:
    """The base of token ``i``, "" past either end or for punctuation."""
    if 0 <= i < len(tokens) and tokens[i][:1].isalnum():
        return _base(tokens[i])
    return ""


def _is_object(prev: str, nxt: str) -> bool:
    """Whether "it" between these words is an object ("sign it", "about it"), not a subject ("did it fail")."""
    if not nxt:
        return prev not in _AUX  # "Who signed it?"; "What was it?" asks about a subject
    if nxt in _AUX or (nxt.endswith(("s", "ed")) and not nxt.endswith("ss")):
        return False  # "said it would", "announced it plans"
    return nxt in _FUNCTION or (bool(prev) and prev not in _FUNCTION)


def _points_back(tokens: list[str], i: int, named: list[int]) -> bool:
    """Whether token ``i`` is a pronoun or pointer for something the question does not name."""
    word, prev, nxt = _base(tokens[i]), _word(tokens, i - 1), _word(tokens, i + 1)
    extraposed = bool(prev) and prev not in _FUNCTION and _word(tokens, i + 2) in ("to", "for", "that")
    if word == "it" and extraposed and nxt and nxt not in _FUNCTION:
        return False  # "make it illegal for…", "find it hard to…": "it" stands for what follows
    possessive_her = bool(nxt) and (nxt not in _FUNCTION or nxt == "own")
    if word in _OBJECT or (word == "her" and not possessive_her) or (word == "it" and _is_object(prev, nxt)):
        # An object is never its own clause's subject: "Did Biden sign it?" points back, while
        # "the university that tried to expel her" may mean a woman named before "that".
        return not any(j < i and _BOUNDARY & {_base(t) for t in tokens[j + 1 : i]} for j in named)
    if word in _SUBJECT or word in _POSSESSIVE or word in ("her", "it"):
        return not named
    if word in ("this", "these", "those"):
        # "this item" in a statement that sets up the question ("A thief stole this item from a
        # palace. What was it?") is the question's own; in the question itself it points back.
        statement = next((t for t in tokens[i:] if t in (".", "?", "!")), "?") == "."
        return nxt not in _TIME and not (statement and named and bool(nxt) and nxt not in _FUNCTION)
    if word == "that":
        ends = i + 1 == len(tokens) or tokens[i + 1] in ("?", ".", "!")
        return ends or (prev in _FUNCTION and prev not in ("so", "such", "now"))
    if word == "there":
        return prev not in _AUX and nxt not in _AUX and "'" not in tokens[i].replace("’", "'")
    return False


def _points_outside(tokens: list[str]) -> bool:
    """Whether a pronoun or pointer of the question refers to something the question does not name."""
    named = _named_at(tokens)
    if any(_points_back(tokens, i, named) for i in range(len(tokens))):
        return True
    return bool(_GROUP.search(" ".join(tokens))) and not named


def _decided(question: str) -> bool | None:
    """True for a follow-up, False for a question that stands alone, None when only meaning can tell."""
    if _OPENER.search(question):
        return True
    tokens = _TOKEN_RE.findall(question)
    if _points_outside(tokens):
        return True
    if _named_at(tokens):
        return False
    return True if len(question.split()) < _SHORT else None


def _close(question: str, previous: str, embedder: Embedder) -> bool:
    here, before = embedder.embed([question, previous])
    return sum(a * b for a, b in zip(here, before, strict=True)) >= CLOSE


def is_follow_up(question: str, previous: str = "", embedder: Embedder | None = None) -> bool:
    """Whether the question leans on an earlier turn (``previous``: that turn's standalone question)."""
    decided = _decided(question)
    if decided is not None:
        return decided
    return embedder is not None and bool(previous.strip()) and _close(question, previous, embedder)


def standalone_question(question: str, history: Sequence[tuple[str, str]], embedder: Embedder | None = None) -> str:
    """``question`` with the topic of the conversation added when it is a follow-up.

    ``history`` holds earlier (question, answer) pairs, oldest first; the earlier questions
    are condensed the same way (the last ``_MAX_TURNS`` of them), so a chain of follow-ups
    keeps its topic. ``embedder``, when given, also catches follow-ups without a pronoun.
    """
    history = history[-_MAX_TURNS:]
    if not history or not question.strip():
        return question
    decided = _decided(question)
    if decided is False or (decided is None and embedder is None):
        return question
    previous = standalone_question(history[-1][0], history[:-1], embedder)
    if decided is None and not (previous.strip() and embedder is not None and _close(question, previous, embedder)):
        return question
    core = _OPENER.sub("", question).strip() or question.strip()
    core = core[0].upper() + core[1:]
    have = {w.lower() for w in WORD_RE.findall(core)}
    context: list[str] = []
    for word in WORD_RE.findall(previous):
        key = word.lower()
        if key in STOPWORDS or key in have or len(word) < 2 or _POINTER.fullmatch(word):
            continue
        have.add(key)
        context.append(word)
        if len(context) == _MAX_CONTEXT_WORDS:
            break
    return f"{core} ({' '.join(context)})" if context else core
