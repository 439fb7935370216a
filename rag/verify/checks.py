"""Answer checks: one interface for every reason an answer becomes a refusal, and the verdict it leaves.

An ``AnswerCheck`` looks at a ``Draft`` — the question, the passages, the answer text so far
and the passages its first sentence cites — and returns a reason ("" when it passes). The
engine (``rag.answer``) runs the configured checks on the first sentence as it streams and on
the whole answer at the end, and keeps the first failure on the ``Answer`` as a ``Verdict``
(check name and reason), so a refusal can be explained in the UI and API and replayed offline
(``evals.replay``, ``newsrag eval-replay``, runs them on stored results).

Optional checks (chosen by ``rag.factory.make_checks`` from settings):

- ``GroundingCheck`` (``CHECK_ANSWERS``): the first sentence restates the question or gives a
  number no passage holds (``rag.verify.grounding``);
- ``AskedCheck`` (``CHECK_ASKED``): the question asks about something its passages never
  mention (``rag.verify.asked``);
- ``ConfidenceCheck`` (``MIN_ANSWER_CONFIDENCE``): the model gave its short answer a low
  probability (``rag.verify.confidence``).

The engine's own refusals carry verdicts too, under the names in ``BUILT_IN``: nothing
relevant was retrieved, the model said it does not know, no sentence is supported by a
passage, or the answer line only repeats an instruction planted in a passage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from index.embed import Embedder
from rag.generate.prompt import is_refusal
from rag.types import Confidence, Hit, Verdict
from rag.verify.asked import unmentioned
from rag.verify.cite import SentenceVerifier, Verified
from rag.verify.grounding import first_sentence, non_answer

# The engine's own reasons to refuse (not optional, not ``AnswerCheck``s).
NO_PASSAGE = "no_relevant_passage"
MODEL_REFUSED = "model_refused"
UNSUPPORTED = "unsupported"
INJECTION = "parroted_injection"
BUILT_IN = (NO_PASSAGE, MODEL_REFUSED, UNSUPPORTED, INJECTION)


@dataclass(frozen=True)
class Draft:
    """What a check sees of an answer: while streaming, ``text`` is the first sentence."""

    question: str
    search_query: str
    passages: Sequence[Hit]
    text: str
    first_cited: Sequence[Hit] = field(default_factory=tuple)  # passages the first sentence cites
    confidence: Confidence | None = None  # the model's, when its generator reports log-probabilities


class AnswerCheck(Protocol):
    """Refuses one kind of non-answer."""

    @property
    def name(self) -> str: ...

    def reason(self, draft: Draft) -> str:
        """Why ``draft`` is no answer, in a few words; "" when it passes."""
        ...


class GroundingCheck:
    """The first sentence restates the question or gives a number that is in none of the passages."""

    name = "non_answer"

    def reason(self, draft: Draft) -> str:
        return non_answer(f"{draft.question} {draft.search_query}", first_sentence(draft.text), draft.passages)


class AskedCheck:
    """The question asks about something its passages never mention (a counted thing, a role)."""

    name = "unmentioned"

    def reason(self, draft: Draft) -> str:
        return unmentioned(draft.search_query, draft.passages, draft.first_cited)


def built_in_verdict(parroted: bool, first: str, cited: bool) -> Verdict | None:
    """The engine's own reasons to refuse a finished answer, in the order they are judged."""
    if parroted:
        return Verdict(INJECTION, "the answer line only repeats an instruction planted in a passage")
    if is_refusal(first):
        return Verdict(MODEL_REFUSED, "the model said the passages do not hold the answer")
    if not cited:
        return Verdict(UNSUPPORTED, "no sentence of the answer is supported by a passage")
    return None


def judge(
    question: str,
    search_query: str,
    passages: Sequence[Hit],
    reply: str,
    checks: Sequence[AnswerCheck],
    embedder: Embedder | None = None,
    confidence: Confidence | None = None,
) -> tuple[Verified, Verdict | None]:
    """Verify a whole model reply and decide as the engine does at the end of an answer.

    ``reply`` is the model's text without its "Answer:" label, as ``Answer.reply`` keeps it.
    For replays of stored replies (``evals.replay``); the engine itself verifies as the text
    streams, with the same steps.
    """
    checker = SentenceVerifier(passages, embedder, question)
    checker.feed(reply)
    checked = checker.finish()
    verdict = built_in_verdict(checker.first_parroted, checker.first_sentence, bool(checked.citations))
    draft = Draft(question, search_query, passages, checked.text, checker.first_cited, confidence)
    return checked, verdict or first_failure(checks, draft)


def default_checks() -> list[AnswerCheck]:
    """The checks on by default (both settings default to true)."""
    return [GroundingCheck(), AskedCheck()]


def first_failure(checks: Sequence[AnswerCheck], draft: Draft) -> Verdict | None:
    """The verdict of the first check that refuses ``draft``, or None."""
    for check in checks:
        why = check.reason(draft)
        if why:
            return Verdict(check.name, why)
    return None
