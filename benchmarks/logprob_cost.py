"""What asking llama.cpp for token log-probabilities costs the bundled model (issue #19).

    .venv/bin/python benchmarks/logprob_cost.py [--rounds 5]

The confidence check (``rag.verify.confidence``) needs each generated token's log-probability.
This asks the sample set's first questions over their real top-4 passages (the sample index is
built in a temporary folder), alternating the two settings question by question so both see
the same load, and reports the median prompt and generation rates and the answer time with
and without log-probabilities, as a ratio. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from evals.dataset import load_eval_set
from rag.api import SAMPLES_DIR, NewsRAG
from rag.factory import local_model_path
from rag.generate.llm_local import LocalGenerator
from rag.generate.prompt import build_prompt
from rag.settings import load_settings

SAMPLE_SET = Path(__file__).resolve().parents[1] / "evals" / "sets" / "samples.jsonl"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="questions (each asked both ways)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), backend="extractive")
        rag = NewsRAG(settings)
        rag.ingest([SAMPLES_DIR])
        questions = [i.question for i in load_eval_set(SAMPLE_SET) if i.answerable][: args.rounds]
        prompts = [build_prompt(q, rag.engine.retriever.retrieve(q, 4)) for q in questions]
    path = local_model_path(load_settings())
    gens = {"with": LocalGenerator(path, logprobs=True), "without": LocalGenerator(path, logprobs=False)}
    for g in gens.values():
        g.load()
        list(g.stream(build_prompt("warm up", prompts[0].passages), 8))
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in gens}
    for p in prompts:
        for name, gen in gens.items():
            fresh = build_prompt(p.question, p.passages)
            t0 = time.perf_counter()
            "".join(gen.stream(fresh, 160))
            rows[name].append({**fresh.usage, "seconds": time.perf_counter() - t0})
    out = {}
    for name, got in rows.items():
        out[name] = {k: round(statistics.median(r[k] for r in got), 2) for k in got[0]}
    out["ratio_with_to_without"] = {
        k: round(out["with"][k] / out["without"][k], 3)
        for k in ("seconds", "prompt_tokens_per_s", "answer_tokens_per_s")
        if out["without"].get(k)
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
