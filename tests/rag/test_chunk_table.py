"""``rag.retrieve.chunk_table``: the in-memory copy of the index that retrieval reads.

The date window's dense ranking is an exact search over the window's chunks: checked against
a sort of all similarities and against Chroma's own filtered query on a real collection.
"""

from __future__ import annotations

import numpy as np
import pytest
from llama_index.core.schema import TextNode

from index.chunk import UNDATED
from index.store.collection import ChromaStore
from rag.retrieve.chunk_table import ChunkTable

DAYS = [19000, 19003, 19007, 19010, UNDATED, 19005]


def _table(n: int = 300, dim: int = 16) -> tuple[ChunkTable, np.ndarray]:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    nodes = [
        TextNode(id_=f"a{i}:0", text=f"chunk {i}", metadata={"published_day": DAYS[i % len(DAYS)]}) for i in range(n)
    ]
    return ChunkTable(nodes, vectors), vectors


def test_window_mask_keeps_dated_inside_and_undated() -> None:
    table, _ = _table(12)
    mask = table.inside((19003, 19007))
    assert [DAYS[i % len(DAYS)] for i in np.flatnonzero(mask)] == [19003, 19007, UNDATED, 19005] * 2


def test_nearest_is_exact_within_the_mask() -> None:
    table, vectors = _table()
    q = vectors[5] * 0.6 + vectors[17] * 0.4
    q /= np.linalg.norm(q)
    mask = table.inside((19003, 19007))
    sims = vectors @ q
    expected = [f"a{i}:0" for i in sorted(np.flatnonzero(mask), key=lambda i: -sims[i])[:10]]
    got = table.nearest(q.tolist(), 10, mask)
    assert [n.node_id for n, _ in got] == expected
    best = sorted((float(sims[i]) for i in np.flatnonzero(mask)), reverse=True)[:10]
    assert [s for _, s in got] == pytest.approx(best)
    assert table.nearest(q.tolist(), 10, np.zeros(len(table), dtype=bool)) == []


def test_similarity_of_known_ids_only() -> None:
    table, vectors = _table()
    q = vectors[3]
    sims = table.similarity(q.tolist(), ["a3:0", "a4:0", "missing:0"])
    assert sims["a3:0"] == pytest.approx(1.0, abs=1e-5)
    assert sims["a4:0"] == pytest.approx(float(vectors[4] @ q), abs=1e-5)
    assert "missing:0" not in sims


def test_mismatched_sizes_refused() -> None:
    with pytest.raises(ValueError):
        ChunkTable([TextNode(id_="x", text="x")], np.zeros((2, 4), dtype=np.float32))


def test_matches_chroma_filtered_query(store: ChromaStore) -> None:
    """On a real collection, the table's window ranking equals Chroma's exact filtered search."""
    table, vectors = _table(200)
    for node, vector in zip(table.nodes, vectors, strict=True):
        node.embedding = vector.tolist()
        node.metadata["file_path"] = "/news/a.jsonl"
    store.replace_file("/news/a.jsonl", table.nodes)
    nodes, matrix = store.all_chunks()
    loaded = ChunkTable(nodes, matrix)
    assert len(loaded) == 200
    q = vectors[11]
    in_window = {"$and": [{"published_day": {"$gte": 19003}}, {"published_day": {"$lte": 19007}}]}
    where = {"$or": [in_window, {"published_day": UNDATED}]}
    got = store.collection.query(query_embeddings=[q.tolist()], n_results=8, where=where, include=["distances"])  # type: ignore[arg-type]
    ours = loaded.nearest(q.tolist(), 8, loaded.inside((19003, 19007)))
    assert [n.node_id for n, _ in ours] == got["ids"][0]
    nearest = store.nearest_ids(q.tolist(), 5)
    assert nearest[0][0] == "a11:0" and nearest[0][1] == pytest.approx(1.0, abs=1e-4)


def test_distinct_passes_over_near_copies_of_better_chunks() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(4, 16)).astype(np.float32)
    copy = base[0] + 0.05 * rng.normal(size=16).astype(np.float32)  # the same story, slightly edited
    vectors = np.vstack([base, copy])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert float(vectors[0] @ vectors[4]) > 0.95
    assert (vectors[:4] @ vectors[:4].T - np.eye(4) < 0.9).all()  # the four stories differ
    nodes = [TextNode(id_=f"c{i}", text=f"chunk {i}") for i in range(5)]
    table = ChunkTable(nodes, vectors)
    ranked = ["c0", "c4", "c1", "c2", "c3"]
    assert table.distinct(ranked, 3, 0.95) == ["c0", "c1", "c2"]  # the copy of c0 is passed over
    assert table.distinct(ranked, 3, 1.01) == ["c0", "c4", "c1"]  # nothing is that similar: order kept
    assert table.distinct(["gone", "c4", "c0"], 2, 0.95) == ["gone", "c4"]  # unknown ids are kept, not compared
