"""The story record: which stored article belongs to which story, in SQLite beside the index.

``<data dir>/stories.sqlite3`` holds ``stories`` (label, date range, size) and ``members`` (per
article: story, date, headline, source, key sentence, entities, content hash). ``update`` brings
it in line with the index in one transaction: members whose article is gone or changed (its
content hash differs) are dropped, articles the index holds and the table does not are placed
in date order (``group.joins`` over the nearest stored leads, ``ChromaStore.nearest_ids``), and
every story touched is relabelled. A run killed half way commits nothing, so the next ``update``
starts from the last finished state and converges on the same table; a second ``update`` with
nothing new changes nothing.

The label is the headline of the story's earliest dated article: an editor's sentence rather
than a bag of names, and stable while later articles join (it changes only when an earlier
article arrives or the first one is deleted). Dropping a member never splits its story: the
articles it linked stay together until ``rebuild``.

The table belongs to a data dir: with a Chroma server shared by several hosts each data dir
keeps its own table, brought up to date from the shared collection by its own ``update``. It
reads the stored vectors and embeds nothing; it does not decide the thresholds (settings).
"""

from __future__ import annotations

import builtins
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from index.chunk import UNDATED
from index.errors import storage_error
from index.store.collection import ChromaStore
from index.stories.entities import entities, key_sentence
from index.stories.group import CANDIDATES, Placed, Thresholds, joins
from index.stories.types import Story, StoryArticle
from index.types import web_link

FILE_NAME = "stories.sqlite3"
_BATCH = 500
_SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, label TEXT NOT NULL, first TEXT, last TEXT, size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, day INTEGER, published_at TEXT NOT NULL,
    title TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL, file_path TEXT NOT NULL,
    key_sentence TEXT NOT NULL, entities TEXT NOT NULL, content_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS members_story ON members (story_id);
"""


@dataclass(frozen=True)
class UpdateReport:
    """What one ``update`` changed."""

    assigned: int
    dropped: int
    stories: int  # stories touched (new, grown, shrunk or gone)


@dataclass(frozen=True)
class Lead:
    """An article's first stored passage, as grouping reads it."""

    article_id: str
    vector: list[float]
    day: int | None
    entities: frozenset[str]
    row: tuple[Any, ...]  # the members row, story_id left out


class StoryTable:
    """The stories of one data dir."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
                db.executescript(_SCHEMA)
                if not write:
                    yield db
                    return
                db.execute("BEGIN IMMEDIATE")  # one writer; a reader sees the last committed state
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except (sqlite3.Error, OSError) as err:
            raise storage_error(err, f"the story table {self.path}") from err

    # Keeping the table in line with the index

    def update(self, store: ChromaStore, limits: Thresholds, rebuild: bool = False) -> UpdateReport:
        """Drop members whose article is gone or changed, place the new ones, relabel; one transaction.

        ``rebuild``: forget every story first and regroup the whole index.
        """
        stored = {aid: meta for aid, meta in _first_chunks(store)}
        with self._db(write=True) as db:
            if rebuild:
                db.execute("DELETE FROM members")
                db.execute("DELETE FROM stories")
            known = dict(db.execute("SELECT article_id, content_hash FROM members").fetchall())
            gone = [aid for aid, digest in known.items() if str(stored.get(aid, {}).get("content_hash", "")) != digest]
            touched = {
                s for aid in gone for (s,) in db.execute("SELECT story_id FROM members WHERE article_id = ?", (aid,))
            }
            db.executemany("DELETE FROM members WHERE article_id = ?", [(aid,) for aid in gone])
            new = [aid for aid in stored if aid not in known or aid in gone]
            leads = _leads(store, new)
            for lead in sorted(leads, key=lambda x: (x.day is None, x.day or 0, x.article_id)):
                near = store.nearest_ids(lead.vector, CANDIDATES + 1, where={"chunk_index": 0})
                story = joins(_placed(db, near, lead.article_id), lead.day, lead.entities, limits)
                story = story or _new_story_id(db, lead.article_id)
                db.execute("INSERT INTO members VALUES (?,?,?,?,?,?,?,?,?,?,?)", (lead.article_id, story, *lead.row))
                touched.add(story)
            for story_id in touched:
                _relabel(db, story_id)
        return UpdateReport(assigned=len(leads), dropped=len(gone), stories=len(touched))

    # Reading

    def list(self, search: str | None = None, min_articles: int = 1) -> list[Story]:
        """Stories newest first (by their last article), then largest; ``search``: every word in
        the story's label, headlines, key sentences or entities (case-insensitive)."""
        words = (search or "").lower().split()
        with self._db() as db:
            rows = db.execute(
                "SELECT s.story_id, s.label, s.first, s.last, group_concat(m.article_id, char(10)), "
                "lower(group_concat(m.title || ' ' || m.key_sentence || ' ' || m.entities, ' ')) "
                "FROM stories s JOIN members m ON m.story_id = s.story_id "
                "WHERE s.size >= ? GROUP BY s.story_id ORDER BY s.last IS NULL, s.last DESC, s.size DESC, s.story_id",
                (min_articles,),
            ).fetchall()
        found = []
        for story_id, label, first, last, ids, text in rows:
            if all(w in text or w in label.lower() for w in words):
                found.append(Story(story_id, label, _day(first), _day(last), tuple(sorted(ids.split("\n")))))
        return found

    def get(self, story_id: str) -> tuple[Story, builtins.list[StoryArticle]] | None:
        """A story and its articles by date (undated last)."""
        with self._db() as db:
            head = db.execute(
                "SELECT story_id, label, first, last FROM stories WHERE story_id = ?", (story_id,)
            ).fetchone()
            if head is None:
                return None
            rows = db.execute(
                "SELECT article_id, title, source, url, published_at, key_sentence, file_path FROM members "
                "WHERE story_id = ? ORDER BY day IS NULL, day, article_id",
                (story_id,),
            ).fetchall()
        articles = [StoryArticle(*row) for row in rows]
        story = Story(head[0], head[1], _day(head[2]), _day(head[3]), tuple(a.article_id for a in articles))
        return story, articles

    def story_of(self, article_id: str) -> Story | None:
        with self._db() as db:
            row = db.execute("SELECT story_id FROM members WHERE article_id = ?", (article_id,)).fetchone()
        found = self.get(row[0]) if row else None
        return found[0] if found else None


