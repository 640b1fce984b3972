"""Closing the loop end to end (issue 12, SPEC.md section 5 follow-up status) through
POST /cds-services/heterogeneous-marrow with realistic FHIR R4 JSON, prefetched and fetched.

The clinic's case: a nonspecific finding on a lumbar spine MRI 14 months old, normal current
labs, no MRI since. The follow-up MRI was due 6 months after the MRI, so it is overdue by
about 8 months (more than 6: a warning). Variants: the follow-up MRI already ordered (a
ServiceRequest), a completed order, a newer brain MRI (does not close the loop), a newer lumbar
MRI (closes it), and the orders fetched from the EHR's FHIR server (or failing to be).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from logic.context import add_months
from tests.support import fhir_requests as f
from tests.support.app import trial_app

SERVICE_URL = "/cds-services/heterogeneous-marrow"
FHIR = "https://ehr.example.org/fhir"
ORDER_SYSTEM = "urn:marrow-cds:order"
CPT = "http://www.ama-assn.org/go/cpt"
NONSPECIFIC = (
    "Vertebral body heights are maintained. Mildly heterogeneous marrow signal in the lumbar "
    "vertebral bodies, likely red marrow reconversion. No focal lesion.",
    "Mildly heterogeneous marrow signal, likely red marrow reconversion.",
)
MRI_DAYS_AGO = 425  # about 14 months


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from trial_app(tmp_path_factory.mktemp("follow-up"), FHIR_ALLOWLIST=FHIR)


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def today() -> date:
    return datetime.now(UTC).date()


def day(days_ago: float) -> date:
    return (datetime.now(UTC) - timedelta(days=days_ago)).date()


def index_mri(days_ago: float = MRI_DAYS_AGO, report_id: str = "mri-1") -> dict[str, Any]:
    return f.mri_report(*NONSPECIFIC, report_id=report_id, days_ago=days_ago)


def brain_mri(days_ago: float) -> dict[str, Any]:
    report = f.mri_report(
        "Normal brain parenchyma. No intracranial mass. Normal marrow signal of the calvarium.",
        "Normal MRI of the brain.",
        report_id="mri-brain",
        days_ago=days_ago,
    )
    report["code"] = {
        "coding": [{"system": f.LOINC, "code": "24590-2", "display": "MR Brain WO and W contrast"}],
        "text": "MRI brain without and with contrast",
    }
    return report


def follow_up_order(
    authored_days_ago: float, status: str = "active", order_id: str = "sr-mri-1"
) -> dict[str, Any]:
    """A follow-up MRI the clinic ordered (CPT 72158), as the EHR stores it."""
    return {
        "resourceType": "ServiceRequest",
        "id": order_id,
        "status": status,
        "intent": "order",
        "priority": "routine",
        "category": [
            {
                "coding": [
                    {"system": "http://snomed.info/sct", "code": "363679005", "display": "Imaging"}
                ]
            }
        ],
        "code": {
            "coding": [
                {
                    "system": CPT,
                    "code": "72158",
                    "display": "MRI lumbar spine without contrast, followed by contrast",
                }
            ],
            "text": "MRI lumbar spine without and with contrast",
        },
        "subject": {"reference": f"Patient/{f.PATIENT_ID}"},
        "authoredOn": f.ago(authored_days_ago),
        "requester": {"reference": "Practitioner/gp-7", "display": "Dr Gp"},
        "reasonReference": [{"reference": "DiagnosticReport/mri-1"}],
    }


def panel() -> list[dict[str, Any]]:
    return list(f.normal_panel().values())


def request(
    reports: list[dict[str, Any]], orders: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body = f.patient_view(labs=panel(), reports=reports)
    if orders is not None:
        body["prefetch"]["serviceRequests"] = f.bundle(*orders)
    return body


def call(client: FlaskClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(SERVICE_URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    cards: list[dict[str, Any]] = response.get_json()["cards"]
    return cards


def primary(cards: list[dict[str, Any]]) -> dict[str, Any]:
    (card,) = [c for c in cards if c["source"]["topic"]["code"] == "surveillance"]
    assert len(card["summary"]) < 140
    return card


def topics(cards: list[dict[str, Any]]) -> list[str]:
    """Card topics, leaving out MRI protocol advice (chemical shift: not this issue)."""
    return [
        c["source"]["topic"]["code"]
        for c in cards
        if c["source"]["topic"]["code"] != "imaging-protocol"
    ]


def mri_orders(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action["resource"]
        for suggestion in card.get("suggestions", [])
        for action in suggestion["actions"]
        if any(
            c["system"] == ORDER_SYSTEM and c["code"] == "mri-followup"
            for c in action["resource"]["code"]["coding"]
        )
    ]


def due() -> date:
    return add_months(day(MRI_DAYS_AGO), 6)


# ------------------------------------------------------------------------------ prefetch


def test_overdue_follow_up_mri_is_named_with_its_date_and_ordered_now(client):
    cards = call(client, request([index_mri()], orders=[]))
    assert topics(cards) == ["surveillance"]  # orders were sent: nothing missing
    card = primary(cards)
    assert card["indicator"] == "warning"  # overdue by more than 6 months
    assert card["source"]["url"] == "https://cds.example.org/rules#R8"
    assert card["summary"].startswith(f"Follow-up MRI overdue since {due().isoformat()}")
    assert f"lumbar spine MRI of {day(MRI_DAYS_AGO).isoformat()}" in card["summary"]
    detail = card["detail"]
    assert "**Follow-up MRI**" in detail
    assert "DiagnosticReport/mri-1" not in detail
    evidence = card["extension"]["org.marrow-cds.evidence"]
    assert "DiagnosticReport/mri-1" in {i.get("reference") for i in evidence}
    assert detail.index("**Follow-up MRI**") < detail.index("**Checked and normal**")
    (mri,) = mri_orders(card)
    assert "occurrencePeriod" not in mri  # now, not in 3-6 months from today
    assert mri["priority"] == "routine"
    assert mri["reasonReference"][0]["reference"] == "DiagnosticReport/mri-1"


def test_follow_up_mri_already_ordered_is_not_ordered_again(client):
    cards = call(client, request([index_mri()], orders=[follow_up_order(20)]))
    card = primary(cards)
    assert card["summary"].startswith(
        f"Follow-up MRI ordered on {day(20).isoformat()}, not yet done "
        f"(overdue since {due().isoformat()})"
    )
    assert card["indicator"] == "warning"  # still not done, more than 6 months after due
    assert mri_orders(card) == []  # no duplicate
    assert f"ordered on {day(20).isoformat()}" in card["detail"]
    assert "ServiceRequest/sr-mri-1" not in card["detail"]  # FHIR references: not clinician text
    # the surveillance labs are still offered
    assert card.get("suggestions")


def test_completed_order_without_a_newer_mri_is_still_overdue(client):
    cards = call(client, request([index_mri()], orders=[follow_up_order(60, "completed")]))
    card = primary(cards)
    assert card["summary"].startswith("Follow-up MRI overdue since")
    assert len(mri_orders(card)) == 1
    assert "completed" in card["detail"]
    assert "ServiceRequest/sr-mri-1" not in card["detail"]


def test_a_newer_brain_mri_does_not_close_the_loop(client):
    cards = call(client, request([brain_mri(30), index_mri()], orders=[]))
    card = primary(cards)
    assert card["summary"].startswith(f"Follow-up MRI overdue since {due().isoformat()}")
    assert "mri-brain" not in card["detail"]


def test_a_newer_lumbar_mri_closes_the_loop(client):
    newer = index_mri(days_ago=40, report_id="mri-2")
    cards = call(client, request([newer, index_mri()], orders=[]))
    card = primary(cards)
    assert card["indicator"] == "info"
    assert "overdue" not in card["summary"]
    (mri,) = mri_orders(card)
    # stable since the older MRI: the next one 6-12 months after the newer MRI
    assert mri["occurrencePeriod"] == {
        "start": add_months(day(40), 6).isoformat(),
        "end": add_months(day(40), 12).isoformat(),
    }


def test_not_yet_due_is_counted_from_the_mri_date(client):
    cards = call(client, request([index_mri(days_ago=122)], orders=[]))  # about 4 months
    card = primary(cards)
    (mri,) = mri_orders(card)
    assert mri["occurrencePeriod"] == {
        "start": today().isoformat(),
        "end": add_months(day(122), 6).isoformat(),
    }
    assert "repeat MRI in 0-2 months" in card["summary"]


def test_orders_not_sent_and_no_fhir_server_is_a_data_gap_not_an_error(client):
    cards = call(client, request([index_mri()]))  # no serviceRequests key, no fhirServer
    assert topics(cards) == ["surveillance", "data-quality"]
    card, quality = cards[0], cards[-1]
    assert card["summary"].startswith("Follow-up MRI overdue since")
    assert "could not be checked" in card["detail"]
    assert "orders already placed" in quality["summary"]


# ------------------------------------------------------------------------------ fallback


AUTHORIZATION = {
    "access_token": "opaque-token-for-the-ehr",
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "patient/ServiceRequest.read",
    "subject": "marrow-cds",
}


def test_orders_fetched_from_the_fhir_server(client):
    body = request([index_mri()])
    body["fhirServer"] = FHIR
    body["fhirAuthorization"] = AUTHORIZATION
    with responses.RequestsMock() as fhir:
        fhir.get(f"{FHIR}/ServiceRequest", json=f.bundle(follow_up_order(20)))
        cards = call(client, body)
        (fetched,) = fhir.calls
    url = fetched.request.url
    assert url.startswith(f"{FHIR}/ServiceRequest?patient={f.PATIENT_ID}&status=active,on-hold")
    assert "72158" in url
    assert "mri-followup" in url
    assert "_sort=-authored" in url
    assert fetched.request.headers["Authorization"] == "Bearer opaque-token-for-the-ehr"
    card = primary(cards)
    assert card["summary"].startswith(f"Follow-up MRI ordered on {day(20).isoformat()}")
    assert mri_orders(card) == []
    assert topics(cards) == ["surveillance"]


def test_orders_that_cannot_be_fetched_are_a_data_gap(client):
    body = request([index_mri()])
    body["fhirServer"] = FHIR
    with responses.RequestsMock() as fhir:
        fhir.get(f"{FHIR}/ServiceRequest", status=500, json={"resourceType": "OperationOutcome"})
        cards = call(client, body)
    assert topics(cards) == ["surveillance", "data-quality"]
    card, quality = cards[0], cards[-1]
    assert card["summary"].startswith("Follow-up MRI overdue since")
    assert len(mri_orders(card)) == 1  # still suggested, with the note to check first
    assert "could not be checked" in card["detail"]
    assert "orders already placed" in quality["detail"]


def test_orders_gap_is_not_shown_on_other_cards(client):
    anaemia = f.lab("hb", "718-7", "Hemoglobin [Mass/volume] in Blood", 10.9, "g/dL", low=12.0)
    body = f.patient_view(labs=list(f.normal_panel(hb=anaemia).values()), reports=[index_mri()])
    cards = call(client, body)  # no serviceRequests and no fhirServer
    assert topics(cards) == ["marrow-biopsy-indicated"]
