"""A real (loopback) FHIR server that is slow: the fetch budget bounds the wait."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from logic.model import DataDomain
from tests.support.loopback import loopback_server
from tests.support.service import post_hook, request_without_prefetch


@pytest.fixture
def dripping_server() -> Iterator[str]:
    """Answers every request with headers at once, then one body byte every 50 ms."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                b"Content-Length: 100000\r\n\r\n{"
            )
            while not stop.is_set():
                try:
                    conn.sendall(b" ")
                except OSError:
                    return
                time.sleep(0.05)

    with loopback_server(serve, "/fhir") as url:
        yield url


def test_server_dripping_bytes_is_cut_off_at_the_budget(
    make_app: Any,
    example_request: dict[str, Any],
    mapper_calls: list[Any],
    dripping_server: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    app = make_app(FHIR_ALLOWLIST=dripping_server, FETCH_BUDGET_SECONDS="0.5")
    body = request_without_prefetch(example_request)
    body["fhirServer"] = dripping_server
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    response = post_hook(app.test_client(), body)
    assert response.status_code == 200
    gaps = {g.domain: g.reason for g in mapper_calls[0]["gaps"]}
    assert gaps == {DataDomain.LABS: "FHIR server timed out"}
    # The fetch thread itself gives up (it is not left reading forever in the background).
    log = ""
    for _ in range(100):
        log += capfd.readouterr().err
        if '"message":"fhir fetch"' in log:
            break
        time.sleep(0.05)
    fetch_lines = [line for line in log.splitlines() if '"message":"fhir fetch"' in line]
    assert fetch_lines
    assert '"error":"FHIR server timed out"' in fetch_lines[0]
