"""Turn a follow-up question into a standalone one for retrieval.

"And who leads their delegation?" means nothing to a search index on its own. When a
question looks like a follow-up (it opens with "and", "what about"…, leans on a pronoun, or
is only a few words long), the content words of the previous standalone question are
added to it, so retrieval sees what the conversation is about. Questions that stand on
their own pass through unchanged. The result is shown to the user as "searched for".

Rules, not a model call: asking the local 1.5B model to rewrite the question would add
seconds to every follow-up on 2 CPU cores. The answer prompt still carries the earlier
turns, so the model reads the follow-up in its conversation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import STOPWORDS, WORD_RE

_OPENER = re.compile(r"^\s*(?:and|but|also|so|then|what about|how about|and what about)\b[\s,]*", re.IGNORECASE)
_PRONOUN = re.compile(
    r"\b(?:they|them|their|theirs|he|him|his|she|her|hers|it|its|this|that|these|those|there|"
    r"the same|the other|the two|both)\b",
    re.IGNORECASE,
)
_SHORT = 5  # words: "When?", "Where was it signed?"
_MAX_CONTEXT_WORDS = 12


def is_follow_up(question: str) -> bool:
    """Whether the question leans on an earlier turn."""
    return bool(_OPENER.search(question) or _PRONOUN.search(question) or len(question.split()) < _SHORT)


def standalone_question(question: str, history: Sequence[tuple[str, str]]) -> str:
    """``question`` with the topic of the conversation added when it is a follow-up.

    ``history`` holds earlier (question, answer) pairs, oldest first; the earlier questions
    are condensed the same way, so a chain of follow-ups keeps its topic.
    """
    if not history or not question.strip() or not is_follow_up(question):
        return question
    previous = standalone_question(history[-1][0], history[:-1])
    core = _OPENER.sub("", question).strip() or question.strip()
    core = core[0].upper() + core[1:]
    have = {w.lower() for w in WORD_RE.findall(core)}
    context: list[str] = []
    for word in WORD_RE.findall(previous):
        key = word.lower()
        if key in STOPWORDS or key in have or len(word) < 2 or _PRONOUN.fullmatch(word):
            continue
        have.add(key)
        context.append(word)
        if len(context) == _MAX_CONTEXT_WORDS:
            break
    return f"{core} ({' '.join(context)})" if context else core
