"""``newsrag stories``: the real command in a subprocess over a real index of the sample articles and
the made-up dam story (``tests/index/story_articles``), grouped at ingest by ``NewsRAG``.

The index is built with the fake embedder; the command only reads the story table, so it never
opens the embedder (``--rebuild`` would, and is tested in ``tests/index/test_stories``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.index.story_articles import DAM, MATCH, write
from tests.rag.test_cli import newsrag, one_line_error


@pytest.fixture(scope="module")
def data_dir(
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    root = tmp_path_factory.mktemp("stories-cli")
    rag = NewsRAG(Settings(data_dir=root / "data", backend="extractive"), embedder=FakeEmbedder())
    rag.ingest_samples()
    rag.ingest([write(root / "in" / "dam.jsonl", *DAM, MATCH)])
    return root / "data"


def test_lists_stories_newest_first_and_searches_them(data_dir: Path) -> None:
    listed = newsrag("stories", "--json", data_dir=data_dir)
    assert listed.returncode == 0, listed.stderr
    stories = json.loads(listed.stdout)
    dam = next(s for s in stories if s["label"] == DAM[0]["title"])
    assert (dam["first"], dam["last"], dam["articles"]) == ("2026-03-02", "2026-03-09", 3)
    assert stories[0]["story_id"] == dam["story_id"]  # the newest development comes first
    assert sum(s["articles"] for s in stories) == 9  # 5 sample articles and 4 made up, each in one story

    found = newsrag("stories", "--search", "Karrow Orlin", data_dir=data_dir)
    assert found.returncode == 0 and dam["story_id"] in found.stdout and "Vessel Rovers" not in found.stdout
    several = json.loads(newsrag("stories", "--min-articles", "2", "--json", data_dir=data_dir).stdout)
    assert [s["story_id"] for s in several] == [dam["story_id"]]


def test_shows_a_story_as_a_dated_timeline(data_dir: Path) -> None:
    dam = json.loads(newsrag("stories", "--search", "karrow", "--json", data_dir=data_dir).stdout)[0]
    shown = newsrag("stories", "--show", dam["story_id"], data_dir=data_dir)
    assert shown.returncode == 0, shown.stderr
    head, _, text = shown.stdout.partition("\n")
    assert DAM[0]["title"] in head and "2026-03-02 … 2026-03-09, 3 article(s)" in head
    dates = [text.index(d) for d in ("2026-03-02", "2026-03-03", "2026-03-09")]
    assert dates == sorted(dates)
    assert "https://ledger.example/2026/03/03/karrow-dam" in text  # each article's link
    assert "The Karrow Dam on the Vessel River burst before dawn on Monday" in text  # the key sentence
    timeline = json.loads(newsrag("stories", "--show", dam["story_id"], "--json", data_dir=data_dir).stdout)
    assert [a["source"] for a in timeline["articles"]] == ["Valley Courier", "Northern Ledger", "Valley Courier"]


def test_bad_ids_and_stories_off_are_one_line_errors(data_dir: Path, tmp_path: Path) -> None:
    one_line_error(newsrag("stories", "--show", "s-nope", data_dir=data_dir), "`newsrag stories` lists")
    off = newsrag("stories", "--config", str(_config(tmp_path)), data_dir=data_dir)
    one_line_error(off, "NEWSRAG_STORIES=true")


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "newsrag.toml"
    path.write_text("stories = false\n", encoding="utf-8")
    return path
