"""Answer one question: retrieve → select → generate → cite, or refuse.

``AnswerEngine.stream`` reads top to bottom like the pipeline: validate the question,
retrieve passages, refuse at once when none is relevant, prompt the generator and stream
its text, then verify the citations and refuse when nothing in the passages supports the
answer. ``events`` also yields a ``Retrieved`` item as soon as retrieval is done (the UI shows
sources before the answer finishes); ``stream`` leaves it out, and ``ask`` returns just the
final ``Answer``. Timings (retrieval, first token, generation, total) are recorded on it.

Follow-up questions are condensed by ``rag.condense``; date filters and token-budgeted
context selection are not here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from index.embed import Embedder
from index.errors import EmptyIndexError, LLMError, QuestionError
from rag.cite import verify
from rag.condense import standalone_question
from rag.generator import Generator
from rag.prompt import REFUSAL_TEXT, build_prompt, is_refusal
from rag.retrieve import Retriever
from rag.types import Answer, Retrieved

History = Sequence[tuple[str, str]]


def clean_question(question: str, max_chars: int) -> str:
    """The question stripped; raises ``QuestionError`` when empty or too long."""
    text = " ".join((question or "").split())
    if not text:
        raise QuestionError("the question is empty: type a question about the articles")
    if len(text) > max_chars:
        raise QuestionError(
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
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self._embedder = embedder
        self._count = count
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.max_tokens = max_tokens
        self.max_question_chars = max_question_chars

    def ask(self, question: str, history: History = (), top_k: int | None = None) -> Answer:
        answer = None
        for item in self.stream(question, history, top_k):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: History = (), top_k: int | None = None) -> Iterator[str | Answer]:
        """The answer's text pieces as generated, then the final ``Answer``."""
        for item in self.events(question, history, top_k):
            if not isinstance(item, Retrieved):
                yield item

    def events(
        self, question: str, history: History = (), top_k: int | None = None
    ) -> Iterator[Retrieved | str | Answer]:
        """``Retrieved`` once passages are found, then text pieces, then the final ``Answer``."""
        t0 = time.perf_counter()
        question = clean_question(question, self.max_question_chars)
        if self._count() == 0:
            raise EmptyIndexError()
        search_query = standalone_question(question, history)

        hits = self.retriever.retrieve(search_query, top_k or self.top_k)
        timings = {"retrieval": time.perf_counter() - t0}
        yield Retrieved(search_query, hits)
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
            yield from _refuse(answer, t0)
            return

        prompt = build_prompt(question, hits, history)
        pieces: list[str] = []
        t_gen = time.perf_counter()
        try:
            for piece in self.generator.stream(prompt, self.max_tokens):
                if not pieces:
                    timings["first_token"] = time.perf_counter() - t0
                pieces.append(piece)
                yield piece
        except LLMError as err:
            answer.error = str(err)
            timings["total"] = time.perf_counter() - t0
            yield answer
            return
        timings["generation"] = time.perf_counter() - t_gen
        raw = "".join(pieces).strip()

        if is_refusal(raw):
            yield from _refuse(answer, t0)
            return
        checked = verify(raw, hits, self._embedder)
        if not checked.citations:
            yield from _refuse(answer, t0)
            return
        answer.answer = checked.text
        answer.citations = checked.citations
        timings["total"] = time.perf_counter() - t0
        yield answer


def _refuse(answer: Answer, t0: float) -> Iterator[str | Answer]:
    answer.answer = REFUSAL_TEXT
    answer.refused = True
    answer.citations = []
    answer.timings["total"] = time.perf_counter() - t0
    yield answer
