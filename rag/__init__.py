"""Query side of newsrag and its public API: settings, retrieval, generation, citations.

``from rag import NewsRAG`` is the entry point for other Python programs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.api import NewsRAG


def __getattr__(name: str) -> Any:
    # Lazy, so `import rag.settings` (and the CLI's --help) does not pull in the models.
    if name == "NewsRAG":
        from rag.api import NewsRAG

        return NewsRAG
    raise AttributeError(name)


__all__ = ["NewsRAG"]
