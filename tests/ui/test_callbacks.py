"""The chat UI's callbacks over a real on-disk index, with the fake embedder and generator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from index.errors import LLMError
from rag.api import NewsRAG
from rag.settings import load_settings
from tests.fakes import FakeEmbedder, FakeGenerator
from ui.chat.app import ChatUI
from ui.uploads import upload_name

QUESTION = "How long is the truce in the proposed ceasefire that officials outlined?"


def make_ui(
    tmp_path: Path,
    replies: list[str] = (),  # type: ignore[assignment]
    generator: FakeGenerator | None = None,
    **settings: Any,
) -> ChatUI:
    rag = NewsRAG(
        load_settings(data_dir=tmp_path / "data", backend="extractive", **settings),
        embedder=FakeEmbedder(),
        generator=generator or FakeGenerator(replies),
    )
    return ChatUI(rag)


@pytest.fixture
def ui(tmp_path: Path) -> ChatUI:
    chat_ui = make_ui(tmp_path, ["The proposed truce would last 60 days [1]."])
    chat_ui.rag.ingest_samples()
    return chat_ui


def ask(ui: ChatUI, question: str, chat=None, turns=None, top_k=4):  # type: ignore[no-untyped-def]
    _, chat, pending = ui.submit(question, chat)
    return list(ui.respond(pending, chat, turns, top_k))


def test_sources_show_before_the_answer_text_and_citations_at_the_end(ui: ChatUI) -> None:
    steps = ask(ui, QUESTION)
    assert "Reading the articles" in steps[0][0][-1]["content"]  # shown at once, before retrieval
    retrieved_chat, retrieved_sources, _ = steps[1]
    assert "nr-card" in retrieved_sources and "being written" in retrieved_sources
    assert "Reading the articles" in retrieved_chat[-1]["content"]
    partial = [s for s in steps[2:-1] if "60" in s[0][-1]["content"]]
    assert partial, "the answer text should stream in pieces"
    chat, sources, turns = steps[-1]
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert 'class="nr-cite"' in chat[-1]["content"] and "60 days" in chat[-1]["content"]
    assert "<mark>" in sources and "nr-cited" in sources
    assert turns[0].done and turns[0].citations


def test_follow_up_carries_history_and_shows_what_was_searched(ui: ChatUI) -> None:
    chat, _, turns = ask(ui, QUESTION)[-1]
    ui.rag.generator.replies.append("Amos Hochstein leads the efforts [1].")  # type: ignore[attr-defined]
    chat, sources, turns = ask(ui, "and who leads it?", chat, turns)[-1]
    assert "Searched for" in chat[-1]["content"] and "truce" in turns[1].search_query
    prompt = ui.rag.generator.prompts[-1]  # type: ignore[attr-defined]
    assert [m["role"] for m in prompt.messages] == ["system", "user", "assistant", "user"]
    assert sources.index("Q2") < sources.index("Q1")


def test_refusal_is_shown_as_a_refusal(tmp_path: Path) -> None:
    ui = make_ui(tmp_path, ["I don't know."])
    ui.rag.ingest_samples()
    chat, sources, turns = ask(ui, QUESTION)[-1]
    assert "No answer in the articles" in chat[-1]["content"] and turns[0].refused
    assert "No passage supports an answer" in sources


def test_llm_down_gives_a_message_and_keeps_the_sources(tmp_path: Path) -> None:
    class Down(FakeGenerator):
        def stream(self, prompt, max_tokens):  # type: ignore[no-untyped-def]
            raise LLMError("cannot reach the chat endpoint at http://127.0.0.1:9: is the server running?")
            yield ""

    ui = make_ui(tmp_path, generator=Down())
    ui.rag.ingest_samples()
    chat, sources, turns = ask(ui, QUESTION)[-1]
    assert "could not answer" in chat[-1]["content"] and "cannot reach" in chat[-1]["content"]
    assert "Traceback" not in chat[-1]["content"] and "nr-card" in sources
    # the failed turn is not fed back as conversation history
    ui.rag.generator = FakeGenerator(["60 days [1]."])  # type: ignore[misc]
    ask(ui, "and who leads it?", chat, turns)


def test_empty_corpus_question_gets_a_message_not_a_traceback(tmp_path: Path) -> None:
    ui = make_ui(tmp_path)
    chat, _sources, turns = ask(ui, QUESTION)[-1]
    assert "nr-error" in chat[-1]["content"] and "ingest" in chat[-1]["content"].lower()
    assert turns == []


def test_top_k_from_the_slider_is_used(ui: ChatUI, tmp_path: Path) -> None:
    # Default context budget: the best sentences of the top 2 x k passages.
    ui.rag.generator.replies.append("The proposed truce would last 60 days [1].")  # type: ignore[attr-defined]
    _, _, turns = ask(ui, QUESTION, top_k=1)[-1]
    assert 1 <= len(turns[0].hits) <= 2
    _, _, turns = ask(ui, QUESTION, top_k=4)[-1]
    assert len(turns[0].hits) > 2
    # Whole passages (CONTEXT_TOKENS=0): exactly k.
    whole = make_ui(tmp_path / "whole", ["The proposed truce would last 60 days [1]."], context_tokens=0)
    whole.rag.ingest_samples()
    _, _, turns = ask(whole, QUESTION, top_k=2)[-1]
    assert len(turns[0].hits) == 2


def test_upload_ingests_good_files_and_reports_bad_ones(tmp_path: Path) -> None:
    ui = make_ui(tmp_path)
    good = tmp_path / "in" / "volcano.txt"
    good.parent.mkdir()
    good.write_text("Volcano erupts near Reykjavik\n\nThe Sundhnukur volcano erupted on Tuesday night.\n")
    bad = tmp_path / "in" / "broken.json"
    bad.write_text("{not json")
    odd = tmp_path / "in" / "photo.png"
    odd.write_bytes(b"\x89PNG")
    table, _choices, offer, line, result = ui.upload([str(good), str(bad), str(odd)])
    assert "✓ volcano.txt: ingested, 1 articles" in result
    assert "✗ broken.json" in result and "✗ photo.png" in result
    assert (tmp_path / "data" / "uploads" / "volcano.txt").exists()
    assert not (tmp_path / "data" / "uploads" / "broken.json").exists()  # a failed upload does not stay
    assert [r[0] for r in table.value["data"]] == ["Volcano erupts near Reykjavik"]
    assert "**1** articles" in line and offer.visible is False
    # searchable as soon as the upload finishes
    ui.rag.generator.replies.append("It erupted on Tuesday night [1].")  # type: ignore[attr-defined]
    _, _, turns = ask(ui, "When did the Sundhnukur volcano erupt?")[-1]
    assert turns[0].hits[0].title == "Volcano erupts near Reykjavik" and not turns[0].refused


def test_delete_removes_the_picked_articles(ui: ChatUI) -> None:
    table, choices, _offer, _line = ui.corpus_view()
    before = len(table.value["data"])
    first_id = choices.choices[0][1]
    table, choices, _offer, _line, result = ui.delete([first_id])
    assert len(table.value["data"]) == before - 1 and "Deleted 1 article" in result
    assert first_id not in [c[1] for c in choices.choices]


def test_corpus_view_offers_the_samples_only_when_empty(tmp_path: Path) -> None:
    ui = make_ui(tmp_path)
    assert ui.corpus_view()[2].visible is True
    *_, message = ui.load_samples()
    assert "5 articles" in message and ui.corpus_view()[2].visible is False
    assert ui.offer().visible is False  # other sessions hide their offer after their next question


@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../etc/passwd.txt", "passwd.txt"), ("..\\..\\win.ini.md", "win.ini.md"),
     ("a<b>.html", "a_b_ ~fb37fe60d9.html"), ("a\u202eb.txt", "a_b ~07742684cc.txt"), ("...", "upload"),
     ("news report.jsonl", "news report.jsonl"), ("新闻.txt", "新闻.txt"), ("U\u0308ber.md", "Über.md"),
     ("report (1).txt", "report (1).txt"), ("a~b.txt", "a_b ~12ab2e00e6.txt")],
)  # fmt: skip
def test_upload_names_cannot_leave_the_upload_dir(name: str, expected: str) -> None:
    assert upload_name(name) == expected


def test_long_upload_names_fit_the_file_system_and_stay_apart() -> None:
    first, second = upload_name("新" * 200 + "甲.txt"), upload_name("新" * 200 + "乙.txt")
    assert first != second and all(n.endswith(".txt") and len(n.encode()) <= 150 for n in (first, second))
