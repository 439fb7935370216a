"""The Python API: one object that ingests articles and answers questions about them.

    from rag import NewsRAG
    rag = NewsRAG()                      # settings from env / newsrag.toml / defaults
    rag.ingest(["articles/"])
    answer = rag.ask("How long is the proposed truce?")
    for piece in rag.stream("Who mediates?"):   # text pieces, then the final Answer
        ...
    rag.doctor(repair=True)              # check the index, re-ingest incomplete files

Parts are built on first use through the factory (nothing heavy at construction). Ingest
runs take an exclusive lock file in the data dir, so two processes never write at once.
Unreadable, read-only or full storage becomes a one-line ``StorageError`` naming the fix.
The CLI, UI and server are thin layers over this object.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from index.doctor import Diagnosis, DoctorReport, Finding
from index.embed import Embedder, LlamaIndexEmbedding, token_counter
from index.errors import NewsragError, storage_error
from index.ingest import EMBED_GROUP, Progress, ingest_paths, remove_paths
from index.store.collection import ArticleInfo, ChromaStore
from index.types import IngestReport
from rag import factory
from rag.answer import AnswerEngine, History
from rag.generate.gate import AnswerGate
from rag.generate.generator import Generator
from rag.retrieve.hybrid import HybridRetriever
from rag.settings import Settings, load_settings
from rag.types import Answer, Queued, Retrieved

if TYPE_CHECKING:
    from rag.live import LiveNews
    from rag.stories import Stories

T = TypeVar("T")

# Embedding group while answers go first: ~1-3 s of embedding on 2 cores, so a question that
# arrives mid-group waits about that long before the model has the CPU to itself.
YIELD_GROUP = 32

# The built-in sample articles ship inside the ``index`` package (package data).
SAMPLES_DIR = Path(str(resources.files("index").joinpath("samples")))


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
        factory.offline_environment()  # at the entry point, not at import: importing changes nothing
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
    def gate(self) -> AnswerGate:
        """The line answers wait in; uploads yield to it (built without loading any model)."""
        return factory.make_gate(self.settings, self.backend)

    @cached_property
    def live(self) -> LiveNews:
        """Web pages and feeds (``rag.live``); what they fetch is stored by ``ingest``."""
        from rag.live import LiveNews  # httpx, feedparser, trafilatura: only when used

        return LiveNews(self)

    @cached_property
    def stories(self) -> Stories:
        """Articles grouped by the event they report (``rag.stories``), kept up to date by every ingest."""
        from rag.stories import Stories

        return Stories(self.settings, lambda: self.store, self._ingest_lock)

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
            gate=self.gate,
            context_tokens=s.context_tokens,
            checks=factory.make_checks(s),
            split_questions=s.split_questions,
            trim_short_answers=s.trim_short_answers,
            count_tokens=token_counter() if s.context_tokens else None,
            timeline_max_points=s.timeline_max_points if s.timeline_answers else 0,
            flag_stale=s.flag_stale_answers,
            stories=self.stories if s.stories else None,
            first_try=s.first_try,
        )

    # Ingest side

    def ingest(
        self,
        paths: Iterable[str | Path],
        prune: bool = False,
        progress: Progress | None = None,
        *,
        max_file_chunks: int | None = None,
        max_chunks: int | None = None,
        answers_first: float = 0.0,
        on_embed: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Add or update articles from files and folders; unchanged files are skipped.

        ``max_file_chunks``/``max_chunks``: the upload caps (see ``ingest_paths``). ``answers_first``:
        before each file and small embedding group, wait up to this many seconds while answers
        hold a model that answers one at a time (a big ingest cannot starve answering).
        ``on_embed`` hears the passages of each embedding group before it is embedded (0 before each file).
        """
        yields = answers_first > 0 and self.gate.slots is not None  # an open gate has no line to wait for
        pause = on_embed
        if yields:
            gate = self.gate

            def yielding(count: int) -> None:
                gate.wait_idle(answers_first)  # bounded: a stream of questions slows an upload, never stops it
                if on_embed is not None:
                    on_embed(count)

            pause = yielding

        with self._ingest_lock(), self._storage_faults():
            report = ingest_paths(
                paths,
                self.store,
                factory.make_text_splitter(self.settings),
                LlamaIndexEmbedding(self.embedder),
                prune=prune,
                progress=progress,
                index_dir=None if self.settings.chroma_url else self.settings.chroma_path,
                max_file_chunks=max_file_chunks,
                max_chunks=max_chunks,
                pause=pause,
                embed_group=YIELD_GROUP if yields else EMBED_GROUP,
            )
            self.stories.update()
        self.retriever.generation += 1
        return report

    def ingest_samples(self, progress: Progress | None = None) -> IngestReport:
        """Ingest the built-in sample articles."""
        return self.ingest([SAMPLES_DIR], progress=progress)

    def remove(self, paths: Iterable[str | Path]) -> list[str]:
        """Drop the articles of these files (or of every file under these folders)."""
        with self._ingest_lock(), self._storage_faults():
            removed = remove_paths(paths, self.store)
            self.stories.update()
        self.retriever.generation += 1
        return removed

    def remove_articles(self, article_ids: Sequence[str]) -> int:
        """Delete articles for good: re-ingesting their file leaves them out; the chunks removed.

        An upload none of whose articles is left is deleted from the uploads folder too (it holds
        the text); a file of yours elsewhere is never touched.
        """
        with self._ingest_lock(), self._storage_faults():
            removed = self.store.remove_articles(article_ids)
            uploads = self.upload_dir.resolve()
            for path in removed:
                if path and Path(path).is_relative_to(uploads) and not self.store.holds_file(path):
                    Path(path).unlink(missing_ok=True)
            self.stories.update()
        self.retriever.generation += 1
        return sum(removed.values())

    @property
    def upload_dir(self) -> Path:
        """Where the UI and the API keep uploaded files (their articles' source)."""
        return self.settings.data_dir / "uploads"

    def articles(self) -> list[ArticleInfo]:
        with self._storage_faults():
            return self.store.articles()

    # Query side

    def ask(
        self, question: str, history: History | None = None, top_k: int | None = None, as_of: date | None = None
    ) -> Answer:
        """Answer a question from the ingested articles, with verified citations.

        ``history`` holds earlier (question, answer) pairs of the conversation, oldest first.
        ``as_of`` is the date the question is asked at: articles published in the
        ``recency_days`` before it rank higher (none: dates are not used).
        """
        with self._storage_faults():
            return self.engine.ask(question, history or (), top_k, as_of)

    def stream(
        self,
        question: str,
        history: History | None = None,
        top_k: int | None = None,
        verified: bool = False,
        as_of: date | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text pieces, then the final ``Answer``.

        Pieces are raw model tokens; with ``verified=True`` they are whole verified sentences
        whose [n] markers match the final citations (the text arrives a sentence later).
        """
        return self._faults_in(self.engine.stream(question, history or (), top_k, verified, as_of))

    def events(
        self,
        question: str,
        history: History | None = None,
        top_k: int | None = None,
        verified: bool = False,
        as_of: date | None = None,
    ) -> Iterator[Retrieved | Queued | str | Answer]:
        """Like ``stream``, with a ``Retrieved`` item (search query, passages) before the text.

        While other answers hold the model, ``Queued`` items say how many are ahead.
        """
        return self._faults_in(self.engine.events(question, history or (), top_k, verified, as_of))

    def info(self) -> dict[str, Any]:
        with self._storage_faults():
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

    # Upkeep

    def doctor(
        self, repair: bool = False, rebuild: bool = False, prune: bool = False, paths: Sequence[str | Path] = ()
    ) -> DoctorReport:
        """Check the data dir and the index; with ``repair``/``rebuild``, fix what can be fixed.

        ``repair`` re-ingests incomplete files (``prune``: and drops files that are gone);
        ``rebuild`` moves an unreadable index aside and re-ingests its files and ``paths``.
        """
        from index import recover

        if self.settings.chroma_url:
            return self._doctor_server(repair, rebuild, prune)
        if not (repair or rebuild):
            return DoctorReport(self._diagnose().findings)
        with ExitStack() as stack:
            try:
                stack.enter_context(self._ingest_lock())
            except NewsragError as err:  # read-only or full data dir: report, change nothing
                diag = self._diagnose()
                why = "the data dir cannot be written (see above)" if not diag.writable else str(err)
                return DoctorReport([*diag.findings, Finding("problem", f"nothing repaired: {why}")])
            before = self._diagnose()  # under the lock: no ingest is half way through
            actions: list[Finding] = []
            splitter = factory.make_text_splitter(self.settings)
            embed_model = LlamaIndexEmbedding(self.embedder)
            if rebuild and (before.broken or before.mismatch or before.leftovers):
                self._forget_store()
                s = self.settings
                actions += recover.rebuild(
                    s.data_dir, s.collection, self.embedder.name, splitter, embed_model, before, paths
                )
            elif before.broken or before.mismatch:
                actions.append(Finding("problem", "cannot repair this index in place: use `--rebuild`"))
            elif before.store is None and not before.healthy:  # not damaged files: permissions, space…
                actions.append(Finding("problem", "nothing changed: fix the problems above first"))
            else:
                if rebuild:
                    actions.append(Finding("ok", "nothing to rebuild: the index opens and reads"))
                if repair and before.store is not None:
                    actions += recover.repair(before, splitter, embed_model, prune, self.settings.chroma_path)
            self._forget_store()
            after = self._diagnose()
        remaining = [Finding(f.level, f"after repair: {f.message}") for f in after.findings if f.bad]
        healthy = after.healthy and not any(a.bad for a in actions)
        return DoctorReport([*before.findings, *actions, *remaining], healthy)

    def _diagnose(self) -> Diagnosis:
        from index.doctor import diagnose

        s = self.settings
        return diagnose(s.data_dir, s.collection, self.embedder.name)

    def _doctor_server(self, repair: bool, rebuild: bool, prune: bool) -> DoctorReport:
        """On a Chroma server only the collection can be checked and repaired; its files are the server's."""
        from index import recover
        from index.doctor import check_files, check_web

        diag = Diagnosis()
        try:
            diag.store = self.store
            diag.states = self.store.file_states()
            diag.deleted = self.store.deleted.records()
        except NewsragError as err:
            return DoctorReport([Finding("problem", str(err))])
        check_files(diag.states, diag)
        check_web(self.settings.data_dir / "web", diag)
        if rebuild:
            diag.add("problem", "--rebuild works on the embedded index only: the Chroma server keeps its own files")
        if repair:
            with self._ingest_lock():
                diag.findings += recover.repair(
                    diag, factory.make_text_splitter(self.settings), LlamaIndexEmbedding(self.embedder), prune
                )
        return DoctorReport(diag.findings)

    def _forget_store(self) -> None:
        """Drop the cached store and what reads from it; the next use reopens the index."""
        from index.store.clients import release_client

        for name in ("store", "retriever", "engine"):
            self.__dict__.pop(name, None)
        if not self.settings.chroma_url:
            release_client(self.settings.chroma_path)

    @contextmanager
    def _storage_faults(self) -> Iterator[None]:
        """Failures of the embedded index's files become one-line errors that name the fix."""
        from chromadb.errors import ChromaError

        try:
            yield
        except NewsragError:
            raise
        except (OSError, ChromaError) as err:
            if self.settings.chroma_url:
                raise
            raise storage_error(err, self.settings.chroma_path, self.settings.chroma_path) from err

    def _faults_in(self, items: Iterator[T]) -> Iterator[T]:
        with self._storage_faults():
            yield from items

    @contextmanager
    def _ingest_lock(self) -> Iterator[None]:
        lock_path = self.settings.data_dir / "ingest.lock"
        try:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            handle = lock_path.open("w")
        except OSError as err:
            raise storage_error(err, f"the data dir {self.settings.data_dir}") from err
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # waits for another ingest to finish
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
