"""What ``index.web.net.fetch`` costs on loopback: refusing gzip bombs (time, memory) and plain GETs per second.

    .venv/bin/python benchmarks/fetch_limits.py

Serves everything from the tests' loopback ``TestSite`` (nothing leaves the machine): a 200 MB
and a 1 GB gzip bomb against 1 MB and 5 MB caps (time to refuse, Python's peak allocation by
tracemalloc, the process's max RSS), then 300 keep-alive GETs of a 50 KB page with robots.txt
cached and no host delay. Nothing is asserted; the numbers go in the docs by hand. About 10 s,
most of it building the bombs.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.web.net.fetch import Fetcher, FetchPolicy
from index.web.types import FetchError
from tests.web.site import TestSite


def _max_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KB on Linux


def bombs(site: TestSite) -> None:
    for size, cap in ((200 * 2**20, 2**20), (1024 * 2**20, 5 * 2**20)):
        built = time.monotonic()
        site.gzip_bomb(f"/bomb{size}", size)
        built = time.monotonic() - built
        with Fetcher(FetchPolicy(allow_private=True, host_delay=0, max_bytes=cap, obey_robots=False)) as fetcher:
            rss = _max_rss_mb()
            tracemalloc.start()
            start = time.monotonic()
            try:
                fetcher.get(site.url(f"/bomb{size}"))
                reason = "NOT REFUSED"
            except FetchError as err:
                reason = err.reason
            elapsed = time.monotonic() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        print(
            f"bomb {size >> 20} MB (built in {built:.1f} s) vs {cap >> 20} MB cap: refused in {elapsed * 1000:.0f} ms, "
            f"Python peak {peak / 2**20:.1f} MB, max RSS {rss} -> {_max_rss_mb()} MB: {reason}"
        )


def throughput(site: TestSite, n: int = 300) -> None:
    page = b"<html><body>" + b"<p>news paragraph text</p>" * 2000 + b"</body></html>"
    site.add("/page", page)
    with Fetcher(FetchPolicy(allow_private=True, host_delay=0)) as fetcher:
        fetcher.get(site.url("/page"))  # reads robots.txt and opens the connection
        start = time.monotonic()
        for _ in range(n):
            fetcher.get(site.url("/page"))
        elapsed = time.monotonic() - start
    print(f"{n} GETs of a {len(page) // 1024} KB page: {n / elapsed:.0f}/s ({elapsed / n * 1000:.2f} ms each)")


def main() -> None:
    site = TestSite()
    try:
        bombs(site)
        throughput(site)
    finally:
        site.close()


if __name__ == "__main__":
    main()
