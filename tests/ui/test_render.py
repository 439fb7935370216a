"""The chat UI's HTML: citation links, source cards, escaping of untrusted article text."""

from __future__ import annotations

from index.store.collection import ArticleInfo
from rag.types import Citation, Hit
from ui.chat.render import Turn, answer_html, article_rows, message_html, sources_html

PASSAGE = "Officials outlined a 60-day truce. Israeli forces would retreat."


def hit(chunk_id: str, text: str = PASSAGE, title: str = "Truce talks", url: str = "") -> Hit:
    return Hit(chunk_id=chunk_id, text=text, title=title, source="Example News", url=url, published_at="2024-11-22")


def citation(n: int, chunk_id: str, quote: str = "Officials outlined a 60-day truce.") -> Citation:
    start = PASSAGE.find(quote)
    return Citation(
        n=n, title="Truce talks", source="Example News", url="", published_at="2024-11-22", quote=quote,
        chunk_id=chunk_id, quote_start=start, quote_end=start + len(quote), passage=PASSAGE,
    )  # fmt: skip


def test_markers_become_links_to_the_cards_of_their_turn() -> None:
    out = answer_html("It lasts 60 days [1]. Both sides agreed [1, 2].", turn=3)
    assert out.count('class="nr-cite"') == 3
    assert 'href="#nr-src-3-1"' in out and 'href="#nr-src-3-2"' in out
    assert "[1, 2]" not in out


def test_answer_text_is_escaped() -> None:
    out = answer_html('<img src=x onerror="alert(1)"> [1]', turn=1)
    assert "<img" not in out and "&lt;img" in out


def test_final_turn_shows_cited_cards_with_the_quote_marked_and_the_rest_collapsed() -> None:
    turn = Turn(1, "How long?", hits=[hit("a:0"), hit("b:0", title="Other")], citations=[citation(1, "a:0")])
    out = sources_html([turn])
    assert 'id="nr-src-1-1"' in out and "nr-cited" in out
    assert "<mark>Officials outlined a 60-day truce.</mark>" in out
    cited, uncited = out.split("<details", 1)
    assert "Truce talks" in cited and "Other" in uncited and "1 other retrieved passage" in uncited


def test_citation_numbers_follow_the_answer_not_the_retrieval_order() -> None:
    # the citation check renumbers markers 1..m: [1] may be the third retrieved passage
    turn = Turn(1, "q", hits=[hit("a:0", text="First."), hit("b:0", text="Second."), hit("c:0")],
                citations=[citation(1, "c:0")])  # fmt: skip
    out = sources_html([turn])
    card = out.split('id="nr-src-1-1"', 1)[1].split("</div></div>", 1)[0]
    assert "60-day truce" in card


def test_streaming_turn_lists_every_retrieved_passage_under_its_number() -> None:
    turn = Turn(2, "q", hits=[hit("a:0"), hit("b:0")])
    out = sources_html([turn])
    assert 'id="nr-src-2-1"' in out and 'id="nr-src-2-2"' in out and "being written" in out


def test_earlier_turns_are_kept_collapsed_below_the_latest() -> None:
    first = Turn(1, "first question", hits=[hit("a:0")], citations=[citation(1, "a:0")])
    second = Turn(2, "second question", hits=[hit("b:0")], citations=[citation(1, "b:0")])
    out = sources_html([first, second])
    assert out.index("second question") < out.index("first question")
    assert '<details class="nr-turn" data-turn="1">' in out


def test_article_text_titles_and_urls_cannot_inject_markup() -> None:
    evil = hit("a:0", text="<script>alert(1)</script> text", title="<b onclick=x>t</b>", url="javascript:alert(1)")
    out = sources_html([Turn(1, "<i>q</i>", hits=[evil], citations=[])])
    assert "<script>" not in out and "<b onclick" not in out and "<i>q" not in out
    assert "javascript:" not in out
    ok = sources_html([Turn(1, "q", hits=[hit("a:0", url="https://example.com/a?b=1&c=2")], citations=[])])
    assert 'href="https://example.com/a?b=1&amp;c=2"' in ok


