"""Faults of the EHR's FHIR server that a hook call survives (issue 6, "Faults it survives").

The EHR sends the patient and the MRI report in prefetch but not the labs and conditions, so the
service fetches those from `fhirServer` (CDS-HOOKS.md: an absent key was not fulfilled). Whatever
the FHIR server does, slow, down, 401/403, 500, invalid JSON, a Bundle over the byte cap, `next`
links in a loop, the hook answers 200 within its budget with a data-quality card, never a 5xx,
and never a worker hung on the server.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import responses

from tests.support.app import jwt_app
from tests.support.hooks import SERVICE_PATH, bundle, mri_report, patient, patient_view

FHIR = "https://fhir.hospital.example/r4"
ACCESS_TOKEN = "fhir-access-token-7f3a9c"
BUDGET_S = "1"
OUTER_TIMEOUT_S = 60  # loose bound: the call finished at all (budget + slack on a loaded CI box)


@pytest.fixture
def app(tmp_path, monkeypatch):
    return jwt_app(
        tmp_path,
        monkeypatch,
        REQUIRE_JWT="0",
        FHIR_ALLOWLIST=f"{FHIR},http://127.0.0.1",
        FETCH_BUDGET_SECONDS=BUDGET_S,
        FETCH_MAX_BYTES=str(256 * 1024),
        FETCH_MAX_PAGES="10",
        EVALUATION_SLOTS="8",  # concurrent calls below are all evaluated (no overload 503)
    )


def partial_request(fhir_server: str = FHIR) -> dict[str, Any]:
    """Patient, MRI report and conditions prefetched; the labs left to the fallback fetch."""
    body = patient_view(with_prefetch=False, fhir_server=fhir_server, access_token=ACCESS_TOKEN)
    body["prefetch"] = {
        "patient": patient(),
        "imaging": bundle([mri_report(datetime.now(UTC))]),
        "conditions": bundle([]),
    }
    return body


def call_hook(app, body: dict[str, Any]):
    """POST the hook from another thread; fail if it does not finish (a hung worker)."""
    result: dict[str, Any] = {}

    def run() -> None:
        result["response"] = app.test_client().post(SERVICE_PATH, json=body)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=OUTER_TIMEOUT_S)
    assert not thread.is_alive(), "the hook call hung on the FHIR server"
    return result["response"]


def topics(response) -> list[str]:
    return [card["source"].get("topic", {}).get("code") for card in response.get_json()["cards"]]


SECONDARY_TOPICS = {"data-quality", "imaging-protocol"}


def assert_answered_safely(response) -> None:
    """200, no recommendation built on the labs that could not be fetched, no token echoed, and
    a data-quality card saying the labs are missing (issue 2)."""
    assert response.status_code == 200, response.get_data()[:500]
    assert set(topics(response)) <= SECONDARY_TOPICS  # no primary card without the labs
    assert ACCESS_TOKEN not in response.get_data(as_text=True)
    quality = [
        c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "data-quality"
    ]
    assert quality
    assert "lab" in quality[0]["summary"].lower()


def mock_fhir(mock: responses.RequestsMock, observation_reply: dict[str, Any]) -> None:
    mock.add(responses.GET, re.compile(re.escape(FHIR) + r"/Observation\b.*"), **observation_reply)
    mock.add(responses.GET, re.compile(re.escape(FHIR) + r"/Condition\b.*"), json=bundle([]))


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 401, "json": {"resourceType": "OperationOutcome", "issue": []}},
        {"status": 403, "body": "forbidden"},
        {"status": 500, "body": "<html>Internal Server Error</html>"},
        {
            "status": 200,
            "body": '{"resourceType": "Bundle", "entry": [',
            "content_type": "application/fhir+json",
        },
        {"status": 200, "json": ["not", "a", "resource"]},
        {
            "status": 200,
            "json": {"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]},
        },
    ],
    ids=["401", "403", "500", "invalid-json", "json-not-a-resource", "operation-outcome"],
)
def test_fhir_errors_give_a_data_quality_card(app, reply):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_fhir(mock, reply)
        response = call_hook(app, partial_request())
        observation_calls = [c for c in mock.calls if "/Observation" in c.request.url]
        assert observation_calls
        assert observation_calls[0].request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert_answered_safely(response)


def test_huge_bundle_over_the_byte_cap(app):
    filler = [
        {"resourceType": "Basic", "id": f"b{i}", "code": {"text": "x" * 200}} for i in range(3000)
    ]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_fhir(mock, {"json": bundle(filler)})  # ~800 kB > MARROW_CDS_FETCH_MAX_BYTES (256 kB)
        response = call_hook(app, partial_request())
    assert_answered_safely(response)


def test_next_links_in_a_loop(app):
    page = FHIR + "/Observation?_page={}"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.GET,
            re.compile(re.escape(FHIR) + r"/Observation\?_page=2$"),
            json=bundle([], next_url=page.format(3)),
        )
        mock.add(
            responses.GET,
            re.compile(re.escape(FHIR) + r"/Observation\?_page=3$"),
            json=bundle([], next_url=page.format(2)),
        )  # back to page 2: a loop
        mock.add(
            responses.GET,
            re.compile(re.escape(FHIR) + r"/Observation\?(?!_page).*"),
            json=bundle([], next_url=page.format(2)),
        )
        mock.add(responses.GET, re.compile(re.escape(FHIR) + r"/Condition\b.*"), json=bundle([]))
        response = call_hook(app, partial_request())
        observation_calls = [c for c in mock.calls if "/Observation" in c.request.url]
    assert_answered_safely(response)
    assert len(observation_calls) <= 4  # first page, 2, 3, and no more


def test_redirect_off_the_allowlist_is_not_followed(app):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock_fhir(mock, {"status": 302, "headers": {"Location": "https://evil.example/steal"}})
        mock.add(responses.GET, re.compile(r"https://evil\.example/.*"), json=bundle([]))
        response = call_hook(app, partial_request())
        assert not [c for c in mock.calls if "evil.example" in c.request.url]
    assert_answered_safely(response)


def test_fhir_server_that_never_answers(app, hanging_server):
    response = call_hook(app, partial_request(hanging_server))
    assert_answered_safely(response)


def test_fhir_server_down(app, refused_server):
    response = call_hook(app, partial_request(refused_server))
    assert_answered_safely(response)


def test_hung_fhir_server_does_not_block_the_next_calls(app, hanging_server):
    """Several calls at once against a hung server: all of them come back (bounded pool waits)."""
    results: list[int] = []

    def one() -> None:
        results.append(call_hook(app, partial_request(hanging_server)).status_code)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=OUTER_TIMEOUT_S * 2)
    assert results == [200] * 6


def test_plain_http_fhir_server_off_loopback_is_refused_at_start(tmp_path, monkeypatch):
    from cds_hooks.settings import SettingsError

    with pytest.raises(SettingsError):
        jwt_app(
            tmp_path, monkeypatch, REQUIRE_JWT="0", FHIR_ALLOWLIST="http://fhir.hospital.example/r4"
        )
