"""``newsrag eval`` and ``newsrag eval-realtimeqa``: run eval sets, write results and a report.

``register`` adds them to the ``newsrag`` command line (the package declares it under the
``newsrag.commands`` entry points; see ``rag.cli.plugins``). Parses options, runs each
configuration through ``runner``, renders ``report.html``, prints a summary table and applies
``--min`` gates (non-zero exit when a metric falls below). Heavy imports happen inside the
commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rag.cli.common import guard, progress_bar

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SAMPLE_SET = Path(__file__).resolve().parent / "sets" / "samples.jsonl"

ConfigOpt = Annotated[
    list[str] | None,
    typer.Option("--config", "-c", help="Setting override(s) for the run, e.g. -c top_k=3 -c backend=extractive."),
]
CompareOpt = Annotated[
    list[str] | None,
    typer.Option("--compare", help="Another configuration to run side by side: NAME:key=value,key=value."),
]
GateOpt = Annotated[
    list[str] | None, typer.Option("--min", help="Fail (exit 1) when a metric is below, e.g. contains=0.8.")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="Only the first N questions.")]
IdsOpt = Annotated[str | None, typer.Option("--ids", help="Only these question ids (comma-separated).")]
FreshOpt = Annotated[bool, typer.Option("--fresh", help="Discard earlier results in --out instead of resuming.")]
SettingsFileOpt = Annotated[
    Path | None, typer.Option("--settings", help="TOML settings file (as `--config` elsewhere).")
]


def register(app: typer.Typer) -> None:
    """Add ``eval``, ``eval-realtimeqa`` and ``eval-replay`` to ``app``."""
    app.command("eval")(eval_command)
    app.command("eval-realtimeqa")(realtimeqa_command)
    app.command("eval-replay")(replay_command)


def replay_command(
    results: Annotated[Path, typer.Argument(help="An eval run's --out folder, or one results.jsonl.")],
    checks: Annotated[
        str, typer.Option("--checks", help="Answer checks to run, comma-separated (none: '').")
    ] = "non_answer,unmentioned,low_confidence",
    show: Annotated[bool, typer.Option("--show", help="List every answer whose outcome changed.")] = False,
) -> None:
    """Judge the stored model replies of an eval run again with a set of answer checks (no model needed)."""
    from evals import replay

    rows = guard(lambda: replay.read_results(results))
    try:
        chosen = replay.make_checks(c.strip() for c in checks.split(",") if c.strip())
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    found = replay.replay(rows, chosen)
    print(json.dumps(found.summary(), indent=2))
    if show:
        for r in found.changed:
            print(f"{r.id}: {r.stored} -> {r.now}{': ' + r.reason if r.reason else ''} | {r.question}")


def _configs(config: list[str] | None, compare: list[str] | None) -> list[Any]:
    from evals.runner import RunConfig, parse_overrides

    configs = [RunConfig("default" if not config else "configured", parse_overrides(config or []))]
    for spec in compare or []:
        name, sep, pairs = spec.partition(":")
        if not sep or not name.strip():
            raise typer.BadParameter(f"--compare {spec!r}: write NAME:key=value,key=value")
        configs.append(RunConfig(name.strip(), {**configs[0].overrides, **parse_overrides([pairs])}))
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise typer.BadParameter("configuration names must be unique")
    return configs


def _select(items: list[Any], limit: int | None, ids: str | None) -> list[Any]:
    from index.errors import InputError

    if ids:
        wanted = [i.strip() for i in ids.split(",") if i.strip()]
        known = {i.id for i in items}
        missing = [i for i in wanted if i not in known]
        if missing:
            raise InputError(f"--ids: no question with id {missing[0]!r} in the eval set")
        items = [i for i in items if i.id in set(wanted)]
    return items[:limit] if limit else items


def _run(
    title: str,
    corpus: list[Path],
    items: list[Any],
    out_dir: Path,
    configs: list[Any],
    gates: list[str] | None,
    fresh: bool,
    settings_file: Path | None,
    baselines: list[dict[str, Any]] | None = None,
    notes: str = "",
) -> None:
    from evals import report, runner
    from rag.settings import load_settings

    gate_values = runner.parse_gates(gates or [])
    base = load_settings(settings_file)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_root = out_dir.parent / ".newsrag-eval-index"
    summaries = []
    with progress_bar() as update:

        def progress(name: str, done: int, total: int) -> None:
            update(done, total, name)

        for cfg in configs:
            summaries.append(runner.run_config(items, corpus, out_dir, cfg, base, cache_root, progress, fresh))
    rows = {c.name: runner.load_rows(out_dir / c.name) for c in configs}
    html_path = out_dir / "report.html"
    html_path.write_text(report.render(title, summaries, rows, baselines or [], notes), encoding="utf-8")
    (out_dir / "summary.json").write_text(json.dumps({"runs": summaries, "baselines": baselines or []}, indent=2))
    _print_summary([*summaries, *(baselines or [])])
    out.print(f"results: {out_dir}/<config>/results.jsonl · report: {html_path}")
    failures = [f for s in summaries for f in runner.check_gates(s, gate_values)]
    for failure in failures:
        err.print(f"[bold red]gate failed:[/] {escape(failure)}")
    if failures:
        raise typer.Exit(1)


def _print_summary(summaries: list[dict[str, Any]]) -> None:
    names = [
        "exact_match",
        "f1",
        "contains",
        "contains_full",
        "refusal_accuracy",
        "false_refusal",
        "hit@1",
        "mrr@10",
        "answer_in_context",
        "citation_article_precision",
    ]
    # One column per configuration: metric names are long, configurations few.
    table = Table("metric", *[escape(s["config"]) for s in summaries])
    table.add_row("questions", *[str(s.get("questions", "")) for s in summaries])
    for n in names:
        table.add_row(n, *[f"{s['metrics'][n]:.3f}" if n in s.get("metrics", {}) else "—" for s in summaries])
    p50s = [(s.get("latency") or {}).get("total", {}).get("p50") for s in summaries]
    table.add_row("answer p50 (s)", *[f"{p:.2f}" if p is not None else "—" for p in p50s])
    out.print(table)


def eval_command(
    set_file: Annotated[
        Path | None, typer.Option("--set", help="Eval set (JSONL). Default: the built-in sample set.")
    ] = None,
    corpus: Annotated[
        list[Path] | None, typer.Option("--corpus", help="Articles (files/folders). Default: the samples.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where results and report.html go.")] = Path("eval-out"),
    config: ConfigOpt = None,
    compare: CompareOpt = None,
    gate: GateOpt = None,
    limit: LimitOpt = None,
    ids: IdsOpt = None,
    fresh: FreshOpt = False,
    settings_file: SettingsFileOpt = None,
) -> None:
    """Answer an eval set over a corpus and score it: results.jsonl, summary.json, report.html."""
    from evals.dataset import load_eval_set
    from rag.api import SAMPLES_DIR

    items = guard(lambda: _select(load_eval_set(set_file or SAMPLE_SET), limit, ids))
    configs = guard(lambda: _configs(config, compare))
    name = (set_file or SAMPLE_SET).name
    guard(
        lambda: _run(
            f"newsrag eval — {name}", corpus or [SAMPLES_DIR], items, out_dir, configs, gate, fresh, settings_file
        )
    )


def realtimeqa_command(
    data: Annotated[Path, typer.Argument(help="RealTimeQA folder with qa/, gcs/, gold/, baselines/.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where results and report.html go.")] = Path("eval-rtqa"),
    config: ConfigOpt = None,
    compare: CompareOpt = None,
    gate: GateOpt = None,
    limit: LimitOpt = None,
    ids: IdsOpt = None,
    fresh: FreshOpt = False,
    settings_file: SettingsFileOpt = None,
) -> None:
    """Run the RealTimeQA benchmark on its pooled article corpus, next to the published baselines."""
    from evals import realtimeqa

    corpus_dir, _, items = guard(lambda: realtimeqa.build(data, out_dir / "data"))
    items = guard(lambda: _select(items, limit, ids))
    configs = guard(lambda: _configs(config, compare))
    baselines = realtimeqa.baseline_summaries(data, items)
    notes = (
        f"{len(items)} questions; corpus: every question's search results pooled "
        f"({sum(1 for _ in (corpus_dir / 'articles.jsonl').open())} articles). Baselines read each "
        "question's own search results; scored here with the same metrics."
    )
    guard(
        lambda: _run(
            "newsrag eval — RealTimeQA",
            [corpus_dir],
            items,
            out_dir,
            configs,
            gate,
            fresh,
            settings_file,
            baselines,
            notes,
        )
    )
