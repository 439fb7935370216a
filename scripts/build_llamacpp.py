"""Build llama.cpp (the ``xllamacpp`` binding) for the CPU this machine has, once per CPU.

The prebuilt ``xllamacpp`` wheel on PyPI is compiled for AVX2, so on a CPU with AVX-512,
VNNI or BF16 it leaves half the prompt speed unused (docs/BENCHMARKS.md: 79 -> 145 prompt
tokens/s here). This script compiles the same pinned version from its sdist with
``GGML_NATIVE=ON`` (``-march=native``): whatever CPU it runs on, AVX-512 or not, gets the
best code the compiler can make for it.

    python scripts/build_llamacpp.py build     # make the wheel for this CPU into the cache
    python scripts/build_llamacpp.py install   # put it into the venv (building it if needed)

``scripts/setup.sh`` starts ``build`` in the background as soon as the venv exists, so the
compile (~8.5 min on 2 cores) overlaps pip's downloads, then runs ``install``. Wheels are kept
in ``$NEWSRAG_CACHE_DIR`` (default ``~/.cache/newsrag``) under a key made of the xllamacpp
version and the CPU's instruction-set flags: re-running setup, or setting up a fresh clone on
the same machine, reuses the wheel; another CPU gets its own. ``install`` records what it
installed in ``<venv>/newsrag-llamacpp.json``; the product reads it to refuse a build made for
another CPU (a copied venv) with a message instead of crashing on an illegal instruction, and
``newsrag doctor`` reports which instruction sets the running llama.cpp uses.

A failed build never fails setup: the prebuilt AVX2 wheel stays in place and works; the
failure is recorded so later runs do not compile again until ``--force``.
``NEWSRAG_LLAMACPP_BUILD=0`` skips all of this (keeps the prebuilt wheel).

Leaves out: GPU builds, other bindings, and building on Windows or macOS (untested there;
the same flags would apply). It needs cmake and a C++17 compiler (Debian: cmake g++) and
reaches PyPI only to fetch the sdist and its build requirements.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STAMP_NAME = "newsrag-llamacpp.json"
RETRY = "python scripts/build_llamacpp.py install --force"

# llama.cpp's own download steps (web UI from a hub, TLS and grammar libraries from git) are
# switched off: nothing outside PyPI is reachable, and newsrag uses none of them.
CMAKE_ARGS = [
    "-DGGML_NATIVE=ON",
    "-DLLAMA_LLGUIDANCE=OFF",
    "-DLLAMA_BUILD_BORINGSSL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DGGML_CCACHE=OFF",
]


def _cpu_module() -> Any:
    """``index/cpu.py`` by path: this runs before the project is installed in the venv."""
    spec = importlib.util.spec_from_file_location("newsrag_cpu", ROOT / "index" / "cpu.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pinned_version() -> str:
    """The xllamacpp version pyproject.toml pins for the ``local`` extra."""
    match = re.search(r'"xllamacpp==([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    if not match:
        raise SystemExit("pyproject.toml pins no xllamacpp version")
    return match.group(1)


def cache_dir() -> Path:
    base = os.environ.get("NEWSRAG_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "newsrag"
    )
    return Path(base) / "llamacpp"


def build_key(version: str) -> tuple[str, list[str]]:
    """The cache key for this CPU and version, and the CPU flags it stands for.

    All flags, not only the SIMD ones: ``-march=native`` may use any instruction the CPU has.
    """
    flags = sorted(_cpu_module().cpu_flags())
    digest = hashlib.sha256(" ".join([platform.machine(), *flags]).encode()).hexdigest()[:12]
    return f"xllamacpp-{version}-{platform.machine()}-{digest}", flags


def _log(message: str) -> None:
    print(f"llama.cpp: {message}", flush=True)


def build(version: str, force: bool) -> Path | None:
    """The wheel for this CPU: from the cache, or compiled now. None when the build failed."""
    key, isa = build_key(version)
    folder = cache_dir() / key
    wheels = sorted(folder.glob("xllamacpp-*.whl"))
    if wheels and not force:
        return wheels[0]
    failed = folder / "FAILED"
    if failed.exists() and not force:
        _log(f"an earlier build for this CPU failed ({failed}); keeping the prebuilt AVX2 build")
        return None
    missing = [tool for tool in ("cmake", "c++") if shutil.which(tool) is None]
    if missing:
        _log(f"cannot build for this CPU without {', '.join(missing)} (Debian: apt-get install cmake g++)")
        return None
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    simd = [f for f in isa if f.startswith(("avx", "amx")) or f in ("fma", "f16c")]
    _log(f"compiling xllamacpp {version} for this CPU ({' '.join(simd) or 'no flags read'}): a few minutes")
    with tempfile.TemporaryDirectory(prefix="newsrag-llamacpp-") as tmp:
        jobs = str(os.cpu_count() or 2)
        # -g0: no debug info (a smaller module, a faster compile and link).
        env = {**os.environ, "CMAKE_ARGS": " ".join(CMAKE_ARGS), "NPROC": jobs, "CFLAGS": "-g0", "CXXFLAGS": "-g0"}
        env.pop("XLLAMACPP_RELEASE", None)  # release mode would turn GGML_NATIVE off
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
        log = folder / "build.log"
        source = Path(tmp) / f"xllamacpp-{version}"
        with log.open("w", encoding="utf-8") as out:
            step = [
                *pip,
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"xllamacpp=={version}",
                "-d",
                tmp,
            ]
            ok = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, env=env, check=False).returncode == 0
            if ok:
                with tarfile.open(Path(tmp) / f"xllamacpp-{version}.tar.gz") as archive:
                    archive.extractall(tmp, filter="data")
                # The binding's own four C++ files compile one after another unless told otherwise.
                with (source / "setup.cfg").open("a", encoding="utf-8") as cfg:
                    cfg.write(f"\n[build_ext]\nparallel = {jobs}\n")
                # --no-cache-dir: a wheel for this CPU must not land in pip's cache, where an
                # install on another CPU could pick it up; our own cache is keyed by CPU.
                step = [*pip, "wheel", "--no-deps", "--no-cache-dir", "-w", tmp, str(source)]
                ok = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, env=env, check=False).returncode == 0
            if not ok and step[4] == "download":  # PyPI unreachable: try again on the next run
                _log(f"could not download the xllamacpp sdist (log: {log}); keeping the prebuilt AVX2 build")
                return None
            if not ok:  # remembered: a compile that failed once fails again, and costs minutes
                failed.write_text(f"{time.ctime()}: the compile failed; see {log}\n", encoding="utf-8")
                _log(f"build failed (log: {log}); keeping the prebuilt AVX2 build. Retry: {RETRY}")
                return None
        built = sorted(Path(tmp).glob("xllamacpp-*.whl"))
        if not built:
            _log(f"the build made no wheel (log: {log}); keeping the prebuilt AVX2 build")
            return None
        target = folder / built[0].name
        shutil.move(str(built[0]), target)
    (folder / "build.json").write_text(
        json.dumps(
            {
                "key": key,
                "cpu_flags": isa,
                "cmake_args": CMAKE_ARGS,
                "build_seconds": round(time.monotonic() - started, 1),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    failed.unlink(missing_ok=True)
    _log(f"built in {time.monotonic() - started:.0f} s: {target}")
    return target


def _extension(venv: Path) -> Path | None:
    """The installed binding's compiled module, whose size tells one build from another."""
    found = sorted(venv.glob("lib/python*/site-packages/xllamacpp/xllamacpp*.so"))
    return found[0] if found else None


