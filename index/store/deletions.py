"""Remember which articles were deleted by hand, in the index itself, so they stay deleted.

A deleted article is recorded as (file path, content hash) in a small companion Chroma
collection next to the chunks (``<collection>.deleted``), created on the first deletion.
Ingest leaves recorded articles out of their file, so an unchanged file re-ingested (a
folder ingest, ``doctor --repair``, a re-upload) does not bring them back, and ``rebuild``
copies the records into the new index. The record lives in Chroma rather than in a file
beside the data dir because the index may be a Chroma server shared by several hosts: the
record must travel with the chunks it speaks about. It is keyed by the article's content,
not its position in the file, so an edit elsewhere in the file keeps it deleted while an
edited version of the article itself is new text and comes back.

Deleting is record first, then chunks, so a deletion cut short leaves chunks the record
names: the doctor reports them and ``finish_deletions`` (repair) drops them, with no need of
the file. The record is keyed by path: the same file at another path is another file. This
module does not decide what to ingest (``ingest`` does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_PAGE = 5000
SUFFIX = ".deleted"
# Chroma stores no record without a vector; the records are only ever read by metadata.
_NO_VECTOR = [1.0]


@dataclass(frozen=True)
class Deletion:
    """One article deleted by hand: which file it came from and what its text was."""

    file_path: str
    content_hash: str
    article_id: str = ""
    title: str = ""

    @property
    def record_id(self) -> str:
        return hashlib.sha1(f"{self.file_path}\0{self.content_hash}".encode()).hexdigest()

    def metadata(self) -> dict[str, str]:
        return {
            "file_path": self.file_path,
            "content_hash": self.content_hash,
            "article_id": self.article_id,
            "title": self.title,
        }

    @classmethod
    def from_metadata(cls, meta: Any) -> Deletion | None:
        m = dict(meta or {})
        path, digest = str(m.get("file_path") or ""), str(m.get("content_hash") or "")
        if not path or not digest:
            return None
        return cls(path, digest, str(m.get("article_id") or ""), str(m.get("title") or ""))


def log_name(collection: str) -> str:
    """The companion collection's name: within Chroma's 512 characters, ending in a letter."""
    name = f"{collection}{SUFFIX}"
    if len(name) <= 512:
        return name
    return f"{collection[:480]}-{hashlib.sha1(collection.encode()).hexdigest()[:12]}{SUFFIX}"


Deleted = dict[str, dict[str, Deletion]]  # file path -> content hash -> record


class DeletionLog:
    """The deleted-article records of one collection."""

    def __init__(self, client: Any, collection: str) -> None:
        self._client = client
        self.name = log_name(collection)
        self._collection: Any = None

    def _open(self, create: bool) -> Any:
        from chromadb.errors import NotFoundError

        if self._collection is None:
            try:
                if create:
                    self._collection = self._client.get_or_create_collection(self.name, embedding_function=None)
                else:  # a read (doctor, ingest) must not create anything
                    self._collection = self._client.get_collection(self.name, embedding_function=None)
            except NotFoundError:
                return None
        return self._collection

    def records(self, file_path: str | None = None) -> list[Deletion]:
        return list(self._records({"file_path": file_path} if file_path is not None else None))

    def _records(self, where: dict[str, Any] | None) -> Iterator[Deletion]:
        col = self._open(create=False)
        if col is None:
            return
        offset = 0
        while True:
            page = col.get(where=where, include=["metadatas"], limit=_PAGE, offset=offset)
            for meta in page["metadatas"] or []:
                if (found := Deletion.from_metadata(meta)) is not None:
                    yield found
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def by_file(self) -> Deleted:
        out: Deleted = {}
        for d in self._records(None):
            out.setdefault(d.file_path, {})[d.content_hash] = d
        return out

    def add(self, deletions: Iterable[Deletion]) -> None:
        unique = {d.record_id: d for d in deletions if d.file_path and d.content_hash}
        if not unique:
            return
        col = self._open(create=True)
        items = list(unique.items())
        batch = int(self._client.get_max_batch_size())
        for start in range(0, len(items), batch):
            part = items[start : start + batch]
            col.upsert(
                ids=[i for i, _ in part],
                embeddings=[_NO_VECTOR for _ in part],
                metadatas=[d.metadata() for _, d in part],  # type: ignore[misc]
            )

    def forget(self, file_path: str, content_hashes: Iterable[str] | None = None) -> int:
        """Drop a file's records (only those of ``content_hashes`` when given); how many went."""
        held = self.records(file_path)
        if content_hashes is not None:
            wanted = set(content_hashes)
            held = [d for d in held if d.content_hash in wanted]
        if held:
            self._open(create=True).delete(ids=[d.record_id for d in held])
        return len(held)


