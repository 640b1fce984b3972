"""Fixtures of the security tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.loopback import loopback_server


@pytest.fixture
def slow_http_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers: the URL of it."""
    with loopback_server(None, "/jwks.json") as url:
        yield url
