"""Answer one question: retrieve → select → generate → cite, or refuse.

The model reply for one set of passages (prompt, stream, verify, checks) is ``rag.reply``;
this module decides which questions, parts and passages go to it.

``AnswerEngine.stream`` reads top to bottom like the pipeline: validate the question,
retrieve passages, refuse at once when none is relevant, prompt the generator and stream
its text, then verify the citations and refuse when the answer opens with a refusal,
nothing in the passages supports it, or only a sentence that addresses the model does
(``rag.verify.cite``), or one of the configured ``AnswerCheck``s refuses it
(``rag.verify.checks``: a first sentence that is no answer, a question about something the
passages never mention, an answer the model gave a low probability). Every refusal keeps its
``Verdict`` (which check, and why) on the ``Answer``, and the model's ``Confidence`` in its
answer is kept when the generator reports token log-probabilities. Verification runs
sentence by sentence as the text arrives, so a caller can also stream verified sentences
(``verified=True``). ``events`` also yields a ``Retrieved`` item as soon as retrieval is
done (the UI shows sources before the answer finishes); ``stream`` leaves it out, and
``ask`` returns just the final ``Answer``. Timings (retrieval, first token, first verified
sentence, generation, total) are recorded.

A two-part question ("Who is X, and which Y …?", ``rag.decompose``) goes through retrieval and
generation once per part, and the parts' answers are joined.

With ``first_try`` (``FIRST_TRY``, off by default) the model answers from the first N passages
first, its text held until the first sentence passes the checks; an answer that would be
refused is dropped unseen and the question is answered again from all the passages.

A question about change or sequence ("since …", "how did … change", "timeline of", ``rag.timeline``)
is answered as dated points across its story's articles (``rag.retrieve.across`` gathers one
passage per article, ``rag.generate.points`` extracts and cites a sentence of each; no model
call), when any dated passage answers it; otherwise like any question. An ordinary answer whose
citations all come from one dated article ends "(as of <date>; N newer articles on this story)"
when its story (a ``StoryLookup``) has newer articles.

The short answer line is trimmed of words that restate the question (``rag.verify.short``).
Follow-up questions are condensed by ``rag.retrieve.condense``; with ``context_tokens`` the passages
are the best sentences chosen by ``rag.retrieve.select`` under that budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from index.embed import Embedder
from index.errors import EmptyIndexError, QuestionError, QuestionTooLongError
from rag.decompose import combine, merge_hits, parts
from rag.generate.gate import AnswerGate
from rag.generate.generator import Generator
from rag.generate.points import dated_points, timeline_text
from rag.reply import History, ReplyStep, Trial
from rag.retrieve.across import gather
from rag.retrieve.condense import standalone_question
from rag.retrieve.hybrid import Retriever
from rag.retrieve.select import Counter, select_context
from rag.timeline import StoryLookup, stale_note, timeline_query
from rag.types import Answer, Citation, Hit, Queued, Retrieved, TimelinePoint
from rag.verify.checks import (
    AnswerCheck,
    default_checks,
)


def clean_question(question: str, max_chars: int) -> str:
    """The question stripped; raises ``QuestionError`` when empty or too long."""
    text = " ".join((question or "").split())
    if not text:
        raise QuestionError("the question is empty: type a question about the articles")
    if len(text) > max_chars:
        raise QuestionTooLongError(
            f"the question is {len(text):,} characters, over the {max_chars:,} limit: shorten it "
            "(or raise NEWSRAG_MAX_QUESTION_CHARS)"
        )
    return text


class AnswerEngine:
    """Answers questions from one index with one generator."""

    def __init__(
        self,
        retriever: Retriever,
        generator: Generator,
        embedder: Embedder | None,
        count: Callable[[], int],
        top_k: int = 5,
        min_similarity: float = 0.25,
        max_tokens: int = 160,
        max_question_chars: int = 2000,
        gate: AnswerGate | None = None,
        context_tokens: int = 0,
        count_tokens: Counter | None = None,
        checks: Sequence[AnswerCheck] | None = None,
        split_questions: bool = True,
        trim_short_answers: bool = True,
        stories: StoryLookup | None = None,
        timeline_max_points: int = 8,
        flag_stale: bool = True,
        first_try: int = 0,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self._embedder = embedder
        self._count = count
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.max_tokens = max_tokens
        self.max_question_chars = max_question_chars
        self.gate = gate or AnswerGate(None)
        self.context_tokens = context_tokens
        self._count_tokens = count_tokens or (lambda text: text.split())
        self.checks = default_checks() if checks is None else list(checks)  # [] turns every check off
        self.split_questions = split_questions
        self.trim_short_answers = trim_short_answers
        self.stories = stories  # story grouping, for timelines and the stale-fact flag; None: no stories
        self.timeline_max_points = timeline_max_points  # 0: timeline questions are answered like any other
        self.flag_stale = flag_stale
        # N > 0: answer from the first N passages, and from all of them only when that answer would
        # be refused (the shared passages stay in llama.cpp's prompt cache, so the retry pays for the rest).
        self.first_try = first_try

    def ask(self, question: str, history: History = (), top_k: int | None = None, as_of: date | None = None) -> Answer:
        answer = None
        for item in self.stream(question, history, top_k, as_of=as_of):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: History = (),
        top_k: int | None = None,
        verified: bool = False,
        as_of: date | None = None,
    ) -> Iterator[str | Answer]:
        """The answer's text pieces, then the final ``Answer`` (see ``events`` for the options)."""
        for item in self.events(question, history, top_k, verified, as_of):
            if not isinstance(item, (Retrieved, Queued)):
                yield item

    def events(
        self,
        question: str,
        history: History = (),
        top_k: int | None = None,
        verified: bool = False,
        as_of: date | None = None,
    ) -> Iterator[Retrieved | Queued | str | Answer]:
        """``Retrieved`` once passages are found, then text pieces, then the final ``Answer``.

        While the model is busy with other answers, ``Queued`` items (answers ahead) come
        between ``Retrieved`` and the text.

        Raw pieces are the model's tokens as generated; their [n] markers are its claims and
        may differ from the final answer's. With ``verified`` the pieces are whole verified
        sentences instead (held until the answer is known not to be a refusal), and joined
        they are exactly the final answer's text, or the refusal text. ``as_of`` is the date the
        question is asked at: retrieval then steers toward articles shortly before it.
        """
        t0 = time.perf_counter()
        question = clean_question(question, self.max_question_chars)
        if self._count() == 0:
            raise EmptyIndexError()
        search_query = standalone_question(question, history, self._embedder)
        k = top_k or self.top_k
        asks_timeline = timeline_query(search_query) if self.timeline_max_points else None
        if asks_timeline is not None:
            _, found = gather(
                self.retriever, asks_timeline, k, as_of, self.stories, self.min_similarity, self.timeline_max_points
            )
            points, citations = dated_points(asks_timeline.topic, found, self._embedder) if found else ([], [])
            if points:  # else no dated passage answers it: an ordinary answer (or refusal) follows
                yield from self._timeline(question, asks_timeline.topic, found, points, citations, t0)
                return
        split = parts(search_query) if self.split_questions else [search_query]
        if len(split) > 1:
            yield from self._stale_flagged(self._parts(question, search_query, split, k, verified, as_of, t0), as_of)
            return
        hits = self._retrieve(search_query, k, as_of)
        timings = {"retrieval": time.perf_counter() - t0}
        yield Retrieved(search_query, hits)
        yield from self._stale_flagged(
            self._answer(question, search_query, hits, history, verified, timings, t0), as_of
        )

    def _timeline(
        self,
        question: str,
        topic: str,
        hits: list[Hit],
        points: list[TimelinePoint],
        citations: list[Citation],
        t0: float,
    ) -> Iterator[Retrieved | str | Answer]:
        """A timeline answer (``rag.generate.points``): the passages, the dated lines, the ``Answer``.

        The lines are verified when written, so raw and verified pieces are the same: joined,
        they are the answer's text. No model call, so no wait in the generator's line.
        """
        timings = {"retrieval": time.perf_counter() - t0}
        yield Retrieved(topic, hits)
        lines = timeline_text(points)
        timings["first_sentence"] = time.perf_counter() - t0
        yield from lines
        answer = Answer(
            question=question,
            answer="".join(lines),
            refused=False,
            citations=citations,
            sources=hits,
            backend="timeline",
            search_query=topic,
            timings=timings,
            timeline=points,
        )
        timings["total"] = time.perf_counter() - t0
        yield answer

    def _stale_flagged(
        self, items: Iterator[Retrieved | Queued | str | Answer], as_of: date | None
    ) -> Iterator[Retrieved | Queued | str | Answer]:
        """``items``, with the stale-fact note added to the final answer (and streamed before it)
        when all its citations come from one dated article whose story has newer articles."""
        for item in items:
            if isinstance(item, Answer) and self.flag_stale and self.stories is not None:
                note, item.newer_articles = stale_note(item, self.stories, as_of)
                if note:
                    yield note
                    item.answer += note
            yield item

    def _retrieve(self, query: str, k: int, as_of: date | None) -> list[Hit]:
        if self.context_tokens:  # the best sentences of twice as many chunks, within the budget
            pool = self.retriever.retrieve(query, 2 * k, as_of)
            return select_context(query, pool, self.context_tokens, self._count_tokens)
        return self.retriever.retrieve(query, k, as_of)

    def _parts(
        self,
        question: str,
        search_query: str,
        split: list[str],
        k: int,
        verified: bool,
        as_of: date | None,
        t0: float,
    ) -> Iterator[Retrieved | Queued | str | Answer]:
        """A two-part question: each part retrieved and answered on its own, then ``combine``d.

        Verified text comes in one piece once both parts are answered (the first line joins
        their short answers); raw pieces are each part's tokens, a line break between parts.
        """
        found = [self._retrieve(part, k, as_of) for part in split]
        retrieval = time.perf_counter() - t0
        yield Retrieved(search_query, merge_hits(found))
        answers: list[Answer] = []
        first_token = None
        for i, (part, hits) in enumerate(zip(split, found, strict=True)):
            if i and not verified:
                yield "\n"
            t_part = time.perf_counter()
            for item in self._reply().run(part, part, hits, (), False, {}, t_part):
                if isinstance(item, Answer):
                    answers.append(item)
                    continue
                if isinstance(item, str) and first_token is None:
                    first_token = time.perf_counter() - t0
                if isinstance(item, Queued) or not verified:
                    yield item
        answer = combine(question, search_query, split, answers, self.generator.name)
        answer.timings = {"retrieval": retrieval, **answer.timings, "total": time.perf_counter() - t0}
        if first_token is not None:
            answer.timings["first_token"] = first_token
        if verified and answer.answer:
            yield answer.answer
        yield answer

    def _answer(
        self,
        question: str,
        search_query: str,
        hits: list[Hit],
        history: History,
        verified: bool,
        timings: dict[str, float],
        t0: float,
    ) -> Iterator[Queued | str | Answer]:
        """Answer from ``hits``; with ``first_try``, from the first few first, and from all only when needed.

        The first try's text is held until its first sentence passes the checks (a refusal or a
        failed check there stops the model at once); an answer that would be refused is dropped
        unseen and the question is answered again from all the passages.
        """
        if not self.first_try or len(hits) <= self.first_try:
            yield from self._reply().run(question, search_query, hits, history, verified, timings, t0)
            return
        trial, first = Trial(), hits[: self.first_try]
        yield from self._reply().run(question, search_query, first, history, verified, timings, t0, trial)
        if trial.failed:
            timings["first_try"] = time.perf_counter() - t0  # spent on the dropped answer
            yield from self._reply().run(question, search_query, hits, history, verified, timings, t0)

    def _reply(self) -> ReplyStep:
        """The model-reply step (``rag.reply``) with the engine's parts as they are now."""
        return ReplyStep(
            self.generator,
            self._embedder,
            self.checks,
            self.gate,
            self.max_tokens,
            self.min_similarity,
            self.trim_short_answers,
        )
