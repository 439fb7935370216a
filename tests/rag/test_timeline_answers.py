"""Timeline answers and the stale-fact flag, end to end through the answer engine.

Real in-memory Chroma, the fake embedder, and a made-up developing story told on three days
(a dock strike: it starts, talks open, it ends), next to a strike at another port (another
story), an undated history of the port and an unrelated article. Story grouping is a fake
behind ``rag.timeline.StoryLookup`` (the real one lives in ``index.stories``). The generator is
a ``FakeGenerator`` with no reply queued wherever the answer must not call a model.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from index.chunk import make_splitter
from index.embed import LlamaIndexEmbedding, token_counter
from index.ingest import ingest_paths
from index.store.collection import ChromaStore
from rag.answer import AnswerEngine
from rag.generate.generator import ExtractiveGenerator, Generator
from rag.retrieve.hybrid import HybridRetriever
from rag.types import Answer, Retrieved
from tests.fakes import FakeEmbedder, FakeGenerator

ARTICLES = [
    {
        "title": "Dock workers walk out at Port Ardent",
        "published_at": "2024-11-20",
        "url": "https://news.example/ardent-1",
        "text": "Dock workers at Port Ardent walked off the job on Wednesday, starting a strike over wages and "
        "night shifts. The union said 1,200 members joined the strike. Shipping lines began diverting cargo "
        "to other harbours.",
    },
    {
        "title": "Port Ardent strike talks open",
        "published_at": "2024-11-24",
        "url": "https://news.example/ardent-2",
        "text": "Talks to end the Port Ardent dock strike opened on Sunday with a mediator from the labour "
        "ministry. The port authority offered a 4 percent raise, which the union rejected. Cargo ships waited "
        "at anchor outside the harbour.",
    },
    {
        "title": "Port Ardent strike ends with new contract",
        "published_at": "2024-11-27",
        "url": "https://news.example/ardent-3",
        "text": "The Port Ardent dock strike ended on Wednesday after workers voted to accept a 6 percent raise. "
        "Cranes resumed loading containers within hours. The union said night shifts would be shortened "
        "next year.",
    },
    {
        "title": "One-day strike at Port Bellmont",
        "published_at": "2024-10-02",
        "url": "https://news.example/bellmont",
        "text": "Dock workers at Port Bellmont held a one-day strike over safety rules for night shifts. "
        "The port said loading resumed the next morning.",
    },
    {
        "title": "History of the Port Ardent docks",
        "url": "https://news.example/ardent-history",
        "text": "Port Ardent has handled container cargo since 1962. Its dock workers last went on strike "
        "in 1998, over pensions.",
    },
    {
        "title": "Orchard harvest sets a record",
        "published_at": "2024-11-25",
        "url": "https://news.example/orchards",
        "text": "Apple growers in the valley reported a record harvest this autumn, helped by a mild spring "
        "and few frosts.",
    },
]
STORY = ARTICLES[:3]


class FakeStories:
    """A ``StoryLookup`` over fixed stories: lists of (article_id, ISO date), oldest first."""

    def __init__(self, stories: list[list[tuple[str, str]]]) -> None:
        self.stories = stories
        self.asked: list[str] = []

    def members(self, article_id: str) -> list[tuple[str, str]]:
        self.asked.append(article_id)
        return next((list(s) for s in self.stories if article_id in dict(s)), [])


@pytest.fixture
def port(store: ChromaStore, fake_embedder: FakeEmbedder, tmp_path: Path) -> ChromaStore:
    path = tmp_path / "port.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    ingest_paths([path], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder))
    return store


@pytest.fixture
def ids(port: ChromaStore) -> dict[str, str]:
    """Article id by headline."""
    return {m["title"]: m["article_id"] for m in port.collection.get(include=["metadatas"])["metadatas"]}


@pytest.fixture
def stories(ids: dict[str, str]) -> FakeStories:
    return FakeStories([[(ids[a["title"]], a["published_at"]) for a in STORY]])


def engine(
    store: ChromaStore,
    embedder: FakeEmbedder,
    generator: Generator | None = None,
    stories: FakeStories | None = None,
    top_k: int = 4,
    **options: int | bool,
) -> AnswerEngine:
    return AnswerEngine(
        HybridRetriever(store, embedder, "hybrid"),
        generator or FakeGenerator(),  # no reply queued: a model call fails the test
        embedder,
        store.count,
        top_k=top_k,
        min_similarity=0.2,
        stories=stories,
        **options,  # type: ignore[arg-type]
    )


def _lines_match_points(answer: Answer) -> None:
    """The answer text is the points as "date: sentence [n]" lines, each cited and quoted verbatim."""
    assert answer.answer.split("\n") == [f"{p.published_at}: {p.text}" for p in answer.timeline]
    by_n = {c.n: c for c in answer.citations}
    for point in answer.timeline:
        cite = by_n[point.n]
        assert f"[{point.n}]" in point.text and cite.published_at == point.published_at
        assert cite.passage[cite.quote_start : cite.quote_end] == cite.quote
        assert cite.quote in point.text.replace(f" [{point.n}]", "")  # the sentence is the passage's own


def test_a_story_of_three_days_gives_three_points_in_date_order(
    port: ChromaStore, fake_embedder: FakeEmbedder, stories: FakeStories, ids: dict[str, str]
) -> None:
    answer = engine(port, fake_embedder, stories=stories).ask("How did the Port Ardent dock strike change?")
    assert not answer.refused and answer.backend == "timeline"
    assert [p.published_at for p in answer.timeline] == ["2024-11-20", "2024-11-24", "2024-11-27"]
    assert [p.n for p in answer.timeline] == [1, 2, 3]
    assert [c.title for c in answer.citations] == [a["title"] for a in STORY]
    _lines_match_points(answer)
    assert answer.answer.startswith("2024-11-20: Dock workers at Port Ardent walked off the job")
    # Bellmont's strike is another story, the history is undated: neither is a point.
    assert "Bellmont" not in answer.answer and "1962" not in answer.answer


def test_the_story_brings_in_articles_the_search_did_not_reach(
    port: ChromaStore, fake_embedder: FakeEmbedder, stories: FakeStories
) -> None:
    question = "Timeline of the Port Ardent dock strike"
    alone = engine(port, fake_embedder, top_k=1).ask(question)  # 3 candidates, no story to widen them
    widened = engine(port, fake_embedder, stories=stories, top_k=1).ask(question)
    assert len(alone.timeline) < 3
    assert [p.published_at for p in widened.timeline] == ["2024-11-20", "2024-11-24", "2024-11-27"]


def test_since_a_date_drops_the_older_points(
    port: ChromaStore, fake_embedder: FakeEmbedder, stories: FakeStories
) -> None:
    answer = engine(port, fake_embedder, stories=stories).ask(
        "What has happened in the Port Ardent strike since Nov 24?"
    )
    assert [p.published_at for p in answer.timeline] == ["2024-11-24", "2024-11-27"]
    between = engine(port, fake_embedder, stories=stories).ask(
        "What happened between Nov 21 and Nov 26 in the Port Ardent dock strike?"
    )
    assert [p.published_at for p in between.timeline] == ["2024-11-24"]
    _lines_match_points(between)


def test_as_of_a_date_leaves_out_later_articles(
    port: ChromaStore, fake_embedder: FakeEmbedder, stories: FakeStories
) -> None:
    answer = engine(port, fake_embedder, stories=stories).ask(
        "Timeline of the Port Ardent dock strike", as_of=date(2024, 11, 25)
    )
    assert [p.published_at for p in answer.timeline] == ["2024-11-20", "2024-11-24"]


def test_without_a_story_the_points_come_from_distinct_candidate_articles(
    port: ChromaStore, fake_embedder: FakeEmbedder
) -> None:
    answer = engine(port, fake_embedder).ask("Timeline of the dock workers strike at Port Ardent and Port Bellmont")
    dates = [p.published_at for p in answer.timeline]
    assert dates == sorted(dates) and len(dates) >= 3
    assert len({c.title for c in answer.citations}) == len(answer.citations)  # one point per article
    assert "2024-10-02" in dates  # Bellmont's strike: without stories, any relevant dated article
    assert "History of the Port Ardent docks" not in {c.title for c in answer.citations}  # undated
    assert "Orchard harvest sets a record" not in {c.title for c in answer.citations}  # not relevant
    _lines_match_points(answer)


def test_timeline_answers_off_answers_as_any_question(port: ChromaStore, fake_embedder: FakeEmbedder) -> None:
    generator = FakeGenerator(["Dock workers at Port Ardent walked off the job on Wednesday [1]."])
    answer = engine(port, fake_embedder, generator, timeline_max_points=0).ask(
        "Timeline of the Port Ardent dock strike"
    )
    assert answer.timeline == [] and answer.backend == "fake" and len(generator.prompts) == 1


def test_a_timeline_question_with_no_dated_passage_is_answered_as_any_question(
    port: ChromaStore, fake_embedder: FakeEmbedder
) -> None:
    generator = FakeGenerator(["The Port Ardent dock strike ended on Wednesday [1]."])
    answer = engine(port, fake_embedder, generator).ask("What has happened in the Port Ardent dock strike since Dec 1?")
    # The story ends on Nov 27 (2024, the year nearest its dates): nothing is dated inside the bounds.
    assert answer.timeline == [] and len(generator.prompts) == 1 and not answer.refused


@pytest.mark.parametrize("verified", [False, True])
def test_streaming_a_timeline_yields_the_sources_then_the_answer_text(
    port: ChromaStore, fake_embedder: FakeEmbedder, stories: FakeStories, verified: bool
) -> None:
    items = list(
        engine(port, fake_embedder, stories=stories).events(
            "Timeline of the Port Ardent dock strike", verified=verified
        )
    )
    assert isinstance(items[0], Retrieved) and isinstance(items[-1], Answer)
    pieces = items[1:-1]
    assert all(isinstance(p, str) for p in pieces) and len(pieces) == 3
    assert "".join(pieces) == items[-1].answer
    assert items[0].hits == items[-1].sources


STALE_REPLY = "The port authority offered a 4 percent raise, which the union rejected [1]."


def test_an_answer_from_one_article_with_newer_ones_in_its_story_says_as_of(
    port: ChromaStore, fake_embedder: FakeEmbedder, stories: FakeStories, ids: dict[str, str]
) -> None:
    items = list(
        engine(port, fake_embedder, FakeGenerator([STALE_REPLY]), stories).events(
            "What raise did the port authority offer the union?", verified=True
        )
    )
    answer = items[-1]
    assert isinstance(answer, Answer) and not answer.refused
    assert answer.answer.endswith("\n(as of 2024-11-24; 1 newer article on this story)")
    assert answer.newer_articles == [ids["Port Ardent strike ends with new contract"]]
    assert "".join(i for i in items if isinstance(i, str)) == answer.answer  # streamed like the rest
    assert answer.to_dict()["newer_articles"] == answer.newer_articles


@pytest.mark.parametrize(
    ("reply", "stories_on", "as_of"),
    [
        (STALE_REPLY, False, None),  # no story grouping: nothing to compare with
        (STALE_REPLY, True, date(2024, 11, 25)),  # asked before the newer article appeared
        (
            "The Port Ardent dock strike ended on Wednesday after workers voted to accept a 6 percent raise [1].",
            True,
            None,
        ),
        (  # two articles cited: not one dated fact
            "The port authority offered a 4 percent raise [1]. Workers voted to accept a 6 percent raise [2].",
            True,
            None,
        ),
    ],
    ids=["no-stories", "as-of-before-newer", "newest-article", "two-articles"],
)
def test_no_as_of_note_without_newer_articles_on_the_one_cited_story(
    port: ChromaStore,
    fake_embedder: FakeEmbedder,
    stories: FakeStories,
    reply: str,
    stories_on: bool,
    as_of: date | None,
) -> None:
    eng = engine(port, fake_embedder, FakeGenerator([reply]), stories if stories_on else None)
    answer = eng.ask("What raise did the port authority offer, and did workers accept a raise?", as_of=as_of)
    assert not answer.refused and answer.citations
    assert "(as of" not in answer.answer and answer.newer_articles == []


def test_flag_off_leaves_the_answer_alone(port: ChromaStore, fake_embedder: FakeEmbedder, stories: FakeStories) -> None:
    eng = engine(port, fake_embedder, FakeGenerator([STALE_REPLY]), stories, flag_stale=False)
    assert "(as of" not in eng.ask("What raise did the port authority offer the union?").answer


SAMPLE_QUESTIONS = [
    "How long is the proposed truce?",
    "Who leads the efforts to broker the agreement?",
    "What did Putin discuss with the Iranian president?",
    "Who is Hezbollah's new leader, and which official held a news conference in Beirut?",
    "What is the border between Israel and Lebanon?",
]


@pytest.mark.parametrize("question", SAMPLE_QUESTIONS)
def test_ordinary_questions_get_the_same_answer_as_without_timelines(
    store: ChromaStore, fake_embedder: FakeEmbedder, samples_dir: Path, question: str
) -> None:
    ingest_paths([samples_dir], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder))
    everyone = [m["article_id"] for m in store.collection.get(include=["metadatas"])["metadatas"]]
    # Every sample article in one story, all but one undated: a lookup that is asked but has nothing newer.
    lookup = FakeStories([[(aid, "2024-11-22" if i == 0 else "") for i, aid in enumerate(dict.fromkeys(everyone))]])
    before = engine(store, fake_embedder, ExtractiveGenerator(), timeline_max_points=0, flag_stale=False).ask(question)
    after = engine(store, fake_embedder, ExtractiveGenerator(), lookup).ask(question)
    strip = {"timings"}
    assert {k: v for k, v in after.to_dict(True).items() if k not in strip} == {
        k: v for k, v in before.to_dict(True).items() if k not in strip
    }
    assert after.sources == before.sources and after.timeline == []


def test_passages_of_gives_the_best_passage_of_each_given_article_only(
    port: ChromaStore, fake_embedder: FakeEmbedder, ids: dict[str, str]
) -> None:
    wanted = [ids[a["title"]] for a in STORY]
    for mode in ("dense", "bm25", "hybrid"):
        hits = HybridRetriever(port, fake_embedder, mode).passages_of("Port Ardent dock strike raise", wanted)
        assert sorted(h.article_id for h in hits) == sorted(wanted)
        assert all(h.similarity > 0 for h in hits)
    assert HybridRetriever(port, fake_embedder, "hybrid").passages_of("strike", []) == []
