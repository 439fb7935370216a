"""The model's confidence in its short answer (``rag.verify.confidence``) and the check that refuses on it."""

from __future__ import annotations

import math

import pytest

from index.chunk import make_splitter
from index.embed import LlamaIndexEmbedding, token_counter
from index.ingest import ingest_paths
from rag.answer import AnswerEngine
from rag.generate.prompt import REFUSAL_TEXT
from rag.retrieve.hybrid import HybridRetriever
from rag.types import Confidence
from rag.verify.checks import Draft
from rag.verify.confidence import ConfidenceCheck, answer_confidence
from tests.fakes import FakeGenerator


def lp(p: float) -> float:
    return math.log(p)


def test_the_short_answer_tokens_are_the_first_line_after_the_label_before_any_marker() -> None:
    tokens = [
        ("Answer", lp(0.9)),
        (":", lp(1.0)),
        (" Jim", lp(0.5)),
        (" Far", lp(0.8)),
        ("ley", lp(1.0)),
        (" [", lp(0.1)),  # the marker is not the answer
        ("1", lp(0.2)),
        ("]\n", lp(0.3)),
        ("Ford", lp(0.01)),  # nor is the supporting sentence
    ]
    sure = answer_confidence(tokens)
    assert sure is not None
    assert sure.start == pytest.approx(0.9)
    assert sure.first == pytest.approx(0.5)
    assert sure.least == pytest.approx(0.5)
    assert sure.mean == pytest.approx((0.5 * 0.8 * 1.0) ** (1 / 3), abs=1e-4)


def test_an_unlabelled_reply_is_judged_on_its_first_line_and_nothing_on_no_tokens() -> None:
    sure = answer_confidence([("Squid", lp(0.4)), (" Game", lp(0.9)), ("\n", lp(0.9)), ("It", lp(0.01))])
    assert sure is not None and sure.start == pytest.approx(0.4) and sure.least == pytest.approx(0.4)
    assert answer_confidence([]) is None
    assert answer_confidence([("Answer", 0.0), (":", 0.0), ("\n", 0.0)]) is None  # a label and no answer


def test_the_check_refuses_under_its_minimum_and_ignores_answers_without_logprobs() -> None:
    check = ConfidenceCheck(0.5, "mean")
    draft = Draft("q", "q", [], "Ford", confidence=Confidence(start=0.9, first=0.3, mean=0.4, least=0.2))
    assert "0.40" in check.reason(draft) and "under 0.5" in check.reason(draft)
    assert "0.30 (first)" in ConfidenceCheck(0.5).reason(draft)  # by default: the answer's first token
    assert check.reason(Draft("q", "q", [], "Ford", confidence=Confidence(0.9, 0.9, 0.6, 0.5))) == ""
    assert check.reason(Draft("q", "q", [], "Ford")) == ""  # another backend: not judged
    assert ConfidenceCheck(0.5, "start").reason(draft) == ""  # judged by another feature


@pytest.fixture
def ingested(store, fake_embedder, samples_dir):  # type: ignore[no-untyped-def]
    ingest_paths([samples_dir], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder))
    return store


@pytest.mark.parametrize("logprob, refused", [(math.log(0.2), True), (math.log(0.9), False)])
def test_the_engine_refuses_an_answer_the_model_was_unsure_of(ingested, fake_embedder, logprob, refused) -> None:
    gen = FakeGenerator(["Answer: 60 days\nThe proposed truce would last 60 days [1]."], logprob=logprob)
    eng = AnswerEngine(
        HybridRetriever(ingested, fake_embedder, "hybrid"),
        gen,
        fake_embedder,
        ingested.count,
        top_k=4,
        min_similarity=0.2,
        checks=[ConfidenceCheck(0.5)],
    )
    items = list(eng.stream("How long is the truce in the proposed ceasefire that officials outlined?", verified=True))
    answer = items[-1]
    assert answer.confidence is not None and answer.confidence.mean == pytest.approx(math.exp(logprob), abs=1e-3)
    assert answer.refused is refused
    text = "".join(i for i in items[:-1] if isinstance(i, str))
    if refused:
        assert answer.verdict is not None and answer.verdict.check == "low_confidence"
        assert text == REFUSAL_TEXT and "60 days" not in text  # nothing of the answer was streamed
    else:
        assert "60 days" in text and answer.to_dict()["confidence"]["mean"] == pytest.approx(0.9, abs=1e-3)


def test_the_default_threshold_judges_the_bundled_model_and_an_endpoint_only_when_set_for_it() -> None:
    from rag.factory import make_checks, make_generator
    from rag.settings import load_settings

    default = load_settings(openai_base_url="http://127.0.0.1:9/v1")
    assert any(isinstance(c, ConfidenceCheck) for c in make_checks(default))
    assert make_generator(default, "openai")._logprobs is False  # type: ignore[attr-defined]
    chosen = load_settings(openai_base_url="http://127.0.0.1:9/v1", min_answer_confidence=0.4)
    assert make_generator(chosen, "openai")._logprobs is True  # type: ignore[attr-defined]
    off = load_settings(min_answer_confidence=0)
    assert not any(isinstance(c, ConfidenceCheck) for c in make_checks(off))
