"""``NewsRAG.stories``: the stories of a corpus, read and kept up to date.

    rag.stories.list("ceasefire")        # stories newest first; every word must match
    rag.stories.get(story_id)            # (Story, its articles by date) or None
    rag.stories.story_of(article_id)     # the story an article belongs to
    rag.stories.rebuild()                # regroup the whole index (after changing the thresholds)

``NewsRAG`` calls ``update`` under its ingest lock after every ingest and deletion, so the
table follows the index; the thresholds come from the settings (``story_*``), and
``NEWSRAG_STORIES=false`` turns grouping off (reading then says how to turn it on). The work is
``index.stories``'; this module only wires it to the settings and the lock.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from contextlib import AbstractContextManager

from index.errors import InputError
from index.store.collection import ChromaStore
from index.stories import Story, StoryArticle, StoryTable, Thresholds
from index.stories.table import FILE_NAME, UpdateReport
from rag.settings import Settings


class Stories:
    """The stories of one ``NewsRAG`` (its data dir's ``stories.sqlite3``)."""

    def __init__(
        self, settings: Settings, store: Callable[[], ChromaStore], lock: Callable[[], AbstractContextManager[None]]
    ) -> None:
        self.settings = settings
        self._store = store
        self._lock = lock
        self.table = StoryTable(settings.data_dir / FILE_NAME)

    @property
    def limits(self) -> Thresholds:
        s = self.settings
        return Thresholds(s.story_similarity, s.story_min_shared_entities, s.story_window_days)

    def update(self) -> UpdateReport | None:
        """Bring the table in line with the index; the caller holds the ingest lock. None when off."""
        if not self.settings.stories:
            return None
        return self.table.update(self._store(), self.limits)

    def rebuild(self) -> UpdateReport:
        """Forget every story and regroup the whole index with the current thresholds."""
        self._check_on()
        with self._lock():
            return self.table.update(self._store(), self.limits, rebuild=True)

    def list(self, search: str | None = None, min_articles: int = 1) -> list[Story]:
        """Stories newest first; ``search``: every word in its headlines, key sentences or names."""
        self._check_on()
        return self.table.list(search, min_articles)

    def get(self, story_id: str) -> tuple[Story, builtins.list[StoryArticle]] | None:
        """A story and its articles by date, or None when there is no such story."""
        self._check_on()
        return self.table.get(story_id)

    def story_of(self, article_id: str) -> Story | None:
        self._check_on()
        return self.table.story_of(article_id)

    def members(self, article_id: str) -> builtins.list[tuple[str, str]]:
        """``rag.timeline.StoryLookup``: (article id, ISO date) of the article's whole story,
        oldest first; [] when it is in no story (or stories are off)."""
        story = self.table.story_of(article_id) if self.settings.stories else None
        found = self.table.get(story.story_id) if story is not None else None
        return [(a.article_id, a.published_at) for a in found[1]] if found else []

    def _check_on(self) -> None:
        if not self.settings.stories:
            raise InputError("stories are off: set NEWSRAG_STORIES=true, then run `newsrag stories --rebuild`")
