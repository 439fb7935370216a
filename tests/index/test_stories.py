"""Stories: the grouping decision, and the table kept in line with a real index as it changes.

The decision (``index.stories.group``) on made-up articles (``story_articles``): one event told by
two outlets on two days is one story; an event sharing one name with it, the same place in the
news two months later, and an undated telling are not. The table (``StoryTable.update`` through
``NewsRAG``: real Chroma on disk, the fake embedder) places only what is new, forgets deleted
articles, and a run that fails half way commits nothing and the next one converges.
The fake embedder's cosine scale is not MiniLM's: these tests set ``story_similarity`` 0.5
(its same-event pairs score 0.61-0.71, the unrelated ones 0.19-0.33).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.chunk import published_day
from index.errors import InputError
from index.stories.entities import entities, key_sentence
from index.stories.group import Placed, Thresholds, group, joins
from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.index.story_articles import DAM, DAM_LATER, MATCH, UNDATED, write

LIMITS = Thresholds(similarity=0.5, min_shared=2, window_days=7)


def _pool(*articles: dict[str, str]) -> list[str]:
    """``group`` over the articles as ingest would see them: fake vectors of their lead, dates, entities."""
    texts = [f"{a['title']}\n{a.get('published_at', '')}\n\n{a['text']}" for a in articles]
    vectors = np.asarray(FakeEmbedder().embed(texts))
    days = [published_day(date.fromisoformat(a["published_at"])) if "published_at" in a else None for a in articles]
    return group(vectors, days, [entities(a["title"], a["text"]) for a in articles], LIMITS)


def test_one_event_from_two_outlets_on_two_days_is_one_story() -> None:
    stories = _pool(DAM[1], MATCH, DAM[0], DAM[2])
    assert stories[0] == stories[2] == stories[3] != stories[1]
    assert stories[2] == "2"  # the earliest article founds the story, whatever order they came in


def test_an_event_sharing_one_name_is_split_even_when_its_vector_is_close() -> None:
    dam, match = entities(DAM[0]["title"], DAM[0]["text"]), entities(MATCH["title"], MATCH["text"])
    assert dam & match == {"vessel"}
    day = published_day(date(2026, 3, 3))
    placed = Placed("s-dam", day, dam)
    assert joins([(placed, 0.95)], day, match, LIMITS) is None  # one shared name is not enough
    assert joins([(placed, 0.95)], day, dam, LIMITS) == "s-dam"
    assert joins([(placed, 0.45)], day, dam, LIMITS) is None  # nor are shared names without similar text


def test_the_same_place_in_the_news_outside_the_window_is_a_new_story() -> None:
    stories = _pool(DAM[0], DAM_LATER)
    assert stories[0] != stories[1]
    assert _pool(DAM[0], DAM[2]) == ["0", "0"]  # 7 days apart: within the window


def test_a_story_chains_through_its_articles_and_undated_ones_stay_alone() -> None:
    stories = _pool(*DAM, UNDATED)
    assert len(set(stories[:3])) == 1 and stories[3] not in stories[:3]
    assert joins([(Placed("s", None, frozenset({"a", "b"})), 0.99)], 5, frozenset({"a", "b"}), LIMITS) is None


def test_entities_skip_captions_title_case_headlines_and_agency_names(samples_dir: Path) -> None:
    title, _, body = (samples_dir / "000_0e868e9262ff71bb.txt").read_text(encoding="utf-8").partition("\n")
    found = entities(title, body)
    assert {"hezbollah", "israel", "lebanon", "russia", "syria"} <= found
    assert not found & {"sees", "progress", "talks", "help", "monday", "rescue"}  # Title Case and sentence starts
    sentence = key_sentence(title, body)
    assert sentence.startswith("Israel said on Monday there was progress")  # not the photo caption before it
    assert key_sentence("Only a headline", "Subscribe to our newsletter for more.") == "Only a headline"


def make(data_dir: Path, **overrides: Any) -> NewsRAG:
    settings = Settings(data_dir=data_dir, backend="extractive", story_similarity=0.5, **overrides)
    return NewsRAG(settings, embedder=FakeEmbedder())


def members(rag: NewsRAG) -> dict[str, str]:
    """article title -> story id, straight from the table."""
    with sqlite3.connect(rag.stories.table.path) as db:
        return dict(db.execute("SELECT title, story_id FROM members").fetchall())


def test_ingest_places_only_new_articles_and_deletion_drops_them(tmp_path: Path) -> None:
    rag = make(tmp_path / "data")
    rag.ingest([write(tmp_path / "in" / "first.jsonl", DAM[0], MATCH)])
    before = members(rag)
    assert len(set(before.values())) == 2
    rag.ingest([write(tmp_path / "in" / "second.jsonl", DAM[1], DAM[2])])
    after = members(rag)
    assert {k: after[k] for k in before} == before  # placed articles keep their story
    dam = after[DAM[0]["title"]]
    assert after[DAM[1]["title"]] == after[DAM[2]["title"]] == dam
    assert rag.stories.update().assigned == 0  # type: ignore[union-attr]  # nothing new: nothing placed

    story, timeline = rag.stories.get(dam)  # type: ignore[misc]
    assert [a.published_at for a in timeline] == ["2026-03-02", "2026-03-03", "2026-03-09"]
    assert story.label == DAM[0]["title"] and (story.first, story.last) == (date(2026, 3, 2), date(2026, 3, 9))
    assert timeline[1].source == "Northern Ledger" and "Karrow Dam" in timeline[1].key_sentence
    assert [s.story_id for s in rag.stories.list("karrow orlin")] == [dam]
    assert rag.stories.story_of(timeline[0].article_id) == story

    rag.remove_articles([timeline[0].article_id])  # the first article goes: label and dates follow
    story, timeline = rag.stories.get(dam)  # type: ignore[misc]
    assert len(timeline) == 2 and story.label == DAM[1]["title"] and story.first == date(2026, 3, 3)
    rag.remove([tmp_path / "in" / "second.jsonl"])
    assert rag.stories.get(dam) is None and set(members(rag)) == {MATCH["title"]}


def test_a_failed_update_commits_nothing_and_the_next_run_converges(tmp_path: Path) -> None:
    rag = make(tmp_path / "data", stories=False)  # ingest without the hook: update runs by hand below
    rag.ingest([write(tmp_path / "in" / "all.jsonl", *DAM, MATCH, DAM_LATER)])
    rag.settings.__dict__["stories"] = True
    real = rag.store.nearest_ids
    calls = 0

    def dies_on_the_third(*args: Any, **kwargs: Any) -> list[tuple[str, float]]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt  # what a Ctrl-C (or any crash) half way through looks like
        return real(*args, **kwargs)

    rag.store.__dict__["nearest_ids"] = dies_on_the_third
    with pytest.raises(KeyboardInterrupt):
        rag.stories.update()
    del rag.store.__dict__["nearest_ids"]
    assert members(rag) == {}  # two articles were placed before the failure: rolled back
    assert rag.stories.update().assigned == 5  # type: ignore[union-attr]
    first = members(rag)
    assert rag.stories.update().assigned == 0  # type: ignore[union-attr]
    assert members(rag) == first
    assert rag.stories.rebuild().assigned == 5 and members(rag) == first  # regrouping gives the same stories
    assert len(set(first.values())) == 3  # the three March articles; the inquiry; the match


def test_an_update_killed_half_way_leaves_the_last_state_and_the_next_one_converges(tmp_path: Path) -> None:
    rag = make(tmp_path / "data")
    rag.ingest([write(tmp_path / "in" / "first.jsonl", DAM[0], MATCH)])
    before = members(rag)
    rag.settings.__dict__["stories"] = False  # store more articles without placing them
    rag.ingest([write(tmp_path / "in" / "more.jsonl", DAM[1], DAM[2], DAM_LATER, UNDATED)])
    killed = subprocess.run(
        [sys.executable, "-m", "tests.index.crash_stories", str(tmp_path / "data"), "3"], timeout=120, check=False
    )
    assert killed.returncode == -signal.SIGKILL
    rag.settings.__dict__["stories"] = True
    assert members(rag) == before  # the two articles placed before the kill were never committed
    assert rag.stories.update().assigned == 4  # type: ignore[union-attr]
    after = members(rag)
    assert rag.stories.rebuild().assigned == 6 and members(rag) == after


def test_stories_off_groups_nothing_and_says_how_to_turn_them_on(tmp_path: Path) -> None:
    rag = make(tmp_path / "data", stories=False)
    rag.ingest([write(tmp_path / "in" / "a.jsonl", *DAM)])
    assert not rag.stories.table.path.exists()
    with pytest.raises(InputError, match="NEWSRAG_STORIES=true"):
        rag.stories.list()
