"""How fast the bundled model reads prompts and writes answers, per llama.cpp build and option (issue #29).

    pip install --no-deps --target /tmp/xllamacpp-prebuilt xllamacpp==2026.10.11549   # today's AVX2 wheel
    .venv/bin/python benchmarks/llama_speed.py --baseline-site /tmp/xllamacpp-prebuilt --questions 6 --repeats 2 \\
        --config prebuilt:build=baseline --config native:build=installed \\
        --config native-fa-off:build=installed,flash=off --config native-fa-on:build=installed,flash=on \\
        --config native-batch-1024:build=installed,batch=1024
    # the price of a listwise LLM rerank of 20 candidates, at each build's speed:
    .venv/bin/python benchmarks/llama_speed.py --baseline-site /tmp/xllamacpp-prebuilt --questions 6 --repeats 1 \\
        --config prebuilt-rr20:build=baseline,prompt=listwise --config native-rr20:build=installed,prompt=listwise

Each configuration runs in its own process (model loaded once, one warm-up answer), which
answers the sample set's first answerable questions over their real top-4 passages, each
once, so llama.cpp's prompt cache serves only the fixed system prompt, as in the product.
``build=baseline`` puts ``--baseline-site`` (a ``pip install --target`` of the prebuilt wheel)
first on the import path; ``build=installed`` is the venv's own binding (after setup, the one
compiled for this CPU). Configurations alternate in each repeat so all see the same load.
Reports llama.cpp's own rates (medians) and first-token and full-answer times, and each
configuration's ratio to the first one. Nothing is asserted.
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SET = ROOT / "evals" / "sets" / "samples.jsonl"


def _prompts(questions: int) -> list[dict[str, object]]:
    """The questions with their top-4 passages, as plain data a child process rebuilds prompts from."""
    from evals.dataset import load_eval_set
    from rag.api import SAMPLES_DIR, NewsRAG
    from rag.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        rag = NewsRAG(load_settings(data_dir=Path(tmp), backend="extractive"))
        rag.ingest([SAMPLES_DIR])
        items = [i for i in load_eval_set(SAMPLE_SET) if i.answerable][:questions]
        retriever = rag.engine.retriever
        return [
            {
                "question": i.question,
                "hits": retriever.retrieve(i.question, 4),
                "pool": retriever.retrieve(i.question, 20),
            }
            for i in items
        ]


def listwise_prompt(question: str, pool: list[Any]) -> Any:
    """The model as a listwise reranker: ~25 words of each candidate, asked for the best order.

    Only its cost is measured here (a reranker was priced, not built: docs/EVALS.md, issue #19).
    """
    from rag.generate.prompt import Prompt, defuse

    lines = [f"[{n}] {' '.join(defuse(h.text).split()[:25])}" for n, h in enumerate(pool, 1)]
    system = "Rank the passages by how well they answer the question. Reply with passage numbers only, best first."
    user = "\n".join([*lines, "", f"Question: {question}", "Ranking:"])
    return Prompt(question, pool, [{"role": "system", "content": system}, {"role": "user", "content": user}])


def child(spec: dict[str, str], prompts_file: Path) -> None:
    import pickle

    import xllamacpp

    from rag.factory import local_model_path
    from rag.generate.llm_local import LocalGenerator
    from rag.generate.prompt import build_prompt
    from rag.generate.runtime import parse_features
    from rag.settings import load_settings

    prompts = pickle.loads(prompts_file.read_bytes())
    gen = LocalGenerator(
        local_model_path(load_settings()), flash_attn=spec.get("flash", "auto"), batch=int(spec.get("batch", "0"))
    )
    t0 = time.perf_counter()
    gen.load()
    load_s = time.perf_counter() - t0
    list(gen.stream(build_prompt("warm up", prompts[0]["hits"]), 4))
    rows = []
    listwise = spec.get("prompt") == "listwise"
    for p in prompts[1:]:
        prompt = listwise_prompt(p["question"], p["pool"]) if listwise else build_prompt(p["question"], p["hits"])
        start = time.perf_counter()
        first = None
        for _ in gen.stream(prompt, 60 if listwise else 160):
            first = first or time.perf_counter() - start
        rows.append({**prompt.usage, "first_token_s": first or 0.0, "answer_s": time.perf_counter() - start})
    print(json.dumps({"features": parse_features(xllamacpp.get_system_info()), "load_s": load_s, "rows": rows}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--config", action="append", default=[], help="NAME:key=value,... (build, flash, batch, prompt=listwise)"
    )
    ap.add_argument("--baseline-site", type=Path, help="a `pip install --target` folder holding another xllamacpp")
    ap.add_argument("--questions", type=int, default=6, help="questions per process (the first is a warm-up)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--prompts", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(json.loads(args.child), args.prompts)
        return 0
    import pickle

    configs = {}
    for text in args.config or ["installed:build=installed"]:
        name, _, opts = text.partition(":")
        configs[name] = dict(kv.split("=", 1) for kv in opts.split(",") if kv)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in configs}
    features: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        prompts_file = Path(tmp) / "prompts.pkl"
        prompts_file.write_bytes(pickle.dumps(_prompts(args.questions + 1)))
        for repeat in range(args.repeats):
            order = list(configs) if repeat % 2 == 0 else list(reversed(configs))
            for name in order:
                spec = configs[name]
                env = dict(os.environ)
                if spec.get("build") == "baseline":
                    if not args.baseline_site:
                        raise SystemExit("build=baseline needs --baseline-site")
                    env["PYTHONPATH"] = os.pathsep.join([str(args.baseline_site), str(ROOT)])
                else:
                    env["PYTHONPATH"] = str(ROOT)
                cmd = [sys.executable, __file__, "--child", json.dumps(spec), "--prompts", str(prompts_file)]
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                got = json.loads(done.stdout.strip().splitlines()[-1])
                features[name] = got["features"]
                results[name].extend(got["rows"])
                print(
                    f"{name} repeat {repeat + 1}: {len(got['rows'])} answers, load {got['load_s']:.1f} s",
                    file=sys.stderr,
                )
    keys = (
        "prompt_tokens",
        "cached_prompt_tokens",
        "prompt_tokens_per_s",
        "answer_tokens_per_s",
        "first_token_s",
        "answer_s",
    )
    summary = {
        name: {k: round(statistics.median(r[k] for r in rows), 2) for k in keys} | {"n": len(rows)}
        for name, rows in results.items()
    }
    first = next(iter(summary))
    for name, row in summary.items():
        row["ratio_to_" + first] = {
            k: round(row[k] / summary[first][k], 3)
            for k in ("prompt_tokens_per_s", "answer_tokens_per_s", "first_token_s", "answer_s")
            if summary[first][k]
        }
        row["features"] = features[name]
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