class Store(Protocol):
    """What the deletion steps use of ``store.ChromaStore``: named here, so the two modules do
    not import each other (the store keeps a ``DeletionLog`` and calls the steps)."""

    deleted: DeletionLog
    collection: Any
    max_batch: int

    def metadatas(self, where: dict[str, Any] | None = None) -> Iterator[tuple[str, dict[str, Any]]]: ...


def delete_articles(store: Store, article_ids: Sequence[str]) -> dict[str, int]:
    """Record the articles as deleted, then drop their chunks; chunks removed, by file."""
    found: dict[str, list[Deletion]] = {}
    unrecorded: dict[str, list[str]] = {}
    for aid in dict.fromkeys(article_ids):
        for chunk_id, meta in store.metadatas({"article_id": aid}):
            path, digest = str(meta.get("file_path", "")), str(meta.get("content_hash", ""))
            if path and digest:
                found.setdefault(path, []).append(Deletion(path, digest, aid, str(meta.get("title", ""))))
            else:  # not written by ingest: no file would bring it back, so there is nothing to record
                unrecorded.setdefault(path, []).append(chunk_id)
    # The record goes first: a crash after it leaves chunks that the record names, which the
    # doctor reports and repair finishes deleting. The other order would leave a file that
    # looks incomplete, and its repair would re-ingest the article.
    store.deleted.add(d for group in found.values() for d in group)
    removed = {path: finish_deletions(store, path) for path in found}
    for path, ids in unrecorded.items():
        store.collection.delete(ids=ids)
        removed[path] = removed.get(path, 0) + len(ids)
    return removed


def finish_deletions(store: Store, file_path: str) -> int:
    """Drop the stored chunks of a file's recorded deletions and shrink its chunk count to match.

    The rest of the file learns its new size before the chunks go, and a deletion cut short
    at any step can be finished by calling this again (repair does).
    """
    gone = {d.content_hash for d in store.deleted.records(file_path)}
    rows = list(store.metadatas({"file_path": file_path}))
    doomed = [cid for cid, m in rows if str(m.get("content_hash", "")) in gone]
    if not doomed:
        return 0
    doomed_set = set(doomed)
    counts = [int(m.get("file_chunks", 0) or 0) for _, m in rows]
    top = max(counts)
    rest = [(cid, n) for (cid, _), n in zip(rows, counts, strict=True) if cid not in doomed_set]
    # A lower count on the rest means an earlier call already set it and may have dropped some
    # of the chunks since: that count, not top minus what is left, is the file's size.
    low = min((n for _, n in rest), default=top)
    left = low if low < top else top - len(doomed)
    stale = [cid for cid, n in rest if n != left]
    batch = int(store.max_batch)
    for start in range(0, len(stale), batch):
        ids = stale[start : start + batch]
        store.collection.update(ids=ids, metadatas=[{"file_chunks": left} for _ in ids])
    for start in range(0, len(doomed), batch):
        store.collection.delete(ids=doomed[start : start + batch])
    return len(doomed)
