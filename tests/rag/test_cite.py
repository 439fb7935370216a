"""Citation verification: supported markers kept, invented ones dropped, missing ones added."""

from __future__ import annotations

import pytest

from rag.generate.prompt import drop_meta
from rag.text import split_sentences
from rag.types import Hit
from rag.verify.cite import SentenceVerifier, verify

TRUCE = Hit(
    chunk_id="a:0",
    title="Negotiating a Ceasefire",
    source="004.txt",
    text=(
        "Talks to establish a truce are moving forward. Officials outlined a proposed ceasefire that "
        "includes a 60-day truce. Efforts are led by Amos Hochstein, a senior envoy from the Biden administration."
    ),
)
PUTIN = Hit(
    chunk_id="b:0",
    title="Russia's Putin Speaks to Palestinians",
    source="001.txt",
    text="Putin spoke to Iranian President Ebrahim Raisi and to Syrian President Bashar al-Assad by telephone.",
)


def test_supported_marker_is_kept_with_its_quote_span() -> None:
    out = verify("The proposed truce lasts 60 days [1].", [TRUCE, PUTIN])
    assert out.text == "The proposed truce lasts 60 days [1]."
    (c,) = out.citations
    assert c.title == "Negotiating a Ceasefire" and c.chunk_id == "a:0"
    assert "60-day truce" in c.quote
    assert TRUCE.text[c.quote_start : c.quote_end] == c.quote


def test_invented_marker_is_moved_to_the_supporting_passage() -> None:
    out = verify("The proposed truce lasts 60 days [2].", [TRUCE, PUTIN])
    assert [c.chunk_id for c in out.citations] == ["a:0"]
    assert out.text.endswith("[1].")


def test_marker_to_a_passage_that_does_not_exist_is_dropped() -> None:
    out = verify("The envoy is Amos Hochstein [7].", [TRUCE])
    assert [c.n for c in out.citations] == [1] and "[7]" not in out.text


def test_unmarked_supported_sentence_gets_a_marker() -> None:
    out = verify("Putin spoke by telephone to Raisi and Assad.", [TRUCE, PUTIN])
    assert out.text == "Putin spoke by telephone to Raisi and Assad [1]."
    assert out.citations[0].chunk_id == "b:0"


def test_wrong_number_is_not_supported() -> None:
    out = verify("The proposed truce lasts 90 days [1].", [TRUCE])
    assert out.citations == [] and out.supported_sentences == 0 and "[1]" not in out.text


def test_unrelated_claim_gets_no_citation_but_supported_one_does() -> None:
    out = verify("Hochstein leads the efforts [1]. Argentina won the World Cup [1].", [TRUCE])
    assert out.supported_sentences == 1 and out.content_sentences == 2
    assert out.text == "Hochstein leads the efforts [1]. Argentina won the World Cup."


def test_markers_are_renumbered_in_order_of_use() -> None:
    out = verify("Putin phoned Assad [2]. Hochstein is the envoy [1].", [TRUCE, PUTIN])
    assert out.text == "Putin phoned Assad [1]. Hochstein is the envoy [2]."
    assert [c.chunk_id for c in out.citations] == ["b:0", "a:0"]


def test_sentence_split_keeps_abbreviations() -> None:
    text = "U.S. officials met Mr. Saar. The truce holds."
    assert [text[s:e] for s, e in split_sentences(text)] == ["U.S. officials met Mr. Saar.", "The truce holds."]


def test_quote_is_one_sentence_when_one_suffices_and_two_when_needed() -> None:
    out = verify("The proposed truce lasts 60 days [1].", [TRUCE])
    assert out.citations[0].quote == "Officials outlined a proposed ceasefire that includes a 60-day truce."
    out = verify("Amos Hochstein, a Biden envoy, leads efforts on the proposed 60-day truce [1].", [TRUCE])
    assert out.citations[0].quote.startswith("Officials outlined") and "Hochstein" in out.citations[0].quote


STREAMED_ANSWERS = [
    "The proposed truce lasts 60 days [1]. Amos Hochstein leads the efforts [2].",
    "The truce lasts 60 days. [1] Putin spoke to Ebrahim Raisi [2]. Mr. Hochstein is a senior envoy [1].",
    "Yes.\n\nThe proposed ceasefire includes a 60-day truce [1, 2]. It is unclear what happens next.",
    "Putin spoke by telephone [12]. The U.S. envoy is Amos Hochstein",
]


