"""Context selection under a token budget: the sentences that answer, within the budget."""

from __future__ import annotations

from rag.retrieve.select import FRAMING_TOKENS, GAP, select_context
from rag.types import Hit


def words(text: str) -> list[str]:
    return text.split()


FILLER = " ".join(f"The committee met again on day {i} to discuss the weather and traffic." for i in range(12))
TOP = Hit("a:0", FILLER, "City council weekly notes", "a.txt", published_at="2024-11-20")
ANSWER = Hit(
    "b:0",
    "Crowds gathered early. The new Mekong dam at Luang Prabang opened on Friday after six years of work. "
    "Officials cut a ribbon.",
    "Laos opens Mekong dam",
    "b.txt",
)
OTHER = Hit("c:0", "Farmers reported a good rice harvest this year. Prices fell slightly.", "Rice harvest", "c.txt")


def test_the_answering_sentence_beats_filler_from_a_higher_ranked_chunk() -> None:
    chosen = select_context("When did the Mekong dam at Luang Prabang open?", [TOP, ANSWER, OTHER], 60, words)
    texts = " ".join(h.text for h in chosen)
    assert "opened on Friday" in texts
    assert sum(len(words(h.title)) + FRAMING_TOKENS + len(words(h.text)) for h in chosen) <= 60 + len(chosen) * 2


def test_the_budget_is_respected_and_passages_keep_article_order() -> None:
    for budget in (30, 80, 200, 400):
        chosen = select_context("weather and traffic on day 3", [TOP, ANSWER, OTHER], budget, words)
        spent = sum(len(words(h.title)) + FRAMING_TOKENS for h in chosen)
        spent += sum(len(words(s)) + 1 for h in chosen for s in h.text.split(GAP.strip()) if s.strip())
        assert spent <= budget + 5
        for h in chosen:
            source = {TOP.chunk_id: TOP, ANSWER.chunk_id: ANSWER, OTHER.chunk_id: OTHER}[h.chunk_id].text
            pieces = [p.strip() for p in h.text.split(GAP.strip()) if p.strip()]
            positions = [source.index(p) for p in pieces]  # every piece is verbatim article text
            assert positions == sorted(positions)
    ranks = [h.chunk_id for h in select_context("weather", [TOP, ANSWER, OTHER], 400, words)]
    assert ranks == sorted(ranks)  # best-ranked chunk first


def test_skipped_text_is_marked_and_metadata_kept() -> None:
    chosen = select_context("committee day 2 and day 9", [TOP], 70, words)
    assert len(chosen) == 1 and GAP.strip() in chosen[0].text
    assert chosen[0].title == TOP.title and chosen[0].published_at == TOP.published_at


def test_nothing_in_nothing_out() -> None:
    assert select_context("anything", [], 500, words) == []


def test_neighbours_come_only_with_a_sentence_that_was_selected() -> None:
    # The best sentence is too long for the budget: its short neighbours are context for nothing
    # and must not take the room the next best sentence needs (#32).
    long = "The Mekong dam at Luang Prabang " + " ".join(f"step{i}" for i in range(60)) + " will open soon."
    top = Hit("a:0", f"Filler one here. {long} Filler two here.", "Dam works", "a.txt")
    chosen = select_context("When did the Mekong dam at Luang Prabang open?", [top, ANSWER], 32, words)
    texts = " ".join(h.text for h in chosen)
    assert "Filler" not in texts
    assert "opened on Friday" in texts
