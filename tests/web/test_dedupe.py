"""A syndicated copy of a stored article is found; a different story on the same topic is not.

``resemblance`` on hand-made variants of one article (the ways outlets change an agency text)
and on a second story about the same event; ``CopyFinder`` against real (ephemeral) Chroma
holding articles ingested by ``index.ingest``. The fake embedder's vectors are bags of words,
so a copy and its original are near neighbours for it as for MiniLM: the candidate step is
exercised, not bypassed (``candidates=1`` in a store of four articles). The labelled pairs
measured on RealTimeQA (``evals.duplicates``) are checked against the shipped threshold.
"""

from __future__ import annotations

import json
import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from index.chunk import make_splitter
from index.clean import clean_article
from index.embed import Embedder, LlamaIndexEmbedding, MiniLMEmbedder, token_counter
from index.ingest import ingest_paths
from index.store.collection import ChromaStore
from index.web.dedupe import MIN_SHINGLES, THRESHOLD, CopyFinder, resemblance, shingles
from tests.fakes import FakeEmbedder

LABELS = Path(__file__).resolve().parent.parent / "data" / "duplicate_pairs.jsonl"

# A made-up agency story: five paragraphs, a few hundred words.
ORIGINAL = [
    "The Marlow County council voted 7-2 on Tuesday to close the Old Quarry Bridge to all motor "
    'traffic from next Monday, after engineers found that two of its steel supports had corroded "well '
    "beyond what we can patch,\" according to the county's chief engineer, Dana Okafor.",
    "The bridge, built in 1931, carries about 14,000 vehicles a day across the Tessel River between "
    "the towns of Harwick and Pelling. Commuters will be sent on a detour of roughly 11 miles through the "
    "northern ring road, which the council expects to add up to 25 minutes at rush hour.",
    "Okafor told the council that an inspection in March had flagged rust on the eastern piers, and "
    "that divers sent down last week found the damage had spread to the main load-bearing beams. She "
    "said pedestrians and cyclists may keep using the bridge while a temporary walkway is assessed.",
    "Council member Ruth Abernathy, one of the two votes against, said the closure would cut off small "
    "businesses in Pelling that depend on customers from Harwick, and asked for a free shuttle bus. The "
    "council agreed to study a shuttle and report back within a month.",
    "A replacement bridge has been in the county's long-term plan since 2015 but was never funded. "
    "Officials now estimate it would cost $48 million and take at least three years to build, and say "
    "they will apply for state infrastructure grants before the end of the year.",
]
TITLE = "Marlow County closes Old Quarry Bridge over corroded supports"


def syndicated_copy() -> tuple[str, str]:
    """The same story as another outlet runs it: new headline, dateline, its own boilerplate,
    curly quotes, reflowed whitespace, and the last paragraph trimmed."""
    body = [p.replace('"', "\u201c", 1).replace('"', "\u201d", 1) for p in ORIGINAL[:-1]]
    body[0] = "HARWICK (AP) \u2014 " + body[0]
    text = (
        "Sign up for our newsletter to get the day's top stories.\n\n"
        + "\n\n".join("  ".join(p.split(" ")) for p in body)
        + "\n\nCopyright 2024 Pelling Gazette. All rights reserved."
    )
    return "Century-old bridge to shut as rust eats its beams", text


OTHER_STORY = (
    "Shop owners in Pelling said on Wednesday they fear losing a third of their trade once the Old Quarry "
    "Bridge closes to cars next week. At a packed meeting in the town hall, the owner of a bakery on Mill "
    "Street said most of her morning customers drive over from Harwick on their way to work, and that a "
    "detour of eleven miles would send them to the supermarket on the ring road instead. The local "
    "chamber of commerce is collecting signatures for a petition asking the county to run a free shuttle "
    "and to keep the bridge open to buses. The county's chief engineer repeated that the corroded beams "
    "cannot safely carry traffic and that inspections will continue every week."
)
UNRELATED = (
    "The Harwick Rovers won their first league title in forty years on Saturday, beating the visitors "
    "from Kestrel Bay three goals to one in front of a sold-out home crowd. The captain scored twice in the "
    "second half, and the goalkeeper saved a penalty in the final minutes. Fans poured onto the pitch at "
    "the final whistle, and the club said the trophy will be paraded through the town centre next Sunday "
    "afternoon, with the mayor hosting a reception for the players at the town hall."
)

FOLLOW_UP = (
    "Traffic on the northern ring road backed up for almost two miles on Monday morning, the first "
    "weekday since the Old Quarry Bridge in Marlow County closed to cars. Drivers from Harwick told "
    "reporters the detour to Pelling took them forty minutes instead of ten. The county said it would "
    "retime the traffic lights at three junctions, and a trial shuttle bus between the two towns will "
    "start on Thursday, running every twenty minutes from seven in the morning."
)


def test_syndicated_copy_resembles_its_original() -> None:
    title, copy = syndicated_copy()
    original = "\n\n".join(ORIGINAL)
    cleaned, _ = clean_article(title, copy)  # as ``CopyFinder`` and ingest see it
    score = resemblance(cleaned, original)
    assert score >= THRESHOLD
    assert resemblance(original, cleaned) == score  # order does not matter
    # Uncleaned, each boilerplate word costs about one shingle in the shorter text's few hundred.
    assert THRESHOLD - 0.1 < resemblance(copy, original) < score


def test_different_story_on_the_same_topic_does_not() -> None:
    original = "\n\n".join(ORIGINAL)
    assert resemblance(OTHER_STORY, original) < 0.2
    assert resemblance(UNRELATED, original) == 0.0


