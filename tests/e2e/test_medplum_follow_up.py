"""End to end against a real FHIR R4 server (in-memory Medplum): closing the loop (issue 12).

A second patient is stored on the server of this tier (conftest.py) through its FHIR API: a
lumbar spine MRI 14 months old with nonspecific heterogeneous marrow, a normal current
first-line panel, and a follow-up MRI ServiceRequest. The EHR sends patient-view with
fhirServer and no prefetch: the service fetches everything, the orders with the narrow
`serviceRequests` query (patient, status active/on-hold, follow-up MRI codes), and the card says
the follow-up MRI is ordered and not yet done, with no second MRI. Revoked, the order no longer
counts: the follow-up MRI is overdue and suggested now.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support import fhir_requests as f

from .conftest import MedplumServer

pytestmark = pytest.mark.e2e

SERVICE_URL = "/cds-services/heterogeneous-marrow"
PID = "marrow-e2e-follow-up"
ORDER_ID = "marrow-e2e-follow-up-mri"
MRI_DAYS_AGO = 425
NONSPECIFIC = (
    "Vertebral body heights are maintained. Mildly heterogeneous marrow signal in the lumbar "
    "vertebral bodies, likely red marrow reconversion. No focal lesion.",
    "Mildly heterogeneous marrow signal, likely red marrow reconversion.",
)


def _for_patient(resource: dict[str, Any], prefix: str = "fu-") -> dict[str, Any]:
    """A resource of the realistic e2e_rules builders, stored for this tier's patient."""
    stored = json.loads(json.dumps(resource).replace(f"Patient/{f.PATIENT_ID}", f"Patient/{PID}"))
    if stored["resourceType"] != "Patient":
        stored["id"] = f"{prefix}{stored['id']}"
    return stored


def follow_up_order(status: str) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": ORDER_ID,
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
                    "system": "http://www.ama-assn.org/go/cpt",
                    "code": "72158",
                    "display": "MRI lumbar spine without contrast, followed by contrast",
                }
            ],
            "text": "MRI lumbar spine without and with contrast",
        },
        "subject": {"reference": f"Patient/{PID}"},
        "authoredOn": f.ago(20),
        "reasonReference": [{"reference": "DiagnosticReport/fu-mri-1"}],
    }


def put(medplum: MedplumServer, resource: dict[str, Any]) -> None:
    url = f"{medplum.base_url}/{resource['resourceType']}/{resource['id']}"
    request = urllib.request.Request(
        url,
        data=json.dumps(resource).encode(),
        method="PUT",
        headers={
            "Authorization": f"Bearer {medplum.token}",
            "Content-Type": "application/fhir+json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), response.status


@pytest.fixture
def stored_patient(medplum: MedplumServer) -> MedplumServer:
    patient = f.patient()
    patient["id"] = PID
    put(medplum, patient)
    put(medplum, _for_patient(f.mri_report(*NONSPECIFIC, days_ago=MRI_DAYS_AGO)))
    for observation in f.normal_panel().values():
        put(medplum, _for_patient(observation))
    return medplum


@pytest.fixture
def client(
    medplum: MedplumServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FlaskClient]:
    monkeypatch.setenv("MARROW_CDS_DATABASE_URL", f"sqlite:///{tmp_path / 'e2e.sqlite3'}")
    monkeypatch.setenv("MARROW_CDS_PATIENT_HASH_KEY", "e2e-patient-hash-key-0123456789")
    monkeypatch.setenv("MARROW_CDS_FHIR_ALLOWLIST", medplum.base_url)
    monkeypatch.setenv("MARROW_CDS_REQUIRE_JWT", "0")
    monkeypatch.setenv("MARROW_CDS_FETCH_BUDGET_SECONDS", "10")
    monkeypatch.setenv("MARROW_CDS_FETCH_READ_TIMEOUT_SECONDS", "8")
    monkeypatch.setenv("MARROW_CDS_FETCH_CONNECT_TIMEOUT_SECONDS", "2")
    from cds_hooks import create_app

    app = create_app()
    app.config.update(TESTING=True)
    with app.test_client() as test_client:
        yield test_client


def patient_view(medplum: MedplumServer) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": medplum.base_url,
        "fhirAuthorization": {
            "access_token": medplum.token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "marrow-cds",
        },
        "context": {"userId": "Practitioner/e2e-practitioner", "patientId": PID},
    }


def surveillance_card(cards: list[dict[str, Any]]) -> dict[str, Any]:
    (card,) = [c for c in cards if c["source"]["topic"]["code"] == "surveillance"]
    return card


def suggested_mri(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action["resource"]
        for suggestion in card.get("suggestions", [])
        for action in suggestion["actions"]
        if any(c["code"] == "mri-followup" for c in action["resource"]["code"]["coding"])
    ]


def evaluate(client: FlaskClient, medplum: MedplumServer) -> tuple[list[dict[str, Any]], list[Any]]:
    seen_before = len(medplum.requests())
    response = client.post(SERVICE_URL, json=patient_view(medplum))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["cards"], medplum.requests()[seen_before:]


def test_follow_up_mri_ordered_on_the_fhir_server_is_not_ordered_again(
    stored_patient: MedplumServer, client: FlaskClient
) -> None:
    medplum = stored_patient
    put(medplum, follow_up_order("active"))

    cards, log = evaluate(client, medplum)

    queries = [e for e in log if e["path"].split("?")[0].endswith("/ServiceRequest")]
    assert len(queries) == 1, log
    (query,) = queries
    assert query["authorized"]
    assert query["status"] == 200
    assert "status=active,on-hold" in query["path"]
    assert "72158" in query["path"]
    card = surveillance_card(cards)
    assert card["summary"].startswith(f"Follow-up MRI ordered on {f.ago(20)[:10]}, not yet done")
    assert card["indicator"] == "warning"  # 14 months: overdue by more than 6 months
    assert suggested_mri(card) == []
    # issue 10: FHIR references are not clinician text; the index MRI is in the evidence
    assert f"ServiceRequest/{ORDER_ID}" not in card["detail"]
    assert f"ordered on {f.ago(20)[:10]}" in card["detail"]
    assert "DiagnosticReport/fu-mri-1" in {
        i.get("reference") for i in card["extension"]["org.marrow-cds.evidence"]
    }
    assert [c["source"]["topic"]["code"] for c in cards if c is not card] in (
        [],
        ["imaging-protocol"],
    )


def test_revoked_order_no_longer_counts_the_follow_up_mri_is_overdue(
    stored_patient: MedplumServer, client: FlaskClient
) -> None:
    medplum = stored_patient
    put(medplum, follow_up_order("revoked"))

    cards, _ = evaluate(client, medplum)

    card = surveillance_card(cards)
    assert card["summary"].startswith("Follow-up MRI overdue since")
    assert card["indicator"] == "warning"
    (mri,) = suggested_mri(card)
    assert "occurrencePeriod" not in mri
    assert mri["subject"] == {"reference": f"Patient/{PID}"}
