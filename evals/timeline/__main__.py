"""``python -m evals.timeline``: build the timeline corpus, and run the timeline eval.

``build-corpus RTQA_DIR --out DIR`` writes the gold articles and distractors (``corpus``);
``run --set FILE --corpus-dir DIR --out OUT`` ingests, asks and scores (``run``) and prints
the summary. Options mirror ``newsrag eval``: ``-c key=value`` settings, ``--backend``
(extractive by default: no model, seconds per question), ``--limit``, ``--ids``, ``--fresh``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rag.cli.common import guard

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
DEFAULT_SET = Path(__file__).resolve().parents[1] / "sets" / "timelines.jsonl"
SetOpt = Annotated[Path, typer.Option("--set", help="Timeline set (JSONL).")]


@app.command("build-corpus")
def build_corpus_command(
    data: Annotated[Path, typer.Argument(help="RealTimeQA folder with gcs/*_gcs.jsonl.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for articles.jsonl and manifest.json.")],
    set_file: SetOpt = DEFAULT_SET,
    cap: Annotated[int, typer.Option("--cap", help="Most articles in the corpus, gold included.")] = 250,
    window_days: Annotated[
        int, typer.Option("--window-days", help="Distractors this close to a question's gold dates.")
    ] = 7,
) -> None:
    """Write a small corpus for the set: its gold articles plus same-topic distractors."""
    from evals.timeline.corpus import build_corpus
    from evals.timeline.gold import load_timeline_set

    items = guard(lambda: load_timeline_set(set_file))
    path = guard(lambda: build_corpus(data, items, out, cap, window_days))
    manifest = json.loads((out / "manifest.json").read_text())
    print(f"{path}: {len(manifest['gold'])} gold articles, {len(manifest['distractors'])} distractors")


@app.command("run")
def run_command(
    out: Annotated[Path, typer.Option("--out", help="Where results.jsonl, summary.json and the index go.")],
    set_file: SetOpt = DEFAULT_SET,
    corpus_dir: Annotated[
        Path | None, typer.Option("--corpus-dir", help="The folder build-corpus wrote (RealTimeQA questions).")
    ] = None,
    backend: Annotated[str, typer.Option("--backend", help="extractive, local, openai or auto.")] = "extractive",
    config: Annotated[
        list[str] | None, typer.Option("--config", "-c", help="Setting override(s), e.g. -c top_k=8.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N questions.")] = None,
    ids: Annotated[str | None, typer.Option("--ids", help="Only these question ids (comma-separated).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Discard earlier results in --out.")] = False,
) -> None:
    """Ask every question as of its date, score the answers against the gold dated points."""
    from evals.runner import parse_overrides
    from evals.timeline.gold import load_timeline_set
    from evals.timeline.run import make_settings, run
    from index.errors import InputError
    from rag.cli.common import progress_bar
    from rag.settings import load_settings

    def select() -> list:  # type: ignore[type-arg]
        items = load_timeline_set(set_file)
        if ids:
            wanted = [i.strip() for i in ids.split(",") if i.strip()]
            missing = [w for w in wanted if w not in {i.id for i in items}]
            if missing:
                raise InputError(f"--ids: no question with id {missing[0]!r} in {set_file}")
            items = [i for i in items if i.id in wanted]
        return items[:limit] if limit else items

    items = guard(select)
    overrides = guard(lambda: {"backend": backend, **parse_overrides(config or [])})
    settings = guard(lambda: make_settings(load_settings(), overrides, out))
    with progress_bar() as update:
        summary = guard(lambda: run(items, corpus_dir, out, settings, fresh, lambda what, d, t: update(d, t, what)))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    app()
