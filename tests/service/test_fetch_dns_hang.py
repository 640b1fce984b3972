"""A DNS lookup is not covered by the connect timeout (requests/urllib3 resolve before they
connect): a resolver that hangs must not hold the hook call. The call's overall deadline bounds
it; the stuck lookup keeps only its pool thread until the resolver answers."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest

from logic.model import DataDomain
from tests.support.service import post_hook, request_without_prefetch


def test_hanging_dns_lookup_ends_in_a_timeout_gap_at_the_budget(
    make_app: Any,
    example_request: dict[str, Any],
    mapper_calls: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    lookups: list[str] = []

    def hanging_getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        release.wait(timeout=30)
        raise socket.gaierror("resolver gave up")

    monkeypatch.setattr(socket, "getaddrinfo", hanging_getaddrinfo)
    app = make_app(FETCH_BUDGET_SECONDS="0.3")
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    try:
        started = time.monotonic()
        response = post_hook(app.test_client(), body)
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert response.status_code == 200
    assert lookups == ["ehr.example.org"]
    assert elapsed < 10  # loose: the budget is 0.3 s, the resolver would have hung for 30 s
    gaps = {gap.domain: gap.reason for gap in mapper_calls[0]["gaps"]}
    assert gaps == {DataDomain.LABS: "FHIR server timed out"}
