"""What a question asks about, and whether the passages mention it (``rag.verify.asked``)."""

from __future__ import annotations

import pytest

from rag.types import Hit
from rag.verify.asked import unmentioned


def hit(text: str, title: str = "Truce talks") -> Hit:
    return Hit(chunk_id="c", text=text, title=title, source="s")


KILLED = hit("Hezbollah attacks have killed roughly 100 civilians and soldiers in northern Israel over the last year.")
FIGHTERS = hit("The steps call for the withdrawal of Hezbollah fighters and their weapons from the south.")


def test_a_count_of_things_the_cited_passage_never_names_is_flagged() -> None:
    question = "How many Hezbollah fighters have been killed since the war began?"
    assert unmentioned(question, [KILLED, FIGHTERS], [KILLED]) == "the passages it cites never mention fighters"
    # the cited passage names them: the answer may stand (whether it is right is not judged here)
    assert unmentioned(question, [KILLED, FIGHTERS], [FIGHTERS]) == ""


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("How many rockets were fired from Lebanon on Monday?", "About 150 rockets were fired, the military said."),
        ("How many years has it taken?", "It took 18 years."),
        ("How many wildfires have there been this year?", "There had been 420 wildfires in England."),
        ("How many years together did the band have before the split?", "After nine years the band split."),
    ],
)
def test_a_count_the_cited_passage_names_passes(question: str, text: str) -> None:
    assert unmentioned(question, [hit(text)], [hit(text)]) == ""


def test_names_in_a_count_do_not_stand_for_the_things_counted() -> None:
    text = "Hezbollah said it fired rockets at Haifa."  # "Hezbollah" is there, "fighters" is not
    assert unmentioned("How many Hezbollah fighters were killed?", [hit(text)], [hit(text)]) != ""


def test_a_count_is_not_judged_without_cited_passages() -> None:
    assert unmentioned("How many fighters were killed?", [KILLED], []) == ""


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("Who is Lebanon's prime minister?", "Lebanon's caretaker prime minister Najib Mikati said the army is ready."),
        ("Who is Lebanon's prime minister?", "Lebanese Prime Minister Najib Mikati met the envoy."),
        ("Who is the prime minister of Lebanon?", "Najib Mikati, the prime minister of Lebanon, met the envoy."),
        ("Who is Israel's defense minister?", "Israel's new defence minister, Israel Katz, visited the border."),
        ("Who is Hezbollah’s new leader?", "In a video address, Hezbollah’s new leader, Naim Qassem, spoke."),
        ("Who is France's president?", "French President Emmanuel Macron called for a truce."),
        ("Who is the prime minister of the United Kingdom?", "British Prime Minister Keir Starmer spoke."),
        ("What is the name of Iran's foreign minister?", "Iranian Foreign Minister Abbas Araqchi arrived."),
        ("Who is the CEO of Twitter?", "Twitter CEO Linda Yaccarino said the company would comply."),
        ("Who is the CEO of OpenAI?", "Sam Altman, chief executive officer of OpenAI, testified."),
        ("Who is OpenAI's chief executive?", "OpenAI CEO Sam Altman testified."),
        ("Who is Lebanon's prime minister?", "Lebanese PM Najib Mikati met the envoy."),
        ("Who is the president of the United States?", "U.S. President Joe Biden spoke to Netanyahu."),
    ],
)
def test_a_role_named_beside_its_owner_passes(question: str, text: str) -> None:
    assert unmentioned(question, [hit("Nothing here."), hit(text)], []) == ""


@pytest.mark.parametrize(
    ("question", "text", "why"),
    [
        (  # the role, but another country's
            "Who is Lebanon's prime minister?",
            "Israeli Prime Minister Benjamin Netanyahu faces pressure from evacuated residents in Lebanon's south.",
            "no passage names Lebanon's prime minister",
        ),
        (  # the country and the role, but not together: an adviser to the minister
            "What is the name of Iran's foreign minister?",
            "Iran's delegation was headed by Ali Asghar Haji, Senior Political Advisor to the Foreign Minister.",
            "no passage names Iran's foreign minister",
        ),
        (  # another role of the same country
            "Who is Israel's defense minister?",
            "In Israel, Netanyahu and Ron Dermer, the minister of strategic affairs, are key figures.",
            "no passage names Israel's defense minister",
        ),
    ],
)
def test_a_role_the_passages_never_name_for_that_owner_is_flagged(question: str, text: str, why: str) -> None:
    assert unmentioned(question, [hit(text)], [hit(text)]) == why


