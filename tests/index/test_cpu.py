"""CPU flags from a cpuinfo file, and whether they mean native bfloat16."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cpu import cpu_flags, has_bf16

X86 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9B14
flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni
bugs\t\t: sysret_ss_attrs

processor\t: 1
vendor_id\t: AuthenticAMD
flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni
"""

ARM = """processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm bf16 i8mm
CPU implementer\t: 0x41
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(text, encoding="utf-8")
    return path


def test_flags_are_read_from_the_flags_line(tmp_path: Path) -> None:
    assert cpu_flags(write(tmp_path, X86)) == {"fpu", "sse2", "avx2", "avx512f", "avx512_bf16", "avx512_vnni"}


def test_a_flag_counts_only_when_every_core_has_it(tmp_path: Path) -> None:
    text = X86.replace("avx512_bf16 avx512_vnni\n", "avx512_vnni\n", 1)
    flags = cpu_flags(write(tmp_path, text))
    assert "avx512_bf16" not in flags and "avx512_vnni" in flags


@pytest.mark.parametrize("text", ["", ARM, "processor\t: 0\n"], ids=["empty", "arm-features", "no-flags"])
def test_no_flags_line_gives_no_flags(tmp_path: Path, text: str) -> None:
    assert cpu_flags(write(tmp_path, text)) == frozenset()


def test_unreadable_cpuinfo_gives_no_flags(tmp_path: Path) -> None:
    assert cpu_flags(tmp_path / "missing") == frozenset()
    assert cpu_flags(tmp_path) == frozenset()  # a directory, not a file


def test_flags_are_read_once_per_path(tmp_path: Path) -> None:
    path = write(tmp_path, X86)
    first = cpu_flags(path)
    path.write_text("", encoding="utf-8")
    assert cpu_flags(path) == first


def test_this_machine_gives_a_set() -> None:
    assert isinstance(cpu_flags(), frozenset)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"avx512f", "avx512_bf16"}, True),
        ({"amx_tile", "amx_bf16"}, True),
        ({"avx512f", "avx512_vnni", "amx_int8"}, False),  # AVX-512 alone only emulates bf16
        ({"bf16", "asimd"}, False),  # ARM's flag: not detected (module docstring)
        (set(), False),
    ],
)
def test_has_bf16(flags: set[str], expected: bool) -> None:
    assert has_bf16(frozenset(flags)) is expected
