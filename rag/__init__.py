"""Query side of newsrag and its public API: settings, retrieval, generation, citations.

``from rag import NewsRAG`` is the entry point for other Python programs; the errors it raises
are importable from here too (``from rag import NewsragError``: every error newsrag raises on
purpose is one, with a message that says how to fix the problem).

The pipeline's places: ``retrieve/`` (find passages), ``generate/`` (prompt a model, or the
extractive backend), ``verify/`` (check citations, refuse non-answers), with ``answer.py``
running them in order, ``api.py`` (``NewsRAG``), ``factory.py`` (parts from settings),
``settings.py``, ``types.py`` (the public types) and ``cli/`` at the top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from index.errors import (
    BackendUnavailableError,
    ConfigError,
    EmptyIndexError,
    IndexDamagedError,
    IndexMismatchError,
    InputError,
    LimitError,
    LLMError,
    ModelError,
    NewsragError,
    QuestionError,
    StorageError,
    StoreUnavailableError,
)

if TYPE_CHECKING:
    from rag.api import NewsRAG


def __getattr__(name: str) -> Any:
    # Lazy, so `import rag.settings` (and the CLI's --help) does not pull in the models.
    if name == "NewsRAG":
        from rag.api import NewsRAG

        return NewsRAG
    raise AttributeError(name)


__all__ = [
    "BackendUnavailableError",
    "ConfigError",
    "EmptyIndexError",
    "IndexDamagedError",
    "IndexMismatchError",
    "InputError",
    "LLMError",
    "LimitError",
    "ModelError",
    "NewsRAG",
    "NewsragError",
    "QuestionError",
    "StorageError",
    "StoreUnavailableError",
]