@pytest.mark.parametrize(
    "question",
    [
        "Who is Amos Hochstein's main counterpart in Lebanon in the truce talks?",  # not a role phrase
        "Who leads the efforts to broker the agreement?",
        "Which country suspended its mediation role?",
        "What is the biggest security threat, according to Fiji's minister of defense?",
    ],
)
def test_other_question_shapes_are_not_judged(question: str) -> None:
    assert unmentioned(question, [hit("Qatar suspended its mediation role.")], []) == ""


# Issue #32: the role check refused right answers written the way news writes them.
@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("Who is the mayor of New York City?", "New York Mayor Eric Adams said the city would appeal."),
        ("Who is the mayor of New York City?", "Mayor Eric Adams of New York said the city would appeal."),
        ("Who is the CEO of OpenAI?", "OpenAI chief Sam Altman said the company would comply."),
        ("Who is the CEO of OpenAI?", "The head of OpenAI, Sam Altman, testified."),
        ("Who is the leader of Hezbollah?", "Hezbollah chief Naim Qassem spoke in a video address."),
        ("Who is South Korea's president?", "South Korean President Yoon Suk-yeol told officials to spare no effort."),
        ("Who is China's president?", "Chinese President Xi Jinping will visit Russia."),
        ("Who is the governor of California?", "California Gov. Gavin Newsom declared a state of emergency."),
        ("Who is the president of the International Olympic Committee?", "IOC President Kirsty Coventry spoke."),
        ("Who is the head of the UN?", "UN Secretary-General Antonio Guterres called for a ceasefire."),
        ("Who is Britain's defence minister?", "British Defence Secretary John Healey visited Kyiv."),
    ],
)
def test_a_role_written_as_news_writes_it_passes(question: str, text: str) -> None:
    assert unmentioned(question, [hit(text)], []) == ""


def test_a_bare_title_does_not_stand_for_an_owner_named_elsewhere() -> None:
    # "Prime Minister Benjamin Netanyahu" in a passage that mentions Lebanon is still not Lebanon's
    text = "Prime Minister Benjamin Netanyahu faces pressure from residents evacuated from Lebanon's south."
    why = unmentioned("Who is Lebanon's prime minister?", [hit(text)], [])
    assert why == "no passage names Lebanon's prime minister"


# Issue #32: a count with its noun left out ("At least 95 were killed") refused the right number.
@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("How many people were killed?", "At least 95 were killed in the attack."),
        ("How many people were killed?", "95 were killed."),
        ("How many people were killed in the strike?", "The strike killed more than 95, officials said."),
        ("How many people were killed?", "At least 95 Palestinians were killed."),
        ("How many people died?", "The death toll rose to 95."),
        ("How many golds did he win?", "He is famous for winning five as he swept the speed skating events."),
    ],
)
def test_a_count_with_its_noun_left_out_passes(question: str, text: str) -> None:
    assert unmentioned(question, [hit(text)], [hit(text)]) == ""


def test_a_number_that_counts_another_noun_is_still_not_the_count_asked() -> None:
    # the noun may be left out, but "100 civilians" counts civilians, not fighters
    text = "At least 100 civilians were killed, the ministry said."
    question = "How many fighters were killed?"
    assert unmentioned(question, [hit(text)], [hit(text)]) == "the passages it cites never mention fighters"


def test_the_check_is_on_by_default() -> None:
    # issue #32: right in 24 of its 31 firings on RealTimeQA role/count sentences, under the 0.9
    # asked; turned off, the sample set's refusal accuracy fell below the CI gate, and leaving bare
    # titles alone (20 of 22) let "Benjamin Netanyahu" answer for Lebanon: on, pending (docs/EVALS.md)
    from rag.factory import make_checks
    from rag.settings import Settings
    from rag.verify.checks import AskedCheck, default_checks

    assert Settings().check_asked
    assert any(isinstance(c, AskedCheck) for c in make_checks(Settings()))
    assert any(isinstance(c, AskedCheck) for c in default_checks())
    assert not any(isinstance(c, AskedCheck) for c in make_checks(Settings(check_asked=False)))
