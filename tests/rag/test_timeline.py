"""Which questions are timeline questions, their topic and date bounds, and the stale-fact test.

The examples are written from the issue's phrasing and English grammar (ways to ask about
change over a span, and ordinary questions that share a word with them), not from an eval set.
"""

from __future__ import annotations

from datetime import date

import pytest

from rag.timeline import Bounds, DayRef, newer_in_story, stale_note, timeline_query
from rag.types import Answer, Citation, Hit

STORY_START, STORY_END = date(2024, 11, 20), date(2024, 11, 27)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("How did the ceasefire terms change between the first draft and the final deal?", "ceasefire terms"),
        ("What has happened since the truce began?", "the truce began"),
        ("Timeline of the Israel-Hezbollah truce talks", "the Israel-Hezbollah truce talks"),
        ("Give me a timeline of the Lebanon ceasefire negotiations.", "the Lebanon ceasefire negotiations"),
        ("Can you give me a chronology of the port strike?", "port strike"),
        ("How has Russia's role in the talks evolved?", "Russia's role in the talks"),
        ("How did the talks progress over the week?", "the talks"),
        ("What led to the ceasefire agreement?", "the ceasefire agreement"),
        ("In what order did the parties accept the proposal?", "the parties accept the proposal"),
        ("What's happened in the port strike so far?", "in the port strike"),
        ("What changed in the truce proposal after 2024-11-22?", "in the truce proposal"),
        ("What did officials say about the truce between Nov 20 and Nov 27, 2024?", "officials say about the truce"),
        ("What has Hezbollah said since the ceasefire took effect?", "Hezbollah said the ceasefire took effect"),
        ("List the sequence of events in the dock strike chronologically.", "dock strike"),
        ("What did the envoy say about the truce over the past two weeks?", "envoy say about the truce"),
    ],
)
def test_questions_about_change_or_sequence_are_timeline_questions(question: str, topic: str) -> None:
    found = timeline_query(question)
    assert found is not None
    assert topic in found.topic
    for framing in ("timeline", "chronolog", "what has happened", "how did", "evolved", "led to", "order"):
        assert framing not in found.topic.lower()


@pytest.mark.parametrize(
    "question",
    [
        "How long is the proposed truce?",
        "Who leads the efforts to broker the agreement?",
        "What is the border between Israel and Lebanon?",  # "between" two places, not two dates
        "What is the timeline for the Israeli withdrawal?",  # a schedule, not a history
        "How many people have died since the war began?",  # one number
        "Has the ceasefire proposal changed since November?",  # yes or no
        "Since the talks stalled, who is mediating?",  # "since" giving a reason
        "What happened on Monday in Beirut?",  # one day
        "Who has led Hezbollah since Nasrallah's death?",  # one name
        "How does the enforcement mechanism work?",
        "How did the scientists develop the new battery?",  # a process: "develop" has an object
        "What changes does the agreement introduce?",  # "changes" the noun: what the deal says
        "What has happened since Monday?",  # a change question, but nothing to search for
        "Which two officials met in Beirut, and what did they discuss?",
        # A span of dates qualifying a question for one fact:
        "Which retailer cut its gas prices through July 4?",
        "By what percentage has the number of insects fallen since 2004?",
        "The park has been closed since June 13. Why was it shut down?",
        "True or false: a case of polio was reported this week for the first time since 1979.",
    ],
)
def test_ordinary_questions_stay_ordinary(question: str) -> None:
    assert timeline_query(question) is None


@pytest.mark.parametrize(
    "question",
    [
        # A word that starts with a month's name (#32): no word boundary read "Mayor" as "May".
        "What did the union say after Mayor Adams announced the cuts?",
        "What did the markets do since Janet Yellen spoke?",
        "What did the residents say after Marine units landed?",
        "What did the coach say after Junior signed?",
        "What did the lawyers argue before Decision Day?",
        "What did the fans say since Novak Djokovic retired?",
        "What did Trump say after Mar-a-Lago hosted the talks?",
        # A month alone that is a first name, a holiday or a common word.
        "What did the band do after June Carter died?",
        "What did the envoy say after Jan Egeland visited Gaza?",
        "What did the workers do after May Day?",
        "What did police say after the march?",
        "What did the senator say before may be a turning point?",
    ],
)
def test_words_that_start_like_a_month_give_no_dates(question: str) -> None:
    assert timeline_query(question) is None


