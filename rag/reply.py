"""One model reply: prompt the generator with passages, stream, verify as it streams, decide.

``ReplyStep.run`` is the answer step of ``rag.answer.AnswerEngine`` for one set of passages:
refuse at once when no passage is similar enough, build the prompt, wait in the answer gate,
stream the model's text through the sentence verifier (``rag.verify.cite``), refuse when the
answer opens with a refusal, nothing supports it, or a configured ``AnswerCheck`` fails
(``rag.verify.checks``, the model's confidence among them), and end with the ``Answer``. With a
``Trial`` (``FIRST_TRY``), nothing is shown until the first sentence passes, and an answer that
would be refused is dropped unseen. It does not retrieve and does not pick the passages.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from index.embed import Embedder
from index.errors import LLMError
from rag.generate.gate import AnswerGate
from rag.generate.generator import Generator
from rag.generate.prompt import REFUSAL_TEXT, Unlabel, build_prompt, is_refusal, short_answer
from rag.types import Answer, Hit, Queued, Verdict
from rag.verify.checks import NO_PASSAGE, AnswerCheck, Draft, built_in_verdict, first_failure
from rag.verify.cite import SentenceVerifier
from rag.verify.confidence import answer_confidence
from rag.verify.short import trim

History = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class ReplyStep:
    """The parts one reply needs, as the engine holds them when the reply starts."""

    generator: Generator
    embedder: Embedder | None
    checks: Sequence[AnswerCheck]
    gate: AnswerGate
    max_tokens: int
    min_similarity: float
    trim_short_answers: bool

    def run(
        self,
        question: str,
        search_query: str,
        hits: list[Hit],
        history: History,
        verified: bool,
        timings: dict[str, float],
        t0: float,
        trial: Trial | None = None,
    ) -> Iterator[Queued | str | Answer]:
        """Prompt the generator with ``hits``, stream its text, verify, and end with the ``Answer``.

        With a ``trial``, nothing is shown until the first sentence passes; an answer that would
        be refused yields nothing and marks the trial failed instead.
        """
        answer = Answer(
            question=question,
            answer="",
            refused=False,
            sources=hits,
            backend=self.generator.name,
            search_query=search_query,
            timings=timings,
        )
        if not hits or max(h.similarity for h in hits) < self.min_similarity:
            if trial is not None:  # the other passages may be similar enough
                trial.failed = True
                return
            why = "no passage was retrieved" if not hits else f"no passage is {self.min_similarity:g} similar"
            yield from refuse(answer, t0, Verdict(NO_PASSAGE, why))
            return

        prompt = build_prompt(question, hits, history)
        checker = SentenceVerifier(hits, self.embedder, question)

        @functools.lru_cache(maxsize=4)  # asked once per streamed piece until the answer is released
        def refusing(text: str) -> Verdict | None:
            """The first configured check that refuses ``text`` (the first sentence, or the answer)."""
            sure = answer_confidence(prompt.token_logprobs)
            draft = Draft(question, search_query, hits, text, checker.first_cited, sure)
            return first_failure(self.checks, draft)

        held: list[str] = []  # verified sentences not yet sent: the answer may still be refused
        released = False
        unlabel = Unlabel()
        t_wait = time.perf_counter()
        waited = False
        for ahead in self.gate.enter():
            waited = True
            yield Queued(ahead)
        t_gen = time.perf_counter()
        if waited:
            timings["queued"] = t_gen - t_wait
        unseen: list[str] = []  # a trial's raw pieces, held until its first sentence passes
        try:
            for piece in unlabel(self.generator.stream(prompt, self.max_tokens)):
                if not checker.raw and trial is None:
                    timings["first_token"] = time.perf_counter() - t0
                done = checker.feed(piece)
                if trial is not None and not trial.passed:
                    first = checker.first_sentence
                    if first and (checker.first_parroted or is_refusal(first) or refusing(first)):
                        trial.failed = True  # stop the model now: the answer would be refused
                        return
                    unseen.append(piece)
                    trial.passed = bool(first) and checker.cited
                    if not trial.passed:
                        held.extend(done)
                        continue
                    timings["first_token"] = time.perf_counter() - t0
                    if not verified:
                        yield from unseen
                        continue
                    done = held + done
                    held.clear()
                if not verified:
                    yield piece
                    continue
                held.extend(done)
                released = released or (
                    checker.cited
                    and not checker.first_parroted
                    and not is_refusal(checker.first_sentence)
                    and not refusing(checker.first_sentence)
                )
                if released and held:
                    timings.setdefault("first_sentence", time.perf_counter() - t0)
                    yield from held
                    held.clear()
        except LLMError as err:
            answer.error = str(err)
            timings["total"] = time.perf_counter() - t0
            yield answer
            return
        finally:
            self.gate.leave()  # also when the caller stops reading mid-answer
        answer.reply = checker.raw
        answer.confidence = answer_confidence(prompt.token_logprobs)
        timings["generation"] = time.perf_counter() - t_gen
        timings.update(prompt.usage)  # token counts and rates, when the generator reports them

        before = len(checker.parts)
        checked = checker.finish()
        held.extend(checker.parts[before:])
        # An answer line only an injected passage sentence supports ("PWNED") is refused, not cited.
        verdict = built_in_verdict(checker.first_parroted, checker.first_sentence, bool(checked.citations))
        verdict = verdict or refusing(checked.text)
        if verdict and trial is not None and not trial.passed:
            trial.failed = True  # dropped unseen: the caller answers from all the passages
            return
        if trial is not None and not trial.passed:  # passed only at the end (its citation came late)
            timings["first_token"] = time.perf_counter() - t0
            if not verified:
                yield from unseen
        if verdict:
            if verified:
                yield REFUSAL_TEXT
            yield from refuse(answer, t0, verdict)
            return
        if verified and held:
            timings.setdefault("first_sentence", time.perf_counter() - t0)
            yield from held
        answer.answer = checked.text
        # The short answer without the question's words the model wrote back ("Succession
        # received the most nominations" → "Succession"); the full answer is left as written.
        short = short_answer(checked.text) if unlabel.labelled else ""
        answer.short_answer = trim(short, search_query) if self.trim_short_answers and short else short
        answer.citations = checked.citations
        timings["total"] = time.perf_counter() - t0
        yield answer


def refuse(answer: Answer, t0: float, verdict: Verdict) -> Iterator[str | Answer]:
    answer.answer = REFUSAL_TEXT
    answer.refused = True
    answer.verdict = verdict
    answer.citations = []
    answer.timings["total"] = time.perf_counter() - t0
    yield answer


class Trial:
    """How a first try from fewer passages went: ``passed`` once its first sentence is shown,
    ``failed`` when its answer would be refused (it is then dropped unseen)."""

    def __init__(self) -> None:
        self.passed = False
        self.failed = False
