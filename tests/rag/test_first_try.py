"""``FIRST_TRY``: answer from the first passages, and from all of them only when that answer would be refused."""

from __future__ import annotations

import math

import pytest

from index.chunk import make_splitter
from index.embed import LlamaIndexEmbedding, token_counter
from index.ingest import ingest_paths
from rag.answer import AnswerEngine
from rag.generate.prompt import REFUSAL_TEXT
from rag.retrieve.hybrid import HybridRetriever
from rag.types import Answer
from rag.verify.checks import AskedCheck, GroundingCheck
from rag.verify.confidence import ConfidenceCheck
from tests.fakes import FakeGenerator

QUESTION = "How long is the truce in the proposed ceasefire that officials outlined?"
GOOD = "Answer: 60 days\nThe proposed truce would last 60 days [1]."
SURE, UNSURE = math.log(0.9), math.log(0.05)


@pytest.fixture
def ingested(store, fake_embedder, samples_dir):  # type: ignore[no-untyped-def]
    ingest_paths([samples_dir], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder))
    return store


def engine(store, embedder, replies, logprobs, first_try=2):  # type: ignore[no-untyped-def]
    gen = FakeGenerator(replies, logprob=logprobs)
    checks = [GroundingCheck(), AskedCheck(), ConfidenceCheck(0.209)]
    eng = AnswerEngine(
        HybridRetriever(store, embedder, "hybrid"),
        gen,
        embedder,
        store.count,
        top_k=4,
        min_similarity=0.2,
        checks=checks,
        first_try=first_try,
    )
    return eng, gen


def passages_in(prompt) -> int:  # type: ignore[no-untyped-def]
    return sum(f"[{n}] " in prompt.messages[-1]["content"] for n in range(1, 9))


@pytest.mark.parametrize("verified", [False, True])
def test_a_sure_answer_from_the_first_passages_is_the_answer(ingested, fake_embedder, verified) -> None:
    eng, gen = engine(ingested, fake_embedder, [GOOD], [SURE])
    items = list(eng.stream(QUESTION, verified=verified))
    answer = items[-1]
    assert isinstance(answer, Answer) and not answer.refused and "60 days" in answer.answer
    assert len(gen.prompts) == 1 and passages_in(gen.prompts[0]) == 2
    assert len(answer.sources) == 2 and "first_try" not in answer.timings
    assert "60 days" in "".join(i for i in items if isinstance(i, str))


@pytest.mark.parametrize("verified", [False, True])
@pytest.mark.parametrize(
    "first_reply, first_logprob",
    [("I don't know.", SURE), (GOOD, UNSURE)],  # the model refuses; the model is unsure
    ids=["model-refused", "low-confidence"],
)
def test_an_answer_that_would_be_refused_is_dropped_unseen_and_all_passages_answer(
    ingested, fake_embedder, verified, first_reply, first_logprob
) -> None:
    again = "Answer: 60 days\nThe truce would last 60 days, officials said [1]."
    eng, gen = engine(ingested, fake_embedder, [first_reply, again], [first_logprob, SURE])
    items = list(eng.stream(QUESTION, verified=verified))
    answer = items[-1]
    assert isinstance(answer, Answer) and not answer.refused, answer.verdict
    assert [passages_in(p) for p in gen.prompts] == [2, 4]
    assert len(answer.sources) == 4 and answer.timings["first_try"] > 0
    text = "".join(i for i in items if isinstance(i, str))
    assert "know" not in text and "proposed truce would last" not in text  # nothing of the first try
    assert "officials said" in text  # what streamed is the second answer only
    if not verified:
        assert text.startswith("60 days")


def test_when_all_passages_do_not_answer_either_the_refusal_is_the_answer(ingested, fake_embedder) -> None:
    eng, gen = engine(ingested, fake_embedder, ["I don't know.", "I don't know."], [SURE, SURE])
    items = list(eng.stream(QUESTION, verified=True))
    answer = items[-1]
    assert isinstance(answer, Answer) and answer.refused and answer.verdict is not None
    assert answer.verdict.check == "model_refused" and len(gen.prompts) == 2
    assert "".join(i for i in items if isinstance(i, str)) == REFUSAL_TEXT


def test_off_or_with_no_more_passages_than_the_first_try_it_asks_once(ingested, fake_embedder) -> None:
    eng, gen = engine(ingested, fake_embedder, ["I don't know."], [SURE], first_try=0)
    assert eng.ask(QUESTION).refused and [passages_in(p) for p in gen.prompts] == [4]
    eng, gen = engine(ingested, fake_embedder, ["I don't know."], [SURE], first_try=4)
    assert eng.ask(QUESTION).refused and len(gen.prompts) == 1


def test_when_the_first_passages_are_not_similar_enough_all_of_them_are_tried(ingested, fake_embedder) -> None:
    eng, gen = engine(ingested, fake_embedder, [GOOD], [SURE])
    hits = eng.retriever.retrieve(QUESTION, 4)
    hits[0].similarity = hits[1].similarity = 0.0  # the best-ranked two, below MIN_SIMILARITY
    hits[3].similarity = 0.9
    items = list(eng._answer(QUESTION, QUESTION, hits, (), False, {}, 0.0))
    answer = items[-1]
    assert isinstance(answer, Answer) and not answer.refused and [passages_in(p) for p in gen.prompts] == [4]
