"""What refreshing a 200-entry feed costs: seconds, HTTP requests, passages embedded (issue #20).

    PYTHONPATH=. .venv/bin/python benchmarks/feed_refresh.py

A loopback web site (the tests' ``tests.web.site.TestSite`` on 127.0.0.1, the only server this
contacts) serves an RSS feed (``tests.web.pages.rss``) of ``--entries`` distinct synthetic
articles (``tests.web.pages.article_html``: header, navigation, footer around ~500 words drawn
from a few hundred words and made-up names, so no two share 5-word shingles and dedupe keeps
them all). ``NewsRAG.live`` follows it with the real bundled MiniLM embedder, a fresh on-disk
Chroma, the extractive backend and ``fetch_host_delay=0``. Steps, each ``refresh(due_only=False)``:

1. first refresh (``--first-runs`` times, each in a fresh data dir): everything fetched and stored;
2. unchanged, the server answers the conditional GET with 304;
3. unchanged, the server has no conditional GET (``TestSite.add(..., conditional=False)``: no
   validators, whole body every time);
4. one new entry on top of the feed (a new article page).

Steps 2-4 run ``--repeats`` times each; medians are reported. Per step: wall seconds of the pass
(``Pass.seconds``), split into the ingest (the collector's ``store`` callback, timed by a
wrapper: chunk, embed, Chroma) and the rest (fetch, extract, dedupe, save records), and the
embedder's own seconds within each (timed by the counting wrapper below); requests
(``Pass.requests``, robots.txt included, and the site's own count); articles stored; passages
embedded (``IngestReport.embedded``) and the texts the embedder was handed (a counting wrapper
around the real embedder: ingest passages, and the one lead per new page that ``CopyFinder``
embeds to look for a stored copy). The embedder is loaded and warmed before any timing.

Then a feed of ``--delay-entries`` entries with the default ``fetch_host_delay=1.0``, to show what
the politeness delay does to a first refresh (one host: requests start a delay apart), without
waiting 200 s. Prints a table and JSON (``--json PATH`` writes it too). Nothing is asserted but
the dedupe check (all entries stored). About 3-5 minutes on 2 cores, most of it embedding.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.embed import Embedder
from index.types import IngestReport
from index.web.refresh import Pass
from rag.api import NewsRAG
from rag.factory import make_embedder
from rag.settings import Settings
from tests.web.pages import Entry, Story, article_html, rss
from tests.web.site import TestSite

# Written for this benchmark: common news words, mixed with made-up names per story.
VOCAB = (
    "council harbor minister railway glacier budget election court river festival museum hospital airport "
    "university factory senate treaty vaccine drought storm bridge market union police school energy orchestra "
    "stadium forest island satellite tunnel ferry vineyard observatory mayor governor parliament coalition "
    "opposition referendum ballot voters turnout campaign candidate spokesperson committee inquiry audit "
    "contract tender subsidy tariff export import inflation interest mortgage pension salary strike protest "
    "petition lawsuit verdict appeal prosecutor defendant witness jury sentence prison border refugee asylum "
    "embassy summit delegation ceasefire troops convoy drone missile shelter evacuation flood wildfire "
    "earthquake landslide heatwave frost harvest wheat barley cattle fishery quota reservoir pipeline turbine "
    "solar grid outage blackout battery charging emissions carbon recycling landfill plastic ocean coral "
    "wetland species habitat survey researchers laboratory trial patients clinic nurses doctors ambulance "
    "surgery waiting list budgetary deficit surplus bond shares investors merger takeover startup layoffs "
    "hiring wages rent tenants landlords housing construction permit zoning neighbourhood library theatre "
    "gallery exhibition novel author premiere concert album tournament league championship coach transfer "
    "injury season final trophy marathon cyclists swimmers broadcast newspaper editor journalist archive "
    "census statistics forecast estimate report memo draft plan proposal amendment regulation license "
    "inspection recall shortage delivery warehouse shipping container port terminal airline runway passengers "
    "tickets fares timetable delays commuters motorway toll speed limit accident crossing signal depot tram "
    "bus cyclist pedestrian mountain valley coast village suburb district province capital region municipal "
    "federal national local rural urban annual quarterly weekly overnight early late sudden gradual record "
    "modest sharp steady rising falling unexpected disputed confirmed denied announced postponed cancelled"
).split()
VERBS = (
    "said announced warned confirmed denied approved rejected proposed delayed expanded reduced opened closed "
    "reported estimated promised questioned criticised welcomed signed"
).split()
SYLLABLES = "ka ve lo mar ten sil bra dor ost fen gri hal ium kel lun nor pe qua rad sor tov ul vik wen".split()


def made_up_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def synthetic_story(n: int, words: int = 500) -> Story:
    """A distinct article of about ``words`` words: its own place and people, sentences of shuffled news words."""
    rng = random.Random(n)
    place, person, body = made_up_name(rng), f"{made_up_name(rng)} {made_up_name(rng)}", made_up_name(rng)
    paragraphs: list[str] = []
    count = 0
    while count < words:
        sentences = []
        for _ in range(rng.randint(3, 5)):
            subject = rng.choice((place, person, f"the {body} {rng.choice(VOCAB)}", f"{rng.randint(2, 990)} people"))
            tail = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(10, 18)))
            sentences.append(f"{subject} {rng.choice(VERBS)} {tail}".capitalize() + ".")
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    title = f"{place}: {' '.join(rng.sample(VOCAB, 4))} ({n})"
    return Story(f"story-{n}", title, tuple(paragraphs), author=person)


class CountingEmbedder:
    """The real embedder, counting the calls, texts and seconds it is handed, by phase (set by the caller)."""

    def __init__(self, real: Embedder) -> None:
        self.real = real
        self.phase = "fetch"
        self.calls: dict[str, int] = {}
        self.texts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    @property
    def name(self) -> str:
        return self.real.name

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self.real.embed(texts)
        finally:
            self._count(len(texts), time.perf_counter() - started)

    def embed_query(self, text: str) -> list[float]:
        started = time.perf_counter()
        try:
            return self.real.embed_query(text)
        finally:
            self._count(1, time.perf_counter() - started)

    def _count(self, texts: int, seconds: float) -> None:
        self.calls[self.phase] = self.calls.get(self.phase, 0) + 1
        self.texts[self.phase] = self.texts.get(self.phase, 0) + texts
        self.seconds[self.phase] = self.seconds.get(self.phase, 0.0) + seconds

    def reset(self) -> None:
        self.calls, self.texts, self.seconds = {}, {}, {}


@dataclass
class Follower:
    """One data dir following the site's feed, with the ingest timed through the collector's callback."""

    rag: NewsRAG
    embedder: CountingEmbedder
    feed: str
    ingest_seconds: float = 0.0

    @classmethod
    def start(cls, data_dir: Path, embedder: CountingEmbedder, feed: str, host_delay: float, items: int) -> Follower:
        settings = Settings(
            data_dir=data_dir,
            backend="extractive",
            fetch_allow_private=True,  # the site is on loopback
            fetch_host_delay=host_delay,
            feed_max_items=items,
        )
        rag = NewsRAG(settings, embedder=embedder)
        follower = cls(rag, embedder, feed)
        collector = rag.live.collector  # builds the fetcher, library, registry and the Chroma store now
        store = collector.store

        def timed_store(paths: Sequence[Path]) -> IngestReport:
            embedder.phase = "ingest"
            started = time.perf_counter()
            try:
                return store(paths)
            finally:
                follower.ingest_seconds += time.perf_counter() - started
                embedder.phase = "fetch"

        collector.store = timed_store
        rag.live.add_feed(feed, every="1d")
        return follower

    def refresh(self, site: TestSite) -> dict[str, Any]:
        self.ingest_seconds = 0.0
        self.embedder.reset()
        seen = len(site.requests)
        done: Pass = self.rag.live.refresh(due_only=False)
        served = site.requests[seen:]
        pages = [p for f in done.feeds for p in f.pages]
        ingest = done.ingest
        return {
            "seconds": done.seconds,
            "ingest_s": self.ingest_seconds,
            "fetch_s": done.seconds - self.ingest_seconds,
            "requests": done.requests,
            "site_requests": len(served),
            "feed_requests": sum(1 for r in served if r.path == "/feed.xml"),
            "page_requests": sum(1 for r in served if r.path.startswith("/news/")),
            "feed_status": ",".join(f.status for f in done.feeds),
            "stored": sum(1 for p in pages if p.status in ("stored", "updated")),
            "copies": sum(1 for p in pages if p.status == "copy"),
            "failed": sum(1 for p in pages if p.status == "failed"),
            "ingested_articles": ingest.articles if ingest else 0,
            "embedded": ingest.embedded if ingest else 0,
            "embedder_texts_ingest": self.embedder.texts.get("ingest", 0),
            "embedder_texts_dedupe": self.embedder.texts.get("fetch", 0),
            "embedder_calls": sum(self.embedder.calls.values()),
            "embed_s_ingest": self.embedder.seconds.get("ingest", 0.0),
            "embed_s_dedupe": self.embedder.seconds.get("fetch", 0.0),
        }


def publish(site: TestSite, stories: list[int], words: int, conditional: bool = True) -> None:
    """Put the pages of ``stories`` on the site (newest first in the feed) and the feed listing them."""
    entries = []
    for n in stories:
        path, story = f"/news/{n}", synthetic_story(n, words)
        site.add(path, article_html(story))  # the same body again keeps its ETag and date
        entries.append(Entry(site.url(path), story.title))
    site.add("/feed.xml", rss(entries), content_type="application/rss+xml", conditional=conditional)


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": len(rows)}
    for key, value in rows[0].items():
        if isinstance(value, int | float):
            out[key] = statistics.median(r[key] for r in rows)
        else:
            out[key] = "/".join(sorted({str(r[key]) for r in rows}))
    return out


def scenario(embedder: CountingEmbedder, args: argparse.Namespace, work: Path, run: int) -> dict[str, Any]:
    site = TestSite()
    try:
        feed = site.url("/feed.xml")
        newest = list(range(args.entries - 1, -1, -1))  # story numbers, newest first
        publish(site, newest, args.words)
        follower = Follower.start(work / f"run{run}", embedder, feed, 0.0, args.entries)
        steps: dict[str, Any] = {"first refresh": follower.refresh(site)}
        steps["first refresh"]["articles_in_index"] = len(follower.rag.articles())
        steps["first refresh"]["passages_in_index"] = follower.rag.store.count()
        if run > 0:
            return steps
        steps["unchanged, 304"] = median_row([follower.refresh(site) for _ in range(args.repeats)])
        publish(site, newest, args.words, conditional=False)
        steps["unchanged, no conditional GET"] = median_row([follower.refresh(site) for _ in range(args.repeats)])
        added = []
        for k in range(args.repeats):
            newest.insert(0, args.entries + k)
            publish(site, newest, args.words)
            added.append(follower.refresh(site))
        steps["one new entry"] = median_row(added)
        steps["one new entry"]["articles_in_index"] = len(follower.rag.articles())
        return steps
    finally:
        site.close()


def with_delay(embedder: CountingEmbedder, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    site = TestSite()
    try:
        publish(site, list(range(10_000, 10_000 + args.delay_entries)), args.words)
        follower = Follower.start(work / "delay", embedder, site.url("/feed.xml"), args.delay, args.delay_entries)
        row = follower.refresh(site)
        row["entries"] = args.delay_entries
        row["host_delay"] = args.delay
        return row
    finally:
        site.close()


COLUMNS = (
    ("seconds", "s", "{:.3f}"),
    ("fetch_s", "fetch, extract, dedupe s", "{:.3f}"),
    ("embed_s_dedupe", "of it embedding leads s", "{:.3f}"),
    ("ingest_s", "ingest s", "{:.3f}"),
    ("embed_s_ingest", "of it embedding s", "{:.3f}"),
    ("requests", "requests", "{:g}"),
    ("site_requests", "site saw", "{:g}"),
    ("page_requests", "pages", "{:g}"),
    ("stored", "stored", "{:g}"),
    ("embedded", "embedded", "{:g}"),
    ("embedder_texts_ingest", "embedder texts (ingest)", "{:g}"),
    ("embedder_texts_dedupe", "(dedupe)", "{:g}"),
)


def table(rows: dict[str, dict[str, Any]]) -> str:
    head = "| step | runs | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for name, row in rows.items():
        cells = " | ".join(form.format(row[key]) for key, _, form in COLUMNS)
        lines.append(f"| {name} | {row.get('runs', 1)} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=200, help="entries in the feed (distinct articles)")
    parser.add_argument("--words", type=int, default=500, help="about this many words per article")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each cheap step (medians)")
    parser.add_argument("--first-runs", type=int, default=1, help="first refreshes, each in a fresh data dir")
    parser.add_argument("--delay-entries", type=int, default=10, help="entries of the host-delay feed (0: skip)")
    parser.add_argument("--delay", type=float, default=1.0, help="fetch_host_delay of that run (the default)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="feed-refresh-") as tmp:
        work = Path(tmp)
        settings = Settings(data_dir=work / "probe", backend="extractive")
        loaded = time.perf_counter()
        embedder = CountingEmbedder(make_embedder(settings))
        embedder.embed(["warm-up: the model loads here, before any timing"])
        load_s = time.perf_counter() - loaded

        firsts: list[dict[str, Any]] = []
        steps: dict[str, Any] = {}
        for run in range(args.first_runs):
            found = scenario(embedder, args, work, run)
            firsts.append(found.pop("first refresh"))
            steps.update(found)
        rows = {"first refresh": median_row(firsts), **steps}
        delayed = with_delay(embedder, args, work) if args.delay_entries else None

    first = rows["first refresh"]
    print(f"Feed of {args.entries} entries, ~{args.words} words each; embedder load + warm-up {load_s:.1f} s")
    print(
        f"first refresh: {first['articles_in_index']:g} articles and {first['passages_in_index']:g} passages "
        f"in the index ({first['copies']:g} taken as copies, {first['failed']:g} failed)"
    )
    print(table(rows))
    if delayed:
        spacing = delayed["fetch_s"] / max(delayed["requests"] - 1, 1)
        print(
            f"\nhost_delay {delayed['host_delay']:g} s, {delayed['entries']} entries: {delayed['seconds']:.2f} s "
            f"({delayed['fetch_s']:.2f} s fetch, extract, dedupe, {delayed['ingest_s']:.2f} s ingest), "
            f"{delayed['requests']} requests: {spacing:.2f} s of fetching per request after the first; "
            f"a {args.entries}-entry first refresh would spend about "
            f"{(args.entries + 1) * spacing:.0f} s fetching ({args.entries + 2} requests) before its ingest"
        )
    result = {
        "entries": args.entries,
        "words": args.words,
        "embedder_load_s": load_s,
        "steps": rows,
        "first_refresh_runs": firsts,
        "host_delay_run": delayed,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if first["articles_in_index"] != args.entries:
        sys.exit(f"only {first['articles_in_index']} of {args.entries} articles stored: dedupe merged some")


if __name__ == "__main__":
    main()
