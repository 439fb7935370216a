"""Run an eval set against a corpus under one or more configurations.

For each configuration: ingest the corpus into an isolated index (cached under the output
dir's parent by a key of corpus content and index settings, so runs with unchanged corpus
and chunking reuse it), answer every question, score it, and append the row to
``<out>/<config>/results.jsonl`` as soon as it is known — an interrupted run continues
where it stopped. Then aggregate into ``summary.json``. All configurations run in the same
process one after another, so their latencies are comparable within the run.

It does not render reports (``report``) or know about particular benchmarks (``realtimeqa``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals import metrics
from evals.dataset import EvalItem
from index.errors import ConfigError, InputError
from index.ingest import PIPELINE_VERSION
from index.load import discover
from rag import factory
from rag.api import NewsRAG
from rag.settings import Settings
from rag.types import Answer, Hit

MRR_DEPTH = 10
INDEX_FIELDS = ("chunk_tokens", "chunk_overlap", "embed_backend", "embed_model", "embed_base_url")

Progress = Callable[[str, int, int], None]


@dataclass
class RunConfig:
    """A named set of settings overrides."""

    name: str
    overrides: dict[str, Any] = field(default_factory=dict)


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """``["top_k=3", "retrieval_mode=bm25"]`` → ``{"top_k": "3", ...}`` (settings validate types)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        for part in filter(None, (p.strip() for p in pair.split(","))):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"bad override {part!r}: write setting=value, e.g. top_k=3")
            if key.strip() not in Settings.model_fields:
                raise ConfigError(f"unknown setting {key.strip()!r} in override {part!r}: see `newsrag --help`")
            out[key.strip()] = value.strip()
    return out


def corpus_fingerprint(corpus: Sequence[Path]) -> str:
    files, problems = discover(corpus)
    if problems:
        raise InputError(f"corpus: {problems[0][0]}: {problems[0][1]}")
    if not files:
        raise InputError("corpus: no .txt/.md/.html/.json/.jsonl files found: check --corpus")
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def index_dir(cache_root: Path, corpus_key: str, settings: Settings) -> Path:
    spec = json.dumps(
        [corpus_key, PIPELINE_VERSION, *[str(getattr(settings, f)) for f in INDEX_FIELDS]], sort_keys=True
    )
    return cache_root / hashlib.sha256(spec.encode()).hexdigest()[:16]


def article_ranking(hits: Sequence[Hit]) -> list[str]:
    """Article sources in rank order, one entry per article."""
    seen: list[str] = []
    for h in hits:
        key = h.url or h.source
        if key not in seen:
            seen.append(key)
    return seen


