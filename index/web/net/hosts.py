"""What the fetcher remembers per host: whose turn it is, and which hosts stalled a moment ago.

``Turns`` lets one request at a time go to a host, each started at least a delay after the one
before; other hosts go on in parallel, and waiting for a turn ends by the caller's deadline.
``SlowHosts`` remembers the hosts whose request ran out its deadline, for ``SLOW_HOST_PAUSE``
seconds and at most ``SLOW_HOSTS_KEPT`` of them, so a feed listing many links to a stalling site
costs one timeout, not one each.

Left out: any I/O, and the decisions: ``index.web.net.fetch`` says when a host counts as
stalling, what to tell the caller, and asks before each request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from index.web.net.deadline import Deadline

SLOW_HOST_PAUSE = 180.0  # a host that ran out a request's deadline is refused at once for this long
SLOW_HOSTS_KEPT = 256  # at most this many such hosts remembered; the oldest mark is dropped first


@dataclass
class _Gate:
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_start: float = float("-inf")


class Turns:
    """Each host's turn: one request at a time, starts at least ``delay`` apart; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: dict[str, _Gate] = {}

    @contextmanager
    def hold(self, host: str, delay: float, deadline: Deadline, too_long: Exception) -> Iterator[None]:
        """Hold ``host``'s turn for the block; raises ``too_long`` if it would come after the deadline.

        Waiting for it counts against the deadline; the request holding it ends by its own.
        """
        with self._lock:
            gate = self._gates.setdefault(host, _Gate())
        if not deadline.acquire(gate.lock):
            raise too_long
        try:
            wait = gate.last_start + delay - time.monotonic()
            if wait > 0:
                if wait >= deadline.left():
                    raise too_long
                time.sleep(wait)
            gate.last_start = time.monotonic()
            yield
        finally:
            gate.lock.release()


class SlowHosts:
    """The hosts that ran out a request's deadline less than ``SLOW_HOST_PAUSE`` ago; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}  # host -> until when it is refused (oldest first)

    def mark(self, host: str) -> None:
        """Remember ``host`` as stalling from now, dropping the oldest mark past ``SLOW_HOSTS_KEPT``."""
        with self._lock:
            self._until.pop(host, None)
            self._until[host] = time.monotonic() + SLOW_HOST_PAUSE
            while len(self._until) > SLOW_HOSTS_KEPT:
                del self._until[next(iter(self._until))]

    def stalling(self, host: str) -> bool:
        """Whether ``host`` ran out a request's deadline less than ``SLOW_HOST_PAUSE`` ago."""
        now = time.monotonic()
        with self._lock:
            # Marks are kept in the order they expire: drop the expired ones from the front.
            while self._until and next(iter(self._until.values())) <= now:
                del self._until[next(iter(self._until))]
            return host in self._until
