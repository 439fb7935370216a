"""What a refusal from the model looks like (``rag.generate.refusal``), and what is news instead."""

from __future__ import annotations

import pytest

from rag.generate.prompt import is_refusal
from rag.types import Hit
from rag.verify.checks import MODEL_REFUSED, built_in_verdict
from rag.verify.cite import verify

# What the model says when the passages do not hold the answer: the prompt's "I don't know.",
# the wordings the old pattern was written for, and the test doubles' refusals.
REFUSALS = [
    "I don't know.",
    "I don't know",
    "I do not know.",
    "I don’t know.",
    "Sorry, I don't know.",
    "I cannot answer that from the passages.",
    "I am unable to answer this question based on the provided passages.",
    "Unknown.",
    "Unknown",
    "No answer.",
    "N/A",
    "Not stated.",
    "Not mentioned in the passages.",
    "Cannot be determined.",
    "It cannot be determined from the passages.",
    "There is not enough information to answer.",
    "The passages do not mention the date.",
    "The passages do not contain the answer.",
    "The passage does not say who leads the delegation.",
    "The articles do not say when it starts.",
    "The articles don't say who signed it.",
    "The provided passages don't specify the number of casualties.",
    "There is no information in the articles about the delegation.",
    "There is no information about who leads the delegation in the passages.",
    "The answer is not mentioned in the passages.",
    "None of the passages says when the truce starts.",
    "Neither passage mentions the cost.",
    "Based on the passages, it is not possible to determine who leads the talks.",
    "I'm sorry, but the passages don't say.",
    "The information provided does not include the date.",
    "It is not stated in the context.",
    "Passage [2] does not mention the cost.",
]

# Sentences of news articles (the first three from issue #32, the rest from the RealTimeQA pools):
# each reports the world, so none is a refusal, first sentence or later.
NEWS = [
    "The ministry said there was no information about casualties.",
    "Unknown assailants attacked the convoy [1].",
    "The cause cannot be determined until the investigation ends [1].",
    "Unknown assailants attacked the convoy.",
    "Unknown (13)",
    '"I don\'t know how it got in there."',
    '"I don\'t know about that," DiBello said.',
    "I don't know why Hegseth was sharing it with everybody,” Goldberg said.",
    "I don't know if it's my left or right yet.",
    "I can't do that.",
    "Harvard officials say a variety of investigators have been unable to determine who was behind the messages.",
    "Russian state media did not report a cause of death for Navalny, and a government spokesman offered no "
    "information about how he died.",
    "An earlier version of this article did not specify which version of the roll is offered in a 24 pack.",
    "The vote in the Senate was 20-13, but the resolution did not receive the required two-thirds support for passage.",
    "Yousaf told Scottish media they have been unable find safe passage after visiting his father-in-law's mother.",
    "NBC News reported that Lazar provided information not only about other rioters but also a separate defendant.",
    'But "El Paso Strong" hasn\'t been embraced by the public in the context of the virus.',
    "What's not clear about it?",
    'The track became a B-side to the single "I Don\'t Know Why."',
    "Unknown [1].",  # a cited one-word answer reports its passage
]


@pytest.mark.parametrize("text", REFUSALS)
def test_the_model_saying_it_cannot_answer_is_a_refusal(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize("text", NEWS)
def test_a_reported_sentence_is_not_a_refusal(text: str) -> None:
    assert not is_refusal(text)


def test_a_refusal_is_judged_on_the_first_sentence() -> None:
    assert is_refusal("I don't know. The passages only mention the truce.")
    assert not is_refusal("The truce lasts 60 days [1]. The articles do not say when it starts.")
    assert not is_refusal("The passages give the date, but not the time.")  # an answer with a caveat
    assert is_refusal("")


CONVOY = Hit(
    chunk_id="a:0",
    title="Convoy attacked",
    source="convoy.txt",
    text=(
        "Unknown assailants attacked the convoy near the border on Tuesday. "
        "The cause cannot be determined until the investigation ends, officials said."
    ),
)


def test_a_news_sentence_first_is_an_answer_not_the_model_refusing() -> None:
    # issue #32: this first sentence made the answer a `model_refused` refusal
    first = "Unknown assailants attacked the convoy [1]."
    assert built_in_verdict(False, first, cited=True) is None
    refused = built_in_verdict(False, "I don't know.", cited=False)
    assert refused is not None and refused.check == MODEL_REFUSED


def test_a_news_sentence_later_in_the_answer_is_kept() -> None:
    # issue #32: a later sentence that "read as a refusal" was dropped as a hedge
    out = verify(
        "Unknown assailants attacked the convoy [1]. The cause cannot be determined until the investigation ends [1].",
        [CONVOY],
    )
    assert "cannot be determined until the investigation ends" in out.text
    hedged = verify("Unknown assailants attacked the convoy [1]. I don't know.", [CONVOY])
    assert "I don't know" not in hedged.text