@pytest.mark.parametrize(
    ("question", "bounds"),
    [
        ("What did the union say after May 5?", Bounds(start=DayRef(5, 5, None), start_after=True)),
        ("What did the union say since May?", Bounds(start=DayRef(5, None, None))),
        ("What did the union say between May and June?", Bounds(DayRef(5, None, None), DayRef(6, None, None))),
        ("What did the union say since Jan. about the talks?", Bounds(start=DayRef(1, None, None))),
        ("What did the union say since november?", Bounds(start=DayRef(11, None, None))),
        ("What did the union say after Mar 3?", Bounds(start=DayRef(3, 3, None), start_after=True)),
        ("What did the union say until Sept. 3, 2024?", Bounds(end=DayRef(9, 3, 2024))),
    ],
)
def test_months_as_dates_still_bound_the_timeline(question: str, bounds: Bounds) -> None:
    found = timeline_query(question)
    assert found is not None and found.topic.startswith("the union say")
    assert found.bounds == bounds


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("Timeline of the strike since Nov 25", date(2024, 11, 25), None),
        ("Timeline of the strike since 25th November 2023", date(2023, 11, 25), None),
        ("Timeline of the strike after Nov 25", date(2024, 11, 26), None),
        ("Timeline of the strike before Nov 25", None, date(2024, 11, 24)),
        ("Timeline of the strike until November 24", None, date(2024, 11, 24)),
        ("Timeline of the strike between Nov 21 and Nov 26", date(2024, 11, 21), date(2024, 11, 26)),
        ("Timeline of the strike from 2024-11-21 to 2024-11-25", date(2024, 11, 21), date(2024, 11, 25)),
        ("Timeline of the strike after November 2024", date(2024, 12, 1), None),
        ("Timeline of the strike since 2023", date(2023, 1, 1), None),
        ("Timeline of the strike between Dec 28 and Jan 3", date(2024, 12, 28), date(2025, 1, 3)),  # across New Year
        ("Timeline of the strike over the past week", date(2024, 11, 20), None),
        ("Timeline of the strike", None, None),
    ],
)
def test_dates_become_bounds_with_the_year_nearest_the_story(
    question: str, first: date | None, last: date | None
) -> None:
    found = timeline_query(question)
    assert found is not None and "strike" in found.topic
    assert not any(ch.isdigit() for ch in found.topic)  # dates bound the search, they are not searched for
    assert found.bounds.resolve(STORY_START, STORY_END) == (first, last)


def test_a_year_less_date_takes_the_year_of_the_story_it_falls_in() -> None:
    bounds = timeline_query("Timeline of the talks since Jan 5")
    assert bounds is not None
    assert bounds.bounds.resolve(date(2024, 12, 20), date(2025, 1, 10))[0] == date(2025, 1, 5)
    assert bounds.bounds.resolve(date(2021, 12, 20), date(2022, 1, 10))[0] == date(2022, 1, 5)
    assert Bounds().resolve(STORY_START, STORY_END) == (None, None)


class Lookup:
    def __init__(self, members: list[tuple[str, str]]) -> None:
        self._members = members

    def members(self, article_id: str) -> list[tuple[str, str]]:
        return self._members if article_id in dict(self._members) else []


STORY = Lookup([("a1", "2024-11-20"), ("a2", "2024-11-24"), ("a3", "2024-11-27"), ("a4", "")])


def test_newer_articles_are_those_dated_after_the_article_and_not_after_the_question() -> None:
    assert newer_in_story(STORY, "a1", "2024-11-20", None) == ["a2", "a3"]
    assert newer_in_story(STORY, "a1", "2024-11-20", date(2024, 11, 25)) == ["a2"]
    assert newer_in_story(STORY, "a3", "2024-11-27", None) == []
    assert newer_in_story(STORY, "a1", "", None) == []  # an undated fact has no "as of"
    assert newer_in_story(STORY, "zz", "2024-11-20", None) == []  # in no story


def _answer(*cited: tuple[str, str]) -> Answer:
    hits = [Hit(f"{aid}:0", "text", "t", "s", published_at=day, article_id=aid) for aid, day in cited]
    citations = [Citation(i + 1, "t", "s", "", day, "q", f"{aid}:0") for i, (aid, day) in enumerate(cited)]
    return Answer("q?", "An answer [1].", False, citations=citations, sources=hits)


def test_the_stale_note_names_the_date_and_how_many_newer_articles() -> None:
    assert stale_note(_answer(("a1", "2024-11-20")), STORY, None) == (
        "\n(as of 2024-11-20; 2 newer articles on this story)",
        ["a2", "a3"],
    )
    assert stale_note(_answer(("a2", "2024-11-24")), STORY, None)[0].endswith("1 newer article on this story)")
    assert stale_note(_answer(("a1", "2024-11-20"), ("a2", "2024-11-24")), STORY, None) == ("", [])
    refused = _answer(("a1", "2024-11-20"))
    refused.refused = True
    assert stale_note(refused, STORY, None) == ("", [])
