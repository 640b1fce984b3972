"""Realistic CDS Hooks calls for the security, resilience and PostgreSQL tests.

The patient has a name and identifiers that appear nowhere else, so that a log scan can look for
them (test_log_hygiene.py). Shapes follow tests/data/uscore (US Core Patient, Observation,
DiagnosticReport with the radiology category LP29684-5).
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.fhir import fhir_bundle

SERVICE_ID = "heterogeneous-marrow"
SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
FEEDBACK_PATH = f"{SERVICE_PATH}/feedback"
PATIENT_ID = "pt-7731"
FAMILY, GIVEN = "Quixworthington", "Zebulonia"
MRN = "MRN-88412-XQ"
SSN = "999-41-7731"
LOINC = "http://loinc.org"
MRI_TEXT = (
    f"MRI LUMBAR SPINE WITHOUT CONTRAST. Patient {GIVEN} {FAMILY}.\n"
    "FINDINGS: Heterogeneous bone marrow signal throughout the lumbar vertebral bodies and "
    "sacrum on T1-weighted images. No fracture. No focal lesion.\n"
    "IMPRESSION: Heterogeneous marrow signal, nonspecific."
)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "identifier": [
            {"system": "urn:oid:2.16.840.1.113883.19.5", "value": MRN},
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": SSN},
        ],
        "name": [{"family": FAMILY, "given": [GIVEN]}],
        "gender": "female",
        "birthDate": "1956-02-29",
    }


def mri_report(now: datetime) -> dict[str, Any]:
    when = _iso(now - timedelta(days=5))
    return {
        "resourceType": "DiagnosticReport",
        "id": "mri-7731",
        "status": "final",
        "category": [{"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]}],
        "code": {
            "coding": [{"system": LOINC, "code": "24968-0", "display": "MR Lumbar spine"}],
            "text": "MRI lumbar spine without contrast",
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}", "display": f"{GIVEN} {FAMILY}"},
        "effectiveDateTime": when,
        "issued": when,
        "conclusion": "Heterogeneous bone marrow signal, nonspecific.",
        "presentedForm": [
            {"contentType": "text/plain", "data": base64.b64encode(MRI_TEXT.encode()).decode()}
        ],
    }


def lab(
    index: int, code: str, display: str, value: float, unit: str, now: datetime
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"lab-7731-{index}",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": _iso(now - timedelta(days=3)),
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def labs(now: datetime) -> list[dict[str, Any]]:
    return [
        lab(1, "718-7", "Hemoglobin [Mass/volume] in Blood", 13.1, "g/dL", now),
        lab(2, "17861-6", "Calcium [Mass/volume] in Serum or Plasma", 9.4, "mg/dL", now),
        lab(3, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.9, "mg/dL", now),
    ]


def bundle(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    """A searchset page with total and search mode, and a `next` link when there is one."""
    return fhir_bundle(resources, total=True, search_mode=True, next_url=next_url)


def prefetch(now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    return {
        "patient": patient(),
        "labs": bundle(labs(now)),
        "imaging": bundle([mri_report(now)]),
        "conditions": bundle([]),
    }


def patient_view(
    *,
    with_prefetch: bool = True,
    fhir_server: str | None = None,
    access_token: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/dr-1", "patientId": PATIENT_ID},
    }
    if with_prefetch:
        body["prefetch"] = prefetch()
    if fhir_server:
        body["fhirServer"] = fhir_server
    if access_token:
        body["fhirAuthorization"] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "marrow-cds",
        }
    return body


def feedback(card_uuid: str | None = None, *, comment: str = "not now") -> dict[str, Any]:
    return {
        "feedback": [
            {
                "card": card_uuid or str(uuid.uuid4()),
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"system": "http://example.org/reasons", "code": "not-relevant"},
                    "userComment": comment,
                },
                "outcomeTimestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        ]
    }
