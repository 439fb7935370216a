"""Two-part questions: how they are split (``rag.decompose.parts``) and answered part by part."""

from __future__ import annotations

import re

import pytest

from index.chunk import make_splitter
from index.embed import LlamaIndexEmbedding, token_counter
from index.ingest import ingest_paths
from rag.answer import AnswerEngine
from rag.decompose import parts
from rag.generate.prompt import REFUSAL_TEXT
from rag.retrieve.hybrid import HybridRetriever
from rag.types import Answer, Retrieved
from tests.fakes import FakeGenerator


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "Who is Hezbollah's new leader, and which official held a news conference in Beirut?",
            ["Who is Hezbollah's new leader", "which official held a news conference in Beirut"],
        ),
        (
            "Who led the delegation and who is the Kremlin adviser who urged a ceasefire?",
            ["Who led the delegation", "who is the Kremlin adviser who urged a ceasefire"],
        ),
        (
            "Which two officials are named: the president Putin phoned, and the head of the delegation?",
            ["officials are named the president Putin phoned", "officials are named the head of the delegation"],
        ),
        (
            "Who are the Israeli and Russian foreign ministers named in the coverage?",
            [
                "Who are the Israeli foreign ministers named in the coverage?",
                "Who are the Russian foreign ministers named in the coverage?",
            ],
        ),
    ],
)
def test_two_part_questions_are_split(question: str, expected: list[str]) -> None:
    assert parts(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "How long would the proposed Israel-Hezbollah truce last?",
        "Did Israel and Lebanon exchange drafts through a US envoy?",  # two subjects of one question
        "Which Israeli newspaper reported that Israel and Lebanon had exchanged drafts?",
        "Russia, Iran and Türkiye backed a political solution focused on which body?",
        "Who won, and why?",  # a part too short to search by
        "What did Procter and Gamble report?",
        # A colon before names: the answer or its options, not things to look up one by one (#32).
        "Which teams are playing in the final: Spain and England?",
        "Which banks raised rates this week: the Bank of England and the Fed?",
        # A colon that is not punctuation.
        'Which two countries backed the plan for <a href="https://example.com/tag">Israel and Palestine</a>?',
    ],
)
def test_one_part_questions_stay_whole(question: str) -> None:
    assert parts(question) == [question]


QUESTION = (
    "Which country suspended its mediation role in the Gaza truce talks, and how long would the proposed truce last?"
)
QATAR = "Answer: Qatar\nQatar suspended its mediation role [2]."
SIXTY = "Answer: 60 days\nThe proposed ceasefire includes a 60-day truce [1]."


@pytest.fixture
def ingested(store, fake_embedder, samples_dir):  # type: ignore[no-untyped-def]
    ingest_paths([samples_dir], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder))
    return store


def _engine(store, embedder, replies, split=True):  # type: ignore[no-untyped-def]
    gen = FakeGenerator(replies)
    retriever = HybridRetriever(store, embedder, "hybrid")
    eng = AnswerEngine(retriever, gen, embedder, store.count, top_k=4, min_similarity=0.2, split_questions=split)
    return eng, gen


def test_each_part_is_answered_on_its_own_and_the_answers_joined(ingested, fake_embedder) -> None:
    eng, gen = _engine(ingested, fake_embedder, [QATAR, SIXTY])
    items = list(eng.events(QUESTION, verified=True))
    retrieved = [i for i in items if isinstance(i, Retrieved)]
    answer = items[-1]
    assert isinstance(answer, Answer) and not answer.refused
    assert len(gen.prompts) == 2  # one model call per part, each with its own question
    assert gen.prompts[0].question.startswith("Which country") and gen.prompts[1].question.startswith("how long")
    assert answer.short_answer == "Qatar and 60 days"
    first, *support = answer.answer.split("\n")
    assert re.fullmatch(r"Qatar \[1\] and 60 days \[2\]", first)
    assert len(support) == 2 and "Qatar suspended" in support[0] and "60-day truce" in support[1]
    # markers renumbered across the parts: each names the passage that supports it
    assert [c.n for c in answer.citations] == [1, 2]
    assert "Qatar" in answer.citations[0].quote and "60-day truce" in answer.citations[1].quote
    assert {c.chunk_id for c in answer.citations} <= {h.chunk_id for h in answer.sources}
    # one Retrieved with both parts' passages; verified pieces join to exactly the answer
    assert len(retrieved) == 1 and retrieved[0].hits == answer.sources
    assert "".join(i for i in items if isinstance(i, str)) == answer.answer
    assert answer.timings["total"] >= answer.timings["retrieval"] > 0


def test_a_part_the_articles_do_not_answer_is_named(ingested, fake_embedder) -> None:
    eng, _ = _engine(ingested, fake_embedder, [QATAR, "Answer: I don't know."])
    answer = eng.ask(QUESTION)
    assert not answer.refused and answer.short_answer == "Qatar"
    assert answer.answer.endswith("The articles don't say: how long would the proposed truce last?")
    assert [c.n for c in answer.citations] == [1]


def test_no_part_answered_is_a_refusal(ingested, fake_embedder) -> None:
    eng, _ = _engine(ingested, fake_embedder, ["Answer: I don't know.", "Answer: I don't know."])
    answer = eng.ask(QUESTION)
    assert answer.refused and answer.answer == REFUSAL_TEXT and not answer.citations


def test_splitting_off_answers_the_question_in_one_call(ingested, fake_embedder) -> None:
    eng, gen = _engine(ingested, fake_embedder, [QATAR], split=False)
    eng.ask(QUESTION)
    assert len(gen.prompts) == 1 and gen.prompts[0].question == QUESTION


def test_and_which_after_a_statement_and_a_possessive_name_pair_stay_one_question() -> None:
    # issue #32, found by the misfire slice (tests/data/misfire_questions.jsonl)
    for question in (
        "Keir Starmer visited Paris and which other capital on his first trip abroad?",
        "Who were Procter and Gamble's biggest rivals this year?",
    ):
        assert parts(question) == [question]
    assert len(parts("Who is Hezbollah's new leader, and which official held a news conference in Beirut?")) == 2