def test_refusal_and_error_messages_say_what_happened() -> None:
    refused = Turn(1, "q", hits=[hit("a:0")], citations=[], answer="The articles don't say.", refused=True)
    assert "No answer in the articles" in message_html(refused) and "Why:" not in message_html(refused)
    refused.refusal = "no passage names <Lebanon>'s prime minister"
    assert "Why: no passage names &lt;Lebanon&gt;" in message_html(refused)
    failed = Turn(1, "q", hits=[hit("a:0")], citations=[], error="cannot reach the chat endpoint")
    msg = message_html(failed)
    assert "could not answer" in msg and "cannot reach the chat endpoint" in msg and "Sources" in msg
    assert "<details" in sources_html([failed]) and " open>" in sources_html([failed])


def test_searched_for_is_shown_when_the_query_differs() -> None:
    turn = Turn(2, "and who leads it?", search_query="Who leads it? (truce Israel)", hits=[hit("a:0")])
    assert "Searched for" in message_html(turn) and "Searched for" in sources_html([turn])
    same = Turn(1, "q", search_query="q", hits=[hit("a:0")])
    assert "Searched for" not in message_html(same)


def test_article_rows_filter_and_sort_newest_first() -> None:
    arts = [
        ArticleInfo("1", "Truce talks", "Example News", "", "2024-11-20", "/x/a.txt", 3),
        ArticleInfo("2", "Migration ruling", "Other Daily", "", "2024-11-22", "/x/b.txt", 2),
    ]
    assert [r[0] for r in article_rows(arts)] == ["Migration ruling", "Truce talks"]
    assert [r[0] for r in article_rows(arts, "example")] == ["Truce talks"]
    assert article_rows(arts, "a.txt")[0][4] == "a.txt"
    assert article_rows(arts, "nothing matches") == []


def test_a_queued_turn_says_how_many_answers_are_ahead_until_text_arrives() -> None:
    turn = Turn(number=1, question="q?", ahead=2)
    assert "Queued" in message_html(turn) and "2 answers ahead" in message_html(turn)
    turn.ahead = 1
    assert "1 answer ahead" in message_html(turn)
    assert "Queued" not in message_html(turn, "The truce [1]")
    done = Turn(number=1, question="q?", citations=[], answer="A.", timings={"queued": 3.0, "total": 9.0})
    assert "queued 3.0 s" in message_html(done) and "Queued:" not in message_html(done)


def test_a_short_answer_line_stands_out_above_its_support() -> None:
    out = answer_html("60 days [1]\nThe truce would last 60 days <b>[1]</b>.", 3)
    assert out.startswith('<strong class="nr-short">60 days <a class="nr-cite"')
    assert "<br>The truce" in out and "&lt;b&gt;" in out
    assert "<strong" not in answer_html("One line [1].", 3)


def test_a_fetched_article_is_listed_by_its_url_not_its_record_file() -> None:
    from index.store.collection import ArticleInfo
    from ui.chat.render import article_rows

    web = ArticleInfo(
        article_id="a", title="Night train returns", source="Northern Ledger", url="https://ledger.example/rail",
        published_at="2026-12-03", file_path="/srv/data/web/ledger.example/0f3a9c.json", chunks=2,
    )  # fmt: skip
    upload = ArticleInfo(
        article_id="b", title="Harbour", source="x", url="https://x.example/h", published_at="",
        file_path="/srv/data/uploads/harbour.txt", chunks=1,
    )  # fmt: skip
    rows = article_rows([web, upload])
    assert [r[4] for r in rows] == ["https://ledger.example/rail", "harbour.txt"]
    assert article_rows([web, upload], "ledger.example/rail") == rows[:1]  # searchable by URL


def test_a_timeline_answer_is_a_list_of_dated_points_with_cite_links() -> None:
    from ui.chat.render import Turn, message_html

    turn = Turn(
        number=1, question="What has happened since the strike began?", citations=[],
        answer="2026-11-28: Dockworkers walked out [1].\n2026-11-30: The port reopened [2].", timeline=True,
    )  # fmt: skip
    page = message_html(turn)
    assert page.count("<li>") == 2 and "nr-short" not in page  # no line set apart as a short answer
    assert 'href="#nr-src-1-2"' in page and "2026-11-30: The port reopened" in page
