"""Answer, retrieval and latency metrics."""

from __future__ import annotations

import math

import pytest

from evals import metrics


@pytest.mark.parametrize(
    ("text", "expected"),
    [("The “Squid Game”!", "squid game"), ("a 60-day truce", "60day truce"), ("  An  Apple ", "apple")],
)
def test_normalize(text: str, expected: str) -> None:
    assert metrics.normalize(text) == expected


def test_answer_metrics_ignore_markers_and_use_accept() -> None:
    golds = ["60 days", "sixty days"]
    assert metrics.exact_match("Sixty days [1].", golds) == 1.0
    assert metrics.exact_match("The truce lasts 60 days [1].", golds) == 0.0
    assert metrics.contains("The truce lasts 60 days [1].", golds) == 1.0
    assert metrics.token_f1("The truce lasts 60 days [1].", golds) == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))
    assert metrics.token_f1("nothing", golds) == 0.0


def test_hit_and_reciprocal_rank() -> None:
    ranked = ["/data/a.txt", "https://ex.com/b", "/data/c.txt"]
    assert metrics.hit_and_rr(ranked, ["c.txt"], 3) == (1.0, pytest.approx(1 / 3))
    assert metrics.hit_and_rr(ranked, ["c.txt"], 2) == (0.0, 0.0)
    assert metrics.hit_and_rr(ranked, ["https://ex.com/b/"], 10) == (1.0, 0.5)


def test_answer_in_context() -> None:
    assert metrics.answer_in_context(["Officials outlined a 60-day truce."], ["60-day"]) == 1.0
    assert metrics.answer_in_context(["no answer here"], ["60-day"]) == 0.0


def test_percentile() -> None:
    assert metrics.percentile([3, 1, 2], 50) == 2
    assert metrics.percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert math.isnan(metrics.percentile([], 50))
