"""Measure the chat UI as a user sees it: question → sources visible → first token → done.

    .venv/bin/python benchmarks/ui_latency.py --questions 8

Starts `newsrag chat` with the bundled local model on a fresh data dir, loads the sample
articles with the UI's button, then asks the first --questions answerable questions of the
sample eval set in headless Chromium (Playwright), each in a new conversation, and times
from the click on "Ask" to (1) the first source card in the sources panel, (2) the first
answer text in the chat, (3) the finished answer with its citations. One warm-up question
(not counted) comes first. Prints a Markdown table of medians and p95; asserts nothing.
Needs Chromium at /usr/bin/chromium (scripts/setup.sh --dev installs it).
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
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ANSWERS = "#nr-chat .nr-answer, #nr-chat .nr-refusal, #nr-chat .nr-error"


def questions(n: int) -> list[str]:
    rows = [json.loads(x) for x in (REPO / "evals/sets/samples.jsonl").read_text().splitlines() if x.strip()]
    return [r["question"] for r in rows if r["answer"] is not None][: n + 1]


def start_server(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    from rag.generate import model_files

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "NEWSRAG_DATA_DIR": str(data),
        "NEWSRAG_LOCAL_MODEL_PATH": str(model_files.assemble(REPO / ".newsrag" / "models")),
    }
    cmd = [str(Path(sys.executable).parent / "newsrag"), "chat", "--port", str(port), "--backend", "local"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url, timeout=5):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("newsrag chat did not start")


def ask(page, question: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    page.click("text=New conversation")
    page.wait_for_function(f"() => document.querySelectorAll('{ANSWERS}').length === 0")
    page.fill("#nr-question textarea", question)
    t0 = time.perf_counter()
    page.click("#nr-ask")
    page.wait_for_selector("#nr-sources .nr-latest .nr-card", timeout=300_000)
    sources = time.perf_counter() - t0
    page.wait_for_function(
        f"""() => {{ const a = document.querySelector('{ANSWERS}');
            return a && a.textContent.trim() && !a.textContent.includes('Reading the articles'); }}""",
        timeout=300_000,
        polling=100,
    )
    first = time.perf_counter() - t0
    page.wait_for_function(
        "() => !document.querySelector('#nr-sources .nr-status')?.textContent.includes('being written')",
        timeout=300_000,
        polling=100,
    )
    done = time.perf_counter() - t0
    shown = page.locator("#nr-chat .nr-timing").last.inner_text()  # "first token 11.9 s · total 13.1 s"
    server_first = float(shown.split("first token ")[1].split(" s")[0]) if "first token" in shown else float("nan")
    return {"sources": sources, "first_text": first, "done": done, "server_first": server_first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=8)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp) / "data")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS, headless=True)
                page = browser.new_page(viewport={"width": 1400, "height": 950})
                t0 = time.perf_counter()
                page.goto(url)
                page.wait_for_selector("#nr-question textarea", timeout=120_000)
                page_load = time.perf_counter() - t0
                page.locator("#nr-load-samples").click(timeout=120_000)
                page.wait_for_selector("#nr-notice:has-text('Loaded the sample articles')", timeout=300_000)
                qs = questions(args.questions)
                ask(page, qs[0])  # warm-up: model load and first prompt
                runs = [ask(page, q) for q in qs[1:]]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    def p95(xs: list[float]) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]

    print(f"page load to interactive: {page_load:.2f} s; {len(runs)} questions after one warm-up\n")
    print("| from the click on Ask to | p50 (s) | p95 (s) |")
    print("|---|---|---|")
    for key, label in (
        ("sources", "sources visible"),
        ("first_text", "first answer token"),
        ("done", "full answer"),
        ("server_first", "(first token inside the server)"),
    ):
        values = [r[key] for r in runs if r[key] == r[key]]  # nan: no model call (refused early)
        print(f"| {label} | {statistics.median(values):.2f} | {p95(values):.2f} |")


if __name__ == "__main__":
    main()
