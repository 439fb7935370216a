"""Settings: environment prefix, config file, one-line errors, and backend choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import ConfigError
from rag.factory import resolve_backend
from rag.settings import load_settings


def test_env_prefix_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSRAG_TOP_K", "7")
    assert load_settings().top_k == 7
    assert load_settings(top_k=3).top_k == 3


def test_config_file_is_read_and_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "newsrag.toml"
    cfg.write_text('top_k = 4\nretrieval_mode = "bm25"\nopenai_model = "llama3"\n')
    s = load_settings(cfg)
    assert (s.top_k, s.retrieval_mode, s.openai_model) == (4, "bm25", "llama3")
    monkeypatch.setenv("NEWSRAG_TOP_K", "9")
    assert load_settings(cfg).top_k == 9


def test_config_file_in_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsrag.toml").write_text("top_k = 2\n")
    assert load_settings().top_k == 2


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("NEWSRAG_TOP_K", "0", "top_k"),
        ("NEWSRAG_BACKEND", "gpt5", "backend"),
        ("NEWSRAG_OPENAI_BASE_URL", "localhost:8000", "openai_base_url"),
    ],
)
def test_invalid_values_are_one_line_config_errors(monkeypatch, env, value, message) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings()
    assert "\n" not in str(info.value) and env in str(info.value)


def test_missing_or_malformed_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = = 3\n")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("topk = 3\n")
    with pytest.raises(ConfigError, match="topk"):
        load_settings(unknown)


def test_auto_backend_prefers_a_configured_endpoint() -> None:
    name, why = resolve_backend(load_settings(openai_base_url="http://127.0.0.1:11434/v1"))
    assert name == "openai" and "endpoint" in why
    assert resolve_backend(load_settings(backend="extractive"))[0] == "extractive"
