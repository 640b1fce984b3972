"""End to end (issue 17): the report text kept where EHRs keep it, on a real FHIR server (Medplum).

The test stores, on the Medplum tier of conftest.py, a patient whose MRI lumbar spine report is
(a) a DiagnosticReport whose presentedForm is only a `url` to a Binary holding HTML, with a
DocumentReference of the same report pointing to the same Binary (it must count once), and (b)
for a second patient, only a DocumentReference (LOINC 18748-4, category clinical-note) whose
attachment is an absolute `url` to a Binary holding a PDF. The service is called with no
prefetch: it fetches everything from the server through the fallback path, reads the Binary
(Medplum answers a Binary read with the FHIR Binary resource) and must give the same cards as
the same report text sent inline.
"""

from __future__ import annotations

import base64
import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.report_documents import REPORT_TEXT, to_html, to_pdf

from .conftest import MedplumServer
from .test_medplum_fallback import SERVICE_URL, topic

pytestmark = pytest.mark.e2e

LOINC = "http://loinc.org"
WHEN = "2026-11-10T14:05:00Z"
CLINICAL_NOTE = {
    "coding": [
        {
            "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
            "code": "clinical-note",
        }
    ]
}
IMAGING_STUDY_TYPE = {
    "coding": [{"system": LOINC, "code": "18748-4", "display": "Diagnostic imaging study"}]
}


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
    monkeypatch.setenv("MARROW_CDS_HOOK_DEADLINE_SECONDS", "20")
    from cds_hooks import create_app

    app = create_app()
    app.config.update(TESTING=True)
    with app.test_client() as test_client:
        yield test_client


