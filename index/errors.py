"""Every error newsrag raises on purpose, in one place.

Each subclass carries a message that tells the user how to fix the problem. Only the entry
points (CLI, UI, API) turn these into user-facing text; library code raises them and never
prints. Programming errors are not wrapped: they stay ordinary exceptions with tracebacks.
"""

from __future__ import annotations


class NewsragError(Exception):
    """Base class: a problem the user can fix; ``str(err)`` is a one-line hint."""


class ConfigError(NewsragError):
    """A setting is missing, invalid or inconsistent."""


class InputError(NewsragError):
    """A file, record or question that cannot be used as given."""


class QuestionError(InputError):
    """The question is empty or too long."""


class LimitError(InputError):
    """A request is over a configured limit (question length, upload size or count)."""


class QuestionTooLongError(QuestionError, LimitError):
    """The question is longer than ``max_question_chars``."""


class EmptyIndexError(NewsragError):
    """Asked a question before anything was ingested."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "the index is empty: run `newsrag ingest PATH` (or `newsrag ingest --samples`) first"
        )


class IndexMismatchError(NewsragError):
    """The stored index was built with a different embedder than the one configured."""


class StoreUnavailableError(NewsragError):
    """The Chroma server cannot be reached or refused the request."""


class ModelError(NewsragError):
    """A bundled or configured model is missing, corrupt or failed to load."""


class BackendUnavailableError(NewsragError):
    """An optional backend was chosen but its package is not installed."""


class LLMError(NewsragError):
    """The language model endpoint failed (down, timeout, bad reply)."""
