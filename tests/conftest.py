"""Shared fixtures: sample articles, fakes, and real Chroma clients in temp dirs."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from index.embed import LlamaIndexEmbedding
from index.store.collection import ChromaStore
from rag.api import SAMPLES_DIR
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES_DIR


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def chroma_client() -> Any:
    import chromadb
    from chromadb.config import Settings

    return chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False, allow_reset=True))


@pytest.fixture
def store(chroma_client: Any, fake_embedder: FakeEmbedder) -> ChromaStore:
    # EphemeralClient instances share one in-memory system: a unique name isolates each test.
    return ChromaStore(chroma_client, f"t-{uuid.uuid4().hex[:12]}", fake_embedder.name)


@pytest.fixture
def embed_model(fake_embedder: FakeEmbedder) -> LlamaIndexEmbedding:
    return LlamaIndexEmbedding(fake_embedder)
