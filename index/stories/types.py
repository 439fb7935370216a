"""What a story is at the public boundary: plain frozen dataclasses, no SQLite rows.

It leaves out how stories are made (``group``) and kept (``table``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Story:
    """Articles reporting one developing event: a label, the date range, the members by date."""

    story_id: str
    label: str
    first: date | None
    last: date | None
    article_ids: tuple[str, ...]


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
