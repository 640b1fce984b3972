"""One hook call's fallback fetch is bounded in bytes and time (security review: one call could
read and parse 30 MiB pages x 5 pages x every query, after the budget had run out).

- MARROW_CDS_FETCH_MAX_BYTES caps one answer (a declared Content-Length above it is not read);
- MARROW_CDS_FETCH_MAX_TOTAL_BYTES caps all answers of one call together;
- a fetch still reading when the call stops waiting is cancelled: its thread stops at the next
  chunk and drops what it read.
What does not fit becomes a data gap (a data-quality card), never a partial read.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from cds_hooks.ehr.fhir_client import CallBudget
from cds_hooks.errors import FhirBadResponse, FhirTimeout
from cds_hooks.settings import (
    DEFAULT_FETCH_MAX_BYTES,
    DEFAULT_FETCH_MAX_TOTAL_BYTES,
    DEFAULT_MAX_BODY_BYTES,
    Settings,
)
from logic.model import DataDomain
from tests.support.loopback import loopback_server
from tests.support.service import FHIR, post_hook, request_without_prefetch


def big_bundle(example: dict[str, Any], size: int, next_url: str | None = None) -> str:
    """A searchset Bundle of at least ``size`` bytes made of the example's first lab result."""
    entry = example["prefetch"]["labs"]["entry"][0]
    count = size // len(json.dumps(entry)) + 1
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    bundle["entry"] = [entry] * count
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return json.dumps(bundle)


def test_defaults_bound_one_call_well_below_the_old_32_mib_pages(tmp_path: Any) -> None:
    settings = Settings.from_env(
        {"MARROW_CDS_PATIENT_HASH_KEY": "k" * 32, "MARROW_CDS_REQUIRE_JWT": "0"},
        instance_path=tmp_path,
    )
    assert settings.fetch_max_bytes == DEFAULT_FETCH_MAX_BYTES == 8 * 1024 * 1024
    assert settings.max_body_bytes == DEFAULT_MAX_BODY_BYTES == 8 * 1024 * 1024
    assert settings.fetch_max_total_bytes == DEFAULT_FETCH_MAX_TOTAL_BYTES
    assert settings.fetch_max_bytes <= settings.fetch_max_total_bytes < 32 * 1024 * 1024


def test_total_bytes_of_one_call_are_capped_across_pages_and_queries(
    make_app: Any, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    """Every query answers page after page of ~100 kB, each under the page cap: the call stops
    reading at 250 kB in all, and the queries cut short are gaps, not partial data."""
    app = make_app(
        FETCH_MAX_BYTES="150000",
        FETCH_MAX_TOTAL_BYTES="250000",
        FETCH_MAX_PAGES="50",
    )
    served: list[str] = []

    def endless_pages(request: Any) -> tuple[int, dict[str, str], str]:
        served.append(request.url)
        return 200, {}, big_bundle(example_request, 100_000, f"{FHIR}/page/{len(served)}")

    fhir.add_callback(responses.GET, re.compile(r".*"), callback=endless_pages)
    body = request_without_prefetch(example_request)
    body["prefetch"] = {"patient": example_request["prefetch"]["patient"]}
    response = post_hook(app.test_client(), body)

    assert response.status_code == 200
    # The queries (every template but the patient) run at once; ~100 kB pages cross 250 kB in
    # all by the third or so page read (without the shared cap: each query x 50 pages).
    from cds_hooks.services.patient_view import PATIENT_VIEW

    assert len(served) <= 2 * (len(PATIENT_VIEW.prefetch) - 1)
    cards = response.get_json()["cards"]
    assert [card["source"]["topic"]["code"] for card in cards] == ["data-quality"]
    assert "250000 bytes in total" in cards[0]["detail"]


def test_declared_content_length_over_the_page_cap_is_not_read(
    make_app: Any,
    example_request: dict[str, Any],
    mapper_calls: list[Any],
    fhir: responses.RequestsMock,
) -> None:
    app = make_app(FETCH_MAX_BYTES="100000")
    fhir.get(re.compile(rf"{FHIR}/Observation.*"), body=big_bundle(example_request, 300_000))
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    response = post_hook(app.test_client(), body)
    assert response.status_code == 200
    gaps = {gap.domain: gap.reason for gap in mapper_calls[0]["gaps"]}
    assert gaps == {DataDomain.LABS: "FHIR server answer exceeded 100000 bytes"}


def test_call_budget_counts_bytes_of_all_fetches_and_cancels() -> None:
    budget = CallBudget(time.monotonic() + 60, max_total_bytes=100)
    budget.take(60)
    budget.check()
    with pytest.raises(FhirBadResponse, match="100 bytes in total"):
        budget.take(41)
    budget.cancel()
    with pytest.raises(FhirTimeout):
        budget.check()
    with pytest.raises(FhirTimeout):
        CallBudget(time.monotonic() - 1, max_total_bytes=100).check()


@pytest.fixture
def endless_server() -> Iterator[tuple[str, threading.Event]]:
    """Sends a chunked JSON body that never ends, as fast as the client reads; sets the event
    when the client stops reading (closes the connection)."""
    client_gone = threading.Event()
    chunk = b" " * 65536
    framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n"
            )
            while not stop.is_set():
                try:
                    conn.sendall(framed)
                except OSError:
                    client_gone.set()
                    return
                time.sleep(0.01)

    with loopback_server(serve, "/fhir") as url:
        yield url, client_gone


def test_endless_answer_ends_in_a_data_gap_and_the_fetch_thread_stops_reading(
    make_app: Any,
    example_request: dict[str, Any],
    mapper_calls: list[Any],
    endless_server: tuple[str, threading.Event],
) -> None:
    """Caps far above what arrives within the budget: the deadline alone ends the call, and
    the thread that was reading hangs up (the server sees the connection close)."""
    url, client_gone = endless_server
    app = make_app(
        FHIR_ALLOWLIST=url,
        FETCH_BUDGET_SECONDS="0.5",
        FETCH_MAX_BYTES=str(1 << 30),
        FETCH_MAX_TOTAL_BYTES=str(1 << 30),
    )
    body = request_without_prefetch(example_request)
    body["fhirServer"] = url
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    started = time.monotonic()
    response = post_hook(app.test_client(), body)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed < 15  # loose: the budget is 0.5 s; before the fix reading went on forever
    gaps = {gap.domain: gap.reason for gap in mapper_calls[0]["gaps"]}
    assert gaps == {DataDomain.LABS: "FHIR server timed out"}
    assert client_gone.wait(timeout=15), "the fetch thread kept reading after the deadline"
