"""Tell a non-answer from an answer: the checks on an answer's first sentence.

The small local model, asked something the passages do not hold, rarely says so; it writes
a line that looks like an answer. Two kinds are cheap to recognise and were measured on the
sample set and RealTimeQA (docs/EVALS.md):

- a first sentence that only restates the question ("Who commands the Lebanese army?" →
  "The Lebanese Army"; "When will the next round be held?" → "The next round will be held"):
  every content word is already in the question. Yes/no answers and answers to "A or B"
  questions are exempt: there the answer's words are meant to come from the question.
- a number the model read nowhere: a figure in the first sentence that is in none of the
  passages it was given (nor their headlines or dates), as digits or as a number word, with
  its fraction where one is spelled out ("three and a half percent" is 3.5, "a quarter" 0.25).

``non_answer`` names the reason, or returns "" when the sentence may stand. It does not
judge whether a grounded answer is right (a name taken from the passages in the wrong role
passes), and it does not look past the first sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import MARKER_RE, WORD_RE, content_terms, split_sentences
from rag.types import Hit

_YES_NO_RE = re.compile(r"^\W*(yes|no|true|false|correct|incorrect)\b", re.IGNORECASE)
_CHOICE_RE = re.compile(r"\bor\b", re.IGNORECASE)
_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_COMPOUND_RE = re.compile(
    rf"\b({'|'.join(_TENS)})[- ]({'|'.join(_NUMBER_WORDS[1:10])})\b", re.IGNORECASE
)  # "twenty-five"
_WHOLE = rf"\d+|(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_NUMBER_WORDS[1:10])}))?|{'|'.join(_NUMBER_WORDS)}"
# "three and a half", "2 and a quarter", "twenty-one and three quarters", "a quarter", "half a".
_FRACTION_RE = re.compile(
    rf"\b(?:({_WHOLE})[- ]and[- ])?(a|one|three)[- ](half|quarters?)\b|\b(half)[- ]an?\b", re.IGNORECASE
)
_FRACTIONS = {("a", "half"): 0.5, ("one", "half"): 0.5, ("a", "quarter"): 0.25, ("one", "quarter"): 0.25}
_FRACTIONS[("three", "quarters")] = 0.75


def first_sentence(answer: str) -> str:
    """The answer's first sentence (of its first line), without [n] markers."""
    line = MARKER_RE.sub("", answer.strip().split("\n", 1)[0]).strip()
    spans = split_sentences(line)
    return line[spans[0][0] : spans[0][1]] if spans else line


def non_answer(question: str, sentence: str, passages: Sequence[Hit]) -> str:
    """Why ``sentence`` (an answer's first sentence) is not an answer to ``question``, or ""."""
    if restates(question, sentence):
        return "restates the question"
    missing = unread_numbers(sentence, passages)
    if missing:
        return f"the number {missing[0]} is in none of the passages"
    return ""


def restates(question: str, sentence: str) -> bool:
    """Whether every content word of ``sentence`` is already in ``question`` (and there is one)."""
    if _YES_NO_RE.match(sentence) or _CHOICE_RE.search(question):
        return False
    said = content_terms(sentence)
    asked = content_terms(question)
    return bool(said) and all(term in asked for term in said)


def unread_numbers(sentence: str, passages: Sequence[Hit]) -> list[str]:
    """The numbers in ``sentence`` that none of ``passages`` holds, as digits or in words."""
    wanted = [w.replace(",", "") for w in WORD_RE.findall(sentence) if w[0].isdigit()]
    if not wanted:
        return []
    read: set[str] = set()
    for hit in passages:
        for text in (hit.text, hit.title, hit.published_at or ""):
            read.update(_numbers(text))
    return [n for n in wanted if n not in read and _trimmed(n) not in read]


def _trimmed(number: str) -> str:
    """ "1.50" → "1.5", "2.0" → "2"; whole numbers unchanged."""
    return number.rstrip("0").rstrip(".") if "." in number else number


def _numbers(text: str) -> set[str]:
    out = {str(_TENS[t.lower()] + _NUMBER_WORDS.index(u.lower())) for t, u in _COMPOUND_RE.findall(text)}
    for whole, count, part, half in _FRACTION_RE.findall(text):
        fraction = 0.5 if half else _FRACTIONS.get((count.lower(), part.lower()))
        if fraction is not None:
            out.add(_trimmed(f"{_whole(whole) + fraction:.2f}"))
    for word in WORD_RE.findall(text):
        if word[0].isdigit():
            plain = word.replace(",", "")
            out.update((plain, _trimmed(plain)))
            out.add(plain.lstrip("0") or "0")  # "06" in a date reads as 6
        else:
            low = word.lower()
            if low in _TENS:
                out.add(str(_TENS[low]))
            elif low in _NUMBER_WORDS:
                out.add(str(_NUMBER_WORDS.index(low)))
    return out


def _whole(word: str) -> int:
    """The value of a whole number as ``_WHOLE`` reads it: "3", "three", "twenty-one"; 0 for ""."""
    if not word or word.isdigit():
        return int(word or 0)
    tens, _, unit = word.lower().replace("-", " ").partition(" ")
    if tens in _TENS:
        return _TENS[tens] + (_NUMBER_WORDS.index(unit) if unit else 0)
    return _NUMBER_WORDS.index(tens)
