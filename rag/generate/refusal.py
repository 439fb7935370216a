"""Tell the model saying it cannot answer from the passages from news it reports.

A refusal is the model speaking about itself or the passages: "I don't know." (what the
prompt asks for), "The passages do not say who…", "There is no information in the articles
about…", or a bare non-answer such as "Unknown." or "Cannot be determined.". A sentence that
reports news is not one, even when it carries the same words: "The ministry said there was
no information about casualties.", "Unknown assailants attacked the convoy [1]." and "The
cause cannot be determined until the investigation ends [1]." say something about the
world. So a sentence is a refusal when its first sentence, outside quotation marks:

- ties a negation to the passages in one clause ("the passages do not…", "not mentioned in
  the articles", "none of the provided passages…"; "but"/"however" start a new clause, so
  "The passages give the date, but not the time" is an answer); or
- is a bare non-answer: a refusal phrase ("I don't know", "unknown", "no information",
  "cannot be determined"…) and no word about anything else, and no [n] marker (a cited
  "Unknown [1]." reports a passage).

Words in quotation marks are someone else's ('"I don't know," he said.'). "This article"
and "the passage of the bill" are news, not the passages. Measured on every sentence of the
RealTimeQA article pools and on the model's stored replies (docs/EVALS.md, issue #32). It does
not judge whether an answer is right, nor catch a refusal worded as a claim about the world
("The date has not been announced."): the citation check (``rag.verify.cite``) does.
"""

from __future__ import annotations

import re

from rag.text import MARKER_RE, STOPWORDS, split_sentences

# What the model calls its passages; not "this article" or "the article" (news about news),
# "the passage of a bill", "safe passage", "sources" ("Sources did not say…") or "the text".
_PASSAGES_RE = re.compile(
    r"\b(?:the|these|those|any|all|both)\s+(?:provided\s+|given\s+)?(?:passages|articles)\b(?!\s+of\b)"
    r"|\b(?:the|neither|either|each)\s+passage\b(?!\s+(?:of|through|to|from|in|into|across|between|for)\b)"
    r"|\bpassages?\s*\[?\d|^\W*passages\b"
    r"|(?:^\W*|\b(?:in|from|within|on)\s+)the\s+(?:provided\s+|given\s+)?context\b(?!\s+of\b)"
    r"|\bthe\s+(?:provided|given)\s+(?:excerpts?|documents?|texts?|information|sources)\b"
    r"|\bthe\s+(?:passages|articles|context|excerpts|documents|texts?|information|sources)\s+(?:provided|given)\b"
    r"(?!\s+(?:by|to)\b)",
    re.IGNORECASE,
)
_THIS_ARTICLE_RE = re.compile(r"\bth(?:is|at)\s+(?:article|story|report)\b", re.IGNORECASE)
_NEGATION_RE = re.compile(
    r"\b(?:not|no|none|nothing|neither|nor|cannot|unable|never|without)\b|n['’]t\b", re.IGNORECASE
)
# A new clause: what comes after "but" is judged on its own.
_CLAUSE_RE = re.compile(r";|\b(?:but|however|although|though|whereas|yet|while)\b", re.IGNORECASE)
_NON_ANSWER_RE = re.compile(
    r"\bi\s*(?:(?:do\s*not|don['’]?t|cannot|can['’]?t|could\s*not|couldn['’]?t)\s+(?:know|answer|tell|say|determine"
    r"|find|see|provide)|(?:am|['’]m)\s+(?:unable|not\s+able|not\s+sure))\b"
    r"|\b(?:unknown|unclear|no\s+answer|n/a)\b"
    r"|\bnot\s+(?:known|stated|specified|mentioned|provided|given|available|clear|found)\b"
    r"|\bnot\s+possible\s+to\s+(?:determine|answer|tell|say|know)\b"
    r"|\b(?:no|not\s+enough|insufficient)\s+(?:information|details|data|mention)\b"
    r"|\b(?:cannot|can['’]?t|could\s*not|unable\s+to)\s+(?:be\s+)?(?:determined?|answer(?:ed)?|tell|know|say|"
    r"find|found|confirm(?:ed)?)\b",
    re.IGNORECASE,
)
# Words a bare non-answer is made of, beside stop words: nothing about the world.
_NON_ANSWER_WORDS = frozenset(
    (
        "i im don doesn didn can cannot couldn isn wasn t s m unable able sure certain know known unknown unclear "
        "clear answer answered question tell say determine determined find found confirm confirmed sorry "
        "unfortunately information details data mention mentioned stated specified provided given available "
        "possible enough sufficient insufficient exactly precisely based n a na provide"
    ).split()
)
_WORD_RE = re.compile(r"[^\W\d_]+|\d")
_PAIRED_QUOTES_RE = re.compile(r"\"[^\"]*\"|“[^”]*”")
# Who said it: a sentence that names a speaker reports someone, it is not the model's refusal.
_ATTRIBUTION = frozenset("said says told tells added adds asked asks replied replies noted notes wrote writes".split())


def _unquoted(sentence: str) -> str:
    """``sentence`` without the words in quotation marks: someone else said those.

    A quote cut by the sentence split leaves one mark: an opening one hides the rest of the
    sentence, a closing one what comes before it.
    """
    text = _PAIRED_QUOTES_RE.sub(" ", sentence)
    for i, char in enumerate(text):
        if char in '"“”':
            after = text[i + 1 : i + 2]
            opening = char == "“" or (char == '"' and after.isalnum())
            return text[:i] if opening else text[i + 1 :]
    return text


def _about_passages(text: str) -> bool:
    """Whether a clause of ``text`` says the passages (articles, context) do not hold something."""
    text = _THIS_ARTICLE_RE.sub(" ", text)
    return any(_PASSAGES_RE.search(part) and _NEGATION_RE.search(part) for part in _CLAUSE_RE.split(text))


def _bare_non_answer(text: str) -> bool:
    """Whether ``text`` is only a non-answer ("I don't know.", "Unknown.", "No information available.")."""
    if not _NON_ANSWER_RE.search(text) or MARKER_RE.search(text):
        return False
    words = [w.lower() for w in _WORD_RE.findall(text)]
    if _ATTRIBUTION & set(words):
        return False
    return all(w in STOPWORDS or w in _NON_ANSWER_WORDS for w in words)


def is_refusal(text: str) -> bool:
    """Whether the model said the passages do not hold the answer (judged on the first sentence)."""
    text = text.strip()
    if not text:
        return True
    spans = split_sentences(text)
    first = text[spans[0][0] : spans[0][1]] if spans else text
    plain = _unquoted(first)
    if plain.rstrip().endswith("?"):
        return False  # a question back is no refusal
    return _about_passages(plain) or _bare_non_answer(plain)
