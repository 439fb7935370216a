"""Measure `newsrag serve`'s endpoints as a client sees them: p50/p95 per endpoint.

    .venv/bin/python benchmarks/serve_latency.py                        # bundled local model
    .venv/bin/python benchmarks/serve_latency.py --backend extractive   # the server's own overhead

Ingests the sample articles into a fresh data dir, starts `newsrag serve` on a free loopback
port, waits for /readyz, asks one warm-up question (not counted), then times:
- GET /healthz, /api/articles, /v1/models (--light-runs requests each);
- POST /api/ask (JSON): whole answer; with "stream": time to the `sources` event, the first
  `text` event and `end`;
- POST /v1/chat/completions: whole answer; streamed: first content chunk and [DONE].
- POST /api/ask with "stream" and "raw": the model's tokens as generated.
Each answering endpoint gets its own --questions answerable questions of the sample eval set
(41 in all): llama.cpp keeps earlier prompts in a RAM cache, so a question asked twice is
answered from it in a fraction of the time and would flatter whichever endpoint came second.
Different questions per endpoint add question-to-question spread; the server's own timings
(the model's first raw token and the first verified sentence, on the same requests) are the
like-for-like comparison of raw and verified streaming.
Prints a Markdown table; asserts nothing.
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
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
NEWSRAG = str(Path(sys.executable).parent / "newsrag")


def questions() -> list[str]:
    rows = [json.loads(x) for x in (REPO / "evals/sets/samples.jsonl").read_text().splitlines() if x.strip()]
    return [r["question"] for r in rows if r["answer"] is not None]


def start(data: Path, backend: str) -> tuple[subprocess.Popen[bytes], str]:
    from rag.generate import model_files

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(data)}
    if backend == "local":
        env["NEWSRAG_LOCAL_MODEL_PATH"] = str(model_files.assemble(REPO / ".newsrag" / "models"))
    subprocess.run([NEWSRAG, "ingest", "--samples"], env=env, check=True, capture_output=True)
    cmd = [NEWSRAG, "serve", "--port", str(port), "--backend", backend]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("newsrag serve did not become ready")


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def ask_stream(client: httpx.Client, url: str, q: str, raw: bool, server: dict[str, list[float]]) -> dict[str, float]:
    marks: dict[str, float] = {}
    t0 = time.perf_counter()
    with client.stream("POST", f"{url}/api/ask", json={"question": q, "stream": True, "raw": raw}) as r:
        event = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
                marks.setdefault(event, time.perf_counter() - t0)
            elif line.startswith("data: ") and event == "answer":
                timings = json.loads(line[6:])["timings"]
                for key in server:
                    if key in timings:
                        server[key].append(timings[key])
    return {"sources": marks["sources"], "first text": marks.get("text", marks["answer"]), "end": marks["end"]}


def chat_stream(client: httpx.Client, url: str, q: str) -> dict[str, float]:
    body = {"model": "newsrag", "stream": True, "messages": [{"role": "user", "content": q}]}
    first = None
    t0 = time.perf_counter()
    with client.stream("POST", f"{url}/v1/chat/completions", json=body) as r:
        for line in r.iter_lines():
            if first is None and line.startswith("data: {") and '"content": ""' not in line:
                first = time.perf_counter() - t0
    return {"first content": first or 0.0, "done": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=8, help="per answering endpoint (at most 8)")
    parser.add_argument("--light-runs", type=int, default=50)
    parser.add_argument("--backend", default="local", choices=["local", "extractive"])
    args = parser.parse_args()
    pool = questions()
    n = args.questions
    if 1 + 5 * n > len(pool):
        raise SystemExit(
            f"--questions {n}: the sample set has {len(pool)} answerable questions, enough for {(len(pool) - 1) // 5}"
        )
    warm, sets = pool[0], [pool[1 + i * n : 1 + (i + 1) * n] for i in range(5)]
    rows: dict[tuple[str, str], list[float]] = {}
    server: dict[str, list[float]] = {"first_token": [], "first_sentence": [], "total": []}

    def add(endpoint: str, measure: str, value: float) -> None:
        rows.setdefault((endpoint, measure), []).append(value)

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start(Path(tmp) / "index", args.backend)
        try:
            with httpx.Client(timeout=600) as client:
                client.post(f"{url}/api/ask", json={"question": warm})
                for path in ("/healthz", "/api/articles", "/v1/models"):
                    for _ in range(args.light_runs):
                        add(f"GET {path}", "response", timed(lambda p=path: client.get(f"{url}{p}").raise_for_status()))
                for q in sets[0]:
                    t0 = time.perf_counter()
                    client.post(f"{url}/api/ask", json={"question": q}).raise_for_status()
                    add("POST /api/ask", "answer", time.perf_counter() - t0)
                for q in sets[1]:
                    for measure, value in ask_stream(client, url, q, False, server).items():
                        add("POST /api/ask (stream)", measure, value)
                for q in sets[2]:
                    for measure, value in ask_stream(client, url, q, True, {}).items():
                        add("POST /api/ask (stream, raw)", measure, value)
                chat_url = f"{url}/v1/chat/completions"
                for q in sets[3]:
                    body = {"model": "newsrag", "messages": [{"role": "user", "content": q}]}
                    add("POST /v1/chat/completions", "answer", timed(lambda b=body: client.post(chat_url, json=b)))
                for q in sets[4]:
                    for measure, value in chat_stream(client, url, q).items():
                        add("POST /v1/chat/completions (stream)", measure, value)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    print(f"backend {args.backend}, {n} questions per answering endpoint, {os.cpu_count()} CPU cores\n")
    print("| endpoint | until | p50 | p95 | n |\n|---|---|---|---|---|")
    for (endpoint, measure), values in rows.items():
        print(f"| `{endpoint}` | {measure} | {fmt(median(values))} | {fmt(p95(values))} | {len(values)} |")
    for key, values in server.items():
        if values:
            label = "server timings (`/api/ask` stream)"
            print(f"| {label} | {key} | {fmt(median(values))} | {fmt(p95(values))} | {len(values)} |")


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
