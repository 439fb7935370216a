"""Cold start and memory with the bundled local model (issue 6, benchmark 6).

    .venv/bin/python benchmarks/cold_start.py --runs 3

On the built-in sample articles (ingested once into a fresh data dir):

- ``newsrag ask`` end to end in a new process (imports, embedder and model load, retrieval,
  answer), process wall time, and the same for ``--backend extractive`` (no model);
- ``newsrag serve --backend local``: time from starting the process until ``/readyz`` says
  ready (the server loads the embedder, the BM25 table and the model before that), then the
  peak resident memory of the serving process (``VmHWM``) after it answered ``--questions``
  questions over ``/api/ask``.

Medians of ``--runs``. Prints Markdown; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
NEWSRAG = str(Path(sys.executable).parent / "newsrag")
QUESTION = "How long is the proposed truce between Israel and Hezbollah?"


def env_for(data: Path) -> dict[str, str]:
    sys.path.insert(0, str(REPO))
    from rag.generate import model_files

    model = model_files.assemble(REPO / ".newsrag" / "models")
    return {**os.environ, "NEWSRAG_DATA_DIR": str(data), "NEWSRAG_LOCAL_MODEL_PATH": str(model)}


def cold_ask(env: dict[str, str], backend: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([NEWSRAG, "ask", "--backend", backend, QUESTION], env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def questions(n: int) -> list[str]:
    rows = [json.loads(x) for x in (REPO / "evals/sets/samples.jsonl").read_text().splitlines() if x.strip()]
    return [r["question"] for r in rows if r["answer"] is not None][:n]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve(env: dict[str, str], asked: list[str]) -> tuple[float, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [NEWSRAG, "serve", "--port", str(port), "--backend", "local"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.perf_counter() - t0 > 300:
                raise SystemExit("newsrag serve did not become ready")
            time.sleep(0.1)
        ready = time.perf_counter() - t0
        for q in asked:
            httpx.post(f"{url}/api/ask", json={"question": q}, timeout=300).raise_for_status()
        return ready, peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        env = env_for(Path(d))
        subprocess.run([NEWSRAG, "ingest", "--samples"], env=env, check=True, capture_output=True)
        local = [cold_ask(env, "local") for _ in range(args.runs)]
        extractive = [cold_ask(env, "extractive") for _ in range(args.runs)]
        served = [serve(env, questions(args.questions)) for _ in range(args.runs)]
    rows = [
        ("cold `newsrag ask`, local model (process wall time)", f"{statistics.median(local):.1f} s"),
        ("cold `newsrag ask`, extractive (no model)", f"{statistics.median(extractive):.1f} s"),
        ("`newsrag serve --backend local`: start to /readyz", f"{statistics.median(r for r, _ in served):.1f} s"),
        (
            f"`newsrag serve` peak RSS after {args.questions} answers",
            f"{statistics.median(m for _, m in served) / 1024:.2f} GB",
        ),
    ]
    print(json.dumps({"local": local, "extractive": extractive, "serve": served}), file=sys.stderr)
    print(f"| measurement (median of {args.runs}) | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
