"""Fuzz the HTTP API from its own OpenAPI schema with schemathesis, on a real loopback server.

Every operation gets a bounded number of generated requests (valid and invalid bodies,
odd strings, out-of-range numbers); each response must not be a server error and must match
the schema the app publishes (status codes, content types, JSON shapes). The server is the
same as ``test_server.py``'s: real Chroma index of the sample articles, real MiniLM, the
extractive backend, and an API key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from index.web.net.fetch import Fetcher, FetchPolicy
from index.web.types import Fetched, FetchError
from rag.api import NewsRAG
from rag.settings import Settings
from tests.ui.test_server import LiveServer, wait_ready
from ui.http.server import create_app

KEY = "fuzz-key"
AUTH = {"Authorization": f"Bearer {KEY}"}  # schemathesis also tries requests without it (must be 401)
EXAMPLES = 50  # per operation: bounded, ~20 s in all on 2 cores


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("fuzz") / "data", backend="extractive", max_upload_mb=0.05, api_key=KEY
    )
    rag = NewsRAG(settings)
    rag.ingest_samples()
    rag.live.__dict__["fetcher"] = NoNetwork(FetchPolicy())  # generated URLs must reach nothing
    with LiveServer(create_app(rag, ui=False)) as server:
        wait_ready(server.url)
        yield server


class NoNetwork(Fetcher):
    """The real fetcher's interface, refusing every URL before any DNS lookup or connection."""

    def get(self, url: str, **_: Any) -> Fetched:
        raise FetchError(url, "no network in this test")


# Meaning-level rules their schemas cannot state: a reply of 400 to these is by design.
MEANING_RULES = {
    "/v1/chat/completions",  # the last message must be the user's; question length
    "/api/articles",  # files or urls, at least one
    "/api/feeds",  # the interval must read like 30m; the URL must be http(s)
    "/api/feeds/refresh",  # only followed feeds can be refreshed
}


def fuzz(operation: Any, base_url: str) -> None:
    """Run one operation's generated requests; raises the first failure hypothesis finds."""
    excluded = [positive_data_acceptance] if operation.path in MEANING_RULES else []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: Any) -> None:
        case.call_and_validate(base_url=base_url, timeout=60, excluded_checks=excluded, headers=AUTH)

    check()


def test_every_operation_conforms_to_the_schema(live: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json", headers=AUTH)  # the schema needs the key
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures: list[str] = []
    for operation in operations:
        try:
            fuzz(operation, live.url)
        except Exception as err:  # collect every operation's first failure, not just the first one
            failures.append(f"{operation.label}: {err}")
    assert not failures, "\n\n".join(failures)
