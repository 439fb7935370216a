"""``newsrag eval-replay``: stored model replies judged again offline, refusals explained by check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import replay
from evals.dataset import EvalItem
from evals.runner import RunConfig, run_config
from rag.api import SAMPLES_DIR
from rag.settings import load_settings

pytestmark = pytest.mark.slow

ITEMS = [
    EvalItem("truce", "How long is the proposed truce between Israel and Hezbollah?", "60 days"),
    EvalItem("pm", "Who is Lebanon's prime minister?", None),  # refused by the "unmentioned" check
    EvalItem("population", "What is the population of Lebanon?", None),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("replay")
    checked = RunConfig("x", {"check_asked": True})  # off by default since issue #32; on here to be replayed
    run_config(ITEMS, [SAMPLES_DIR], tmp / "out", checked, load_settings(backend="extractive"), tmp / "c")
    return tmp / "out"


def test_results_keep_the_reply_the_passages_and_the_verdict(results: Path) -> None:
    rows = {r["id"]: r for r in replay.read_results(results)}
    assert rows["truce"]["reply"] and rows["truce"]["refusal"] is None
    assert all(h["text"] and h["chunk_id"] for h in rows["truce"]["retrieved"])
    assert rows["pm"]["refused"] and rows["pm"]["refusal"]["check"] == "unmentioned"


def test_replay_reproduces_the_run_and_shows_what_a_check_changes(results: Path) -> None:
    rows = replay.read_results(results)
    same = replay.replay(rows, replay.make_checks(["non_answer", "unmentioned"]))
    assert same.summary()["replayed"] == 3 and not same.changed
    without = replay.replay(rows, replay.make_checks(["non_answer"]))
    flipped = {r.id for r in without.changed}
    assert flipped >= {"pm"} and all(r.stored == "unmentioned" and r.now == "answered" for r in without.changed)


def test_the_cli_prints_the_summary_and_refuses_a_bad_path(results: Path, tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from evals.cli import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    ran = runner.invoke(app, ["eval-replay", str(results), "--checks", "non_answer", "--show"])
    assert ran.exit_code == 0, ran.output
    summary = json.loads(ran.output[: ran.output.rindex("}") + 1])
    assert summary["changed"] >= 1 and "pm: unmentioned -> answered" in ran.output
    missing = runner.invoke(app, ["eval-replay", str(tmp_path / "nothing")])
    assert missing.exit_code == 1 and "no results.jsonl" in missing.output
    bad = runner.invoke(app, ["eval-replay", str(results), "--checks", "vibes"])
    assert bad.exit_code == 2


def test_low_confidence_replays_from_the_confidence_the_run_stored(results: Path) -> None:
    rows = replay.read_results(results)
    assert all(r["confidence"] is None for r in rows)  # the extractive backend has no log-probabilities
    unsure = [dict(r, confidence={"start": 0.9, "first": 0.2, "mean": 0.3, "least": 0.1}) for r in rows]
    judged = {r.id: r for r in replay.replay(unsure, replay.make_checks(["low_confidence=0.5"])).rows}
    assert judged["truce"].now == "low_confidence" and "0.20 (first)" in judged["truce"].reason
    lenient = {r.id: r.now for r in replay.replay(unsure, replay.make_checks(["low_confidence=0.15"])).rows}
    assert lenient["truce"] == "answered"
    with pytest.raises(ValueError, match="low_confidence=<probability>"):
        replay.make_checks(["low_confidence=sure"])
