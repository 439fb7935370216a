"""Subprocess helper for the crash tests: ingest a folder into a data dir, then exit.

    python -m tests.index.crash_ingest DATA_DIR FOLDER

Real on-disk Chroma and the real ingest pipeline; the embedder is the fake one with a short
pause per batch, so an ingest lasts a few seconds and a kill lands at varied points (parsing,
embedding, writing). Prints one JSON line with the ingest report's counts.
"""

from __future__ import annotations

import json
import sys
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
    data_dir, folder = Path(sys.argv[1]), Path(sys.argv[2])
    rag = NewsRAG(Settings(data_dir=data_dir, backend="extractive", embed_batch_size=16), embedder=SlowFakeEmbedder())
    report = rag.ingest([folder])
    print(json.dumps({"files": len(report.files), "failed": len(report.failed), "chunks": rag.store.count()}))


if __name__ == "__main__":
    main()
