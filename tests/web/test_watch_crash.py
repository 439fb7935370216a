"""A killed ``watch`` loses nothing and re-fetches nothing it stored: kill -9, restart, compare.

A feed of 16 articles on a loopback ``TestSite`` (each page answers after 0.15 s, so a pass
lasts a few seconds); ``tests.web.crash_watch`` follows it in a subprocess with a real
on-disk index. One data dir is refreshed cleanly; another is killed with SIGKILL at random
points (up to three times), then refreshed to the end. Both must hold the same articles, and
no page whose record was saved before a kill may be requested again afterwards.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder
from tests.web.pages import Entry, Story, article_html, rss
from tests.web.site import TestSite

REPO = Path(__file__).resolve().parents[2]
WORDS = (
    "council harbor minister railway glacier budget election court river festival museum hospital airport "
    "university factory senate treaty vaccine drought storm bridge market union police school energy "
    "orchestra stadium forest island satellite tunnel ferry vineyard observatory"
).split()


def story(n: int) -> Story:
    rng = random.Random(n)
    paragraphs = tuple(
        " ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + f" (report {n}, part {p})." for p in range(4)
    )
    return Story(f"s{n}", f"Report {n}: {' '.join(rng.sample(WORDS, 5))}", paragraphs)


def articles(data_dir: Path) -> set[tuple[str, str]]:
    rag = NewsRAG(Settings(data_dir=data_dir, backend="extractive"), embedder=FakeEmbedder())
    return {(a.url, a.title) for a in rag.articles()}


def saved(data_dir: Path) -> set[str]:
    import json

    return {
        json.loads(p.read_text())["fetched_from"]
        for p in (data_dir / "web").glob("*/*.json")
        if not p.parent.name.startswith(".")
    }


def run(data_dir: Path, feed: str, once: bool) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "tests.web.crash_watch", str(data_dir), feed, *(["--once"] if once else [])]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_during_watch_then_restart_equals_a_clean_run(tmp_path: Path, site: TestSite, seed: int) -> None:
    entries = []
    for n in range(16):
        path = f"/story/{n}"
        site.slow(path, 0.15, article_html(story(n)))
        entries.append(Entry(site.url(path), f"Report {n}"))
    site.add("/feed.xml", rss(entries), content_type="application/rss+xml")
    feed = site.url("/feed.xml")

    clean = run(tmp_path / "clean", feed, once=True)
    assert clean.wait(timeout=300) == 0, clean.stderr.read() if clean.stderr else ""
    expected = articles(tmp_path / "clean")
    assert len(expected) == 16

    rng = random.Random(seed)
    killed_dir = tmp_path / "killed"
    protected: dict[str, int] = {}  # page path → its request count when its record was already saved
    kills = 0
    for _ in range(3):
        proc = run(killed_dir, feed, once=False)
        time.sleep(rng.uniform(1.5, 4.0))
        if proc.poll() is not None:
            break
        proc.kill()
        proc.wait()
        kills += 1
        for url in saved(killed_dir):
            path = url.removeprefix(site.url(""))
            protected.setdefault("/" + path.lstrip("/"), site.hits("/" + path.lstrip("/")))
    assert kills >= 1
    final = run(killed_dir, feed, once=True)
    assert final.wait(timeout=300) == 0, final.stderr.read() if final.stderr else ""

    assert articles(killed_dir) == expected
    refetched = {path for path, hits in protected.items() if site.hits(path) != hits}
    assert not refetched, f"pages fetched again after their record was saved: {sorted(refetched)}"
    print(f"seed {seed}: {kills} kill(s); {len(protected)} of 16 pages were saved before a kill")
