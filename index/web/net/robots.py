"""robots.txt: what one origin's file says, and each origin's verdict kept for a while.

``from_answer`` turns the HTTP answer to ``/robots.txt`` into ``Robots``: its rules (kept
``ROBOTS_TTL``), everything allowed when there is none (a 4xx), or an error to refuse on until
it can be read (a 5xx or 429, asked again after ``ROBOTS_RETRY``); ``unreachable`` is the same
error when no answer came. ``RobotsCache`` keeps one verdict per origin and lets one thread at a
time load it, the others waiting no longer than their own deadline.

Left out: fetching the file (``index.web.net.fetch`` does, with ``ROBOTS_MAX_BYTES`` as its cap)
and deciding which failures are a verdict worth keeping; Crawl-delay and Sitemap lines are not
used (the per-host delay is the fetcher's own policy).
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from index.web.net.deadline import Deadline

ROBOTS_TTL = 3600.0
ROBOTS_RETRY = 300.0  # an unreachable robots.txt is asked again after this long, not an hour
ROBOTS_MAX_BYTES = 512 * 1024  # what Google reads of a robots.txt
ROBOTS_ACCEPT = "text/plain, */*;q=0.5"

Origin = tuple[str, str, int]  # scheme, host, port


@dataclass(frozen=True)
class Robots:
    """One origin's robots.txt verdict, good until ``expires`` (``time.monotonic()``)."""

    expires: float
    parser: urllib.robotparser.RobotFileParser | None = None  # None: everything allowed
    error: str = ""  # robots.txt could not be read: refuse until it can

    def allows(self, agent: str, url: str) -> bool:
        """Whether the rules let ``agent`` fetch ``url`` (check ``error`` first)."""
        return self.parser is None or self.parser.can_fetch(agent, url)


def robots_url(url: httpx.URL) -> str:
    """The robots.txt URL of ``url``'s origin."""
    return str(url.copy_with(path="/robots.txt", query=None))


def unreachable(reason: str, since: float) -> Robots:
    """The verdict when robots.txt could not be fetched at ``since``: refuse for ``ROBOTS_RETRY``."""
    return Robots(since + ROBOTS_RETRY, error=reason)


def from_answer(status: int, body: bytes, since: float) -> Robots:
    """The verdict from the answer to a robots.txt request sent at ``since``."""
    if status >= 500 or status == 429:
        return Robots(since + ROBOTS_RETRY, error=f"HTTP {status}")
    if status >= 400:
        return Robots(since + ROBOTS_TTL)  # no robots.txt: everything is allowed
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(body.decode("utf-8", errors="replace").splitlines())
    return Robots(since + ROBOTS_TTL, parser=parser)


class RobotsCache:
    """Each origin's ``Robots`` until it expires; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[Origin, Robots] = {}
        self._locks: dict[Origin, threading.Lock] = {}

    def get(self, origin: Origin, load: Callable[[], Robots], deadline: Deadline, too_long: Exception) -> Robots:
        """``origin``'s kept verdict, or ``load()``'s (kept); ``load`` may raise, and nothing is kept.

        One loader per origin: threads asking for the same site wait for its robots.txt once (no
        longer than their own deadline, else ``too_long`` is raised: the loader ahead may be stuck
        on a stalling host).
        """
        with self._lock:
            lock = self._locks.setdefault(origin, threading.Lock())
        if not deadline.acquire(lock):
            raise too_long
        try:
            known = self._rules.get(origin)
            if known is not None and known.expires > time.monotonic():
                return known
            rules = load()
            self._rules[origin] = rules
            return rules
        finally:
            lock.release()
