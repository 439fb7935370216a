"""Assembling and verifying the bundled model, on small stand-in parts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from index.errors import ModelError
from rag.generate import model_files


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    blobs = [b"GGUF" + bytes([i]) * 1000 for i in range(3)]
    paths = []
    for i, blob in enumerate(blobs):
        p = tmp_path / f"part{i}.bin"
        p.write_bytes(blob)
        paths.append(p)
    whole = b"".join(blobs)
    monkeypatch.setattr(model_files, "part_paths", lambda: paths)
    monkeypatch.setattr(model_files, "MODEL_SIZE", len(whole))
    monkeypatch.setattr(model_files, "MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    return paths


def test_assembles_once_and_verifies(parts: list[Path], tmp_path: Path) -> None:
    target = model_files.assemble(tmp_path / "models")
    assert target.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert model_files.is_verified(target)
    mtime = target.stat().st_mtime_ns
    assert model_files.assemble(tmp_path / "models") == target
    assert target.stat().st_mtime_ns == mtime  # not rebuilt


def test_parts_that_do_not_match_the_hash_are_refused(parts: list[Path], tmp_path: Path) -> None:
    parts[1].write_bytes(b"GGUF" + b"\xff" * 1000)  # same size, different bytes
    with pytest.raises(ModelError, match="SHA-256"):
        model_files.assemble(tmp_path / "models")
    assert not list((tmp_path / "models").iterdir())  # no partial or bad file left behind


def test_truncated_or_corrupt_model_is_refused_with_a_fix(parts: list[Path], tmp_path: Path) -> None:
    target = model_files.assemble(tmp_path / "models")
    data = target.read_bytes()
    target.write_bytes(data[:-10])
    with pytest.raises(ModelError, match=r"truncated.*newsrag model install --force"):
        model_files.verify(target)
    target.write_bytes(data[:-1] + b"\x00")  # same size, new mtime: re-hashed
    with pytest.raises(ModelError, match="SHA-256 mismatch"):
        model_files.verify(target)
    assert model_files.assemble(tmp_path / "models", force=True).read_bytes() == data


def test_user_model_must_be_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a GGUF"):
        model_files.check_gguf(fake)
