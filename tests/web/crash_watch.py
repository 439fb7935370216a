"""Subprocess helper for the watch crash test: follow one feed and refresh it, then exit or keep watching.

    python -m tests.web.crash_watch DATA_DIR FEED_URL [--once]

Real on-disk Chroma, the real fetcher, parser, extraction and ingest; the embedder is the
fake one slowed a little so a kill lands while pages are fetched, saved or embedded. Without
``--once`` it runs ``LiveNews.watch`` (what ``newsrag watch`` runs) until killed.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder


class SlowFakeEmbedder(FakeEmbedder):
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        time.sleep(0.05)
        return super().embed(texts)


def main() -> None:
    data_dir, feed = Path(sys.argv[1]), sys.argv[2]
    settings = Settings(
        data_dir=data_dir,
        backend="extractive",
        fetch_allow_private=True,
        fetch_host_delay=0.0,
        feed_max_items=1000,
        embed_batch_size=4,
    )
    rag = NewsRAG(settings, embedder=SlowFakeEmbedder())
    rag.live.add_feed(feed, "1m")
    if "--once" in sys.argv:
        done = rag.live.refresh(due_only=False)
        print(f"stored {sum(f.stored for f in done.feeds)}")
        return
    rag.live.watch(threading.Event())


if __name__ == "__main__":
    main()
