"""Which llama.cpp build the local generator runs, and whether it suits this CPU.

``scripts/build_llamacpp.py`` compiles the ``xllamacpp`` binding for the CPU at setup time and
records the build in ``<venv>/newsrag-llamacpp.json``: the instruction-set flags of the CPU it
was made for and the size of the compiled module it installed. This module reads that record
and llama.cpp's own ``get_system_info()`` to say:

- whether the build fits this CPU (``check_build``): a build made for AVX-512 would crash with
  an illegal instruction on a CPU without it (a venv copied to another machine), so the
  generator refuses it first, with the command that rebuilds it;
- which instruction sets the running llama.cpp uses and which fast ones this CPU has that it
  leaves unused (``runtime``), for ``newsrag doctor`` and ``newsrag info``.

Leaves out: building (the setup script's job), GPUs, and CPUs whose flags Linux does not list
(``index.cpu``): there nothing is refused and nothing is reported unused. Only the SIMD sets
ggml names are compared; a rarer instruction the compiler may also have used (GFNI, VAES…)
is not (setup keys its cache on every CPU flag, so a re-run of setup rebuilds for them).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from index.cpu import cpu_flags
from index.errors import BackendUnavailableError

STAMP = Path(sys.prefix) / "newsrag-llamacpp.json"
REBUILD = "bash scripts/setup.sh (or: python scripts/build_llamacpp.py install --force)"

# ggml's names for what it was compiled with, and the Linux CPU flag each one needs.
GGML_FLAGS = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX_VNNI": "avx_vnni",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
}
# The ones that speed up llama.cpp's quantized matrix products (prompt reading) past AVX2.
FAST = ("AVX_VNNI", "AVX512", "AVX512_VNNI", "AVX512_BF16", "AMX_INT8")


@dataclass(frozen=True)
class Runtime:
    """The llama.cpp build the local generator loads."""

    built_here: bool  # compiled by setup for this machine's CPU, not the prebuilt AVX2 wheel
    features: tuple[str, ...]  # instruction sets llama.cpp reports it was compiled with
    unused: tuple[str, ...]  # fast instruction sets this CPU has that the build leaves unused

    def describe(self) -> str:
        uses = ", ".join(self.features) or "no SIMD instruction sets"
        kind = "built for this CPU" if self.built_here else "prebuilt generic build"
        line = f"llama.cpp {kind}, uses {uses}"
        if self.unused:
            line += f"; this CPU also has {', '.join(self.unused)}, unused: build it for this CPU with {REBUILD}"
        return line


def _extension() -> Path | None:
    spec = importlib.util.find_spec("xllamacpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("xllamacpp*.so"))
    return found[0] if found else None


def _record(stamp: Path) -> dict[str, object] | None:
    """The setup script's record, when it describes the binding installed now."""
    try:
        record = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    so = _extension()
    if not isinstance(record, dict) or so is None or record.get("extension_size") != so.stat().st_size:
        return None  # the binding was reinstalled since (e.g. the prebuilt wheel): the record is stale
    return record


def check_build(stamp: Path = STAMP, flags: frozenset[str] | None = None) -> None:
    """Refuse a llama.cpp compiled for instruction sets this CPU lacks, before it is loaded."""
    _checked_record(stamp, cpu_flags() if flags is None else flags)


def _checked_record(stamp: Path, have: frozenset[str]) -> dict[str, object] | None:
    """The setup record of the installed build, after refusing it if it needs what ``have`` lacks."""
    record = _record(stamp)
    if record is None:
        return None
    built_for = record.get("cpu_flags")
    # Every SIMD set ggml can use that the build machine had: -march=native may have used any.
    needed = set(GGML_FLAGS.values()) & set(built_for if isinstance(built_for, list) else [])
    missing = sorted(needed - have) if have else []
    if missing:
        raise BackendUnavailableError(
            f"llama.cpp in this environment was built for another CPU (it needs {', '.join(missing)}, "
            f"which this one lacks): rebuild it here with {REBUILD}"
        )
    return record


def parse_features(system_info: str) -> tuple[str, ...]:
    """The instruction sets in llama.cpp's ``get_system_info()`` line ("AVX2 = 1 | ...")."""
    found = []
    for part in system_info.split("|"):
        name, sep, value = part.rpartition("=")
        name = name.split(":")[-1].strip()
        if sep and value.strip() == "1" and name in GGML_FLAGS:
            found.append(name)
    return tuple(found)


def runtime(stamp: Path = STAMP, flags: frozenset[str] | None = None) -> Runtime:
    """What the installed llama.cpp uses on this CPU (loads the binding, not the model)."""
    have = cpu_flags() if flags is None else flags
    record = _checked_record(stamp, have)
    try:
        import xllamacpp
    except ImportError as err:
        raise BackendUnavailableError("the local backend needs xllamacpp: pip install -e .[local]") from err
    features = parse_features(str(xllamacpp.get_system_info()))
    unused = tuple(f for f in FAST if GGML_FLAGS[f] in have and f not in features)
    return Runtime(built_here=record is not None, features=features, unused=unused)
