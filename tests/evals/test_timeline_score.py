"""Timeline metrics on hand-made answers: a gold point is found only at its date with all
its keywords; plain answers are cut into sentences dated by their citations; citation
precision counts articles; order checks the answer's dates and the gold order."""

from __future__ import annotations

from evals.timeline.gold import GoldPoint
from evals.timeline.score import answer_points, contains_keyword, score_answer, tokens
from rag.types import Answer, Citation, TimelinePoint

GOLD = (
    GoldPoint("2022-07-07", "pleaded guilty", ("pleaded guilty",), "https://a.example/plea"),
    GoldPoint("2022-08-04", "sentenced to nine years", ("sentenced", "nine years"), "https://a.example/verdict"),
    GoldPoint("2022-08-05", "exchange", ("prisoner exchange",), "https://a.example/swap"),
)


def cite(n: int, url: str, day: str) -> Citation:
    return Citation(n=n, title="t", source=url, url=url, published_at=day, quote="q", chunk_id=f"c{n}")


def timeline_answer(*points: tuple[str, str], citations: list[Citation] | None = None) -> Answer:
    return Answer(
        question="q",
        answer="",
        refused=False,
        citations=citations or [],
        timeline=[TimelinePoint(day, text, n) for n, (day, text) in enumerate(points, 1)],
    )


def test_keywords_match_whole_numbers_and_word_stems() -> None:
    assert tokens("$1,337 billion; 0.75% hike, nine years") == ["1337", "billion", "0.75", "hike", "9", "years"]
    assert contains_keyword(tokens("She got 9 years."), "nine years")
    assert contains_keyword(tokens("about 2900 cases"), "2,900")
    assert not contains_keyword(tokens("19 years"), "9 years")  # a number never matches inside another
    assert contains_keyword(tokens("NATO formally invited Sweden"), "invit")  # a word may end inside one
    assert not contains_keyword(tokens("guilty, he pleaded"), "pleaded guilty")  # words in the keyword's order


def test_a_gold_point_is_found_only_at_its_date_with_all_its_keywords() -> None:
    answer = timeline_answer(
        ("2022-07-07", "Griner pleaded guilty to drug charges [1]."),
        ("2022-08-03", "She was sentenced to nine years [2]."),  # right words, wrong date
        ("2022-08-05", "Russia spoke of an exchange [3]."),  # right date, keyword missing
    )
    scored = score_answer(answer, GOLD)
    assert scored["found"] == [True, False, False]
    assert scored["metrics"]["point_recall"] == 1 / 3
    assert scored["metrics"]["found_any_date"] == 2 / 3  # the sentence is known, the date is wrong
    assert scored["points"][0] == {"date": "2022-07-07", "text": "Griner pleaded guilty to drug charges."}


def test_a_plain_answer_is_scored_by_its_cited_sentences_dated_by_their_articles() -> None:
    text = (
        "Answer: nine years [2]\n"
        "Griner pleaded guilty in July [1]. She was sentenced to 9 years. [2] "
        "Talks on a prisoner exchange followed [3][2]. Nobody knows more."
    )
    citations = [
        cite(1, "https://a.example/plea", "2022-07-07"),
        cite(2, "https://a.example/verdict", "2022-08-04"),
        cite(3, "https://a.example/swap", "2022-08-05T10:00:00"),
    ]
    answer = Answer(question="q", answer=text, refused=False, citations=citations)
    points = answer_points(answer)
    # The marker after the full stop belongs to the sentence before; a sentence citing two
    # articles is one point per date; a sentence without a marker is no point.
    assert [(p.date, p.text) for p in points] == [
        ("2022-08-04", "Answer: nine years"),
        ("2022-07-07", "Griner pleaded guilty in July."),
        ("2022-08-04", "She was sentenced to 9 years."),
        ("2022-08-05", "Talks on a prisoner exchange followed."),
        ("2022-08-04", "Talks on a prisoner exchange followed."),
    ]
    scored = score_answer(answer, GOLD)
    assert scored["found"] == [True, True, True]
    assert scored["metrics"]["citation_precision"] == 1.0
    assert scored["metrics"]["dates_ascending"] == 0.0  # 08-05 then 08-04: the answer goes back in time
    assert scored["metrics"]["gold_order"] == 1.0  # yet the three gold points come in gold order
    assert scored["metrics"]["order_correct"] == 0.0


def test_a_refusal_finds_nothing_and_has_no_order() -> None:
    answer = Answer(question="q", answer="The articles don't say.", refused=True)
    m = score_answer(answer, GOLD)["metrics"]
    assert m["point_recall"] == 0.0 and m["refused"] == 1.0
    assert m["citation_precision"] is None and m["order_correct"] is None


def test_citation_precision_is_the_share_of_distinct_cited_articles_that_are_gold() -> None:
    citations = [
        cite(1, "https://a.example/plea/", "2022-07-07"),  # a trailing slash is the same article
        cite(2, "https://a.example/plea", "2022-07-07"),  # the same article twice counts once
        cite(3, "https://other.example/ukraine", "2022-07-08"),
    ]
    answer = timeline_answer(("2022-07-07", "pleaded guilty [1]"), citations=citations)
    assert score_answer(answer, GOLD)["metrics"]["citation_precision"] == 0.5


def test_order_is_judged_on_found_gold_pairs_and_the_answers_dates() -> None:
    reversed_answer = timeline_answer(
        ("2022-08-05", "A prisoner exchange was discussed."),
        ("2022-08-04", "She was sentenced to nine years."),
        ("2022-07-07", "She pleaded guilty."),
    )
    m = score_answer(reversed_answer, GOLD)["metrics"]
    assert m["point_recall"] == 1.0
    assert m["gold_order"] == 0.0 and m["dates_ascending"] == 0.0 and m["order_correct"] == 0.0

    in_order = timeline_answer(("2022-07-07", "She pleaded guilty."), ("2022-08-05", "A prisoner exchange."))
    m = score_answer(in_order, GOLD)["metrics"]
    assert m["gold_order"] == 1.0 and m["dates_ascending"] == 1.0 and m["order_correct"] == 1.0

    one_point = timeline_answer(("2022-07-07", "She pleaded guilty."))
    assert score_answer(one_point, GOLD)["metrics"]["order_correct"] is None  # nothing to order