def test_texts_too_short_to_judge_never_match() -> None:
    stub = "Subscribe to continue reading. Already a subscriber? Log in to read the rest of this story."
    assert len(shingles(stub)) < MIN_SHINGLES
    assert resemblance(stub, stub) == 0.0  # two identical paywall stubs say nothing about the articles


def test_normalization_ignores_case_quotes_punctuation_and_spacing() -> None:
    text = " ".join(ORIGINAL)
    variant = text.upper().replace('"', "\u00ab").replace(",", " ,").replace(" ", "\u00a0 ")
    assert shingles(variant) == shingles(text)


def ingest_stories(tmp_path: Path, store: ChromaStore, embedder: Embedder) -> ChromaStore:
    """The original story and three others, ingested like any user's JSONL file."""
    records = [
        {"title": TITLE, "text": "\n\n".join(ORIGINAL), "url": "https://example.org/bridge"},
        {"title": "Pelling shops fear bridge closure", "text": OTHER_STORY, "url": "https://example.org/shops"},
        {"title": "Rovers win the league", "text": UNRELATED, "url": "https://example.org/rovers"},
        {"title": "Rovers parade", "text": UNRELATED.replace("Saturday", "Sunday"), "url": "https://example.org/p"},
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    splitter = make_splitter(token_counter(), 100, 20)  # small chunks: the original spans several
    report = ingest_paths([path], store, splitter, LlamaIndexEmbedding(embedder))
    assert report.count("ingested") == 1
    return store


@pytest.fixture
def stored(tmp_path: Path, store: ChromaStore, fake_embedder: FakeEmbedder) -> ChromaStore:
    return ingest_stories(tmp_path, store, fake_embedder)


def test_finder_finds_the_stored_original_of_a_copy(stored: ChromaStore, fake_embedder: FakeEmbedder) -> None:
    title, copy = syndicated_copy()
    found = CopyFinder(stored, fake_embedder, candidates=1).find(title, copy)
    assert found is not None
    assert (found.title, found.url) == (TITLE, "https://example.org/bridge")
    assert found.similarity >= THRESHOLD
    assert found.file_path.endswith("articles.jsonl")
    (info,) = [a for a in stored.articles() if a.title == TITLE]
    assert found.article_id == info.article_id and info.chunks > 1


def test_finder_returns_none_for_a_new_story(stored: ChromaStore, fake_embedder: FakeEmbedder) -> None:
    finder = CopyFinder(stored, fake_embedder, candidates=4)  # every stored article is a candidate
    assert len(finder.nearest_articles("Detour jams on first day of bridge closure", FOLLOW_UP)) == 4
    assert finder.find("Detour jams on first day of bridge closure", FOLLOW_UP) is None


def test_finder_skips_texts_too_short_to_judge(stored: ChromaStore, fake_embedder: FakeEmbedder) -> None:
    assert CopyFinder(stored, fake_embedder).find(TITLE, ORIGINAL[0][:120]) is None


@pytest.mark.slow
def test_finder_with_the_bundled_minilm(tmp_path: Path, chroma_client: Any, samples_dir: Path) -> None:
    """The real embedder's neighbours bring the original among the default candidates, beside the samples."""
    embedder = MiniLMEmbedder(threads=1)
    store = ChromaStore(chroma_client, f"t-{uuid.uuid4().hex[:12]}", embedder.name)
    ingest_paths([samples_dir], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(embedder))
    ingest_stories(tmp_path, store, embedder)
    finder = CopyFinder(store, embedder)
    title, copy = syndicated_copy()
    found = finder.find(title, copy)
    assert found is not None and found.title == TITLE
    assert finder.find("Pelling shops fear for trade", OTHER_STORY + " The petition closes Friday.") is not None
    assert finder.find("Detour jams on first day of bridge closure", FOLLOW_UP) is None


@pytest.mark.parametrize("paragraphs", [True, False], ids=["paragraph-chunks", "overlapping-chunks"])
def test_stored_article_text_joins_chunks_without_their_overlap(
    tmp_path: Path, store: ChromaStore, fake_embedder: FakeEmbedder, paragraphs: bool
) -> None:
    # The splitter overlaps chunks only where it cuts inside a paragraph: one long paragraph does.
    text = ("\n\n" if paragraphs else " ").join(ORIGINAL)
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"title": TITLE, "text": text, "url": "https://example.org/b"}) + "\n", encoding="utf-8")
    ingest_paths([path], store, make_splitter(token_counter(), 100, 30), LlamaIndexEmbedding(fake_embedder))
    (info,) = store.articles()
    chunks = [n.get_content() for n in sorted(store.all_nodes(), key=lambda n: n.metadata["chunk_index"])]
    overlapping = any(b[:40] in a for a, b in pairwise(chunks))
    assert info.chunks > 2 and overlapping is not paragraphs
    got = store.article(info.article_id)
    assert got is not None
    meta, joined = got
    assert (meta.chunks, meta.url, meta.title) == (info.chunks, "https://example.org/b", TITLE)
    assert " ".join(joined.split()) == " ".join(text.split())
    assert store.article("no-such-article") is None


def test_labelled_pairs_agree_with_the_threshold() -> None:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    judged = [r for r in rows if r["label"] in ("same", "different")]
    assert len(judged) >= 50 and {r["label"] for r in rows} == {"same", "different", "junk"}
    flagged = [r for r in judged if r["containment"] >= THRESHOLD]
    same = [r for r in judged if r["label"] == "same"]
    precision = sum(r["label"] == "same" for r in flagged) / len(flagged)
    recall = sum(r["containment"] >= THRESHOLD for r in same) / len(same)
    assert precision == 1.0  # a wrong merge drops a new article's news: none in the labelled set
    assert recall >= 0.93
