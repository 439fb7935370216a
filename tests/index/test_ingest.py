"""Chunking and ingest against real (in-memory) Chroma with the fake embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.chunk import make_splitter
from index.embed import MINILM_MAX_TOKENS, LlamaIndexEmbedding, token_counter
from index.errors import ConfigError
from index.ingest import ingest_paths, remove_paths
from index.store.collection import ChromaStore
from tests.fakes import FakeEmbedder


@pytest.fixture
def splitter():  # type: ignore[no-untyped-def]
    return make_splitter(token_counter(), 200, 30)


@pytest.fixture
def corpus(tmp_path: Path, samples_dir: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(samples_dir, target)
    return target


def _ingest(paths, store, splitter, embedder, **kw):  # type: ignore[no-untyped-def]
    return ingest_paths(paths, store, splitter, LlamaIndexEmbedding(embedder), **kw)


def test_chunks_fit_the_embedder_and_carry_their_headline(corpus, store, splitter, fake_embedder) -> None:
    _ingest([corpus], store, splitter, fake_embedder)
    count = token_counter()
    nodes = store.all_nodes()
    assert len(nodes) >= 10
    from llama_index.core.schema import MetadataMode

    for node in nodes:
        embedded = node.get_content(metadata_mode=MetadataMode.EMBED)
        assert embedded.startswith(node.metadata["title"])
        assert len(count(embedded)) <= MINILM_MAX_TOKENS
        assert node.node_id == f"{node.metadata['article_id']}:{node.metadata['chunk_index']}"
    truce = [n for n in nodes if "60-day truce" in n.get_content()]
    assert {n.metadata["title"] for n in truce} == {
        "Lebanon, Israel Ceasefire Deal Will Take Place in Three Phases and ‘Simultaneous’ Withdrawals",
        "Negotiating a Ceasefire: Progress and Challenges in Israel-Hezbollah Truce Talks",
    }


def test_reingest_of_unchanged_files_embeds_nothing(corpus, store, splitter) -> None:
    embedder = FakeEmbedder()
    first = _ingest([corpus], store, splitter, embedder)
    assert first.count("ingested") == 3 and first.chunks == store.count()
    embedded = embedder.texts_embedded
    ids_before = sorted(n.node_id for n in store.all_nodes())
    again = _ingest([corpus], store, splitter, embedder)
    assert again.count("unchanged") == 3 and again.chunks == 0
    assert embedder.texts_embedded == embedded
    assert sorted(n.node_id for n in store.all_nodes()) == ids_before


def test_changed_file_replaces_its_old_chunks_only(corpus, store, splitter, fake_embedder) -> None:
    _ingest([corpus], store, splitter, fake_embedder)
    total = store.count()
    target = corpus / "004_f7c72934c7020051.txt"
    target.write_text("Short update on the truce\n\nThe truce now lasts 90 days, officials said.\n")
    report = _ingest([corpus], store, splitter, fake_embedder)
    assert report.count("updated") == 1 and report.count("unchanged") == 2
    texts = [n.get_content() for n in store.all_nodes() if n.metadata["file_path"] == str(target)]
    assert texts == ["The truce now lasts 90 days, officials said."]
    assert store.count() == total - 6 + 1  # ICARO's 6 chunks became 1


def test_incomplete_file_is_reingested(corpus, store, splitter, fake_embedder) -> None:
    _ingest([corpus], store, splitter, fake_embedder)
    path = str(corpus / "000_0e868e9262ff71bb.txt")
    victim = next(n.node_id for n in store.all_nodes() if n.metadata["file_path"] == path)
    store.collection.delete(ids=[victim])  # as if a crash lost part of the write
    report = _ingest([corpus], store, splitter, fake_embedder)
    assert [f.status for f in report.files if f.path == path] == ["updated"]
    assert victim in {n.node_id for n in store.all_nodes()}


def test_one_bad_file_is_reported_and_the_rest_ingested(corpus, store, splitter, fake_embedder) -> None:
    (corpus / "bad.txt").write_bytes(b"\x00\x01\x02" * 100)
    (corpus / "empty.md").write_text("")
    report = _ingest([corpus, corpus / "missing.txt"], store, splitter, fake_embedder)
    assert report.count("ingested") == 3
    reasons = sorted(f.reason for f in report.failed)
    assert len(reasons) == 3
    assert any("binary" in r for r in reasons) and any("empty" in r for r in reasons)
    assert any("no such file" in r for r in reasons)
    assert len(store.articles()) == 5


def test_prune_and_remove(corpus, store, splitter, fake_embedder) -> None:
    _ingest([corpus], store, splitter, fake_embedder)
    (corpus / "001_fb5b78a250b89a8b.txt").unlink()
    report = _ingest([corpus], store, splitter, fake_embedder, prune=True)
    assert [Path(p).name for p in report.removed_files] == ["001_fb5b78a250b89a8b.txt"]
    assert len(store.articles()) == 3
    removed = remove_paths([corpus / "000_0e868e9262ff71bb.txt"], store)
    assert len(removed) == 1 and len(store.articles()) == 1


def test_store_refuses_a_different_embedder(chroma_client, store) -> None:
    from index.errors import IndexMismatchError

    with pytest.raises(IndexMismatchError, match="built with fake:bow256"):
        ChromaStore(chroma_client, store.collection.name, "minilm:other")


@pytest.mark.parametrize(("size", "overlap"), [(300, 30), (10, 0), (200, 150)])
def test_bad_chunk_settings_are_config_errors(size: int, overlap: int) -> None:
    with pytest.raises(ConfigError):
        make_splitter(token_counter(), size, overlap)


def test_files_larger_than_chromas_batch_limit_are_written_in_batches(corpus, store, splitter, fake_embedder) -> None:
    store.max_batch = 4  # the real limit is 5,461 chunks: one big JSONL file of articles exceeds it
    report = _ingest([corpus], store, splitter, fake_embedder)
    assert not report.failed
    assert store.count() == report.chunks > 4
    states = store.file_states()
    assert all(s.complete for s in states.values())
    assert _ingest([corpus], store, splitter, fake_embedder).count("unchanged") == 3


def test_a_failed_update_keeps_the_old_version_of_the_file(corpus, store, splitter, fake_embedder, monkeypatch) -> None:
    import errno

    _ingest([corpus], store, splitter, fake_embedder)
    target = corpus / "004_f7c72934c7020051.txt"
    before = sorted(n.get_content() for n in store.all_nodes() if n.metadata["file_path"] == str(target))
    target.write_text("Short update on the truce\n\nThe truce now lasts 90 days, officials said.\n")

    def disk_full(**_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.collection, "upsert", disk_full)
    report = _ingest([corpus], store, splitter, fake_embedder)
    assert [f.status for f in report.files if f.path == str(target)] == ["failed"]
    after = sorted(n.get_content() for n in store.all_nodes() if n.metadata["file_path"] == str(target))
    assert after == before  # the old version still answers; nothing was deleted first

    monkeypatch.undo()
    report = _ingest([corpus], store, splitter, fake_embedder)
    assert [f.status for f in report.files if f.path == str(target)] == ["updated"]
    texts = [n.get_content() for n in store.all_nodes() if n.metadata["file_path"] == str(target)]
    assert texts == ["The truce now lasts 90 days, officials said."]  # stale chunks gone


def _articles(n: int, edited: int | None = None, inserted: bool = False) -> str:
    import json

    rows = [
        {
            "title": f"Council report {i}",
            "text": "\n\n".join(
                f"Paragraph {p} of report {i}: the council voted on road {i}-{p}"
                + (" after a late amendment." if edited == i and p == 1 else ".")
                for p in range(4)
            ),
            "published_at": f"2022-05-{1 + i % 28:02d}",
        }
        for i in range(n)
    ]
    if inserted:
        rows.insert(0, {"title": "Breaking: bridge closed", "text": "The harbour bridge closed for 45 days."})
    return "\n".join(json.dumps(r) for r in rows)


def test_one_edited_article_in_a_big_file_is_the_only_one_re_embedded(tmp_path, store, splitter) -> None:
    """Chunks whose headline, date and text are unchanged keep their stored vectors."""
    path = tmp_path / "pool.jsonl"
    path.write_text(_articles(40), encoding="utf-8")
    embedder = FakeEmbedder()
    first = _ingest([path], store, splitter, embedder)
    assert first.embedded == first.chunks == store.count()
    vectors = {(m["title"], d): v for m, d, v in _stored(store)}

    path.write_text(_articles(40, edited=7), encoding="utf-8")
    before = embedder.texts_embedded
    report = _ingest([path], store, splitter, embedder)
    assert report.count("updated") == 1
    assert embedder.texts_embedded - before == report.embedded == 1  # report 7's one chunk
    assert report.files[0].reused == report.chunks - 1 == store.count() - 1
    after = _stored(store)
    assert any("late amendment" in d for _, d, _ in after)
    fresh = FakeEmbedder()
    for meta, doc, vec in after:  # every stored vector is the one its text gets
        expected = fresh.embed([f"{meta['title']}\n{meta['published_at']}\n\n{doc}"])[0]
        assert vec == pytest.approx(expected, abs=1e-6)
        if "late amendment" not in doc:
            assert vec == pytest.approx(vectors[(meta["title"], doc)], abs=1e-6)

    states = store.file_states()  # kept chunks got the new file hash: the file is complete and current
    assert states[str(path)].complete and len({m["file_hash"] for m, _, _ in after}) == 1
    assert _ingest([path], store, splitter, embedder).count("unchanged") == 1

    # An article inserted at the top shifts every chunk id: vectors are matched by text, not id.
    path.write_text(_articles(40, edited=7, inserted=True), encoding="utf-8")
    before = embedder.texts_embedded
    report = _ingest([path], store, splitter, embedder)
    assert embedder.texts_embedded - before == report.embedded == 1
    assert store.count() == report.chunks


def _stored(store):  # type: ignore[no-untyped-def]
    got = store.collection.get(include=["metadatas", "documents", "embeddings"])
    return list(zip(got["metadatas"], got["documents"], [list(map(float, v)) for v in got["embeddings"]], strict=True))


class _RecordingEmbedder(FakeEmbedder):
    """The fake embedder, keeping every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.texts += texts
        return super().embed(texts)


