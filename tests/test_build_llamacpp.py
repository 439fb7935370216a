"""scripts/build_llamacpp.py without compiling: the per-CPU cache, the install record, the off switch."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "build_llamacpp.py"


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("NEWSRAG_CACHE_DIR", str(tmp_path / "cache"))
    spec = importlib.util.spec_from_file_location("build_llamacpp", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cache_key_follows_the_cpu_and_the_version(script: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = script._cpu_module()
    key, flags = script.build_key("1.0")
    assert key.startswith("xllamacpp-1.0-") and key == script.build_key("1.0")[0]
    assert script.build_key("1.1")[0] != key
    assert flags == sorted(cpu.cpu_flags())
    monkeypatch.setattr(script, "_cpu_module", lambda: type("CPU", (), {"cpu_flags": lambda: frozenset({"avx2"})}))
    assert script.build_key("1.0")[0] != key  # another CPU, another wheel


def test_the_pinned_version_is_pyprojects(script: Any) -> None:
    assert f'"xllamacpp=={script.pinned_version()}"' in (REPO / "pyproject.toml").read_text()


def test_a_cached_wheel_is_used_without_compiling(script: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    key, _ = script.build_key("1.0")
    folder = script.cache_dir() / key
    folder.mkdir(parents=True)
    wheel = folder / "xllamacpp-1.0-cp310-abi3-linux_x86_64.whl"
    wheel.write_bytes(b"wheel")

    def no_compiling(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("compiled although a wheel was cached")

    monkeypatch.setattr(script.subprocess, "run", no_compiling)
    assert script.build("1.0", force=False) == wheel


def test_a_failed_compile_is_not_retried_until_forced(script: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    key, _ = script.build_key("1.0")
    folder = script.cache_dir() / key
    folder.mkdir(parents=True)
    (folder / "FAILED").write_text("the compile failed")
    calls: list[Any] = []
    monkeypatch.setattr(script.subprocess, "run", lambda *a, **k: calls.append(a) or subprocess.CompletedProcess(a, 1))
    assert script.build("1.0", force=False) is None and not calls
    assert script.build("1.0", force=True) is None and calls  # forced: tried again (and failed again here)


def test_the_install_record_must_match_the_module_on_disk(script: Any, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    module = venv / "lib" / "python3.11" / "site-packages" / "xllamacpp" / "xllamacpp.abi3.so"
    module.parent.mkdir(parents=True)
    module.write_bytes(b"x" * 100)
    record = {"key": "k", "extension_size": 100}
    (venv / script.STAMP_NAME).write_text(json.dumps(record))
    assert script.installed(venv, "k")
    assert not script.installed(venv, "another cpu")
    module.write_bytes(b"x" * 101)  # reinstalled since (e.g. the prebuilt wheel)
    assert not script.installed(venv, "k")


def test_it_can_be_switched_off(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "NEWSRAG_LLAMACPP_BUILD": "0", "NEWSRAG_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "install"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0 and "keeping the prebuilt" in done.stdout
    assert not any(tmp_path.iterdir())
