"""Which llama.cpp build runs: the setup record, the CPU check before loading, what doctor says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.cpu import cpu_flags
from index.errors import BackendUnavailableError
from rag.generate import runtime

pytest.importorskip("xllamacpp")

PREBUILT_INFO = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 | OPENMP = 1 "
    "| REPACK = 1 | "
)
AVX512_HOST = frozenset({"avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16"})
AVX2_HOST = frozenset({"avx2", "fma", "f16c"})


def _stamp(tmp_path: Path, flags: list[str], size: int | None = None) -> Path:
    so = runtime._extension()
    assert so is not None
    stamp = tmp_path / "newsrag-llamacpp.json"
    stamp.write_text(json.dumps({"cpu_flags": flags, "extension_size": so.stat().st_size if size is None else size}))
    return stamp


def test_system_info_is_read_as_instruction_sets() -> None:
    assert runtime.parse_features(PREBUILT_INFO) == ("SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2")
    assert runtime.parse_features("CPU : AVX512 = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 0 | AMX_INT8 = 1 |") == (
        "AVX512",
        "AVX512_VNNI",
        "AMX_INT8",
    )
    assert runtime.parse_features("") == ()


def test_a_build_for_another_cpu_is_refused_before_it_loads(tmp_path: Path) -> None:
    stamp = _stamp(tmp_path, sorted(AVX512_HOST))
    with pytest.raises(BackendUnavailableError, match=r"built for another CPU.*avx512_bf16.*scripts/setup\.sh"):
        runtime.check_build(stamp, AVX2_HOST)
    runtime.check_build(stamp, AVX512_HOST)  # the CPU it was built for
    runtime.check_build(stamp, AVX512_HOST | {"amx_int8"})  # a newer one


def test_a_stale_record_is_ignored(tmp_path: Path) -> None:
    # The record describes another binding (reinstalled since): it says nothing about this one.
    stamp = _stamp(tmp_path, sorted(AVX512_HOST), size=1)
    runtime.check_build(stamp, AVX2_HOST)
    assert not runtime.runtime(stamp, AVX2_HOST).built_here
    runtime.check_build(tmp_path / "missing.json", AVX2_HOST)


def test_unused_instruction_sets_are_named_with_the_fix(tmp_path: Path) -> None:
    rt = runtime.runtime(tmp_path / "missing.json", AVX512_HOST)
    assert "AVX2" in rt.features
    # Whatever binding is installed, "unused" is exactly what the CPU has and the build lacks.
    assert set(rt.unused) == {f for f in ("AVX512", "AVX512_VNNI", "AVX512_BF16") if f not in rt.features}
    if rt.unused:
        assert "scripts/setup.sh" in rt.describe() and "unused" in rt.describe()
    assert runtime.runtime(tmp_path / "missing.json", AVX2_HOST).unused == ()
    assert "unused" not in runtime.runtime(tmp_path / "missing.json", AVX2_HOST).describe()


@pytest.mark.skipif(os.environ.get("NEWSRAG_LLAMACPP_BUILD") == "0", reason="setup was told to keep the prebuilt build")
def test_setup_installed_llama_cpp_built_for_this_cpu() -> None:
    # scripts/setup.sh compiles llama.cpp for the CPU: it must use every fast instruction set there is.
    rt = runtime.runtime()
    assert rt.built_here, rt.describe()
    assert rt.unused == (), rt.describe()
    if "avx512f" in cpu_flags():
        assert "AVX512" in rt.features


def test_model_info_names_the_build(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "model", "info"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "llama.cpp" in done.stdout and "AVX2" in done.stdout
    assert "EMBED_DTYPE=auto" in done.stdout


@pytest.mark.e2e
def test_doctor_says_which_build_the_local_model_runs_on(tmp_path: Path) -> None:
    from rag.generate import model_files

    model = model_files.assemble(Path(__file__).resolve().parents[2] / ".newsrag" / "models")
    env = {
        **os.environ,
        "NEWSRAG_DATA_DIR": str(tmp_path),
        "NEWSRAG_BACKEND": "local",
        "NEWSRAG_LOCAL_MODEL_PATH": str(model),
        "COLUMNS": "300",
    }
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "doctor"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith(("ok: llama.cpp", "warning: llama.cpp")) and "AVX2" in first, done.stdout
