"""What the CPU can do, read from the operating system: the instruction-set flags.

``cpu_flags`` reads the ``flags`` lines of Linux's ``/proc/cpuinfo`` (a flag counts only when
every core lists it); ``has_bf16`` says whether those flags include native bfloat16 maths,
which decides whether the embedder runs in bf16 (without it bf16 is emulated and slower than
float32). Leaves out other operating systems and architectures (no ``/proc/cpuinfo``, or no
``flags`` line, as on ARM): they get an empty set, so callers fall back to float32. No
probing by running instructions, and no check that the kernel lets a process use AMX tiles.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@lru_cache(maxsize=8)
def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The flags every core reports in ``cpuinfo``; empty when it cannot be read or has none."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    common: frozenset[str] | None = None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            flags = frozenset(value.split())
            common = flags if common is None else common & flags
    return common or frozenset()


def has_bf16(flags: frozenset[str]) -> bool:
    """Whether the CPU computes in bfloat16 natively (AVX512-BF16 or AMX-BF16)."""
    return not BF16_FLAGS.isdisjoint(flags)