def _long_article(word: str, paragraphs: int) -> str:
    body = "\n\n".join(f"{word} paragraph {i}: " + " ".join(f"{word}{j}" for j in range(60)) for i in range(paragraphs))
    return f"A long report on {word}\n\n{body}\n"


def test_a_file_over_the_per_file_cap_is_refused_before_embedding(tmp_path, store, splitter) -> None:
    (tmp_path / "big.txt").write_text(_long_article("Zanzibar", 15))  # ~900 words, ~20 passages
    (tmp_path / "small.txt").write_text(_long_article("Quito", 2))
    embedder = _RecordingEmbedder()
    report = _ingest([tmp_path], store, splitter, embedder, max_file_chunks=10)
    (big,) = report.failed
    assert big.path.endswith("big.txt")
    assert "over the limit of 10 per uploaded file" in big.reason and "NEWSRAG_MAX_UPLOAD_CHUNKS_PER_FILE" in big.reason
    count = int(big.reason.split(": ")[1].split(" passages")[0].replace(",", ""))  # counted, not estimated
    assert count > 10 and "\n" not in big.reason
    assert report.count("ingested") == 1 and report.chunks == store.count() > 0
    assert embedder.texts and not any("Zanzibar" in t for t in embedder.texts)  # no work spent on it


def test_files_past_the_per_run_cap_are_refused_and_later_small_ones_still_fit(tmp_path, store, splitter) -> None:
    for name, word, paragraphs in [("a.txt", "Alpha", 6), ("b.txt", "Bravo", 6), ("c.txt", "Charlie", 1)]:
        (tmp_path / name).write_text(_long_article(word, paragraphs))
    embedder = _RecordingEmbedder()
    report = _ingest([tmp_path], store, splitter, embedder, max_file_chunks=100, max_chunks=10)
    status = {Path(f.path).name: f for f in report.files}
    assert status["a.txt"].status == "ingested" and status["c.txt"].status == "ingested"
    reason = status["b.txt"].reason
    assert status["b.txt"].status == "failed" and "over the limit of 10 per upload" in reason
    assert "NEWSRAG_MAX_UPLOAD_CHUNKS)" in reason and f"with {status['a.txt'].chunks} before it" in reason
    assert not any("Bravo" in t for t in embedder.texts)


