"""Fixtures of the resilience tests: misbehaving FHIR servers on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.support.loopback import loopback_server


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """A loopback "FHIR server" that accepts connections and never answers: its base URL."""
    with loopback_server(None, "/fhir") as url:
        yield url


@pytest.fixture
def refused_server() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/fhir"
