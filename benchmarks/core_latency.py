"""Measure the core numbers for the docs: ingest time, model load, cold and warm ask latency.

    .venv/bin/python benchmarks/core_latency.py --runs 3

Runs on the built-in sample articles in fresh temp data dirs. "Cold" is a new `newsrag`
process per question (imports, embedder and model load included, median of --runs); "warm"
is one process answering the first 12 answerable questions of the sample eval set once
each, everything loaded (distinct prompts: llama.cpp's prompt cache would make a repeated
question nearly free, which is reported separately).
Prints a Markdown table; nothing is asserted (speed is not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = ["How long is the proposed truce between Israel and Hezbollah?"]


def warm_questions() -> list[str]:
    path = Path(__file__).resolve().parent.parent / "evals" / "sets" / "samples.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r["question"] for r in rows if r["answer"] is not None][:12]


def cli(*args: str, data_dir: Path, backend: str = "extractive") -> float:
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(data_dir), "NEWSRAG_BACKEND": backend}
    if backend == "local":
        env["NEWSRAG_LOCAL_MODEL_PATH"] = str(model_path())
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def model_path() -> Path:
    from rag.generate import model_files

    return model_files.assemble(Path(".newsrag/models"))


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="extractive,local")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []

    ingest, reingest = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as d:
            ingest.append(cli("ingest", "--samples", data_dir=Path(d)))
            reingest.append(cli("ingest", "--samples", data_dir=Path(d)))
    rows.append(("`newsrag ingest --samples`, new index (process wall time, s)", med(ingest)))
    rows.append(("`newsrag ingest --samples`, unchanged re-ingest (s)", med(reingest)))

    with tempfile.TemporaryDirectory() as d:
        data = Path(d)
        cli("ingest", "--samples", data_dir=data)
        for backend in args.backends.split(","):
            cold = [cli("ask", "--json", QUESTIONS[0], data_dir=data, backend=backend) for _ in range(args.runs)]
            rows.append((f"cold `newsrag ask` ({backend}), process wall time (s)", med(cold)))
        for n, backend in enumerate(args.backends.split(",")):
            rows += warm(data, backend, first_in_process=n == 0)

    print("| measurement | median |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def warm(data: Path, backend: str, first_in_process: bool) -> list[tuple[str, str]]:
    from rag.api import NewsRAG
    from rag.settings import load_settings

    extra = {"local_model_path": model_path()} if backend == "local" else {}
    rag = NewsRAG(load_settings(data_dir=data, backend=backend, **extra))
    t0 = time.perf_counter()
    rag.embedder.embed_query("warm up")
    embed_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    load = getattr(rag.generator, "load", None)
    if load:
        load()
    gen_load = time.perf_counter() - t0
    first, total, retrieval = [], [], []
    for q in warm_questions():
        answer = rag.ask(q)
        retrieval.append(answer.timings["retrieval"])
        first.append(answer.timings.get("first_token", answer.timings["total"]))
        total.append(answer.timings["total"])
    repeat = rag.ask(warm_questions()[-1]).timings["total"]
    out = [
        *([("embedder load incl. torch imports (s)", f"{embed_load:.2f}")] if first_in_process else []),
        (f"warm retrieval ({backend}, s)", med(retrieval)),
        (f"warm time to first token ({backend}, s)", med(first)),
        (f"warm full answer ({backend}, s)", med(total)),
        (f"same question again, prompt cached ({backend}, s)", f"{repeat:.2f}"),
    ]
    if load:
        out.insert(1, (f"model load ({backend}, s)", f"{gen_load:.2f}"))
    print(json.dumps({"backend": backend, "first": first, "total": total}), file=sys.stderr)
    return out


if __name__ == "__main__":
    main()
