"""Fixtures of the index tests: a copy of the sample articles and a NewsRAG that ingested it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.api import NewsRAG
from rag.settings import Settings
from tests.fakes import FakeEmbedder


def make_rag(data_dir: Path, embedder: FakeEmbedder | None = None) -> NewsRAG:
    """A NewsRAG on ``data_dir`` with the fake embedder and the extractive backend."""
    return NewsRAG(Settings(data_dir=data_dir, backend="extractive"), embedder=embedder or FakeEmbedder())


@pytest.fixture
def corpus(tmp_path: Path, samples_dir: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(samples_dir, target)
    return target


@pytest.fixture
def rag(tmp_path: Path, corpus: Path) -> NewsRAG:
    instance = make_rag(tmp_path / "data")
    assert instance.ingest([corpus]).count("ingested") == 3
    return instance