@pytest.mark.parametrize("answer", STREAMED_ANSWERS)
def test_sentence_by_sentence_verification_matches_verifying_the_whole(answer: str) -> None:
    whole = verify(answer, [TRUCE, PUTIN])
    for step in (1, 2, 3, 7):  # character pieces of several sizes, markers split across pieces
        checker = SentenceVerifier([TRUCE, PUTIN])
        streamed = []
        for i in range(0, len(answer), step):
            streamed += checker.feed(answer[i : i + step])
        before = len(checker.parts)
        result = checker.finish()
        streamed += checker.parts[before:]
        assert "".join(streamed).strip() == whole.text == result.text
        assert [c.chunk_id for c in result.citations] == [c.chunk_id for c in whole.citations]


def test_a_sentence_is_released_only_once_the_next_has_begun() -> None:
    checker = SentenceVerifier([TRUCE, PUTIN])
    assert checker.feed("The proposed truce lasts 60 days.") == []
    assert checker.feed(" [") == []  # a marker may still follow the full stop
    assert checker.feed("1] Amos") == ["The proposed truce lasts 60 days [1]."]
    assert checker.first_sentence == "The proposed truce lasts 60 days [1]." and checker.cited


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("Passage states that the truce lasts 60 days", "The truce lasts 60 days"),
        ("This fact is supported by passage, which states that Hochstein leads", "Hochstein leads"),
        ('Fact from passage: "The event included a Pride walk."', "The event included a Pride walk."),
        ("Passage [2] confirms this by stating that Qassem said so", "Qassem said so"),
        ("Passages of the law were debated on Monday.", "Passages of the law were debated on Monday."),
        ("The passage of the bill was delayed.", "The passage of the bill was delayed."),
    ],
)
def test_narration_prefixes_are_dropped_and_news_is_not(said: str, kept: str) -> None:
    assert drop_meta(said) == kept


VIRUS = Hit(
    chunk_id="c:0",
    title="WHO weighs an emergency",
    source="009.txt",
    text=(
        "Monkeypox cases rose. The World Health Organization is weighing whether monkeypox is a public "
        "health emergency. Officials will meet next week."
    ),
)


def test_a_one_name_answer_with_its_marker_on_a_line_of_its_own_is_cited() -> None:
    out = verify("Monkeypox\n\n[2]", [TRUCE, VIRUS], question="Which virus is the WHO weighing as an emergency?")
    assert out.text == "Monkeypox [1]"
    assert out.citations[0].source == "009.txt" and "public health emergency" in out.citations[0].quote


def test_a_one_name_answer_the_passages_do_not_hold_stays_uncited() -> None:
    assert not verify("Ebola\n\n[2]", [TRUCE, VIRUS]).citations
    assert not verify("Monkeypox", [TRUCE, VIRUS]).citations  # no marker: nothing claims a passage


def test_the_quote_of_a_short_answer_is_where_the_passage_answers_the_question() -> None:
    asked = verify("Monkeypox [1]", [VIRUS], question="Which virus is the World Health Organization weighing?")
    unasked = verify("Monkeypox [1]", [VIRUS])
    assert "weighing" in asked.citations[0].quote
    assert unasked.citations[0].quote == "Monkeypox cases rose."  # without a question: the shortest


def test_a_support_sentence_replaces_the_short_answers_quote_of_the_same_passage() -> None:
    out = verify("Monkeypox [1]\nOfficials are weighing whether monkeypox is a public health emergency [1].", [VIRUS])
    assert out.text.count("[1]") == 2 and "public health emergency" in out.citations[0].quote


def test_first_cited_is_what_the_first_sentence_cites_not_the_later_ones() -> None:
    checker = SentenceVerifier([TRUCE, PUTIN])
    assert checker.first_cited == []  # nothing complete yet
    checker.feed("Putin spoke to Syrian President Bashar al-Assad [2]. ")
    checker.feed("The proposed truce lasts 60 days [1].")
    checker.finish()
    assert [h.chunk_id for h in checker.first_cited] == ["b:0"]


def test_an_uncited_first_sentence_cites_nothing() -> None:
    checker = SentenceVerifier([TRUCE, PUTIN])
    checker.feed("The weather was fine in Paris. The proposed truce lasts 60 days [1].")
    checker.finish()
    assert checker.first_cited == [] and checker.cited
