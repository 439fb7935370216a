"""rag.verify.short: the question's own words cut out of a short answer line."""

from __future__ import annotations

import pytest

from rag.verify.short import trim


@pytest.mark.parametrize(
    ("question", "short", "expected"),
    [
        (  # subject question: the answer stands before the restated words
            "Which show received the most nominations for the 2022 Emmy Awards?",
            "Succession received the most nominations of any show, earning a total of 25 nods",
            "Succession",
        ),
        (  # cut again while a run is left: "baby swings and" is the question's too
            "Approximately how many baby swings and rockers were recalled this week due to reports of infant injuries?",
            "2 million baby swings and 220,000 rockers were recalled this week due to reports of infant injuries",
            "2 million",
        ),
        (  # object question ("who did …"): the answer follows; "apologised" matches "apologise"
            "Who did the Academy Awards apologise to this week?",
            "The Academy Awards apologised to Sacheen Littlefeather",
            "Sacheen Littlefeather",
        ),
        (  # why: the reason follows, without "due to"
            "Why were some Kia and Hyundai SUVs recalled this week?",
            "Some vehicles were recalled this week due to fire risks",
            "fire risks",
        ),
        (  # fill-in question ending in a colon
            "Beyoncé released a new song this week, titled:",
            'Beyoncé released a new song this week, titled "Break My Soul."',
            "Break My Soul",
        ),
        (  # the wh-word comes after the restated words
            "San Francisco officials opened a massive park this week in which unusual location?",
            "San Francisco officials opened a massive park atop a busy highway tunnel",
            "atop a busy highway tunnel",
        ),
        (  # the side before is empty: the other side is kept; a possessive ends the name
            "Protesters glued their hands to which John Constable painting in the National Gallery?",
            'John Constable\'s "The Hay Wain"',
            "The Hay Wain",
        ),
        (  # the verb left at the front once the subject is cut goes too
            "What position does Nabih Berri hold in Lebanon?",
            "Nabih Berri is the speaker of Parliament",
            "the speaker of Parliament",
        ),
    ],
)
def test_the_restated_question_is_cut(question: str, short: str, expected: str) -> None:
    assert trim(short, question) == expected


@pytest.mark.parametrize(
    ("question", "short"),
    [
        # the shared words are part of one capitalised name
        ("Which US national park was hit by floods this week?", "Yellowstone National Park"),
        ("Which national park will charge a new parking fee?", "Great Smoky Mountains National Park"),
        # one shared content word is not a restatement
        ("Which airport set a record for hourly rainfall?", "Dallas-Fort Worth International Airport"),
        # nothing shared
        ("Which two candidates are in the final ballot?", "Rishi Sunak and Liz Truss"),
        # nothing but the question's words would be left
        ("Who did the Academy Awards apologise to this week?", "The Academy Awards"),
        ("Which show received the most nominations?", "received the most nominations"),
    ],
)
def test_an_answer_that_does_not_restate_the_question_is_kept(question: str, short: str) -> None:
    assert trim(short, question) == short


def test_a_name_holding_the_questions_words_is_not_cut_on_its_other_side() -> None:
    question = "Which US national park was hit by floods this week?"
    assert trim("Yellowstone National Park, in Wyoming", question) == "Yellowstone National Park, in Wyoming"
