"""The timeline corpus builder on a tiny fake RealTimeQA pool: gold articles always in, then
same-topic articles of the same weeks, ranked by shared headline words, up to the cap;
deterministic; a gold source missing from the pool is an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.timeline.corpus import build_corpus
from evals.timeline.gold import GoldPoint, TimelineItem
from index.errors import InputError


def article(url: str, title: str, day: str, text: str = "Some text.") -> dict[str, object]:
    return {"url": url, "title": title, "text": text, "publish_date": day, "authors": []}


def write_pool(root: Path) -> None:
    weeks = {
        "20220708": [
            article("https://n.example/plea", "Griner pleads guilty", "2022/07/07"),
            article("https://n.example/court", "Griner back in court", "2022/07/12"),
            article("https://n.example/ukraine", "Ukraine war: Russia shells Kharkiv", "2022/07/08"),
            article("https://n.example/empty", "Griner trial: live", "2022/07/08", text="  "),
        ],
        "20220805": [
            article("https://n.example/verdict", "Griner sentenced to nine years", "2022/08/04"),
            article("https://n.example/plea", "Griner pleads guilty (again listed)", "2022/07/07"),
            article("https://n.example/old", "Griner detained at Moscow airport", "2022/02/20"),
            article("https://n.example/swap", "Griner trial: Russia open to talks on Griner swap", "2022/08/05"),
            article("https://n.example/bake", "Bake sale raises money", "2022/08/01"),
        ],
    }
    (root / "gcs").mkdir(parents=True)
    for week, results in weeks.items():
        row = {"question_id": week, "search_result": results}
        (root / "gcs" / f"{week}_gcs.jsonl").write_text(json.dumps(row) + "\n")


ITEM = TimelineItem(
    id="griner",
    question="Give a timeline of Brittney Griner's trial.",
    date="2022-08-04",
    corpus="realtimeqa",
    kind="timeline",
    points=(
        GoldPoint("2022-07-07", "plea", ("pleaded guilty",), "https://n.example/plea"),
        GoldPoint("2022-08-04", "verdict", ("nine years",), "https://n.example/verdict/"),
    ),
)


def read(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_gold_articles_then_same_topic_distractors_of_the_same_weeks(tmp_path: Path) -> None:
    write_pool(tmp_path / "pool")
    path = build_corpus(tmp_path / "pool", [ITEM], tmp_path / "out")
    rows = read(path)
    # In date order; the February article (outside the weeks), the off-topic ones and
    # the empty text stay out.
    assert [r["url"] for r in rows] == [
        "https://n.example/plea",
        "https://n.example/court",
        "https://n.example/verdict",
        "https://n.example/swap",
    ]
    assert rows[0] == {
        "title": "Griner pleads guilty",
        "text": "Some text.",
        "url": "https://n.example/plea",
        "published_at": "2022-07-07",
        "source": "n.example",
    }
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["gold"] == ["https://n.example/plea", "https://n.example/verdict"]
    assert manifest["distractors"] == [
        {"url": "https://n.example/swap", "questions": ["griner"]},  # shares "griner" and "trial": ranked first
        {"url": "https://n.example/court", "questions": ["griner"]},  # shares "griner"
    ]
    again = build_corpus(tmp_path / "pool", [ITEM], tmp_path / "again")
    assert again.read_bytes() == path.read_bytes()


def test_the_cap_keeps_gold_and_the_best_ranked_distractors(tmp_path: Path) -> None:
    write_pool(tmp_path / "pool")
    rows = read(build_corpus(tmp_path / "pool", [ITEM], tmp_path / "out", cap=3))
    assert {r["url"] for r in rows} == {"https://n.example/plea", "https://n.example/verdict", "https://n.example/swap"}
    with pytest.raises(InputError, match="2 gold articles, more than --cap 1"):
        build_corpus(tmp_path / "pool", [ITEM], tmp_path / "small", cap=1)


def test_a_gold_source_missing_from_the_pool_is_an_error(tmp_path: Path) -> None:
    write_pool(tmp_path / "pool")
    missing = GoldPoint("2022-07-01", "f", ("k",), "https://n.example/nowhere")
    item = TimelineItem("x", "q", None, "realtimeqa", "", (missing,))
    with pytest.raises(InputError, match=r"x: gold source https://n\.example/nowhere is not in the RealTimeQA pool"):
        build_corpus(tmp_path / "pool", [item], tmp_path / "out")
    with pytest.raises(InputError, match="no gcs"):
        build_corpus(tmp_path, [ITEM], tmp_path / "out")
