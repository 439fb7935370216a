"""What a story is at the public boundary: plain frozen dataclasses, no SQLite rows.

It leaves out how stories are made (``group``) and kept (``table``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Story:
    """Articles reporting one developing event: a label, the date range, the members by date."""

    story_id: str
    label: str
    first: date | None
    last: date | None
    article_ids: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """The story as JSON (dates as ISO strings, ``articles``: how many), for the CLI and the API."""
        return {
            "story_id": self.story_id,
            "label": self.label,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "articles": len(self.article_ids),
            "article_ids": list(self.article_ids),
        }


@dataclass(frozen=True)
class StoryArticle:
    """One article of a story as a timeline shows it."""

    article_id: str
    title: str
    source: str
    url: str
    published_at: str  # YYYY-MM-DD, or "" when the article has no date
    key_sentence: str
    file_path: str
