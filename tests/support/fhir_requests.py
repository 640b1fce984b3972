"""Realistic patient-view requests, built the way EHRs send them (FHIR R4 JSON, prefetched).

Dates are relative to now: the HTTP shell evaluates at the time of the call. Labs carry LOINC
codes and the units real labs send (g/dL, mg/dL, 10*3/uL, mg/L), reference ranges where labs
send them; the MRI report has a code, a conclusion and a base64 text/plain presentedForm with
Findings and Impression; conditions are coded in ICD-10-CM.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.fhir import fhir_bundle

PATIENT_ID = "pv-2001"
EGFR_DISPLAY = (
    "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or "
    "Blood by Creatinine-based formula (CKD-EPI 2021)"
)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()


def patient(sex: str = "female", birth_date: str = "1961-03-09") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "name": [{"family": "Testpatient", "given": ["Ruth"]}],
        "gender": sex,
        "birthDate": birth_date,
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A searchset as the EHR's FHIR server answers it: total, fullUrl and search mode."""
    return fhir_bundle(
        resources, total=True, full_url_base="https://ehr.example.org/fhir", search_mode=True
    )


def quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def lab(
    obs_id: str,
    loinc: str,
    display: str,
    value: float,
    unit: str,
    *,
    days_ago: float = 12,
    low: float | None = None,
    high: float | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": obs_id,
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
        "effectiveDateTime": ago(days_ago),
        "valueQuantity": quantity(value, unit),
    }
    if low is not None or high is not None:
        ref: dict[str, Any] = {}
        if low is not None:
            ref["low"] = quantity(low, unit)
        if high is not None:
            ref["high"] = quantity(high, unit)
        resource["referenceRange"] = [ref]
    return resource


def text_lab(
    obs_id: str, loinc: str, display: str, text: str, days_ago: float = 12
) -> dict[str, Any]:
    resource = lab(obs_id, loinc, display, 0, "1", days_ago=days_ago)
    del resource["valueQuantity"]
    resource["valueString"] = text
    return resource


def normal_panel(**override: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A current, normal first-line panel (SPEC.md section 5), keyed by observation id."""
    panel = {
        "hb": lab(
            "hb", "718-7", "Hemoglobin [Mass/volume] in Blood", 13.4, "g/dL", low=12.0, high=15.5
        ),
        "wbc": lab(
            "wbc",
            "6690-2",
            "Leukocytes [#/volume] in Blood by Automated count",
            6.1,
            "10*3/uL",
            low=4.0,
            high=11.0,
        ),
        "plt": lab(
            "plt",
            "777-3",
            "Platelets [#/volume] in Blood by Automated count",
            245,
            "10*3/uL",
            low=150,
            high=400,
        ),
        "neut": lab(
            "neut",
            "751-8",
            "Neutrophils [#/volume] in Blood by Automated count",
            3.6,
            "10*3/uL",
            low=1.8,
            high=7.7,
        ),
        "crea": lab(
            "crea",
            "2160-0",
            "Creatinine [Mass/volume] in Serum or Plasma",
            0.82,
            "mg/dL",
            low=0.5,
            high=1.1,
        ),
        "egfr": lab(
            "egfr",
            "98979-8",
            EGFR_DISPLAY,
            84,
            "mL/min/{1.73_m2}",
        ),
        "ca": lab(
            "ca",
            "17861-6",
            "Calcium [Mass/volume] in Serum or Plasma",
            9.4,
            "mg/dL",
            low=8.6,
            high=10.3,
        ),
        "alb": lab(
            "alb",
            "1751-7",
            "Albumin [Mass/volume] in Serum or Plasma",
            4.2,
            "g/dL",
            low=3.5,
            high=5.0,
        ),
        "spep": text_lab(
            "spep",
            "12851-2",
            "Protein electrophoresis panel - Serum or Plasma",
            "No monoclonal protein detected.",
        ),
        "kappa": lab(
            "kappa",
            "36916-5",
            "Kappa light chains.free [Mass/volume] in Serum",
            12.1,
            "mg/L",
            low=3.3,
            high=19.4,
        ),
        "lambda": lab(
            "lambda",
            "33944-0",
            "Lambda light chains.free [Mass/volume] in Serum",
            14.3,
            "mg/L",
            low=5.7,
            high=26.3,
        ),
    }
    panel.update(override)
    return panel


def mri_report(
    findings: str, impression: str, *, report_id: str = "mri-1", days_ago: float = 9
) -> dict[str, Any]:
    text = (
        "EXAM: MRI LUMBAR SPINE WITHOUT CONTRAST\n\n"
        "CLINICAL HISTORY: Low back pain for 3 months.\n\n"
        "TECHNIQUE: Sagittal T1, T2 and STIR, axial T1 and T2 images of the lumbar spine "
        "at 1.5 T.\n\n"
        f"FINDINGS: {findings}\n\nIMPRESSION:\n1. {impression}\n"
    )
    return {
        "resourceType": "DiagnosticReport",
        "id": report_id,
        "status": "final",
        "category": [{"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]}],
        "code": {
            "coding": [
                {"system": LOINC, "code": "30679-5", "display": "MR Lumbar spine WO contrast"}
            ],
            "text": "MRI lumbar spine without contrast",
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": ago(days_ago),
        "issued": ago(days_ago - 0.2),
        "conclusion": impression,
        "presentedForm": [
            {
                "contentType": "text/plain",
                "language": "en-US",
                "data": base64.b64encode(text.encode()).decode(),
                "title": "MRI lumbar spine report",
            }
        ],
    }


def condition(cond_id: str, code: str, display: str, *, status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cond_id,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "problem-list-item",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": ICD10, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "recordedDate": "2024-02-01",
    }


HYPERTENSION = condition("cond-htn", "I10", "Essential (primary) hypertension")


def patient_view(
    *,
    labs: list[dict[str, Any]],
    reports: list[dict[str, Any]],
    conditions: list[dict[str, Any]] | None = None,
    sex: str = "female",
) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/gp-7", "patientId": PATIENT_ID},
        "prefetch": {
            "patient": patient(sex),
            "labs": bundle(*labs),
            "imaging": bundle(*reports),
            "imagingDocuments": bundle(),  # no report kept only as a document (issue 17)
            "conditions": bundle(*(conditions if conditions is not None else [HYPERTENSION])),
        },
    }


# Report texts (impression, conclusion) and labs the vignettes share.
NONSPECIFIC = (
    "Vertebral body heights are maintained. Mildly heterogeneous marrow signal in the lumbar "
    "vertebral bodies, likely red marrow reconversion. No focal lesion.",
    "Mildly heterogeneous marrow signal, likely red marrow reconversion.",
)

DIFFUSE_BENIGN = (
    "Diffusely heterogeneous marrow signal throughout the lumbar vertebral bodies. T1 marrow "
    "signal is brighter than the intervertebral discs and paraspinal muscle. No focal lesion.",
    "Diffusely heterogeneous bone marrow signal, T1 signal brighter than disc and muscle.",
)

NEGATIVE = (
    "Normal marrow signal. No focal lesion. Mild disc degeneration at L4-L5.",
    "Degenerative disc disease at L4-L5. No marrow abnormality.",
)


def hb(value: float) -> dict[str, Any]:
    return lab(
        "hb", "718-7", "Hemoglobin [Mass/volume] in Blood", value, "g/dL", low=12.0, high=15.5
    )


def panel(**override: dict[str, Any]) -> list[dict[str, Any]]:
    return list(normal_panel(**override).values())
