"""Keep chunks and their vectors in Chroma, file by file.

A thin layer over one Chroma collection (of a client from ``clients``: embedded under the
data dir or of a Chroma server; or any client passed in) and llama-index's
``ChromaVectorStore`` (for its record layout). Dense search asks Chroma for ids and distances;
the caller keeps the chunks (``all_chunks``). The collection is the only record of
what was ingested: every chunk carries its file's path, content hash and chunk count, so
"is this file unchanged and complete?" is answered from the index itself and cannot drift
from a separate manifest; articles deleted by hand are recorded beside it, in Chroma too
(``deletions``). The collection remembers which embedder built it and refuses a
different one. A server that cannot be reached, at connection or later, becomes a
``StoreUnavailableError`` with a one-line fix.

It does not chunk, embed, or decide what to ingest (``ingest`` does), and it does not open
clients (``clients`` does) or start, secure or time out a Chroma server: that is the
server's (or a proxy's) job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx
import numpy as np
from llama_index.core.schema import BaseNode, MetadataMode, TextNode
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from llama_index.vector_stores.chroma import ChromaVectorStore

from index.errors import IndexMismatchError, StoreUnavailableError
from index.store.clients import public_url, unreachable
from index.store.deletions import DeletionLog
from index.types import web_link

_PAGE = 5000
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class FileState:
    """What the index holds for one source file."""

    file_hash: str
    chunks: int
    expected: int
    pipeline: str = ""  # how the chunks were made (see ``ingest.pipeline_id``)
    deleted: int = 0  # articles of the file deleted by hand (``deletions``): left out, not missing
    pending: int = 0  # chunks of those articles still stored: a deletion stopped half way

    @property
    def complete(self) -> bool:
        return self.chunks == self.expected and not self.pending


@dataclass(frozen=True)
class ArticleInfo:
    """One stored article, for listings."""

    article_id: str
    title: str
    source: str
    url: str
    published_at: str
    file_path: str
    chunks: int


def _reachable(method: Callable[Concatenate[ChromaStore, P], R]) -> Callable[Concatenate[ChromaStore, P], R]:
    """Turn a Chroma server lost mid-run into a one-line error instead of an httpx traceback."""

    @functools.wraps(method)
    def wrapper(self: ChromaStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except httpx.TransportError as err:
            raise StoreUnavailableError(unreachable(self.location, err)) from err

    return wrapper


class ChromaStore:
    """Chunks of articles in one Chroma collection."""

    def __init__(
        self,
        client: Any,
        collection: str,
        embedder_name: str,
        location: str = "",
        reopen: Callable[[], Any] | None = None,
    ) -> None:
        """``location`` (a server URL) names the server in errors; ``reopen`` makes a fresh client
        of an embedded index (see ``refresh``)."""
        self._client = client
        self._reopen = reopen
        self.location = public_url(location) if location else "the configured URL"
        self._open(collection, embedder_name)
        # Chroma refuses larger writes (5,461 on these builds); one big JSONL file exceeds it.
        self.max_batch = int(client.get_max_batch_size())

    def _open(self, collection: str, embedder_name: str) -> None:
        self.collection = self._client.get_or_create_collection(
            collection,
            embedding_function=None,  # never let chromadb fetch its default ONNX model
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": embedder_name},
        )
        built_with = (self.collection.metadata or {}).get("embedder")
        if built_with and built_with != embedder_name:
            raise IndexMismatchError(
                f"the index was built with {built_with} but {embedder_name} is configured: "
                "use the same embedder, or a new NEWSRAG_DATA_DIR/NEWSRAG_COLLECTION and re-ingest"
            )
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)
        self.deleted = DeletionLog(self._client, collection)

    def refresh(self) -> bool:
        """Reopen an embedded index to see what another process wrote since it was opened.

        An embedded Chroma client keeps the vectors it loaded: after another process (a
        ``newsrag ingest`` beside a running ``serve``) adds chunks, it counts and lists them
        but fails to return their vectors. Returns False for a server (always current).
        """
        if self._reopen is None:
            return False
        meta = self.collection.metadata or {}
        self._client = self._reopen()
        self._open(self.collection.name, str(meta.get("embedder", "")))
        return True

    @_reachable
    def count(self) -> int:
        return int(self.collection.count())

    def metadatas(self, where: dict[str, Any] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        offset = 0
        while True:
            page = self.collection.get(where=where, include=["metadatas"], limit=_PAGE, offset=offset)
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=False):
                yield chunk_id, dict(meta or {})
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    @_reachable
    def file_states(self) -> dict[str, FileState]:
        """Every stored file with its content hash and whether all its chunks are present."""
        deleted = self.deleted.by_file()
        seen: dict[str, tuple[set[str], int, int, set[str], int]] = {}
        for _, meta in self.metadatas():
            path = str(meta.get("file_path", ""))
            hashes, n, expected, pipes, pending = seen.get(path, (set(), 0, 0, set(), 0))
            hashes.add(str(meta.get("file_hash", "")))
            pipes.add(str(meta.get("pipeline", "")))
            pending += str(meta.get("content_hash", "")) in deleted.get(path, {})
            seen[path] = (hashes, n + 1, max(expected, int(meta.get("file_chunks", 0) or 0)), pipes, pending)
        return {
            path: FileState(_only(h), n, exp, _only(p), len(deleted.get(path, {})), pending)
            for path, (h, n, exp, p, pending) in seen.items()
        }

    @_reachable
    def replace_file(
        self, file_path: str, nodes: Sequence[BaseNode], pipeline: str = "", in_place: frozenset[str] = frozenset()
    ) -> None:
        """Store a file's chunks in place of whatever the index held for it.

        ``in_place``: ids of chunks already stored under the same id with the same embedded
        text and vector; only their metadata is rewritten (no vector index work).

        New chunks are upserted first and only then are the file's stale ones deleted, so a
        failed write (disk full, server gone) leaves the old version answerable instead of
        nothing. A crash in between leaves chunks of two versions or too few chunks; the
        next ingest sees the file as changed or incomplete and redoes it.
        """
        for node in nodes:
            node.metadata["file_chunks"] = len(nodes)
            node.metadata["pipeline"] = pipeline
        old_ids = {chunk_id for chunk_id, _ in self.metadatas({"file_path": file_path})}
        new_ids: set[str] = set()
        for start in range(0, len(nodes), self.max_batch):  # Chroma caps the records per write
            batch = list(nodes[start : start + self.max_batch])
            moved = [node for node in batch if node.node_id not in in_place]
            kept = [node for node in batch if node.node_id in in_place]
            if moved:
                self.collection.upsert(**self._records(moved))
            if kept:  # same id, text and vector: only the metadata (file hash, counts) changed
                records = self._records(kept)
                self.collection.update(ids=records["ids"], metadatas=records["metadatas"])
            new_ids.update(node.node_id for node in batch)
        stale = sorted(old_ids - new_ids)
        for start in range(0, len(stale), self.max_batch):
            self.collection.delete(ids=stale[start : start + self.max_batch])

    def _records(self, nodes: Sequence[BaseNode]) -> dict[str, Any]:
        """Chroma records for nodes, in the layout llama-index's ChromaVectorStore reads back."""
        metadatas = []
        for node in nodes:
            meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=self.vector_store.flat_metadata)
            metadatas.append({k: ("" if v is None else v) for k, v in meta.items()})
        return {
            "ids": [node.node_id for node in nodes],
            "embeddings": [node.get_embedding() for node in nodes],
            "metadatas": metadatas,
            "documents": [node.get_content(metadata_mode=MetadataMode.NONE) for node in nodes],
        }

    @_reachable
    def remove_file(self, file_path: str, forget: bool = False) -> int:
        """Drop a file's chunks; ``forget``: and its deleted-article records (a fresh ingest restores all)."""
        ids = [chunk_id for chunk_id, _ in self.metadatas({"file_path": file_path})]
        if ids:
            self.collection.delete(ids=ids)
        if forget:
            self.deleted.forget(file_path)
        return len(ids)

    @_reachable
    def holds_file(self, file_path: str) -> bool:
        return bool(self.collection.get(where={"file_path": file_path}, limit=1, include=[])["ids"])

    @_reachable
    def articles(self) -> list[ArticleInfo]:
        found: dict[str, ArticleInfo] = {}
        for _, m in self.metadatas():
            aid = str(m.get("article_id", ""))
            prev = found.get(aid)
            found[aid] = ArticleInfo(
                article_id=aid,
                title=str(m.get("title", "")),
                source=str(m.get("source", "")),
                url=web_link(m.get("url")),
                published_at=str(m.get("published_at", "")),
                file_path=str(m.get("file_path", "")),
                chunks=(prev.chunks if prev else 0) + 1,
            )
        return sorted(found.values(), key=lambda a: (a.file_path, a.title))

    @_reachable
    def article(self, article_id: str) -> tuple[ArticleInfo, str] | None:
        """One stored article and its text: its chunks in order, the overlap between them dropped."""
        got = self.collection.get(where={"article_id": article_id}, include=["metadatas", "documents"])
        rows = sorted(
            zip(got["metadatas"] or [], got["documents"] or [], strict=False),
            key=lambda row: int((row[0] or {}).get("chunk_index", 0) or 0),
        )
        if not rows:
            return None
        m = rows[0][0] or {}
        info = ArticleInfo(
            article_id=article_id,
            title=str(m.get("title", "")),
            source=str(m.get("source", "")),
            url=web_link(m.get("url")),
            published_at=str(m.get("published_at", "")),
            file_path=str(m.get("file_path", "")),
            chunks=len(rows),
        )
        text = ""
        for _, chunk in rows:
            text += _without_overlap(text, chunk or "")
        return info, text

    @_reachable
    def remove_articles(self, article_ids: Sequence[str]) -> dict[str, int]:
        """Delete articles for good (see ``deletions``); chunks removed, by file."""
        from index.store.deletions import delete_articles

        return delete_articles(self, article_ids)

    @_reachable
    def finish_deletions(self, file_path: str) -> int:
        """Drop what a deletion stopped half way left of a file's deleted articles; chunks removed."""
        from index.store.deletions import finish_deletions

        return finish_deletions(self, file_path)

    @_reachable
    def all_nodes(self) -> list[TextNode]:
        """Every chunk as a text node."""
        return self.all_chunks(embeddings=False)[0]

    def _current(self, read: Callable[[], R]) -> R:
        """Run a read that returns vectors; reopen and retry once if another process wrote since."""
        from chromadb.errors import InternalError

        try:
            return read()
        except InternalError:  # "Error finding id": vectors this client never loaded
            if not self.refresh():
                raise
            return read()

    @_reachable
    def all_chunks(self, embeddings: bool = True) -> tuple[list[TextNode], np.ndarray]:
        """Every chunk as a text node, and their vectors as rows of a float32 matrix (or empty)."""
        return self._current(lambda: self._all_chunks(embeddings))

    def _all_chunks(self, embeddings: bool) -> tuple[list[TextNode], np.ndarray]:
        nodes: list[TextNode] = []
        rows: list[np.ndarray] = []
        include = ["metadatas", "documents"] + (["embeddings"] if embeddings else [])
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=_PAGE, offset=offset)  # type: ignore[arg-type]
            for chunk_id, text, meta in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=False
            ):
                nodes.append(_node(chunk_id, text, meta))
            if embeddings and len(page["ids"]):
                rows.append(np.asarray(page["embeddings"], dtype=np.float32))
            if len(page["ids"]) < _PAGE:
                break
            offset += _PAGE
        matrix = np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32)
        return nodes, matrix

    @_reachable
    def stored_vectors(self, file_path: str) -> dict[tuple[str, str, str], tuple[str, list[float]]]:
        """A file's stored chunk ids and vectors by what was embedded: (headline, date, passage text)."""
        return self._current(lambda: self._stored_vectors(file_path))

    def _stored_vectors(self, file_path: str) -> dict[tuple[str, str, str], tuple[str, list[float]]]:
        out: dict[tuple[str, str, str], tuple[str, list[float]]] = {}
        offset = 0
        while True:
            page = self.collection.get(
                where={"file_path": file_path},
                include=["metadatas", "documents", "embeddings"],  # type: ignore[list-item]
                limit=_PAGE,
                offset=offset,
            )
            # One C-level conversion per page (a float-by-float copy cost seconds on a big file).
            vectors = np.asarray(page["embeddings"], dtype=np.float32).tolist() if len(page["ids"]) else []
            rows = zip(page["ids"], page["documents"] or [], page["metadatas"] or [], vectors, strict=False)
            for chunk_id, text, meta, vector in rows:
                m = meta or {}
                key = (str(m.get("title", "")), str(m.get("published_at", "") or ""), text or "")
                out[key] = (chunk_id, vector)
            if len(page["ids"]) < _PAGE:
                return out
            offset += _PAGE

    @_reachable
    def nearest_ids(
        self, embedding: list[float], k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Ids of the ``k`` nearest chunks (``where``: of those whose metadata match) with their cosine
        similarity, best first. Asks Chroma for ids and distances only: the caller has the chunks."""
        if k <= 0:
            return []
        got = self._current(  # another process (a second `watch`) may have written vectors since
            lambda: self.collection.query(query_embeddings=[embedding], n_results=k, where=where, include=["distances"])
        )
        ids, distances = got["ids"][0], (got["distances"] or [[]])[0]
        return [(chunk_id, 1.0 - float(d)) for chunk_id, d in zip(ids, distances, strict=False)]


def _without_overlap(before: str, chunk: str) -> str:
    """``chunk`` less the opening it repeats of ``before``'s end (the splitter's overlap), with a break."""
    if not before:
        return chunk
    probe = chunk[:20]
    tail = before[-2000:]
    at = tail.find(probe)
    while at != -1:
        if chunk.startswith(tail[at:]):
            return chunk[len(tail) - at :]
        at = tail.find(probe, at + 1)
    return "\n" + chunk


def _only(values: set[str]) -> str:
    return next(iter(values)) if len(values) == 1 else ""


def _node(chunk_id: str, text: str | None, meta: Any) -> TextNode:
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    node = metadata_dict_to_node(dict(meta or {}), text=text or "")
    node.id_ = chunk_id
    return _as_text_node(node)


def _as_text_node(node: BaseNode) -> TextNode:
    if isinstance(node, TextNode):
        return node
    return TextNode(id_=node.node_id, text=node.get_content(), metadata=node.metadata)
