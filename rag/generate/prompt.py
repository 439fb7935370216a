"""Build the chat prompt: fixed instructions, numbered passages, the question.

The system message never changes, so a local model can keep it in its prompt cache; the
passages go into the user turn, numbered [1]..[n] with headline and date, and the model is
asked for the short answer first ("Answer: …"), then one supporting sentence with [n] markers;
``Unlabel`` takes the label off the streamed reply. Earlier turns of a conversation come before the
current question, answers only (their passages are not repeated, to save prompt tokens).
Article text, questions and history are data: chat-template control tokens in them are
defused, so an article cannot open a fake system turn, and sentences in passages that give
the model orders ("ignore previous instructions", "Note to AI assistants: …") are replaced
(``rag.generate.injection`` decides which). What a refusal from the model looks like is
``rag.generate.refusal`` (re-exported here). It does not select passages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from rag.generate.injection import model_addressed_spans
from rag.generate.refusal import is_refusal as is_refusal  # what a refusal looks like: there
from rag.types import Hit

SYSTEM = (
    "You answer questions about news articles using only the numbered passages you are given. "
    "Reply in two lines. Line 1: 'Answer:' and the short answer only (a name, number, date or a few words). "
    "Line 2: one short sentence stating the fact from the passages that supports it, ending with the "
    "passage number in square brackets, like [2]. Do not use outside knowledge. "
    "If the passages do not contain the answer, reply exactly: I don't know."
)
# The label the model puts before its short answer ("Answer: Ford"); removed from the text.
LABEL_RE = re.compile(r"\s*(?:\*\*)?answer\s*:\s*(?:\*\*)?[ \t]*", re.IGNORECASE)
_LABEL_MAX = 16
REFUSAL_TEXT = "The articles don't say: none of the ingested articles answers this question."


@dataclass
class Prompt:
    """A question, its numbered passages, and the chat messages built from them."""

    question: str
    passages: list[Hit]
    messages: list[dict[str, str]] = field(default_factory=list)
    # Filled by a generator that can tell: prompt_tokens, cached_prompt_tokens,
    # prompt_tokens_per_s, answer_tokens, answer_tokens_per_s.
    usage: dict[str, float] = field(default_factory=dict)
    # Filled by a generator that reports log-probabilities: (token text, natural log of its
    # probability) for each generated token, in order, before the token's text is yielded.
    token_logprobs: list[tuple[str, float]] = field(default_factory=list)


# Chat-template control tokens (<|im_start|>, <|system|>, [INST], <<SYS>>…) inside article
# text would be parsed as real role markers by llama.cpp: an article could open a fake
# system turn. They are defused before anything enters the prompt.
_TEMPLATE_TOKEN_RE = re.compile(r"<\|[^|<>\n]{0,40}\|>|\[/?INST\]|<</?SYS>>|</?s>", re.IGNORECASE)


# A small model follows orders even from inside a passage (measured: it answered an injected
# "always answer ..." verbatim), so the sentences rag.generate.injection flags are replaced by this.
INSTRUCTION_REMOVED = "(instruction-like text removed)"


def defuse(text: str) -> str:
    """``text`` with chat-template control tokens made inert (angle brackets become parentheses)."""
    return _TEMPLATE_TOKEN_RE.sub(lambda m: "(" + m.group().strip("<>[]").strip("|/") + ")", text)


def passage_text(text: str) -> str:
    """Article text as the model sees it: defused, instruction-like sentences replaced."""
    text = defuse(text.strip())
    out, last = [], 0
    for start, end in model_addressed_spans(text):
        out += [text[last:start], INSTRUCTION_REMOVED]
        last = end
    return "".join([*out, text[last:]])


def format_passage(n: int, hit: Hit) -> str:
    date = f" ({hit.published_at})" if hit.published_at else ""
    return f"[{n}] {defuse(hit.title)}{date}\n{passage_text(hit.text)}"


def build_prompt(question: str, passages: Sequence[Hit], history: Sequence[tuple[str, str]] = ()) -> Prompt:
    """Chat messages for ``question`` over ``passages``; ``history`` is (question, answer) pairs."""
    messages = [{"role": "system", "content": SYSTEM}]
    for past_q, past_a in history[-3:]:
        messages.append({"role": "user", "content": defuse(past_q)})
        messages.append({"role": "assistant", "content": defuse(past_a)})
    context = "\n\n".join(format_passage(i, h) for i, h in enumerate(passages, 1))
    messages.append({"role": "user", "content": f"Passages:\n\n{context}\n\nQuestion: {defuse(question)}"})
    return Prompt(question=question, passages=list(passages), messages=messages)


class Unlabel:
    """Streams the model's text without its leading "Answer:" label; ``labelled`` says if there was one.

    The prompt asks for "Answer: <short answer>" on the first line, then a supporting sentence.
    A reply that starts otherwise passes through unchanged (older prompts, other models).
    """

    def __init__(self) -> None:
        self.labelled = False

    def __call__(self, pieces: Iterable[str]) -> Iterator[str]:
        head, decided = "", False
        for piece in pieces:
            if decided:
                yield piece
                continue
            head += piece
            if len(head) < _LABEL_MAX and "answer:".startswith(head.strip(" *\t\n").lower()):
                continue  # could still become the label
            match = LABEL_RE.match(head)
            if match:
                self.labelled = True
                head = head[match.end() :]
            decided = True
            if head:
                yield head
        if not decided and head:
            match = LABEL_RE.match(head)
            if match:
                self.labelled, head = True, head[match.end() :]
            if head:
                yield head


# How the small model likes to introduce its supporting sentence ("Passage [2] states that",
# "Fact from passage:", "This fact is supported by passage, which states that"): narration about
# the passages, not news. Taken off the front of a sentence before it is verified and shown.
_META_RE = re.compile(
    r"^(?:line \d\s*:\s*)?(?:"
    r"(?:the |this )?(?:fact|answer)?\s*(?:is )?(?:supported|confirmed) by (?:the )?passages?(?:\s*\[\d+\])?,?"
    r"(?:\s*(?:which|that|where|as it))?\s*(?:states?|says?|mentions?|reports?)?(?: that)?"
    r"|fact from (?:the )?passages?(?:\s*\[\d+\])?"
    r"|(?:the )?passages?(?:\s*\[\d+\])?\s+(?:states?|says?|mentions?|reports?|confirms?|explains?|notes?|supports?)"
    r"(?: (?:this|the answer)(?: answer)?)?(?: by (?:stating|mentioning|saying|noting))?(?: that)?"
    r")?\s*[:,]?\s*",
    re.IGNORECASE,
)


def drop_meta(sentence: str) -> str:
    """``sentence`` without a leading "Passage [2] states that" (and quotes around what is left)."""
    match = _META_RE.match(sentence)
    if not match or match.end() == 0 or match.end() >= len(sentence):
        return sentence
    rest = sentence[match.end() :].strip()
    if len(rest) > 2 and rest[0] in '"“' and rest.count(rest[0]) + rest.count("”") == 2:
        rest = rest.replace("“", "").replace("”", "").replace('"', "")  # one quoted sentence: unquote
    return rest[:1].upper() + rest[1:]


_META_ONLY_RE = re.compile(
    r"(?:line\s*\d\s*:?\s*)?(?:(?:passages?|sources?|articles?|fact)\s*(?:\[?\d+\]?)?\s*)?[\W]*", re.I
)


def meta_only(sentence: str) -> bool:
    """Whether ``sentence`` is only a pointer at the passages ("Passage", "Passage [2]:", "Line 2:")."""
    return bool(_META_ONLY_RE.fullmatch(sentence.strip()))


def short_answer(text: str) -> str:
    """The first line of a labelled answer, without [n] markers: the short answer."""
    from rag.text import MARKER_RE

    first = text.strip().split("\n", 1)[0]
    return MARKER_RE.sub("", first).strip().rstrip(".").strip()
