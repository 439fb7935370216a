"""The answer gate: first come first served, places reported, giving up frees the place.

Threads with events stand in for answers; nothing here waits on wall time except bounded
``join``/``wait`` calls that fail the test instead of hanging it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from index.chunk import make_splitter
from index.embed import LlamaIndexEmbedding, token_counter
from index.ingest import ingest_paths
from rag.answer import AnswerEngine
from rag.generate.gate import AnswerGate
from rag.generate.prompt import Prompt
from rag.retrieve.hybrid import HybridRetriever
from rag.types import Answer, Queued, Retrieved


def _wait_in_line(gate: AnswerGate, places: list[int], admitted: threading.Event) -> None:
    for ahead in gate.enter(heartbeat=0.05):
        places.append(ahead)
    admitted.set()


def test_an_open_gate_admits_everyone_without_a_place() -> None:
    gate = AnswerGate(None)
    assert list(gate.enter()) == [] and list(gate.enter()) == []
    gate.leave()
    gate.leave()


def test_the_first_caller_goes_straight_in_and_the_second_waits_one_ahead() -> None:
    gate = AnswerGate(1)
    assert list(gate.enter()) == []
    places: list[int] = []
    admitted = threading.Event()
    waiter = threading.Thread(target=_wait_in_line, args=(gate, places, admitted))
    waiter.start()
    assert not admitted.wait(0.3)
    assert places and set(places) == {1}  # repeated by the heartbeat, never a wrong place
    assert gate.waiting() == 1
    gate.leave()
    assert admitted.wait(5)
    waiter.join(5)
    gate.leave()
    assert gate.waiting() == 0


def test_waiters_are_admitted_in_arrival_order_and_move_up() -> None:
    gate = AnswerGate(1)
    assert list(gate.enter()) == []
    order: list[int] = []
    places: dict[int, list[int]] = {i: [] for i in range(3)}
    admitted = {i: threading.Event() for i in range(3)}
    lock = threading.Lock()

    def wait(i: int) -> None:
        for ahead in gate.enter(heartbeat=0.05):
            places[i].append(ahead)
        with lock:
            order.append(i)
        admitted[i].set()

    threads = []
    for i in range(3):
        t = threading.Thread(target=wait, args=(i,))
        t.start()
        threads.append(t)
        while gate.waiting() < i + 1:  # arrival order is the start order
            threading.Event().wait(0.01)
    for i in range(3):
        gate.leave()  # the one generating finishes
        assert admitted[i].wait(5)
        if i < 2:  # the last waiter is told it moved up before the next one finishes
            assert _soon(lambda i=i: bool(places[2]) and places[2][-1] == 2 - i)  # type: ignore[misc]
    for t in threads:
        t.join(5)
    gate.leave()
    assert order == [0, 1, 2]
    assert places[2][0] == 3 and places[2][-1] == 1  # it moved up from 3 ahead to 1
    assert all(a >= b for a, b in zip(places[2], places[2][1:], strict=False))


def test_giving_up_while_waiting_frees_the_place() -> None:
    gate = AnswerGate(1)
    assert list(gate.enter()) == []
    quitter = gate.enter(heartbeat=0.05)
    assert next(quitter) == 1
    places: list[int] = []
    admitted = threading.Event()
    waiter = threading.Thread(target=_wait_in_line, args=(gate, places, admitted))
    waiter.start()
    while not places:
        threading.Event().wait(0.01)
    assert places[0] == 2
    quitter.close()  # e.g. the client disconnected
    while places[-1] != 1:
        threading.Event().wait(0.01)
    assert gate.waiting() == 1
    gate.leave()
    assert admitted.wait(5)
    waiter.join(5)
    gate.leave()


def test_two_slots_admit_two_at_once() -> None:
    gate = AnswerGate(2)
    assert list(gate.enter()) == [] and list(gate.enter()) == []
    third = gate.enter(heartbeat=0.05)
    assert next(third) == 2
    gate.leave()
    assert list(third) == []
    gate.leave()
    gate.leave()


class _HeldGenerator:
    """Streams a fixed cited reply, the first call only after ``release`` is set."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls = 0

    @property
    def name(self) -> str:
        return "held"

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        self.calls += 1
        if self.calls == 1:
            self.started.set()
            assert self.release.wait(10)
        yield self.reply


@pytest.fixture
def ingested(store: Any, fake_embedder: Any, samples_dir: Any) -> Any:
    ingest_paths([samples_dir], store, make_splitter(token_counter(), 200, 30), LlamaIndexEmbedding(fake_embedder))
    return store


def test_an_answer_waits_while_the_model_is_busy_and_says_so(ingested: Any, fake_embedder: Any) -> None:
    generator = _HeldGenerator("The proposed truce would last 60 days [1].")
    retriever = HybridRetriever(ingested, fake_embedder, "hybrid")
    engine = AnswerEngine(retriever, generator, fake_embedder, ingested.count, top_k=4, gate=AnswerGate(1))
    question = "How long is the truce in the proposed ceasefire that officials outlined?"
    first_done = threading.Event()
    results: list[Answer] = []

    def first() -> None:
        results.append(engine.ask(question))
        first_done.set()

    threading.Thread(target=first).start()
    assert generator.started.wait(10)
    events = engine.events(question)
    assert isinstance(next(events), Retrieved)  # sources come before the wait
    queued = next(events)
    assert queued == Queued(1)
    generator.release.set()
    rest = list(events)
    assert first_done.wait(10)
    answer = rest[-1]
    assert isinstance(answer, Answer) and not answer.refused and "60 days" in answer.answer
    assert answer.timings.get("queued", 0) > 0, answer.timings
    assert results[0].answer == answer.answer and "queued" not in results[0].timings
    assert engine.gate.waiting() == 0
    assert list(engine.gate.enter()) == []  # both left: the gate is free again


def _soon(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``check`` until it holds or time runs out (threads are scheduled when the OS likes)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def test_an_open_gate_is_never_busy_and_never_waits() -> None:
    gate = AnswerGate(None)
    assert list(gate.enter()) == []
    assert not gate.busy() and gate.wait_idle(0)
    gate.leave()


def test_busy_while_an_answer_generates_or_waits_and_wait_idle_ends_with_the_last() -> None:
    gate = AnswerGate(1)
    assert not gate.busy() and gate.wait_idle(0)
    assert list(gate.enter()) == []
    assert gate.busy() and not gate.wait_idle(0.05)  # bounded: gives up, the caller goes on
    places: list[int] = []
    admitted = threading.Event()
    waiter = threading.Thread(target=_wait_in_line, args=(gate, places, admitted))
    waiter.start()
    deadline = time.monotonic() + 5
    while gate.waiting() < 1:  # in line before the first answer ends
        assert time.monotonic() < deadline
        time.sleep(0.01)
    idle = threading.Event()
    watcher = threading.Thread(target=lambda: gate.wait_idle(10) and idle.set())
    watcher.start()
    gate.leave()  # the waiter goes in: still busy
    assert admitted.wait(5) and gate.busy() and not idle.wait(0.2)
    gate.leave()
    assert idle.wait(5) and not gate.busy()
    waiter.join(5)
    watcher.join(5)
