"""RealTimeQA adapter: raw benchmark files → a corpus and an eval set, and baseline scores.

Reads a RealTimeQA folder laid out as ``qa/WEEK_qa.jsonl``, ``gcs/WEEK_gcs.jsonl``,
``gold/WEEK_gold.jsonl`` and ``baselines/WEEK_qa_NAME_gen.jsonl`` (the path is an argument;
the data is not shipped). The corpus is the union of every question's search results,
deduplicated by URL, without empty texts — one JSONL article file, so newsrag ingests it
like any user's articles (boilerplate cleaning included). Questions without search results
are left out. The gold answer is the text of the correct choice; gold sources are the
``gold/`` URLs. Published baseline predictions are scored with the same metrics as ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evals import metrics
from evals.dataset import EvalItem, write_eval_set
from index.errors import InputError

BASELINES = {
    "open_gpt3_gcs": "GPT-3 + Google search (published)",
    "open_rag_gcs": "RAG + Google search (published)",
    "closed_gpt3": "GPT-3 closed book (published)",
}


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as err:
                    raise InputError(f"{path}:{lineno}: invalid JSON ({err.msg})") from None


def _check(root: Path) -> None:
    for sub in ("qa", "gcs"):
        if not (root / sub).is_dir():
            raise InputError(f"{root} is not a RealTimeQA folder: it has no {sub}/ (expected qa/, gcs/, gold/)")


def build(root: Path, out_dir: Path) -> tuple[Path, Path, list[EvalItem]]:
    """Write ``corpus/articles.jsonl`` and ``eval.jsonl`` under ``out_dir``."""
    _check(root)
    articles: dict[str, dict[str, Any]] = {}
    searched: set[str] = set()
    for path in sorted((root / "gcs").glob("*_gcs.jsonl")):
        for row in _jsonl(path):
            searched.add(row["question_id"])
            for result in row.get("search_result") or []:
                url, text = result.get("url"), (result.get("text") or "").strip()
                if url and text and url not in articles:
                    authors = result.get("authors") or []
                    articles[url] = {
                        "title": result.get("title") or "",
                        "text": text,
                        "url": url,
                        "published_at": result.get("publish_date"),
                        "author": ", ".join(authors) if isinstance(authors, list) else str(authors),
                    }
    gold: dict[str, list[str]] = {}
    for path in sorted((root / "gold").glob("*_gold.jsonl")) if (root / "gold").is_dir() else []:
        for row in _jsonl(path):
            gold[row["question_id"]] = [r["url"] for r in row.get("search_result") or [] if r.get("url")]
    items = []
    for path in sorted((root / "qa").glob("*_qa.jsonl")):
        for row in _jsonl(path):
            qid = row["question_id"]
            if qid not in searched:
                continue
            choices = [str(c) for c in row.get("choices") or []]
            answer = choices[int(row["answer"][0])] if choices and row.get("answer") else None
            items.append(
                EvalItem(
                    id=qid,
                    question=row["question_sentence"],
                    answer=answer,
                    sources=tuple(gold.get(qid, [])),
                    choices=tuple(choices),
                    date=str(row.get("question_date", "")).replace("/", "-")[:10] or None,
                    extra={"source": row.get("question_source")},
                )
            )
    if not items:
        raise InputError(f"{root}: no questions with search results found")
    corpus_dir = out_dir / "corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    corpus_file = corpus_dir / "articles.jsonl"
    with corpus_file.open("w", encoding="utf-8") as f:
        for article in articles.values():
            f.write(json.dumps(article, ensure_ascii=False) + "\n")
    eval_file = out_dir / "eval.jsonl"
    write_eval_set(items, eval_file)
    return corpus_dir, eval_file, items


def baseline_summaries(root: Path, items: list[EvalItem]) -> list[dict[str, Any]]:
    """Score the published baseline predictions on these questions with our answer metrics."""
    wanted = {i.id: i for i in items}
    out = []
    for key, label in BASELINES.items():
        predictions: dict[str, str] = {}
        for path in sorted((root / "baselines").glob(f"*_qa_{key}_gen.jsonl")):
            for row in _jsonl(path):
                predictions[row["question_id"]] = str(row.get("prediction", ""))
        scored = [(wanted[q], p) for q, p in predictions.items() if q in wanted and wanted[q].answerable]
        if not scored:
            continue
        n = len(scored)
        out.append(
            {
                "config": label,
                "backend": "published predictions",
                "questions": n,
                "metrics": {
                    "exact_match": sum(metrics.exact_match(p, i.golds) for i, p in scored) / n,
                    "f1": sum(metrics.token_f1(p, i.golds) for i, p in scored) / n,
                    "contains": sum(metrics.contains(p, i.golds) for i, p in scored) / n,
                },
            }
        )
    return out
