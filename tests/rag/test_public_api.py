"""The public API's import paths and import-time behaviour (#22: nothing moved for API users)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_errors_and_the_engine_are_importable_from_rag() -> None:
    import index.errors
    import rag
    from rag import ConfigError, NewsRAG, NewsragError
    from rag.api import NewsRAG as FromApi

    assert NewsragError is index.errors.NewsragError and issubclass(ConfigError, NewsragError)
    assert NewsRAG is FromApi
    assert set(rag.__all__) >= {"NewsRAG", "NewsragError", "EmptyIndexError", "LLMError", "StorageError"}


def test_importing_the_api_changes_no_environment_and_newsrag_sets_the_offline_switches(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env["PYTHONPATH"] = str(REPO)
    code = (
        "import os, rag.api\n"
        "print(os.environ.get('HF_HUB_OFFLINE'))\n"
        f"rag.api.NewsRAG(data_dir={str(tmp_path)!r}, backend='extractive')\n"
        "print(os.environ.get('HF_HUB_OFFLINE'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["None", "1"]


def test_the_samples_ship_with_the_package() -> None:
    from rag.api import SAMPLES_DIR

    assert SAMPLES_DIR.is_dir() and len(list(SAMPLES_DIR.glob("*.txt"))) >= 3
