"""The answer pipeline with real in-memory Chroma, the fake embedder and a scripted generator."""

from __future__ import annotations

import re

import pytest

from index.chunk import make_splitter
from index.embed import LlamaIndexEmbedding, token_counter
from index.errors import EmptyIndexError, LLMError, QuestionError
from index.ingest import ingest_paths
from rag.answer import AnswerEngine
from rag.generate.prompt import REFUSAL_TEXT
from rag.retrieve.hybrid import HybridRetriever
from rag.types import Answer, Verdict
from rag.verify.checks import AskedCheck, Draft, GroundingCheck
from tests.fakes import FakeGenerator

ICARO = "Negotiating a Ceasefire: Progress and Challenges in Israel-Hezbollah Truce Talks"


@pytest.fixture
def ingested(store, fake_embedder, samples_dir):  # type: ignore[no-untyped-def]
    ingest_paths([samples_dir], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder))
    return store


def engine(store, embedder, replies=(), mode="hybrid", min_similarity=0.2):  # type: ignore[no-untyped-def]
    gen = FakeGenerator(replies)
    eng = AnswerEngine(
        HybridRetriever(store, embedder, mode), gen, embedder, store.count, top_k=4, min_similarity=min_similarity
    )
    return eng, gen


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_retrieval_finds_the_truce_passage(ingested, fake_embedder, mode) -> None:
    hits = HybridRetriever(ingested, fake_embedder, mode).retrieve("How long is the proposed 60-day truce?", 3)
    assert any("60-day truce" in h.text for h in hits)
    assert all(-1.0 <= h.similarity <= 1.0 for h in hits)


def test_answer_cites_the_article_the_passage_belongs_to(ingested, fake_embedder) -> None:
    eng, gen = engine(ingested, fake_embedder, ["The proposed truce would last 60 days [1]."])
    answer = eng.ask("How long is the truce in the proposed ceasefire that officials outlined?")
    assert not answer.refused
    assert "60 days" in answer.answer and "[1]" in answer.answer
    assert answer.citations and all("60-day truce" in c.quote for c in answer.citations)
    assert answer.citations[0].title in {
        ICARO,
        "Lebanon, Israel Ceasefire Deal Will Take Place in Three Phases and ‘Simultaneous’ Withdrawals",
    }
    # the prompt numbered the passages and carried headlines
    assert "[1] " in gen.prompts[0].messages[-1]["content"]
    assert set(answer.timings) >= {"retrieval", "first_token", "generation", "total"}


def test_stream_yields_pieces_then_the_answer(ingested, fake_embedder) -> None:
    eng, _ = engine(ingested, fake_embedder, ["Amos Hochstein leads the efforts [1]."])
    items = list(eng.stream("Who leads the efforts to broker the agreement, the senior envoy?"))
    assert all(isinstance(i, str) for i in items[:-1]) and isinstance(items[-1], Answer)
    assert "".join(items[:-1]).strip() == "Amos Hochstein leads the efforts [1]."
    assert items[-1].citations


def test_model_refusal_becomes_a_plain_refusal(ingested, fake_embedder) -> None:
    eng, _ = engine(ingested, fake_embedder, ["I don't know."])
    answer = eng.ask("What did the Lebanese army say about the truce?")
    assert answer.refused and answer.answer == REFUSAL_TEXT and answer.citations == []
    assert answer.sources  # what was retrieved is still reported


def test_unsupported_answer_is_refused_not_cited(ingested, fake_embedder) -> None:
    eng, _ = engine(ingested, fake_embedder, ["The truce lasts 90 days and was signed in Paris [1]."])
    answer = eng.ask("How long is the proposed truce?")
    assert answer.refused and answer.citations == []


def test_irrelevant_question_is_refused_before_generation(ingested, fake_embedder) -> None:
    eng, gen = engine(ingested, fake_embedder, ["Argentina [1]."], min_similarity=0.35)
    answer = eng.ask("Which football team won the championship cup yesterday?")
    assert answer.refused and gen.prompts == []


