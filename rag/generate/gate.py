"""A fair first-come queue in front of the generator, that says where each waiting answer stands.

The local model answers one question at a time. Without a gate, a second question would wait
invisibly inside llama.cpp; with it, every caller (chat UI, REST, OpenAI API, Python API)
waits in one FIFO line and learns how many answers are ahead of it, so it can show a
"queued" state. ``AnswerGate(None)`` admits everyone at once (remote endpoints and the
extractive backend need no queue).

Background work that shares the CPU with the model (an upload's embedding) asks ``busy`` or
waits with ``wait_idle`` between its steps, so answers go first. An open gate is never busy.

It does not bound how many may wait: ``newsrag serve`` refuses questions beyond
``max_waiting_questions`` before they get here.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator

HEARTBEAT_S = 10.0  # a waiting caller hears its place at least this often (keeps streams alive)


class AnswerGate:
    """At most ``slots`` answers generate at once; the rest wait in arrival order."""

    def __init__(self, slots: int | None) -> None:
        self.slots = slots
        self._cond = threading.Condition()
        self._running = 0
        self._line: deque[object] = deque()

    def enter(self, heartbeat: float = HEARTBEAT_S) -> Iterator[int]:
        """Wait for a turn, yielding how many answers are ahead (generating or waiting) as it changes.

        Yields nothing when admitted at once. Returns once admitted; the caller must then call
        ``leave`` exactly once. Closing the iterator while waiting gives up the place in line.
        """
        if self.slots is None:
            return
        ticket = object()
        with self._cond:
            self._line.append(ticket)
        admitted = False
        try:
            last = None
            while True:
                with self._cond:
                    ahead = self._admit_or_place(ticket)
                    if ahead is not None and ahead == last:
                        self._cond.wait(heartbeat)  # woken when an answer ends or someone ahead gives up
                        ahead = self._admit_or_place(ticket)
                    admitted = ahead is None
                if ahead is None:
                    return
                last = ahead
                yield ahead  # a repeat after a quiet heartbeat keeps a stream alive
        finally:
            if not admitted:
                with self._cond:
                    if ticket in self._line:
                        self._line.remove(ticket)
                    self._cond.notify_all()

    def _admit_or_place(self, ticket: object) -> int | None:
        """Under the lock: admit ``ticket`` (None) or count the answers ahead of it."""
        assert self.slots is not None
        if self._line[0] is ticket and self._running < self.slots:
            self._line.popleft()
            self._running += 1
            self._cond.notify_all()  # the others move up a place
            return None
        return self._running + self._line.index(ticket)

    def leave(self) -> None:
        """Give the turn to the next in line."""
        if self.slots is None:
            return
        with self._cond:
            self._running -= 1
            self._cond.notify_all()

    def waiting(self) -> int:
        """How many callers are in line now (not counting those generating)."""
        with self._cond:
            return len(self._line)

    def busy(self) -> bool:
        """Whether an answer is generating or waiting (always False for an open gate: it keeps no count)."""
        with self._cond:
            return self._busy()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no answer is generating or waiting, at most ``timeout`` seconds; True if idle."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy(), timeout)

    def _busy(self) -> bool:
        return self.slots is not None and (self._running > 0 or bool(self._line))
