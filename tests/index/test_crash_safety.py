"""Crash-safe, idempotent ingest: kill -9 at random points, re-run, compare with a clean ingest.

Each run ingests a generated corpus (300 files) in a subprocess (``tests.index.crash_ingest``:
real on-disk Chroma, real pipeline, the fake embedder slowed a little so kills land during
parsing, embedding and writing), kills it with SIGKILL after a random delay — several times
on the same data dir — then lets an ingest finish. The index must then hold exactly what a
clean ingest holds: the same chunk ids, texts and file hashes (no duplicates, no orphans, no
missing articles), and answer a question from it. Two ingests of the same folder started at
once must also end in the clean state. Bounded: about a minute in all.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.conftest import REPO
from tests.fakes import FakeEmbedder

FILES = 300
CITIES = ["Oslo", "Lima", "Hanoi", "Accra", "Quito", "Perth", "Riga", "Dakar", "Sofia", "Tunis"]


def write_corpus(folder: Path) -> None:
    folder.mkdir()
    for i in range(FILES):
        city = CITIES[i % len(CITIES)]
        body = "\n\n".join(
            f"Paragraph {p} of report {i}: the {city} council discussed budget item {i * 7 + p} "
            f"with {p + 3} members present, and the vote on road {i}-{p} was postponed to week {p + i % 9}."
            for p in range(6)
        )
        (folder / f"report_{i:03d}.txt").write_text(f"{city} council report number {i}\n\n{body}\n", encoding="utf-8")
    (folder / "bridge.txt").write_text(
        "Harbour bridge to close for repairs\n\nThe harbour bridge in Tromso will close for 45 days of repairs "
        "starting in March, the roads agency said.\n",
        encoding="utf-8",
    )


def ingest(data_dir: Path, folder: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "tests.index.crash_ingest", str(data_dir), str(folder)]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def snapshot(data_dir: Path) -> dict[str, tuple[str, str, str]]:
    rag = NewsRAG(Settings(data_dir=data_dir, backend="extractive"), embedder=FakeEmbedder())
    got = rag.store.collection.get(include=["documents", "metadatas"])
    out: dict[str, tuple[str, str, str]] = {}
    for chunk_id, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True):
        out[chunk_id] = (doc or "", str((meta or {}).get("file_hash")), str((meta or {}).get("file_chunks")))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("crash")
    folder = root / "articles"
    write_corpus(folder)
    t0 = time.monotonic()
    proc = ingest(root / "clean", folder)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return {"root": root, "folder": folder, "clean": snapshot(root / "clean"), "seconds": time.monotonic() - t0}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_at_random_points_then_reingest_equals_a_clean_ingest(corpus: dict[str, Any], seed: int) -> None:
    rng = random.Random(seed)
    data_dir = corpus["root"] / f"killed-{seed}"
    kills = 0
    for _ in range(3):  # up to three kills on the same data dir before letting one finish
        proc = ingest(data_dir, corpus["folder"])
        time.sleep(rng.uniform(0.3, corpus["seconds"]))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=60)
    before = len(snapshot(data_dir)) if (data_dir / "chroma").exists() else 0
    final = ingest(data_dir, corpus["folder"])
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["failed"] == 0
    assert kills >= 1, "no kill landed during an ingest: the corpus ingests too fast to test"
    print(f"seed {seed}: {kills} kills, {before} of {len(corpus['clean'])} chunks stored before the final run")

    got, clean = snapshot(data_dir), corpus["clean"]
    assert set(got) == set(clean), f"missing {len(set(clean) - set(got))}, orphans {len(set(got) - set(clean))}"
    assert got == clean  # same texts, hashes and per-file chunk counts

    rag = NewsRAG(Settings(data_dir=data_dir, backend="extractive"), embedder=FakeEmbedder())
    answer = rag.ask("How long will the harbour bridge in Tromso close for repairs?")
    assert "45 days" in answer.answer and answer.citations[0].title == "Harbour bridge to close for repairs"


def test_two_ingests_of_the_same_folder_at_once(corpus: dict[str, Any]) -> None:
    data_dir = corpus["root"] / "twice"
    first, second = ingest(data_dir, corpus["folder"]), ingest(data_dir, corpus["folder"])
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1])["failed"] == 0
    assert snapshot(data_dir) == corpus["clean"]


def test_a_running_process_sees_what_another_process_ingested(tmp_path: Path) -> None:
    """``serve`` beside a CLI ``ingest``: the long-lived process finds the new article.

    An embedded Chroma client keeps the vectors it loaded and fails to return those another
    process wrote since; the store reopens the index when that happens.
    """
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "rail.txt").write_text(
        "Rail strike called off\n\nThe national rail strike planned for Monday was called off after a pay deal.\n",
        encoding="utf-8",
    )
    (second / "bridge.txt").write_text(
        "Harbour bridge to close for repairs\n\nThe harbour bridge in Tromso will close for 45 days of repairs "
        "starting in March, the roads agency said.\n",
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    for folder in (first,):
        out, err = ingest(data_dir, folder).communicate(timeout=120)
        assert json.loads(out.strip().splitlines()[-1])["failed"] == 0, err
    rag = NewsRAG(Settings(data_dir=data_dir, backend="extractive"), embedder=FakeEmbedder())
    assert "strike" in rag.ask("Was the rail strike called off?").answer.lower()  # index loaded in this process

    out, err = ingest(data_dir, second).communicate(timeout=120)  # another process adds an article
    assert json.loads(out.strip().splitlines()[-1])["failed"] == 0, err
    answer = rag.ask("How long will the harbour bridge in Tromso close for repairs?")
    assert "45 days" in answer.answer
    assert answer.citations and answer.citations[0].title == "Harbour bridge to close for repairs"