@pytest.mark.parametrize(("question", "message"), [("   ", "empty"), ("x" * 100_000, "over the 2,000 limit")])
def test_bad_questions(ingested, fake_embedder, question, message) -> None:
    eng, _ = engine(ingested, fake_embedder)
    with pytest.raises(QuestionError, match=message):
        eng.ask(question)


def test_ask_before_ingest(store, fake_embedder) -> None:
    eng, _ = engine(store, fake_embedder)
    with pytest.raises(EmptyIndexError, match="newsrag ingest"):
        eng.ask("Anything?")


def test_llm_failure_keeps_the_sources(ingested, fake_embedder) -> None:
    class Down(FakeGenerator):
        def stream(self, prompt, max_tokens):  # type: ignore[no-untyped-def]
            raise LLMError("cannot reach the chat endpoint at http://127.0.0.1:9: is the server running?")
            yield ""

    eng = AnswerEngine(HybridRetriever(ingested, fake_embedder, "hybrid"), Down(), fake_embedder, ingested.count)
    answer = eng.ask("How long is the proposed truce?")
    assert "cannot reach" in answer.error and answer.sources and not answer.citations


def test_follow_up_searches_with_the_previous_question(ingested, fake_embedder) -> None:
    eng, gen = engine(ingested, fake_embedder, ["Amos Hochstein [1]."])
    answer = eng.ask("and who leads it?", history=[("How long is the proposed truce?", "60 days [1].")])
    assert answer.search_query == "Who leads it? (long proposed truce)"
    roles = [m["role"] for m in gen.prompts[0].messages]
    assert roles == ["system", "user", "assistant", "user"]


def test_events_report_retrieval_before_the_text(ingested, fake_embedder) -> None:
    from rag.types import Retrieved

    reply = "The proposed truce would last 60 days [1]."
    eng, _ = engine(ingested, fake_embedder, [reply, reply])
    items = list(eng.events("How long is the truce in the proposed ceasefire?", top_k=2))
    assert isinstance(items[0], Retrieved) and len(items[0].hits) == 2
    assert items[0].search_query == "How long is the truce in the proposed ceasefire?"
    assert isinstance(items[-1], Answer) and [h.chunk_id for h in items[-1].sources] == [
        h.chunk_id for h in items[0].hits
    ]
    assert not any(isinstance(i, Retrieved) for i in eng.stream("How long is the truce?"))


@pytest.mark.parametrize(
    "reply",
    [
        "Amos Hochstein leads the efforts [3]. He is a senior envoy from the Biden administration.",
        "Talks are ongoing. The proposed truce would last 60 days.",  # markers added by the check
        "The articles do not say who leads the talks. Amos Hochstein is an envoy [1].",  # opens with a refusal
        "Zebras won the 1987 chess cup in Lima.",  # nothing supported
    ],
)
def test_verified_stream_pieces_join_to_exactly_the_final_answer(ingested, fake_embedder, reply) -> None:
    eng, _ = engine(ingested, fake_embedder, [reply, reply])
    question = "Who leads the efforts to broker the truce agreement, the senior envoy?"
    items = list(eng.stream(question, verified=True))
    final = items[-1]
    assert isinstance(final, Answer) and all(isinstance(i, str) for i in items[:-1])
    assert "".join(items[:-1]) == final.answer
    if final.refused:
        assert items[:-1] == [REFUSAL_TEXT]
    else:
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", final.answer)}
        assert markers == {c.n for c in final.citations}
    # the raw stream of the same reply ends in the same verdict
    assert eng.ask(question).refused == final.refused


def test_an_answer_that_opens_with_a_refusal_is_refused(ingested, fake_embedder) -> None:
    eng, _ = engine(ingested, fake_embedder, ["The passages do not mention the date. Amos Hochstein leads [1]."])
    assert eng.ask("When was the senior envoy Amos Hochstein appointed?").refused


