"""Follow-up questions become standalone search queries; standalone questions pass through."""

from __future__ import annotations

import pytest

from rag.retrieve.condense import is_follow_up, standalone_question

TRUCE = ("How long is the proposed truce between Israel and Hezbollah?", "60 days [1].")


def test_follow_up_gets_the_topic_of_the_previous_question() -> None:
    q = standalone_question("and who leads their delegation?", [TRUCE])
    assert q.startswith("Who leads their delegation?")
    for word in ("truce", "Israel", "Hezbollah"):
        assert word in q


def test_standalone_question_is_unchanged() -> None:
    q = "What did the Swedish Migration Agency decide about deportations to Syria?"
    assert standalone_question(q, [TRUCE]) == q


def test_no_history_no_change() -> None:
    assert standalone_question("and who leads it?", []) == "and who leads it?"


def test_chain_of_follow_ups_keeps_the_topic() -> None:
    history = [TRUCE, ("and who leads their delegation?", "Amos Hochstein [1].")]
    q = standalone_question("When?", history)
    assert "Hezbollah" in q and "delegation" in q


def test_words_already_in_the_question_are_not_repeated() -> None:
    q = standalone_question("What about Hezbollah?", [TRUCE])
    assert q.count("Hezbollah") == 1


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("and what about Lebanon?", True),
        ("Who signed it?", True),
        ("When?", True),
        ("Which agency handles asylum appeals in Sweden according to the report?", False),
    ],
)
def test_is_follow_up(question: str, expected: bool) -> None:
    assert is_follow_up(question) is expected


def test_blank_questions_in_the_history_are_harmless() -> None:
    # found by fuzzing the HTTP API: an empty earlier question crashed the condenser
    assert standalone_question("When?", [("", ""), ("  ", "x")]) == "When?"
    assert standalone_question("Who signed it?", [("The truce deal", ""), ("", "")]) == "Who signed it?"