def _first_chunks(store: ChromaStore) -> Iterator[tuple[str, dict[str, Any]]]:
    for _, meta in store.metadatas({"chunk_index": 0}):
        if meta.get("article_id"):
            yield str(meta["article_id"]), meta


def _leads(store: ChromaStore, article_ids: Sequence[str]) -> list[Lead]:
    """The first passages of these articles with their stored vectors, entities and member rows."""
    leads: list[Lead] = []
    for start in range(0, len(article_ids), _BATCH):
        ids = [f"{aid}:0" for aid in article_ids[start : start + _BATCH]]
        got = _read_vectors(store, ids)
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        for meta, text, vector in zip(got["metadatas"] or [], got["documents"] or [], vectors, strict=False):
            m = dict(meta or {})
            title, text = str(m.get("title", "")), text or ""
            day = int(m.get("published_day", UNDATED))
            ents = entities(title, text)
            row = (
                None if day == UNDATED else day,
                str(m.get("published_at", "") or ""),
                title,
                str(m.get("source", "")),
                web_link(m.get("url")),
                str(m.get("file_path", "")),
                key_sentence(title, text),
                " ".join(sorted(ents)),
                str(m.get("content_hash", "")),
            )
            leads.append(Lead(str(m["article_id"]), [float(x) for x in vector], row[0], ents, row))
    return leads


def _read_vectors(store: ChromaStore, ids: list[str]) -> Any:
    from chromadb.errors import InternalError

    def read() -> Any:
        return store.collection.get(ids=ids, include=["metadatas", "documents", "embeddings"])  # type: ignore[list-item]

    try:
        return read()
    except InternalError:  # an embedded client that never loaded vectors another process wrote
        if not store.refresh():
            raise
        return read()


def _placed(db: sqlite3.Connection, near: list[tuple[str, float]], article_id: str) -> list[tuple[Placed, float]]:
    """The nearest leads already in a story, best first, with their similarity."""
    ids = [chunk_id.rpartition(":")[0] for chunk_id, _ in near]
    ids = [aid for aid in ids if aid != article_id]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    found = {
        aid: Placed(story, day, frozenset(ents.split()))
        for aid, story, day, ents in db.execute(
            f"SELECT article_id, story_id, day, entities FROM members WHERE article_id IN ({marks})", ids
        )
    }
    return [(found[cid.rpartition(":")[0]], sim) for cid, sim in near if cid.rpartition(":")[0] in found]


def _new_story_id(db: sqlite3.Connection, article_id: str) -> str:
    """A story id made from its first article's id: the same grouping gives the same ids."""
    n = 0
    while True:
        seed = article_id if n == 0 else f"{article_id}\0{n}"
        story_id = "s" + hashlib.sha1(seed.encode()).hexdigest()[:12]
        taken = "SELECT 1 FROM stories WHERE story_id = ? UNION SELECT 1 FROM members WHERE story_id = ?"
        if db.execute(taken, (story_id, story_id)).fetchone() is None:
            return story_id
        n += 1


def _relabel(db: sqlite3.Connection, story_id: str) -> None:
    first, last = db.execute(
        "SELECT min(published_at), max(published_at) FROM members WHERE story_id = ? AND day IS NOT NULL",
        (story_id,),
    ).fetchone()
    total = db.execute("SELECT count(*) FROM members WHERE story_id = ?", (story_id,)).fetchone()[0]
    if not total:
        db.execute("DELETE FROM stories WHERE story_id = ?", (story_id,))
        return
    (label,) = db.execute(
        "SELECT title FROM members WHERE story_id = ? ORDER BY day IS NULL, day, article_id LIMIT 1", (story_id,)
    ).fetchone()
    db.execute(
        "INSERT INTO stories VALUES (?,?,?,?,?) ON CONFLICT (story_id) DO UPDATE SET "
        "label = excluded.label, first = excluded.first, last = excluded.last, size = excluded.size",
        (story_id, label, first or None, last or None, total),
    )


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
