"""The chat UI in a real browser: Debian's headless Chromium driven by Playwright, against
`newsrag chat` started as a subprocess with the real bundled local model, real MiniLM and
real Chroma on disk. Screenshots go to test-artifacts/ui/.

Slow: each answer takes 10-25 s on 2 CPU cores, so the flow is one test, step by step.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from rag.generate import model_files
from tests.conftest import ARTIFACTS, REPO

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SHOTS = ARTIFACTS / "ui"
TRUCE_Q = "How long is the proposed truce between Israel and Hezbollah?"
ICARO = "Negotiating a Ceasefire: Progress and Challenges in Israel-Hezbollah Truce Talks"
UPLOAD = """Tromsø harbour council approves floating solar farm
Published: 2024-11-25

The harbour council of Tromsø voted on Monday to build a floating solar farm in the outer harbour.
The farm will have a capacity of 40 megawatts and is due to open in 2027, the council said.
"""
ANSWER_TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = model_files.assemble(REPO / ".newsrag" / "models")
    data = tmp_path_factory.mktemp("chat")
    port = free_port()
    env = {**os.environ, "NEWSRAG_DATA_DIR": str(data / "index"), "NEWSRAG_LOCAL_MODEL_PATH": str(model)}
    cmd = [str(Path(sys.executable).parent / "newsrag"), "chat", "--port", str(port), "--backend", "local"]
    log = (data / "chat.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"newsrag chat did not start: {(data / 'chat.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM}: run `bash scripts/setup.sh --dev` (installs it)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield instance
        instance.close()


def open_page(browser: Any, url: str, requests: list[str]) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("#nr-question textarea", timeout=60_000)
    return page


def ask(page: Any, question: str) -> None:
    before = page.locator("#nr-chat .nr-answer, #nr-chat .nr-refusal, #nr-chat .nr-error").count()
    page.fill("#nr-question textarea", question)
    page.click("#nr-ask")
    page.wait_for_function(
        """n => {
            const done = document.querySelectorAll('#nr-chat .nr-answer, #nr-chat .nr-refusal, #nr-chat .nr-error');
            const last = done[done.length - 1];
            return done.length > n && last && !last.textContent.includes('Reading the articles')
                && !document.querySelector('#nr-sources .nr-status')?.textContent.includes('being written');
        }""",
        arg=before,
        timeout=ANSWER_TIMEOUT_MS,
    )


def last_answer(page: Any) -> str:
    return str(page.locator("#nr-chat .nr-answer, #nr-chat .nr-refusal, #nr-chat .nr-error").last.inner_text())


def test_chat_flow_in_a_real_browser(server: str, browser: Any, tmp_path: Path) -> None:
    requests: list[str] = []
    page = open_page(browser, server, requests)

    # empty corpus: the sample articles are one click away
    offer = page.locator("#nr-load-samples")
    offer.wait_for(state="visible", timeout=60_000)
    offer.click()
    page.wait_for_selector("#nr-notice:has-text('Loaded the sample articles')", timeout=120_000)
    assert not page.locator("#nr-load-samples").is_visible()

    # a sample question: streamed answer, source cards with the right headline
    ask(page, TRUCE_Q)
    answer = last_answer(page)
    assert "60" in answer, answer
    titles = page.locator("#nr-sources .nr-latest .nr-card.nr-cited .nr-title").all_inner_texts()
    assert ICARO in titles, titles
    page.screenshot(path=str(SHOTS / "chat-answer.png"))

    # clicking [1] brings its card into view and highlights it, with the quote marked
    marker = page.locator("#nr-chat a.nr-cite").first
    target = (marker.get_attribute("href") or "").lstrip("#")
    marker.click()
    active = page.locator(".nr-card.nr-active")
    active.wait_for(timeout=10_000)
    assert active.count() == 1 and active.get_attribute("id") == target
    assert active.locator("mark").count() >= 1
    assert active.is_visible() and page.url.rstrip("/") == server.rstrip("/")
    page.screenshot(path=str(SHOTS / "chat-citation-highlighted.png"))

    # upload an article, then ask what only it answers
    article = tmp_path / "tromso-solar.txt"
    article.write_text(UPLOAD, encoding="utf-8")
    page.get_by_role("tab", name="Articles").click()
    page.locator("#nr-upload input[type=file]").set_input_files(str(article))
    page.wait_for_selector("#nr-upload-result:has-text('tromso-solar.txt: ingested')", timeout=120_000)
    assert "Tromsø harbour council approves floating solar farm" in page.locator("#nr-articles").inner_text()
    page.screenshot(path=str(SHOTS / "articles.png"))
    page.get_by_role("tab", name="Chat").click()
    ask(page, "What capacity will the floating solar farm in Tromsø have?")
    assert "40" in last_answer(page), last_answer(page)
    titles = page.locator("#nr-sources .nr-latest .nr-card.nr-cited .nr-title").all_inner_texts()
    assert "Tromsø harbour council approves floating solar farm" in titles, titles

    # the page loaded and ran without reaching anything but the server
    hosts = {urlparse(u).netloc for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {urlparse(server).netloc}, hosts


def test_two_sessions_keep_separate_conversations(server: str, browser: Any) -> None:
    requests: list[str] = []
    first, second = open_page(browser, server, requests), open_page(browser, server, requests)
    questions = ["Who is leading the efforts to broker the truce agreement?", "What is Moscow open to?"]
    offer = first.locator("#nr-load-samples")
    if offer.is_visible():  # this test may run on its own
        offer.click()
        first.wait_for_selector("#nr-notice:has-text('Loaded the sample articles')", timeout=120_000)
    for page, question in zip((first, second), questions, strict=True):
        page.fill("#nr-question textarea", question)
        page.click("#nr-ask")  # both asked at once: the second waits in the queue
    # the waiting session says so (Gradio's queue status on the chat)
    second.wait_for_function("() => /queue/i.test(document.body.innerText)", timeout=30_000)
    second.screenshot(path=str(SHOTS / "second-session-queued.png"))
    for page in (first, second):
        ask_done = """() => {
            const done = document.querySelectorAll('#nr-chat .nr-answer, #nr-chat .nr-refusal, #nr-chat .nr-error');
            return done.length && !done[done.length - 1].textContent.includes('Reading the articles')
                && !document.querySelector('#nr-sources .nr-status')?.textContent.includes('being written');
        }"""
        page.wait_for_function(ask_done, timeout=ANSWER_TIMEOUT_MS)
    first_chat, second_chat = first.locator("#nr-chat").inner_text(), second.locator("#nr-chat").inner_text()
    assert questions[0] in first_chat and questions[1] not in first_chat
    assert questions[1] in second_chat and questions[0] not in second_chat
    second.screenshot(path=str(SHOTS / "second-session.png"))
