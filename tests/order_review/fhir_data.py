"""Prefetch FHIR R4 JSON for order-review service tests, dated relative to the real clock
(the HTTP layer evaluates as of now)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"
PATIENT_ID = "p1"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def when(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="seconds")


def observation(
    oid: str, loinc: str, display: str, value: float, unit: str, days_ago: float
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
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
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": when(days_ago),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def spep(oid: str, days_ago: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {
            "coding": [{"system": LOINC, "code": "49275-1", "display": "Immunofixation serum"}]
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": when(days_ago),
        "valueString": "No monoclonal protein detected.",
    }


def first_line_panel(days_ago: float) -> list[dict[str, Any]]:
    """A normal first-line panel (SPEC.md section 5) plus IgG/IgA/IgM, drawn `days_ago`."""
    return [
        observation("hb", "718-7", "Hemoglobin", 13.6, "g/dL", days_ago),
        observation("wbc", "6690-2", "Leukocytes", 6.2, "10*3/uL", days_ago),
        observation("plt", "777-3", "Platelets", 250, "10*3/uL", days_ago),
        observation("anc", "751-8", "Neutrophils", 3.6, "10*3/uL", days_ago),
        observation("creat", "2160-0", "Creatinine", 0.9, "mg/dL", days_ago),
        observation("ca", "17861-6", "Calcium", 9.4, "mg/dL", days_ago),
        observation("alb", "1751-7", "Albumin", 4.1, "g/dL", days_ago),
        observation("kappa", "36916-5", "Kappa free light chains", 14.2, "mg/L", days_ago),
        observation("lambda", "33944-0", "Lambda free light chains", 11.0, "mg/L", days_ago),
        spep("ife", days_ago),
        observation("b2m", "1952-1", "Beta-2 microglobulin", 1.8, "mg/L", days_ago),
        observation("ldh", "2532-0", "LDH", 170, "U/L", days_ago),
        observation("igg", "2465-3", "IgG", 1050, "mg/dL", days_ago),
        observation("iga", "2458-8", "IgA", 220, "mg/dL", days_ago),
        observation("igm", "2472-9", "IgM", 95, "mg/dL", days_ago),
    ]


def mri_report(days_ago: float = 14) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": "mri-ls",
        "status": "final",
        "category": [{"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]}],
        "code": {
            "coding": [
                {"system": LOINC, "code": "30679-5", "display": "MR Lumbar spine WO contrast"}
            ],
            "text": "MRI lumbar spine without contrast",
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": when(days_ago),
        "issued": when(days_ago),
        "conclusion": (
            "FINDINGS: Diffusely heterogeneous T1 marrow signal throughout the lumbar spine "
            "and sacrum, without a discrete focal lesion. IMPRESSION: Diffuse heterogeneous "
            "marrow signal; correlate with laboratory evaluation."
        ),
    }


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ],
    }


def prefetch(
    *, labs: list[dict[str, Any]] | None = None, mri: bool = True, conditions: list[Any] = ()
) -> dict[str, Any]:
    return {
        "patient": {
            "resourceType": "Patient",
            "id": PATIENT_ID,
            "gender": "female",
            "birthDate": "1957-03-14",
        },
        "labs": searchset(labs or []),
        "imaging": searchset([mri_report()] if mri else []),
        "conditions": searchset(list(conditions)),
    }


def uscore(name: str) -> dict[str, Any]:
    resource: dict[str, Any] = json.loads((DATA / "uscore" / name).read_text())
    return resource
