"""The bundled embedder's precision: how "auto" resolves, the setting's wiring, and (slow) that
bfloat16 vectors stand in for float32 ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import embed
from index.embed import MiniLMEmbedder, resolve_dtype
from index.errors import ConfigError
from rag.factory import make_embedder
from rag.settings import load_settings

BF16_CPU = frozenset({"avx512f", "avx512_bf16"})
OLD_CPU = frozenset({"avx2", "avx512f"})


@pytest.mark.parametrize(
    ("dtype", "flags", "expected"),
    [
        ("auto", BF16_CPU, "bfloat16"),
        ("auto", frozenset({"amx_bf16"}), "bfloat16"),
        ("auto", OLD_CPU, "float32"),
        ("auto", frozenset(), "float32"),
        ("float32", BF16_CPU, "float32"),
        ("bfloat16", OLD_CPU, "bfloat16"),  # asked for explicitly: honoured, only slower
    ],
)
def test_resolve_dtype(dtype: str, flags: frozenset[str], expected: str) -> None:
    assert resolve_dtype(dtype, flags) == expected


def test_unknown_dtype_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="NEWSRAG_EMBED_DTYPE"):
        resolve_dtype("fp16", BF16_CPU)


@pytest.mark.parametrize(("flags", "expected"), [(BF16_CPU, "bfloat16"), (OLD_CPU, "float32")])
def test_auto_follows_the_cpu_flags_and_keeps_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: frozenset[str], expected: str
) -> None:
    monkeypatch.setattr(embed, "cpu_flags", lambda: flags)
    embedder = MiniLMEmbedder(model_path=tmp_path)  # nothing loads until the first embed
    assert embedder.precision == expected
    assert embedder.name == "minilm:all-MiniLM-L6-v2"  # the index's identity: no precision in it


def test_the_setting_reaches_the_embedder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed, "cpu_flags", lambda: BF16_CPU)
    monkeypatch.delenv("NEWSRAG_EMBED_DTYPE", raising=False)
    default = make_embedder(load_settings(data_dir=tmp_path))
    assert isinstance(default, MiniLMEmbedder) and default.precision == "bfloat16"
    monkeypatch.setenv("NEWSRAG_EMBED_DTYPE", "float32")
    forced = make_embedder(load_settings(data_dir=tmp_path))
    assert isinstance(forced, MiniLMEmbedder) and forced.precision == "float32"
    monkeypatch.setenv("NEWSRAG_EMBED_DTYPE", "fp16")
    with pytest.raises(ConfigError):
        load_settings(data_dir=tmp_path)


PASSAGES = [
    "The city council voted 7-2 on Tuesday to close the Harbour Street bridge for six months of repairs.",
    "Heavy rain is forecast across the north of the country on Friday, with flood warnings for three rivers.",
    "Shares in the chipmaker fell 12% after it cut its revenue forecast for the rest of the year.",
    "The national football team qualified for the World Cup with a 2-0 win over their rivals.",
    "Researchers reported a new antibiotic that kills drug-resistant bacteria in mice.",
    "The central bank raised interest rates by a quarter point to fight rising inflation.",
    "A wildfire forced thousands of residents to evacuate their homes near the coast.",
    "The museum reopened after a two-year renovation with a new wing for modern art.",
    "Parliament passed a law requiring social media companies to verify users' ages.",
    "The airline cancelled hundreds of flights after a computer outage at its hub airport.",
]
QUESTIONS = [
    "Which bridge is closing for repairs?",
    "Where are floods expected this week?",
    "Why did the chip company's stock drop?",
    "Who qualified for the World Cup?",
    "What new drug works against resistant bacteria?",
    "Did the central bank change interest rates?",
    "Why were people evacuated near the coast?",
    "When did the museum reopen?",
    "What does the new social media law require?",
    "Why were flights cancelled?",
]


@pytest.mark.slow
def test_bfloat16_vectors_stand_in_for_float32_ones() -> None:
    """Forced bf16 (autocast runs on any CPU, natively or emulated): an index of float32 vectors
    ranks passages for bf16 questions as it does for float32 ones."""
    full, half = MiniLMEmbedder(threads=1, dtype="float32"), MiniLMEmbedder(threads=1, dtype="bfloat16")
    assert half.precision == "bfloat16"
    vectors16 = half.embed(PASSAGES + QUESTIONS)
    assert all(type(x) is float for x in vectors16[0])  # plain float lists, as the store takes them
    p16, q16 = np.asarray(vectors16[: len(PASSAGES)]), np.asarray(vectors16[len(PASSAGES) :])
    p32, q32 = np.asarray(full.embed(PASSAGES)), np.asarray(full.embed(QUESTIONS))
    assert np.allclose(np.linalg.norm(np.vstack([p16, q16]), axis=1), 1.0, atol=1e-5)
    assert (np.sum(p32 * p16, axis=1) >= 0.999).all() and (np.sum(q32 * q16, axis=1) >= 0.999).all()
    for scores32, scores16 in zip(q32 @ p32.T, q16 @ p32.T, strict=True):
        # The same order, except between passages float32 itself scores within a hair of each other
        # (on this CPU the whole order was the same; differences were below 1e-3).
        decided = scores32[:, None] - scores32[None, :] > 2e-3
        assert (scores16[:, None] > scores16[None, :])[decided].all()
    assert [int(np.argmax(s)) for s in q16 @ p32.T] == list(range(len(QUESTIONS)))
