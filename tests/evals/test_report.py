"""The HTML report: self-contained, escaped, failures first, charts present."""

from __future__ import annotations

from evals.report import render


def row(qid: str, answer: str, contains: float, gold: str | None = "x") -> dict:  # type: ignore[type-arg]
    return {
        "id": qid,
        "question": f"<b>{qid}</b>?",
        "gold": gold,
        "answer": answer,
        "refused": False,
        "error": "",
        "citations": [
            {
                "n": 1,
                "title": "<script>alert(1)</script>",
                "source": "s.txt",
                "passage": "abc <i>def</i>",
                "quote": "<i>def</i>",
                "quote_start": 4,
                "quote_end": 14,
            }
        ],
        "timings": {"total": 1.0},
        "metrics": {"contains": contains, "f1": contains},
    }


def test_report_escapes_article_text_and_orders_failures_first() -> None:
    summary = {
        "config": "default",
        "questions": 2,
        "metrics": {"contains": 0.5, "f1": 0.5},
        "latency": {"total": {"p50": 1.0, "p95": 1.0}},
    }
    baseline = {"config": "GPT-3 (published)", "questions": 2, "metrics": {"contains": 0.4}}
    page = render(
        "t", [summary], {"default": [row("good", "x", 1.0), row("bad", "<img src=x onerror=1>", 0.0)]}, [baseline]
    )
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "<mark>&lt;i&gt;def&lt;/i&gt;</mark>" in page
    assert page.index("&lt;b&gt;bad") < page.index("&lt;b&gt;good")
    assert page.count("<svg") >= 1 and "GPT-3 (published)" in page
    assert "<link" not in page and "<script" not in page  # self-contained, no scripts