def test_uncapped_ingest_takes_big_files(tmp_path, store, splitter, fake_embedder) -> None:
    (tmp_path / "big.txt").write_text(_long_article("Zanzibar", 40))
    assert _ingest([tmp_path], store, splitter, fake_embedder).count("ingested") == 1


def test_pause_runs_before_each_file_and_each_embedding_group(tmp_path, store, splitter) -> None:
    (tmp_path / "big.txt").write_text(_long_article("Zanzibar", 12))
    (tmp_path / "small.txt").write_text(_long_article("Quito", 1))
    embedder = _RecordingEmbedder()
    heard: list[tuple[int, int]] = []  # (group size, texts embedded before the pause)
    report = _ingest(
        [tmp_path], store, splitter, embedder, pause=lambda n: heard.append((n, len(embedder.texts))), embed_group=4
    )
    groups = [n for n, _ in heard if n]
    assert [n for n, _ in heard].count(0) == 2  # one per file, before it is read
    assert sum(groups) == report.chunks == len(embedder.texts) and max(groups) <= 4 and len(groups) >= 3
    done = 0
    for n, before in heard:  # each pause came before its group was embedded
        assert before == done
        done += n


def test_a_file_far_over_the_cap_is_refused_without_chunking(tmp_path, store, splitter, monkeypatch) -> None:
    import index.ingest as ingest_module

    (tmp_path / "huge.txt").write_text(_long_article("Zanzibar", 40))  # 2,440 words: at least 12 passages of 200
    (tmp_path / "small.txt").write_text(_long_article("Quito", 2))
    chunked: list[str] = []
    chunk = ingest_module.chunk_articles
    monkeypatch.setattr(
        ingest_module,
        "chunk_articles",
        lambda articles, *a, **kw: chunked.append(articles[0].title) or chunk(articles, *a, **kw),
    )
    report = _ingest([tmp_path], store, splitter, FakeEmbedder(), max_file_chunks=10)
    (huge,) = report.failed
    assert "huge.txt: at least 12 passages, over the limit of 10 per uploaded file" in huge.reason
    assert chunked == ["A long report on Quito"]
