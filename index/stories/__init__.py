"""Stories: stored articles that report the same developing event, grouped as they are ingested.

``types`` (``Story``, ``StoryArticle``), ``entities`` (named entities and the key sentence of an
article's lead, by a transparent heuristic), ``group`` (the pure decision: does an article join
a story, shared by the product and ``evals.stories``), ``table`` (the SQLite record under the
data dir and ``StoryTable.update``, which brings it in line with the index). Nothing here embeds:
grouping reads the vectors Chroma already holds.
"""

from index.stories.group import Thresholds
from index.stories.table import StoryTable
from index.stories.types import Story, StoryArticle

__all__ = ["Story", "StoryArticle", "StoryTable", "Thresholds"]