def score(item: EvalItem, answer: Answer, ranked: Sequence[Hit], top_k: int) -> dict[str, Any]:
    """One result row: the answer, what backed it, and every metric that applies."""
    m: dict[str, float | None] = {}
    golds = item.golds
    if item.answerable:
        # Scored on the short answer when the model gave one (what the published systems
        # output), else on the whole answer; ``contains_full`` looks in the whole answer.
        said = answer.short_answer or answer.answer
        m["exact_match"] = metrics.exact_match(said, golds) if not answer.refused else 0.0
        m["f1"] = metrics.token_f1(said, golds) if not answer.refused else 0.0
        m["contains"] = metrics.contains(said, golds) if not answer.refused else 0.0
        m["contains_full"] = metrics.contains(answer.answer, golds) if not answer.refused else 0.0
        m["false_refusal"] = float(answer.refused)
        m["answer_in_context"] = metrics.answer_in_context([h.text for h in answer.sources], golds)
        if answer.citations:
            m["citation_passage_precision"] = sum(
                metrics.answer_in_context([c.passage or c.quote], golds) for c in answer.citations
            ) / len(answer.citations)
    else:
        m["refusal_accuracy"] = float(answer.refused)
    if item.sources:
        articles = article_ranking(ranked)
        m["hit@1"], _ = metrics.hit_and_rr(articles, item.sources, 1)
        m[f"hit@{top_k}"], _ = metrics.hit_and_rr(article_ranking(answer.sources), item.sources, top_k)
        _, m["mrr@10"] = metrics.hit_and_rr(articles, item.sources, MRR_DEPTH)
        if answer.citations:
            m["citation_article_precision"] = sum(
                metrics.source_matches(c.url or c.source, item.sources)
                or metrics.source_matches(c.source, item.sources)
                for c in answer.citations
            ) / len(answer.citations)
    return {
        "id": item.id,
        "question": item.question,
        "gold": item.answer,
        "accept": list(item.accept),
        "gold_sources": list(item.sources),
        "answer": answer.answer,
        "short_answer": answer.short_answer,
        "refused": answer.refused,
        "refusal": asdict(answer.verdict) if answer.verdict else None,
        "error": answer.error,
        "search_query": answer.search_query,
        "reply": answer.reply,  # the model's text before verification: ``evals.replay`` re-judges it
        "confidence": asdict(answer.confidence) if answer.confidence else None,
        "citations": [
            {
                "n": c.n,
                "title": c.title,
                "source": c.source,
                "url": c.url,
                "published_at": c.published_at,
                "quote": c.quote,
                "quote_start": c.quote_start,
                "quote_end": c.quote_end,
                "passage": c.passage,
            }
            for c in answer.citations
        ],
        "retrieved": [
            {
                "title": h.title,
                "source": h.url or h.source,
                "score": round(h.score, 5),
                "similarity": round(h.similarity, 4),
                "chunk_id": h.chunk_id,
                "published_at": h.published_at,
                "text": h.text,
            }
            for h in answer.sources
        ],
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
        "metrics": m,
        **{k: v for k, v in item.extra.items() if k in ("kind",)},
    }


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean of each metric over the rows it applies to, plus latency percentiles."""
    sums: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row["metrics"].items():
            if value is not None:
                sums.setdefault(key, []).append(float(value))
    out: dict[str, Any] = {"questions": len(rows)}
    out["answerable"] = sum(1 for r in rows if r["gold"] is not None)
    out["unanswerable"] = len(rows) - out["answerable"]
    out["errors"] = sum(1 for r in rows if r["error"])
    out["metrics"] = {k: sum(v) / len(v) for k, v in sorted(sums.items())}
    out["counts"] = {k: len(v) for k, v in sorted(sums.items())}
    latency: dict[str, dict[str, float]] = {}
    for phase in ("retrieval", "first_token", "total"):
        values = [r["timings"][phase] for r in rows if phase in r["timings"]]
        if values:
            latency[phase] = {"p50": metrics.percentile(values, 50), "p95": metrics.percentile(values, 95)}
    out["latency"] = latency
    return out


def _read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut short by an interruption: everything after it is redone
    return rows


def run_config(
    items: Sequence[EvalItem],
    corpus: Sequence[Path],
    out_dir: Path,
    config: RunConfig,
    base: Settings,
    cache_root: Path,
    progress: Progress | None = None,
    fresh: bool = False,
) -> dict[str, Any]:
    """Run one configuration; returns its summary (also written to summary.json)."""
    try:
        settings = Settings.model_validate({**base.model_dump(), **config.overrides})
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"configuration {config.name!r}: bad value for {name}: {first['msg']}") from None
    data_dir = index_dir(cache_root, corpus_fingerprint(corpus), settings)
    update: dict[str, Any] = {"data_dir": data_dir}
    if factory.resolve_backend(settings)[0] == "local" and settings.local_model_path is None:
        # One verified model file for every cached index, not a 1.1 GB copy per index dir.
        update["local_model_path"] = factory.local_model_path(base)
    settings = settings.model_copy(update=update)
    run_dir = out_dir / config.name
    run_dir.mkdir(parents=True, exist_ok=True)
    meta = {"config": config.name, "overrides": config.overrides, "index": str(data_dir)}
    meta_path = run_dir / "config.json"
    results_path = run_dir / "results.jsonl"
    if meta_path.exists() and not fresh and json.loads(meta_path.read_text()) != meta:
        raise ConfigError(
            f"{run_dir} holds results of a different configuration: use --fresh to discard them, or another --out"
        )
    if fresh:
        results_path.unlink(missing_ok=True)
    meta_path.write_text(json.dumps(meta, indent=2))

    rag = NewsRAG(settings)
    if progress:
        progress(f"{config.name}: indexing corpus", 0, 0)
    report = rag.ingest(corpus)
    if report.failed and not rag.store.count():
        raise InputError(f"corpus: nothing could be ingested ({report.failed[0].reason})")

    wanted = {i.id for i in items}
    rows = [r for r in _read_rows(results_path) if r.get("id") in wanted]
    done = {r["id"] for r in rows}
    with results_path.open("w", encoding="utf-8") as f:
        for row in rows:  # rewrite what survived, dropping a half-written last line
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        for n, item in enumerate(items, 1):
            if progress:
                progress(config.name, n - 1, len(items))
            if item.id in done:
                continue
            as_of = date.fromisoformat(item.date) if item.date else None  # asked as of the question's date
            answer = rag.ask(item.question, as_of=as_of)
            ranked = rag.retriever.retrieve(answer.search_query, max(MRR_DEPTH, settings.top_k), as_of)
            row = score(item, answer, ranked, settings.top_k)
            rows.append(row)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
    if progress:
        progress(config.name, len(items), len(items))
    order = {i.id: n for n, i in enumerate(items)}
    rows.sort(key=lambda r: order[r["id"]])
    summary = {
        "config": config.name,
        "overrides": config.overrides,
        "backend": rag.generator.name,
        "retrieval": f"{settings.retrieval_mode}, top {settings.top_k}",
        "ingest": {"articles": len(rag.articles()), "chunks": rag.store.count(), "failed": len(report.failed)},
        **summarize(rows),
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def check_gates(summary: dict[str, Any], gates: dict[str, float]) -> list[str]:
    """Human-readable failures of ``metric >= value`` gates (empty when all pass)."""
    failures = []
    for name, minimum in gates.items():
        value = summary["metrics"].get(name)
        if value is None:
            failures.append(f"{summary['config']}: metric {name!r} was not measured in this run")
        elif value < minimum:
            failures.append(f"{summary['config']}: {name} = {value:.3f} is below the gate {minimum:.3f}")
    return failures


def parse_gates(pairs: Sequence[str]) -> dict[str, float]:
    gates = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            gates[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ConfigError(f"bad gate {pair!r}: write metric=value, e.g. --min contains=0.8")
    return gates


def load_rows(run_dir: Path) -> list[dict[str, Any]]:
    return _read_rows(run_dir / "results.jsonl")
