"""``newsrag doctor`` in-process, and the storage faults it exists for, on real on-disk Chroma.

Each fault is made for real where that needs no privileges (garbage or tampered database,
deleted vector files, chunks removed or left without a file path, another embedder) and by
monkeypatching the failing call where it does (disk full, read-only data dir; the CLI tests
in ``tests/rag/test_cli_doctor.py`` also do both for real in a user namespace). Every test
checks what the user sees (one line naming the fix) and that nothing stored was lost.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from chromadb.errors import InternalError

from index import errors as errors_module
from index import ingest as ingest_module
from index.doctor import stored_file_paths
from index.errors import IndexDamagedError, StorageError, storage_error
from index.store.clients import release_client
from index.store.collection import ChromaStore
from rag.api import NewsRAG
from tests.fakes import FakeEmbedder
from tests.index.conftest import make_rag

pytestmark = pytest.mark.slow  # Chroma on disk

QUESTION = "How long is the proposed truce between Israel and Hezbollah?"


class OtherEmbedder(FakeEmbedder):
    @property
    def name(self) -> str:
        return "fake:other"


def reopen(rag: NewsRAG, embedder: FakeEmbedder | None = None) -> NewsRAG:
    """A new NewsRAG on the same data dir, as a new process would see it (no cached client)."""
    release_client(rag.settings.chroma_path)
    return make_rag(rag.settings.data_dir, embedder)


def snapshot(rag: NewsRAG) -> dict[str, tuple[str, str]]:
    got = rag.store.collection.get(include=["documents", "metadatas"])
    return {
        i: (doc or "", str((m or {}).get("file_hash")))
        for i, doc, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
    }


def lines(report: Any, level: str) -> list[str]:
    return [f.message for f in report.findings if f.level == level]


def assert_one_line_fix(err: BaseException, needle: str) -> None:
    assert "\n" not in str(err) and needle in str(err), str(err)


def trash_database(rag: NewsRAG) -> Path:
    release_client(rag.settings.chroma_path)
    db = rag.settings.chroma_path / "chroma.sqlite3"
    db.write_bytes(b"not a database " * 40_000)
    return db


# Checks


def test_healthy_index(rag: NewsRAG) -> None:
    report = rag.doctor()
    assert report.healthy
    assert any("is writable" in m for m in lines(report, "ok"))
    assert "3 files in 23 chunks, every file complete" in lines(report, "ok")


def test_no_data_dir_yet_is_healthy_and_creates_nothing(tmp_path: Path) -> None:
    report = make_rag(tmp_path / "none").doctor()
    assert report.healthy and "nothing ingested" in report.findings[0].message
    assert not (tmp_path / "none").exists()


def test_data_dir_without_an_index_is_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    report = make_rag(tmp_path / "data").doctor()
    assert report.healthy and "nothing ingested" in report.findings[-1].message
    assert [p.name for p in (tmp_path / "data").iterdir()] == []


def test_incomplete_file_is_found_and_repaired(rag: NewsRAG, corpus: Path) -> None:
    clean = snapshot(rag)
    victim = str((corpus / "000_0e868e9262ff71bb.txt").resolve())
    ids = rag.store.collection.get(where={"file_path": victim})["ids"]
    rag.store.collection.delete(ids=ids[:3])  # what a crash between two batch writes leaves

    report = rag.doctor()
    assert not report.healthy
    assert lines(report, "problem") == [
        f"{victim}: incomplete (7 of 10 chunks): `newsrag doctor --repair` re-ingests it"
    ]
    fixed = rag.doctor(repair=True)
    assert fixed.healthy and f"{victim}: re-ingested (10 chunks)" in lines(fixed, "fixed")
    assert snapshot(rag) == clean
    assert rag.ask(QUESTION).citations


def test_chunks_of_two_versions_are_repaired(rag: NewsRAG, corpus: Path) -> None:
    clean = snapshot(rag)
    victim = str((corpus / "001_fb5b78a250b89a8b.txt").resolve())
    first = rag.store.collection.get(where={"file_path": victim}, include=["metadatas"])
    meta = dict(first["metadatas"][0])  # type: ignore[index]
    rag.store.collection.update(ids=[first["ids"][0]], metadatas=[{**meta, "file_hash": "an-older-version"}])

    assert "chunks of two versions of the file" in rag.doctor().findings[-1].message
    assert rag.doctor(repair=True).healthy
    assert snapshot(rag) == clean


def test_gone_file_is_a_warning_and_only_prune_drops_it(rag: NewsRAG, corpus: Path) -> None:
    victim = corpus / "004_f7c72934c7020051.txt"
    victim.unlink()
    key = str(victim.resolve())

    report = rag.doctor()
    assert report.healthy  # its chunks still answer; nothing is broken
    assert any(m.startswith(f"{key}: the file is no longer on disk") for m in lines(report, "warning"))
    kept = rag.doctor(repair=True)
    assert "add --prune" in lines(kept, "warning")[-1]
    assert key in rag.store.file_states()

    pruned = rag.doctor(repair=True, prune=True)
    assert f"{key}: dropped 6 chunks (the file is gone)" in lines(pruned, "fixed")
    assert key not in rag.store.file_states() and rag.doctor().healthy


def test_chunks_without_a_file_path(rag: NewsRAG) -> None:
    rag.store.collection.add(
        ids=["stray"], embeddings=[[1.0] + [0.0] * 255], documents=["stray"], metadatas=[{"title": "no file"}]
    )
    report = rag.doctor()
    assert not report.healthy and "1 chunks carry no file path" in lines(report, "problem")[0]
    assert "dropped 1 chunks that named no file" in lines(rag.doctor(repair=True, prune=True), "fixed")
    assert rag.doctor().healthy and rag.store.count() == 23


def test_other_embedder_needs_a_rebuild(rag: NewsRAG) -> None:
    other = reopen(rag, OtherEmbedder())
    report = other.doctor()
    assert not report.healthy
    assert "built with fake:bow256 but fake:other is configured" in lines(report, "problem")[0]
    assert any("cannot repair this index in place" in m for m in lines(other.doctor(repair=True), "problem"))

    rebuilt = other.doctor(rebuild=True)
    assert rebuilt.healthy, rebuilt.findings
    assert len([m for m in lines(rebuilt, "fixed") if ": recovered (" in m]) == 3
    assert other.store.collection.metadata["embedder"] == "fake:other"
    assert len(list(other.settings.data_dir.glob("chroma.broken-*/chroma.sqlite3"))) == 1


# Damaged Chroma files


def test_garbage_database_is_a_one_line_error_and_rebuild_recovers(rag: NewsRAG, corpus: Path) -> None:
    clean = snapshot(rag)
    db = trash_database(rag)
    broken = make_rag(rag.settings.data_dir)
    for action in (lambda: broken.ask(QUESTION), lambda: broken.ingest([corpus]), broken.articles):
        with pytest.raises(IndexDamagedError) as err:
            action()
        assert_one_line_fix(err.value, "newsrag doctor --rebuild")

    report = broken.doctor()
    assert not report.healthy and "file is not a database" in lines(report, "problem")[0]
    assert any("cannot repair this index in place" in m for m in lines(broken.doctor(repair=True), "problem"))
    # No file list in the old index, no paths, no uploads: refuse, and touch nothing.
    refused = broken.doctor(rebuild=True)
    assert any("nothing to re-ingest" in m for m in lines(refused, "problem"))
    assert db.read_bytes().startswith(b"not a database")

    rebuilt = broken.doctor(rebuild=True, paths=[corpus])
    assert rebuilt.healthy, rebuilt.findings
    assert snapshot(broken) == clean
    (aside,) = rag.settings.data_dir.glob("chroma.broken-*")
    assert (aside / "chroma.sqlite3").read_bytes().startswith(b"not a database")  # kept, never deleted
    assert broken.ask(QUESTION).citations
    assert reopen(broken).ask(QUESTION).citations


def test_rebuild_uses_the_uploads_when_the_file_list_is_lost(tmp_path: Path, corpus: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(corpus, data / "uploads")
    rag = make_rag(data)
    rag.ingest([data / "uploads"])
    trash_database(rag)
    rebuilt = make_rag(data).doctor(rebuild=True)
    assert rebuilt.healthy and len([m for m in lines(rebuilt, "fixed") if ": recovered (" in m]) == 3


def test_database_chroma_refuses_is_rebuilt_from_its_own_file_list(rag: NewsRAG, corpus: Path) -> None:
    import sqlite3

    clean = snapshot(rag)
    release_client(rag.settings.chroma_path)
    db = rag.settings.chroma_path / "chroma.sqlite3"
    with sqlite3.connect(db) as conn:  # what a database from another Chroma version looks like to this one
        conn.execute("UPDATE migrations SET hash = 'other'")
    assert stored_file_paths(db, "articles") == sorted(str(p.resolve()) for p in corpus.iterdir())
    assert stored_file_paths(db, "no-such-collection") == []

    broken = make_rag(rag.settings.data_dir)
    with pytest.raises(IndexDamagedError, match="Inconsistent hash"):
        broken.ask(QUESTION)
    gone = corpus / "004_f7c72934c7020051.txt"
    gone_hash = hashlib.sha256(gone.read_bytes()).hexdigest()
    gone.unlink()
    rebuilt = broken.doctor(rebuild=True)  # no paths: the old database still lists the files
    assert not rebuilt.healthy  # one file could not be recovered, and it says so
    (lost,) = lines(rebuilt, "lost")
    assert "004_f7c72934c7020051.txt: not recovered: the file is gone" in lost and "chroma.broken-" in lost
    assert "rebuilt the index: 2 files recovered (17 chunks), 1 not recovered" in lines(rebuilt, "problem")
    assert snapshot(broken) == {k: v for k, v in clean.items() if v[1] != gone_hash}
    assert make_rag(rag.settings.data_dir).doctor().healthy


def big_corpus(folder: Path, records: int = 1200) -> Path:
    """One JSONL file of short articles: over Chroma's 1,000-record flush, so vector files exist."""
    folder.mkdir()
    rows = [
        {"title": f"Harbour report {i}", "text": f"The harbour of town {i} moved {i * 3} containers in week {i % 52}."}
        for i in range(records)
    ]
    (folder / "wire.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return folder


def test_deleted_vector_files_are_a_one_line_error_and_rebuild_recovers(tmp_path: Path, corpus: Path) -> None:
    data = tmp_path / "data"
    wire = big_corpus(tmp_path / "wire")
    rag = make_rag(data)
    rag.ingest([corpus, wire])
    before = rag.store.count()
    release_client(rag.settings.chroma_path)
    segments = [p for p in rag.settings.chroma_path.iterdir() if p.is_dir()]
    assert segments
    for seg in segments:
        shutil.rmtree(seg)

    broken = make_rag(data)
    with pytest.raises(IndexDamagedError) as err:  # Chroma opens; the query fails
        broken.ask(QUESTION)
    assert_one_line_fix(err.value, "newsrag doctor")
    report = broken.doctor()
    assert "`newsrag doctor --rebuild`" in lines(report, "problem")[0]
    rebuilt = broken.doctor(rebuild=True)
    assert rebuilt.healthy, rebuilt.findings
    assert broken.store.count() == before and broken.ask(QUESTION).citations


def test_empty_database_next_to_old_vector_folders_is_flagged(rag: NewsRAG, corpus: Path) -> None:
    release_client(rag.settings.chroma_path)
    (rag.settings.chroma_path / "chroma.sqlite3").write_bytes(b"")  # a database lost to a full disk
    fresh = make_rag(rag.settings.data_dir)
    report = fresh.doctor()
    assert report.healthy and "vector folders of an earlier index" in lines(report, "warning")[0]
    assert fresh.doctor(rebuild=True, paths=[corpus]).healthy
    assert fresh.ask(QUESTION).citations


# Disk full and read-only


def fail_store_after(monkeypatch: pytest.MonkeyPatch, calls: int, error: BaseException) -> None:
    real = ChromaStore.replace_file
    seen = {"n": 0}

    def replace_file(self: ChromaStore, *args: Any, **kwargs: Any) -> None:
        seen["n"] += 1
        if seen["n"] > calls:
            raise error
        real(self, *args, **kwargs)

    monkeypatch.setattr(ChromaStore, "replace_file", replace_file)


FULL_DISK_ERRORS = {
    "ENOSPC": OSError(errno.ENOSPC, "No space left on device"),
    "sqlite full": InternalError("Query error: error returned from database: (code: 13) database or disk is full"),
    "compactor": InternalError("Error in compaction: Failed to apply logs to the metadata segment"),
}


@pytest.mark.parametrize("name", list(FULL_DISK_ERRORS))
def test_disk_full_mid_ingest_loses_nothing_and_a_rerun_completes(
    tmp_path: Path, corpus: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_rag = make_rag(tmp_path / "clean")
    clean_rag.ingest([corpus])
    clean = snapshot(clean_rag)

    rag = make_rag(tmp_path / "data")
    if name == "compactor":  # Chroma's message does not say "full": the free space does
        monkeypatch.setattr(errors_module, "_nearly_full", lambda disk: disk is not None)
    with monkeypatch.context() as patch:
        fail_store_after(patch, 1, FULL_DISK_ERRORS[name])
        report = rag.ingest([corpus])
    first, second, third = report.files
    assert first.status == "ingested"
    assert second.status == "failed" and "not stored: disk full writing the index" in second.reason
    assert "free some space, then run the same command again" in second.reason and "\n" not in second.reason
    assert third.status == "failed" and "not stored: skipped after the failed write above" in third.reason

    states = rag.store.file_states()
    assert list(states) == [first.path] and states[first.path].complete  # what was stored is intact
    assert rag.doctor().healthy
    again = rag.ingest([corpus])
    assert [f.status for f in again.files] == ["unchanged", "ingested", "ingested"]
    assert snapshot(rag) == clean


def test_a_nearly_full_disk_is_refused_before_chroma_writes(
    rag: NewsRAG, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = snapshot(rag)
    (corpus / "000_0e868e9262ff71bb.txt").write_text("Dam opens in Laos\n\nThe new dam opened on Friday.\n")
    usage = shutil.disk_usage(rag.settings.data_dir)
    monkeypatch.setattr(ingest_module.shutil, "disk_usage", lambda path: usage._replace(free=10 * 2**20))
    report = rag.ingest([corpus])
    (failed,) = report.failed
    assert "disk full writing the index (10 MB free, about 17 MB needed)" in failed.reason
    assert snapshot(rag) == clean  # refused up front: the old version of the file is still whole


def test_a_bad_chunk_write_still_goes_on_with_the_next_file(
    rag: NewsRAG, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "new.txt").write_text("Dam opens in Laos\n\nThe new dam on the Mekong opened on Friday.\n")
    (corpus / "new2.txt").write_text("Bridge closes in Oslo\n\nThe old bridge closed on Monday.\n")
    fail_store_after(monkeypatch, 0, ValueError("Expected metadata value to be a str, int, float or bool"))
    report = rag.ingest([corpus])
    assert [f.status for f in report.files].count("failed") == 2  # both tried: not a storage fault
    assert all("could not store" in f.reason for f in report.failed)


def test_read_only_data_dir(rag: NewsRAG, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root ignores chmod, so make the writes fail the way a read-only mount does.
    real_open = Path.open

    def read_only_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(c in mode for c in "wax+") and rag.settings.data_dir in self.parents:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", read_only_open)
    with pytest.raises(StorageError) as err:
        rag.ingest([corpus])
    assert_one_line_fix(err.value, "cannot write to the data dir")
    assert "Read-only file system" in str(err.value) and "NEWSRAG_DATA_DIR" in str(err.value)
    report = rag.doctor(repair=True)
    assert not report.healthy
    assert any(m.startswith(f"cannot write to {rag.settings.data_dir}") for m in lines(report, "problem"))
    assert "nothing repaired" in lines(report, "problem")[-1]


@pytest.mark.parametrize(
    ("error", "kind", "needle"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), StorageError, "disk full"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), StorageError, "disk full"),
        (OSError(errno.EROFS, "Read-only file system"), StorageError, "cannot write to"),
        (PermissionError(errno.EACCES, "Permission denied"), StorageError, "cannot write to"),
        (
            InternalError("error returned from database: (code: 8) attempt to write a readonly database"),
            StorageError,
            "cannot write to",
        ),
        (
            InternalError("error returned from database: (code: 26) file is not a database"),
            IndexDamagedError,
            "newsrag doctor",
        ),
        (
            InternalError("Error executing plan: Internal error: Error finding id"),
            IndexDamagedError,
            "newsrag doctor --rebuild",
        ),
    ],
)
def test_storage_errors_are_one_line_and_name_the_fix(error: Exception, kind: type, needle: str) -> None:
    made = storage_error(error, Path("/data/chroma"))
    assert type(made) is kind and needle in str(made) and "\n" not in str(made)