def installed(venv: Path, key: str) -> bool:
    """Whether the venv's binding is the build for ``key`` (its record matches the module on disk)."""
    stamp, so = venv / STAMP_NAME, _extension(venv)
    if so is None or not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return bool(recorded.get("key") == key and recorded.get("extension_size") == so.stat().st_size)


def install(venv: Path, version: str, force: bool) -> int:
    key, isa = build_key(version)
    stamp = venv / STAMP_NAME
    if _extension(venv) is None:
        _log("xllamacpp is not installed in this venv (the local extra); nothing to do")
        return 0
    if not force and installed(venv, key):
        _log(f"already built for this CPU ({key})")
        return 0
    wheel = build(version, force)
    if wheel is None:
        stamp.unlink(missing_ok=True)
        return 0
    python = venv / "bin" / "python"
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        check=False,
    )
    if done.returncode:
        _log(f"could not install {wheel}; keeping the build that was there")
        return 0
    so = _extension(venv)
    assert so is not None
    stamp.write_text(
        json.dumps(
            {
                "key": key,
                "xllamacpp": version,
                "cpu_flags": isa,
                "cmake_args": CMAKE_ARGS,
                "wheel": str(wheel),
                "extension_size": so.stat().st_size,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    _log(f"installed the build for this CPU ({wheel.name})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["build", "install"])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--force", action="store_true", help="build again even if a wheel or a failure is cached")
    args = parser.parse_args()
    if os.environ.get("NEWSRAG_LLAMACPP_BUILD", "1") == "0":
        _log("NEWSRAG_LLAMACPP_BUILD=0: keeping the prebuilt AVX2 build")
        return 0
    version = pinned_version()
    if args.step == "build":
        if args.force or not installed(args.venv.resolve(), build_key(version)[0]):
            build(version, args.force)
        return 0
    return install(args.venv.resolve(), version, args.force)


if __name__ == "__main__":
    raise SystemExit(main())
