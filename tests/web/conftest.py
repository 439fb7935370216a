"""Fixtures of the live-news tests: a started loopback ``TestSite``, closed after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.site import TestSite


@pytest.fixture
def site() -> Iterator[TestSite]:
    started = TestSite()
    try:
        yield started
    finally:
        started.close()
