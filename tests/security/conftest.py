"""Fixtures of the security tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopback import loopback_server


@pytest.fixture
def slow_http_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers: the URL of it."""
    with loopback_server(None, "/jwks.json") as url:
        yield url


@pytest.fixture(autouse=True)
def _close_apps() -> Iterator[None]:
    yield
    from .app_kit import close_apps

    close_apps()