def test_a_supported_answer_with_a_caveat_later_is_kept(ingested, fake_embedder) -> None:
    reply = "The proposed truce would last 60 days [1]. The articles do not say when it starts."
    eng, _ = engine(ingested, fake_embedder, [reply])
    answer = eng.ask("How long is the truce in the proposed ceasefire that officials outlined?")
    assert not answer.refused and "60 days" in answer.answer


def test_a_short_answer_first_is_kept_apart_and_its_label_removed(ingested, fake_embedder) -> None:
    reply = "Answer: 60 days\nThe proposed truce would last 60 days [1]."
    eng, _ = engine(ingested, fake_embedder, [reply, reply])
    question = "How long is the truce in the proposed ceasefire that officials outlined?"
    answer = eng.ask(question)
    assert not answer.refused and answer.short_answer == "60 days"
    assert "Answer:" not in answer.answer and answer.answer.startswith("60 days")
    assert answer.citations and all("60-day truce" in c.quote for c in answer.citations)
    pieces = list(eng.stream(question, verified=True))
    assert "".join(p for p in pieces if isinstance(p, str)) == pieces[-1].answer == answer.answer


def test_a_labelled_i_dont_know_is_a_refusal(ingested, fake_embedder) -> None:
    eng, _ = engine(ingested, fake_embedder, ["Answer: I don't know."])
    answer = eng.ask("How long is the truce in the proposed ceasefire that officials outlined?")
    assert answer.refused and answer.answer == REFUSAL_TEXT and answer.short_answer == ""


def test_an_unlabelled_reply_has_no_short_answer(ingested, fake_embedder) -> None:
    eng, _ = engine(ingested, fake_embedder, ["The proposed truce would last 60 days [1]."])
    answer = eng.ask("How long is the truce in the proposed ceasefire that officials outlined?")
    assert not answer.refused and answer.short_answer == "" and "60 days" in answer.answer


def test_a_context_budget_gives_the_model_only_the_best_sentences(ingested, fake_embedder) -> None:
    gen = FakeGenerator(["Answer: 60 days\nThe proposed truce would last 60 days [1]."])
    eng = AnswerEngine(
        HybridRetriever(ingested, fake_embedder, "hybrid"), gen, fake_embedder, ingested.count, top_k=4,
        context_tokens=120, count_tokens=str.split,
    )  # fmt: skip
    answer = eng.ask("How long is the truce in the proposed ceasefire that officials outlined?")
    assert not answer.refused and answer.short_answer == "60 days"
    passages = gen.prompts[0].passages
    assert sum(len(p.text.split()) + len(p.title.split()) for p in passages) <= 120
    assert any("60-day truce" in p.text for p in passages)
    assert answer.citations and "60-day truce" in answer.citations[0].quote


def test_narration_about_the_passages_is_taken_off_the_supporting_sentence(ingested, fake_embedder) -> None:
    reply = 'Answer: 60 days\nPassage [1] states that "the proposed ceasefire includes a 60-day truce." [1]'
    eng, _ = engine(ingested, fake_embedder, [reply])
    answer = eng.ask("How long is the truce in the proposed ceasefire that officials outlined?")
    assert answer.short_answer == "60 days"
    support = answer.answer.split("\n")[1]
    assert support.startswith("The proposed ceasefire includes a 60-day truce") and "Passage" not in support
    assert answer.citations and "60-day truce" in answer.citations[0].quote


def test_a_one_name_short_answer_is_cited_and_a_hedge_after_it_dropped(ingested, fake_embedder) -> None:
    reply = "Qatar\n\nI don't know."
    eng, _ = engine(ingested, fake_embedder, [reply, reply])
    question = "Which country suspended its mediation role in the Gaza truce talks?"
    answer = eng.ask(question)
    assert not answer.refused and answer.answer == "Qatar [1]"
    assert answer.citations and "Qatar" in answer.citations[0].quote
    pieces = list(eng.stream(question, verified=True))
    assert "".join(p for p in pieces if isinstance(p, str)) == pieces[-1].answer == "Qatar [1]"