def put(medplum: MedplumServer, resource: dict[str, Any]) -> None:
    """Store a resource under its id (PUT), with the server's bearer token."""
    request = urllib.request.Request(
        f"{medplum.base_url}/{resource['resourceType']}/{resource['id']}",
        data=json.dumps(resource).encode(),
        method="PUT",
        headers={
            "Content-Type": "application/fhir+json",
            "Authorization": f"Bearer {medplum.token}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), response.read()


def patient(pid: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "gender": "female",
        "birthDate": "1963-04-02",
        "name": [{"family": "Test", "given": ["Report"]}],
    }


def binary(bid: str, content_type: str, data: bytes) -> dict[str, Any]:
    return {
        "resourceType": "Binary",
        "id": bid,
        "contentType": content_type,
        "data": base64.b64encode(data).decode(),
    }


def mri_report(pid: str, rid: str, forms: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "category": [{"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]}],
        "code": {
            "coding": [
                {"system": LOINC, "code": "30679-5", "display": "MR Lumbar spine WO contrast"}
            ],
            "text": "MRI lumbar spine without contrast",
        },
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": WHEN,
        "issued": WHEN,
        "presentedForm": forms,
    }


def document(pid: str, did: str, attachment: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": did,
        "status": "current",
        "docStatus": "final",
        "type": IMAGING_STUDY_TYPE,
        "category": [CLINICAL_NOTE],
        "subject": {"reference": f"Patient/{pid}"},
        "date": WHEN,
        "content": [{"attachment": attachment}],
        "context": {"period": {"start": WHEN}, **extra},
    }


def hook(pid: str, medplum: MedplumServer | None = None, **prefetch: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/e2e-practitioner", "patientId": pid},
    }
    if medplum is not None:
        body["fhirServer"] = medplum.base_url
        body["fhirAuthorization"] = {
            "access_token": medplum.token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "marrow-cds",
        }
    if prefetch:
        body["prefetch"] = prefetch
    return body


def inline_cards(client: FlaskClient, pid: str) -> list[tuple[str | None, str, str]]:
    """The cards for the same report sent inline as text/plain (every prefetch key sent)."""
    empty = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    report = mri_report(
        pid,
        "inline",
        [{"contentType": "text/plain", "data": base64.b64encode(REPORT_TEXT.encode()).decode()}],
    )
    from cds_hooks.services.patient_view import PATIENT_VIEW

    prefetch = {key: empty for key in PATIENT_VIEW.prefetch}
    prefetch["patient"] = patient(pid)
    prefetch["imaging"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": report}],
    }
    return shape(client.post(SERVICE_URL, json=hook(pid, **prefetch)))


def shape(response: Any) -> list[tuple[str | None, str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(topic(c), c["indicator"], c["summary"]) for c in response.get_json()["cards"]]


def binary_reads(medplum: MedplumServer, since: int, bid: str) -> list[dict[str, Any]]:
    return [
        e for e in medplum.requests()[since:] if e["path"].split("?")[0].endswith(f"/Binary/{bid}")
    ]


def test_diagnostic_report_with_html_binary_by_url_is_read_through_the_fallback(
    medplum: MedplumServer, client: FlaskClient
) -> None:
    pid = "marrow-e2e-html-report"
    put(medplum, patient(pid))
    put(medplum, binary("marrow-e2e-html", "text/html", to_html(REPORT_TEXT).encode()))
    put(
        medplum,
        mri_report(
            pid,
            "marrow-e2e-dr-html",
            [{"contentType": "text/html", "url": "Binary/marrow-e2e-html"}],
        ),
    )
    # The same report also filed as a document (same Binary, related to the report): once.
    put(
        medplum,
        document(
            pid,
            "marrow-e2e-doc-html",
            {"contentType": "text/html", "url": "Binary/marrow-e2e-html"},
            related=[{"reference": "DiagnosticReport/marrow-e2e-dr-html"}],
        ),
    )
    expected = inline_cards(client, pid)
    since = len(medplum.requests())

    response = client.post(SERVICE_URL, json=hook(pid, medplum))

    assert shape(response) == expected
    assert expected, expected
    assert expected[0][0] not in ("data-quality", None), expected
    reads = binary_reads(medplum, since, "marrow-e2e-html")
    assert len(reads) == 1, reads
    assert reads[0]["authorized"], reads
    assert reads[0]["status"] == 200, reads
    # issue 10: the card's FHIR references are in its evidence extension
    card = response.get_json()["cards"][0]
    evidence = {i.get("reference") for i in card["extension"]["org.marrow-cds.evidence"]}
    assert "DiagnosticReport/marrow-e2e-dr-html" in evidence
    assert "DocumentReference/marrow-e2e-doc-html" not in evidence


def test_document_reference_only_with_pdf_binary_is_read_through_the_fallback(
    medplum: MedplumServer, client: FlaskClient
) -> None:
    pid = "marrow-e2e-pdf-document"
    put(medplum, patient(pid))
    put(medplum, binary("marrow-e2e-pdf", "application/pdf", to_pdf(REPORT_TEXT, lines_per_page=4)))
    put(
        medplum,
        document(
            pid,
            "marrow-e2e-doc-pdf",
            {"contentType": "application/pdf", "url": f"{medplum.base_url}/Binary/marrow-e2e-pdf"},
        ),
    )
    expected = inline_cards(client, pid)
    since = len(medplum.requests())

    response = client.post(SERVICE_URL, json=hook(pid, medplum))

    assert shape(response) == expected
    log = medplum.requests()[since:]
    assert any(e["path"].startswith("/fhir/R4/DocumentReference?") for e in log), log
    reads = binary_reads(medplum, since, "marrow-e2e-pdf")
    assert len(reads) == 1, reads
    assert reads[0]["authorized"], reads
    assert reads[0]["status"] == 200, reads
    card = response.get_json()["cards"][0]
    assert "DocumentReference/marrow-e2e-doc-pdf" in {
        i.get("reference") for i in card["extension"]["org.marrow-cds.evidence"]
    }


def test_binary_read_refused_gives_a_data_quality_card_naming_the_report(
    medplum: MedplumServer, client: FlaskClient
) -> None:
    """The token works for the searches but the Binary is missing on the server (404): the
    report is named on a data-quality card and no clinical card is built without its text."""
    pid = "marrow-e2e-missing-binary"
    put(medplum, patient(pid))
    put(
        medplum,
        mri_report(
            pid,
            "marrow-e2e-dr-missing",
            [{"contentType": "application/pdf", "url": "Binary/marrow-e2e-nowhere"}],
        ),
    )

    response = client.post(SERVICE_URL, json=hook(pid, medplum))

    cards = response.get_json()["cards"]
    assert [topic(c) for c in cards] == ["data-quality"], cards
    assert "DiagnosticReport/marrow-e2e-dr-missing" in cards[0]["detail"]
    assert "does not have the report document" in cards[0]["detail"]
