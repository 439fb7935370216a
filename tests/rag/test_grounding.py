"""The non-answer checks on an answer's first sentence (``rag.verify.grounding``)."""

from __future__ import annotations

import pytest

from rag.types import Hit
from rag.verify.grounding import first_sentence, non_answer, restates, unread_numbers


def hit(text: str, title: str = "Truce talks", published_at: str = "2024-11-26") -> Hit:
    return Hit(chunk_id="c", text=text, title=title, source="s", published_at=published_at)


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("Who commands the Lebanese army that will deploy in the south?", "The Lebanese Army"),
        ("When will the next round of Astana talks on Syria be held?", "The next round of Astana talks will be held."),
        ("Which telescope picked up the signals?", "The telescope"),
    ],
)
def test_a_sentence_made_of_the_questions_words_restates_it(question: str, sentence: str) -> None:
    assert restates(question, sentence)
    assert non_answer(question, sentence, [hit("anything")]) == "restates the question"


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("Who commands the Lebanese army?", "General Joseph Aoun"),  # a new name
        ("Did Israel agree to the truce?", "Yes, Israel agreed to the truce."),  # yes/no: words come from the question
        ("Is the truce 60 or 90 days long?", "60 days"),  # a choice: the answer is one of the question's options
        ("Who commands the Lebanese army?", "Yes."),  # nothing to judge
        ("Which country mediates?", "Qatar"),
    ],
)
def test_answers_that_add_something_or_choose_do_not_restate(question: str, sentence: str) -> None:
    assert not restates(question, sentence)


def test_a_number_the_passages_never_give_is_flagged() -> None:
    passages = [hit("About 10,000 UNIFIL troops are deployed; the truce lasts sixty days.")]
    assert unread_numbers("20", passages) == ["20"]
    assert unread_numbers("10,000 troops", passages) == []  # thousands separators do not matter
    assert unread_numbers("60 days", passages) == []  # written as a word in the passage
    assert non_answer("How many troops?", "20 [1]", passages) == "the number 20 is in none of the passages"


@pytest.mark.parametrize(
    ("sentence", "text"),
    [
        ("4", "He has been married four times."),
        ("25 people", "Twenty-five people were hurt."),
        ("1.5 million", "Some 1.50 million people."),
        ("2 million", "Some 2.0 million people."),
        ("2024", "It was agreed on Tuesday."),  # the passage's date counts: the model reads it
        ("26", "It was agreed on Tuesday."),
    ],
)
def test_numbers_are_matched_as_numbers(sentence: str, text: str) -> None:
    assert unread_numbers(sentence, [hit(text)]) == []


def test_a_shorter_number_inside_a_longer_one_does_not_count() -> None:
    assert unread_numbers("20", [hit("It cost 2 dollars and 200 cents in 2020.", published_at="")]) == ["20"]


def test_first_sentence_is_the_first_line_without_markers() -> None:
    assert first_sentence("Qatar [1]\nQatar suspended its role [1].") == "Qatar"
    assert first_sentence("The truce lasts 60 days [1]. It starts now [2].") == "The truce lasts 60 days."


@pytest.mark.parametrize(
    ("sentence", "text"),
    [
        # A fraction spelled out after a number (#32): "3.5 percent" was in none of the passages.
        ("3.5 percent", "Inflation rose three and a half percent in March."),
        ("2.25 million", "Some two and a quarter million people voted."),
        ("21.75 points", "The index fell twenty-one and three quarters points."),
        ("1.5 hours", "The meeting lasted 1 and a half hours."),
        ("0.25 percentage points", "The bank cut its rate by a quarter percentage point."),
        ("0.5 percent", "Prices rose half a percent."),
    ],
)
def test_spelled_out_fractions_are_read(sentence: str, text: str) -> None:
    assert unread_numbers(sentence, [hit(text, published_at="")]) == []


@pytest.mark.parametrize(
    ("sentence", "text"),
    [
        ("4.5 percent", "Inflation rose three and a half percent in March."),
        ("3.25 percent", "Inflation rose three and a half percent in March."),
        ("0.75 points", "The bank cut its rate by a quarter point."),
    ],
)
def test_a_wrong_fraction_is_still_unread(sentence: str, text: str) -> None:
    assert unread_numbers(sentence, [hit(text, published_at="")]) == [sentence.split()[0]]