def test_a_lone_name_without_a_support_line_is_not_enough_to_answer(ingested, fake_embedder) -> None:
    eng, _ = engine(ingested, fake_embedder, ["Qatar"])
    assert eng.ask("Which country suspended its mediation role in the Gaza truce talks?").refused


def test_a_lone_name_with_its_passage_marker_is_answered(ingested, fake_embedder) -> None:
    reply = "Answer: Qatar\n\n[1]"  # the small model's answer line, then only the marker
    eng, _ = engine(ingested, fake_embedder, [reply, reply])
    question = "Which country suspended its mediation role in the Gaza truce talks?"
    answer = eng.ask(question)
    assert not answer.refused and answer.answer == "Qatar [1]" and answer.short_answer == "Qatar"
    assert "Qatar suspending its mediation role" in answer.citations[0].quote  # where it answers the question
    pieces = list(eng.stream(question, verified=True))
    assert "".join(p for p in pieces if isinstance(p, str)) == pieces[-1].answer == "Qatar [1]"


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        (  # restates the question, then a supported sentence
            "Which country suspended its mediation role in the Gaza truce talks?",
            "Answer: The country that suspended its mediation role\nQatar suspended its mediation role [1].",
        ),
        (  # restates the question in a line the passages support (so it is cited before the check)
            "Which country suspended its mediation role in the Gaza truce talks?",
            "Answer: The mediation role in the Gaza truce talks\nQatar suspended its mediation role [1]. "
            "It suspended its role [1].",  # a later sentence: the check must hold the stream back mid-answer
        ),
        (  # a number the passages never give, then a supported sentence
            "How long is the truce in the proposed ceasefire that officials outlined?",
            "Answer: 37 days\nThe proposed ceasefire includes a 60-day truce [1].",
        ),
    ],
)
def test_a_first_sentence_that_is_no_answer_is_refused(ingested, fake_embedder, question, reply) -> None:
    eng, _ = engine(ingested, fake_embedder, [reply, reply])
    answer = eng.ask(question)
    assert answer.refused and answer.answer == REFUSAL_TEXT and not answer.citations
    assert answer.verdict is not None and answer.verdict.check == "non_answer" and answer.verdict.reason
    assert answer.to_dict()["refusal"] == {"check": "non_answer", "reason": answer.verdict.reason}
    assert list(eng.stream(question, verified=True))[:-1] == [REFUSAL_TEXT]  # nothing of it streamed first
    unchecked = AnswerEngine(
        HybridRetriever(ingested, fake_embedder, "hybrid"), FakeGenerator([reply]), fake_embedder, ingested.count,
        top_k=4, min_similarity=0.2, checks=[AskedCheck()],
    )  # fmt: skip
    assert not unchecked.ask(question).refused  # the check, not the citations, refused it


def test_a_bare_pointer_at_the_passages_is_not_shown(ingested, fake_embedder) -> None:
    reply = "Answer: Qatar\nPassage [1]\nQatar suspended its mediation role [1]."
    eng, _ = engine(ingested, fake_embedder, [reply, reply])
    question = "Which country suspended its mediation role in the Gaza truce talks?"
    answer = eng.ask(question)
    assert not answer.refused and "Passage" not in answer.answer
    assert answer.answer.split("\n")[0] == "Qatar [1]" and "Qatar suspended" in answer.answer.split("\n")[1]
    pieces = list(eng.stream(question, verified=True))
    assert "".join(p for p in pieces if isinstance(p, str)) == pieces[-1].answer == answer.answer


