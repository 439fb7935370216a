"""Subprocess helper for the story kill test: group a data dir's articles, killed half way.

    python -m tests.index.crash_stories DATA_DIR KILL_AT

Opens the data dir's index (fake embedder, stories on) and runs ``Stories.update``; the
``KILL_AT``-th nearest-lead lookup sends the process SIGKILL, so the update dies the way a
killed ``newsrag ingest`` does: mid-transaction, no rollback run, no cleanup.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder


def main() -> None:
    data_dir, kill_at = Path(sys.argv[1]), int(sys.argv[2])
    rag = NewsRAG(Settings(data_dir=data_dir, backend="extractive"), embedder=FakeEmbedder())
    real = rag.store.nearest_ids
    calls = 0

    def nearest(*args: Any, **kwargs: Any) -> list[tuple[str, float]]:
        nonlocal calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    rag.store.__dict__["nearest_ids"] = nearest
    rag.stories.update()


if __name__ == "__main__":
    main()
