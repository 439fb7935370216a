"""The Python API: one object that ingests articles and answers questions about them.

    from rag import NewsRAG
    rag = NewsRAG()                      # settings from env / newsrag.toml / defaults
    rag.ingest(["articles/"])
    answer = rag.ask("How long is the proposed truce?")
    for piece in rag.stream("Who mediates?"):   # text pieces, then the final Answer
        ...

Parts are built on first use through the factory (nothing heavy at construction). Ingest
runs take an exclusive lock file in the data dir, so two processes never write at once.
The CLI, UI and server are thin layers over this object.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from index.embed import Embedder, LlamaIndexEmbedding
from index.errors import NewsragError
from index.ingest import Progress, ingest_paths, remove_paths
from index.store import ArticleInfo, ChromaStore
from index.types import IngestReport
from rag import factory
from rag.answer import AnswerEngine, History
from rag.generator import Generator
from rag.retrieve import HybridRetriever
from rag.settings import Settings, load_settings
from rag.types import Answer, Retrieved

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "index" / "samples"

# Offline by default: these libraries otherwise phone home or try the Hugging Face hub.
for _var, _val in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_var, _val)


class NewsRAG:
    """Ingest news articles and answer questions about them with verified citations."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        generator: Generator | None = None,
        **overrides: Any,
    ) -> None:
        """Settings as given (or loaded); ``embedder``/``generator`` replace the configured ones."""
        self.settings = settings if settings is not None else load_settings(**overrides)
        self.backend, self.backend_reason = factory.resolve_backend(self.settings)
        if embedder is not None:
            self.__dict__["embedder"] = embedder
        if generator is not None:
            self.__dict__["generator"] = generator
            self.backend, self.backend_reason = generator.name, "a generator was passed to NewsRAG"

    @cached_property
    def embedder(self) -> Embedder:
        return factory.make_embedder(self.settings)

    @cached_property
    def store(self) -> ChromaStore:
        return factory.make_store(self.settings, self.embedder)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return factory.make_retriever(self.settings, self.store, self.embedder)

    @cached_property
    def generator(self) -> Generator:
        return factory.make_generator(self.settings, self.backend)

    @cached_property
    def engine(self) -> AnswerEngine:
        s = self.settings
        return AnswerEngine(
            self.retriever,
            self.generator,
            self.embedder,
            self.store.count,
            top_k=s.top_k,
            min_similarity=s.min_similarity,
            max_tokens=s.max_answer_tokens,
            max_question_chars=s.max_question_chars,
        )

    # Ingest side

    def ingest(
        self, paths: Iterable[str | Path], prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Add or update articles from files and folders; unchanged files are skipped."""
        with self._ingest_lock():
            report = ingest_paths(
                paths,
                self.store,
                factory.make_text_splitter(self.settings),
                LlamaIndexEmbedding(self.embedder),
                prune=prune,
                progress=progress,
            )
        self.retriever.generation += 1
        return report

    def ingest_samples(self, progress: Progress | None = None) -> IngestReport:
        """Ingest the built-in sample articles."""
        return self.ingest([SAMPLES_DIR], progress=progress)

    def remove(self, paths: Iterable[str | Path]) -> list[str]:
        """Drop the articles of these files (or of every file under these folders)."""
        with self._ingest_lock():
            removed = remove_paths(paths, self.store)
        self.retriever.generation += 1
        return removed

    def remove_articles(self, article_ids: Sequence[str]) -> int:
        with self._ingest_lock():
            removed = self.store.remove_articles(article_ids)
        self.retriever.generation += 1
        return removed

    def articles(self) -> list[ArticleInfo]:
        return self.store.articles()

    # Query side

    def ask(self, question: str, history: History | None = None, top_k: int | None = None) -> Answer:
        """Answer a question from the ingested articles, with verified citations.

        ``history`` holds earlier (question, answer) pairs of the conversation, oldest first.
        """
        return self.engine.ask(question, history or (), top_k)

    def stream(
        self, question: str, history: History | None = None, top_k: int | None = None, verified: bool = False
    ) -> Iterator[str | Answer]:
        """Yield the answer's text pieces, then the final ``Answer``.

        Pieces are raw model tokens; with ``verified=True`` they are whole verified sentences
        whose [n] markers match the final citations (the text arrives a sentence later).
        """
        return self.engine.stream(question, history or (), top_k, verified)

    def events(
        self, question: str, history: History | None = None, top_k: int | None = None, verified: bool = False
    ) -> Iterator[Retrieved | str | Answer]:
        """Like ``stream``, with a ``Retrieved`` item (search query, passages) before the text."""
        return self.engine.events(question, history or (), top_k, verified)

    def info(self) -> dict[str, Any]:
        s = self.settings
        return {
            "data_dir": str(s.data_dir.resolve()),
            "store": factory.store_location(s),
            "collection": s.collection,
            "chunks": self.store.count(),
            "articles": len(self.store.articles()),
            "embedder": self.embedder.name,
            "retrieval": f"{s.retrieval_mode}, top {s.top_k}",
            "backend": self.backend,
            "generator": self.generator.name,
            "backend_reason": self.backend_reason,
        }

    @contextmanager
    def _ingest_lock(self) -> Iterator[None]:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock_path = self.settings.data_dir / "ingest.lock"
        try:
            handle = lock_path.open("w")
        except OSError as err:
            raise NewsragError(
                f"cannot write to the data dir {self.settings.data_dir}: {err.strerror}: "
                "fix its permissions or set NEWSRAG_DATA_DIR"
            ) from err
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # waits for another ingest to finish
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
