"""Deleted articles stay deleted: re-ingest, ``doctor --repair`` and ``--rebuild`` leave them out (#23).

Real on-disk Chroma and the sample files (two articles each), through ``NewsRAG``. Deleting
one article of a file used to leave the file "incomplete", and repair re-ingested the
article; deleting all of a file's articles was undone by the next ingest of its folder.
Deletions cut short are made by failing Chroma's delete for real at the step in question.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from index.store.clients import release_client
from rag.api import NewsRAG
from tests.index.conftest import make_rag
from tests.index.test_doctor import OtherEmbedder, lines, reopen

pytestmark = pytest.mark.slow  # Chroma on disk

TRUCE = "Israel Sees Progress in Lebanon Ceasefire"  # first of the two articles of 000_*.txt
MOSCOW = "Moscow Open to Dialogue with Trump on Sy"  # its second, a prefix of the headline
FILE = "000_0e868e9262ff71bb.txt"


def titles(rag: NewsRAG, name: str = FILE) -> list[str]:
    return sorted(a.title for a in rag.articles() if Path(a.file_path).name == name)


def article_id(rag: NewsRAG, title: str) -> str:
    (found,) = [a.article_id for a in rag.articles() if a.title.startswith(title)]
    return found


def test_one_of_two_articles_deleted_stays_deleted(rag: NewsRAG, corpus: Path) -> None:
    moscow = titles(rag)[1]
    assert rag.remove_articles([article_id(rag, TRUCE)]) == 6
    assert titles(rag) == [moscow]

    report = rag.doctor()
    assert report.healthy, report.findings
    key = str((corpus / FILE).resolve())
    assert f"{key}: complete, 1 article(s) deleted (recorded: re-ingest, repair and rebuild leave them out)" in (
        lines(report, "ok")
    )
    assert rag.doctor(repair=True).healthy and titles(rag) == [moscow]
    assert rag.ingest([corpus]).count("unchanged") == 3 and titles(rag) == [moscow]
    assert titles(reopen(rag)) == [moscow]  # the record is in the index, not in this process


def test_an_edit_elsewhere_in_the_file_keeps_it_deleted_and_an_edit_of_it_brings_it_back(
    rag: NewsRAG, corpus: Path
) -> None:
    moscow = titles(rag)[1]
    rag.remove_articles([article_id(rag, TRUCE)])
    path = corpus / FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Moscow Open", "Moskva Open"), encoding="utf-8")  # the other article's headline
    report = rag.ingest([corpus])
    (result,) = [f for f in report.files if f.path.endswith(FILE)]
    assert result.status == "updated" and result.articles == 1 and "left out 1 deleted article(s)" in result.reason
    assert titles(rag) == [moscow.replace("Moscow Open", "Moskva Open")] and rag.doctor().healthy

    # The deleted article's own text edited: new text, so it is ingested like any new article.
    path.write_text(path.read_text(encoding="utf-8").replace("Israel Sees Progress", "Israel Reports Progress"))
    rag.ingest([corpus])
    assert len(titles(rag)) == 2 and rag.store.deleted.records(str(path.resolve())) == []


def test_all_articles_of_your_own_file_deleted_keeps_the_file_and_ingest_leaves_them_out(
    rag: NewsRAG, corpus: Path
) -> None:
    for title in titles(rag):
        rag.remove_articles([article_id(rag, title[:30])])
    path = corpus / FILE
    assert titles(rag) == [] and path.is_file()  # a file of yours is never deleted
    report = rag.ingest([corpus])
    (result,) = [f for f in report.files if f.path.endswith(FILE)]
    assert (result.status, result.chunks) == ("unchanged", 0) and "left out 2 deleted article(s)" in result.reason
    assert titles(rag) == [] and rag.doctor().healthy

    # `newsrag remove FILE` forgets the record: ingesting the file again restores all of it.
    assert rag.remove([path]) == [str(path.resolve())]
    assert rag.ingest([corpus]).count("ingested") == 1 and len(titles(rag)) == 2


def fail_deletes(monkeypatch: pytest.MonkeyPatch, rag: NewsRAG) -> None:
    """Chroma's delete fails, as on a crash or a lost server between the steps of a deletion."""

    def boom(*args: Any, **kwargs: Any) -> None:
        raise OSError("simulated crash")

    monkeypatch.setattr(type(rag.store.collection), "delete", boom)


def test_a_deletion_cut_short_is_reported_and_repair_finishes_it(
    rag: NewsRAG, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moscow = titles(rag)[1]
    victim = article_id(rag, TRUCE)
    with monkeypatch.context() as m:
        fail_deletes(m, rag)
        with pytest.raises(Exception, match="simulated crash"):
            rag.remove_articles([victim])
    assert len(titles(rag)) == 2  # recorded, and the rest of the file already counts one article less

    report = rag.doctor()
    assert not report.healthy
    (problem,) = lines(report, "problem")
    assert "6 chunks of deleted articles are still stored" in problem and "--repair` finishes it" in problem
    (corpus / FILE).unlink()  # finishing needs no file: the record says which chunks go
    repaired = rag.doctor(repair=True)
    assert any("finished a deletion (6 chunks dropped)" in m for m in lines(repaired, "fixed"))
    assert titles(rag) == [moscow]
    assert repaired.healthy and not any(f.message.startswith("after repair:") for f in repaired.findings)


def test_rebuild_with_another_embedder_keeps_deleted_articles_deleted(rag: NewsRAG) -> None:
    moscow = titles(rag)[1]
    rag.remove_articles([article_id(rag, TRUCE)])
    other = reopen(rag, OtherEmbedder())
    rebuilt = other.doctor(rebuild=True)
    assert titles(other) == [moscow] and len(other.articles()) == 4
    assert rebuilt.healthy, rebuilt.findings
    assert "kept the record of 1 deleted articles: they stay deleted" in lines(rebuilt, "ok")


def test_rebuild_of_a_database_chroma_refuses_reads_the_record_from_it(rag: NewsRAG, corpus: Path) -> None:
    rag.remove_articles([article_id(rag, TRUCE)])
    release_client(rag.settings.chroma_path)
    with sqlite3.connect(rag.settings.chroma_path / "chroma.sqlite3") as conn:  # as another Chroma version's
        conn.execute("UPDATE migrations SET hash = 'other'")

    broken = make_rag(rag.settings.data_dir)
    rebuilt = broken.doctor(rebuild=True)  # its file list and its record are read straight from SQLite
    assert len(broken.articles()) == 4 and not any(a.title.startswith(TRUCE) for a in broken.articles())
    assert rebuilt.healthy, rebuilt.findings

    from index.doctor import stored_deletions

    (aside,) = rag.settings.data_dir.glob("chroma.broken-*")
    (record,) = stored_deletions(aside / "chroma.sqlite3", "articles") or []
    assert Path(record.file_path).name == FILE and record.title.startswith(TRUCE)
    assert stored_deletions(aside / "chroma.sqlite3", "no-such-collection") == []
