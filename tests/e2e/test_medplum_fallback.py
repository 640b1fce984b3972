"""End to end: the FHIR fallback fetch against a real FHIR R4 server (in-memory Medplum).

The EHR sends a patient-view call with `fhirServer` and `fhirAuthorization` but no prefetch
(CDS-HOOKS.md, Request: an absent key was not fulfilled, so the service fetches it). The server
(conftest.py) holds the Synthea patient plus an MRI lumbar spine report with heterogeneous marrow
signal and first-line labs (tests/e2e/medplum/marrow-sample.mjs), pages its searches and refuses
any request without the right bearer token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from .conftest import MedplumServer

pytestmark = pytest.mark.e2e

SERVICE_URL = "/cds-services/heterogeneous-marrow"
INDEX_MRI = "DiagnosticReport/marrow-e2e-mri-index"
# Labs of the sample that SPEC.md section 5 turns into H flags (marrow-sample.mjs).
ABNORMAL_LABS = (
    "Observation/marrow-e2e-flc-ratio",
    "Observation/marrow-e2e-flc-kappa",
    "Observation/marrow-e2e-mspike",
    "Observation/marrow-e2e-spep",
    "Observation/marrow-e2e-hb",
)
SECONDARY_TOPICS = {"data-quality", "imaging-protocol"}


@pytest.fixture
def service_env(medplum: MedplumServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MARROW_CDS_ settings: SQLite in tmp_path, JWT off, the Medplum base on the allowlist."""
    monkeypatch.setenv("MARROW_CDS_DATABASE_URL", f"sqlite:///{tmp_path / 'e2e.sqlite3'}")
    monkeypatch.setenv("MARROW_CDS_PATIENT_HASH_KEY", "e2e-patient-hash-key-0123456789")
    monkeypatch.setenv("MARROW_CDS_FHIR_ALLOWLIST", medplum.base_url)
    monkeypatch.setenv("MARROW_CDS_REQUIRE_JWT", "0")
    # Generous budget: the point here is correctness against a real server, not speed.
    monkeypatch.setenv("MARROW_CDS_FETCH_BUDGET_SECONDS", "10")
    monkeypatch.setenv("MARROW_CDS_FETCH_READ_TIMEOUT_SECONDS", "8")
    monkeypatch.setenv("MARROW_CDS_FETCH_CONNECT_TIMEOUT_SECONDS", "2")


@pytest.fixture
def client(service_env: None) -> Iterator[FlaskClient]:
    from cds_hooks import create_app

    app = create_app()
    app.config.update(TESTING=True)
    with app.test_client() as test_client:
        yield test_client


def patient_view(medplum: MedplumServer, access_token: str) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": medplum.base_url,
        "fhirAuthorization": {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/Patient.read patient/Observation.read "
            "patient/DiagnosticReport.read patient/Condition.read",
            "subject": "marrow-cds",
        },
        "context": {
            "userId": "Practitioner/e2e-practitioner",
            "patientId": medplum.patient_id,
        },
    }


def topic(card: dict[str, Any]) -> str | None:
    code: str | None = card.get("source", {}).get("topic", {}).get("code")
    return code


def test_patient_view_without_prefetch_fetches_from_medplum_with_the_token(
    medplum: MedplumServer, client: FlaskClient
) -> None:
    seen_before = len(medplum.requests())

    response = client.post(SERVICE_URL, json=patient_view(medplum, medplum.token))

    assert response.status_code == 200, response.get_data(as_text=True)
    cards = response.get_json()["cards"]
    log = medplum.requests()[seen_before:]
    # The service fetched from the FHIR server, every request with the bearer token ...
    assert log, "the service did not contact the FHIR server"
    assert all(entry["authorized"] for entry in log), log
    assert {entry["path"].split("?")[0].rsplit("/", 1)[-1] for entry in log} >= {
        "Observation",
        "DiagnosticReport",
    }, log
    # ... and followed every `next` link the server handed out (pages of 20).
    requested = {entry["path"] for entry in log}
    handed_out = [entry["next"] for entry in log if entry.get("next")]
    assert handed_out, "no search was paged: the pagination path was not exercised"
    for next_url in handed_out:
        path = next_url.removeprefix(medplum.origin)
        assert path in requested, f"next link not followed: {next_url}"

    # One clinical card, built on the fetched report and labs (SPEC.md R4 for this sample).
    clinical = [card for card in cards if topic(card) not in SECONDARY_TOPICS]
    assert len(clinical) == 1, cards
    card = clinical[0]
    assert topic(card) == "marrow-biopsy-indicated", card
    assert card["indicator"] == "warning"
    # issue 10: the FHIR references are in the card's evidence extension, not the clinician text
    evidence = {i.get("reference") for i in card["extension"]["org.marrow-cds.evidence"]}
    assert INDEX_MRI in evidence, evidence
    assert any(reference in evidence for reference in ABNORMAL_LABS), evidence
    assert INDEX_MRI not in card["detail"]
    assert card.get("suggestions"), card
    assert card.get("selectionBehavior") in {"at-most-one", "any"}


def test_wrong_token_gives_a_data_quality_card_and_no_clinical_card(
    medplum: MedplumServer, client: FlaskClient
) -> None:
    seen_before = len(medplum.requests())

    response = client.post(SERVICE_URL, json=patient_view(medplum, "not-the-token"))

    assert response.status_code == 200, response.get_data(as_text=True)
    cards = response.get_json()["cards"]
    log = medplum.requests()[seen_before:]
    assert log, "the service did not contact the FHIR server"
    assert not any(entry["authorized"] for entry in log), log
    assert {entry["status"] for entry in log} == {401}, log
    assert [topic(card) for card in cards] == ["data-quality"], cards
    assert cards[0]["indicator"] == "info"


def test_fhir_server_not_on_the_allowlist_is_never_contacted(
    medplum: MedplumServer, service_env: None
) -> None:
    from cds_hooks import create_app

    app = create_app(fhir_allowlist=("https://fhir.example.org/R4",))
    seen_before = len(medplum.requests())

    response = app.test_client().post(SERVICE_URL, json=patient_view(medplum, medplum.token))

    # No prefetch and no usable fhirServer: no data can be obtained (CDS-HOOKS.md: 412).
    assert response.status_code == 412, response.get_data(as_text=True)
    assert response.get_json()["resourceType"] == "OperationOutcome"
    assert medplum.requests()[seen_before:] == []
