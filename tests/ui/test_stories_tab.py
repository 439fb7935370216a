"""The Stories tab's callbacks (``ui.chat.stories_tab.StoriesPanel``) over a real on-disk index of the
sample articles and the made-up dam story, with the fake embedder: the picker lists stories newest
first, keeps the story the reader had open when the list is reloaded, and falls back to the first
story when that one is no longer listed; the timeline is escaped HTML of the articles by date."""

from __future__ import annotations

from pathlib import Path

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.index.story_articles import DAM, MATCH, write
from ui.chat.stories_tab import StoriesPanel


def test_the_picker_keeps_the_open_story_and_the_timeline_is_by_date(tmp_path: Path) -> None:
    rag = NewsRAG(Settings(data_dir=tmp_path / "data", backend="extractive"), embedder=FakeEmbedder())
    rag.ingest_samples()
    rag.ingest([write(tmp_path / "in" / "dam.jsonl", DAM[2], MATCH, DAM[0], DAM[1])])
    panel = StoriesPanel(rag, public=str)

    picker, line, timeline = panel.view("", 1)
    ids = [story_id for _, story_id in picker.choices]
    assert len(ids) >= 3 and picker.value == ids[0] and "stories" in line
    assert "2026-03-02 – 2026-03-09" in timeline  # the story's span, then its articles by date
    items = timeline[timeline.index("<ol") :]
    assert items.index("2026-03-02") < items.index("2026-03-03") < items.index("2026-03-09")

    other = ids[-1]
    assert panel.view("", 1, other)[0].value == other  # reloading keeps the reader's story
    dam_only, _, dam_timeline = panel.view("", 2, other)  # no longer listed: the first one instead
    assert [c[1] for c in dam_only.choices] == [ids[0]] and dam_only.value == ids[0]
    assert dam_timeline == timeline

    nothing, empty_line, blank = panel.view("no such story anywhere", 1, other)
    assert nothing.choices == [] and nothing.value is None and blank == "" and "No stories" in empty_line