@pytest.mark.parametrize(("trim", "short"), [(True, "Qatar"), (False, "Qatar suspended its mediation role")])
def test_the_short_answer_loses_the_words_that_restate_the_question(ingested, fake_embedder, trim, short) -> None:
    reply = (
        "Answer: Qatar suspended its mediation role\nQatar suspended its mediation role in the Gaza truce talks [1]."
    )
    eng, _ = engine(ingested, fake_embedder, [reply])
    eng.trim_short_answers = trim
    answer = eng.ask("Which country suspended its mediation role in the Gaza truce talks?")
    assert not answer.refused and answer.short_answer == short
    assert answer.answer.startswith("Qatar suspended its mediation role [1]\n")  # the full answer is kept as written


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        (  # Israel's prime minister, cited correctly, for Lebanon's
            "Who is Lebanon's prime minister?",
            "Answer: Benjamin Netanyahu\nPrime Minister Benjamin Netanyahu faces pressure to facilitate the "
            "return of tens of thousands of Israelis evacuated from the north [1].",
        ),
        (  # a count of civilians and soldiers for a count of fighters
            "How many Hezbollah fighters have been killed since the war began?",
            "Answer: 100\nHezbollah attacks have killed roughly 100 civilians and soldiers in northern Israel [1].",
        ),
    ],
)
def test_an_answer_about_something_the_passages_never_mention_is_refused(
    ingested, fake_embedder, question, reply
) -> None:
    eng, _ = engine(ingested, fake_embedder, [reply, reply])
    eng.checks = [GroundingCheck(), AskedCheck()]  # CHECK_ASKED: off by default since issue #32
    answer = eng.ask(question)
    assert answer.refused and answer.answer == REFUSAL_TEXT and not answer.citations
    assert list(eng.stream(question, verified=True))[:-1] == [REFUSAL_TEXT]  # nothing of it streamed first
    assert answer.verdict is not None and answer.verdict.check == "unmentioned"
    eng, _ = engine(ingested, fake_embedder, [reply])
    eng.checks = [GroundingCheck()]
    unchecked = eng.ask(question)
    assert not unchecked.refused and unchecked.citations  # the check, not the citations, refused it


class _NoTruce:
    """A check of the caller's own: refuses any answer that mentions a truce."""

    name = "no_truce"

    def reason(self, draft: Draft) -> str:
        return "mentions a truce" if "truce" in draft.text.lower() else ""


def test_a_check_of_ones_own_refuses_and_leaves_its_verdict(ingested, fake_embedder) -> None:
    reply = "The proposed truce would last 60 days [1]."
    question = "How long is the truce in the proposed ceasefire that officials outlined?"
    eng, _ = engine(ingested, fake_embedder, [reply])
    plain = eng.ask(question)
    assert not plain.refused and plain.verdict is None and "refusal" not in plain.to_dict()
    eng, _ = engine(ingested, fake_embedder, [reply])
    eng.checks = [*eng.checks, _NoTruce()]
    answer = eng.ask(question)
    assert answer.refused and answer.verdict == Verdict("no_truce", "mentions a truce")


@pytest.mark.parametrize(
    ("reply", "check"),
    [
        ("I don't know.", "model_refused"),
        ("Answer: Paris\nThe capital of France is Paris.", "unsupported"),
    ],
)
def test_the_engines_own_refusals_say_why(ingested, fake_embedder, reply, check) -> None:
    eng, _ = engine(ingested, fake_embedder, [reply])
    answer = eng.ask("How long is the proposed truce between Israel and Hezbollah?")
    assert answer.refused and answer.verdict is not None and answer.verdict.check == check
    assert answer.to_dict()["refusal"]["check"] == check


def test_nothing_relevant_retrieved_is_refused_with_its_verdict(ingested, fake_embedder) -> None:
    eng, _ = engine(ingested, fake_embedder, [], min_similarity=0.99)
    answer = eng.ask("How long is the proposed truce between Israel and Hezbollah?")
    assert answer.refused and answer.verdict is not None and answer.verdict.check == "no_relevant_passage"
