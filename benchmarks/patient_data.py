"""Synthetic, realistic-shaped patient data for the benchmarks (no real patient).

A woman born 1958 with an MRI lumbar spine report of mildly heterogeneous marrow signal, three
common conditions, and `n` laboratory Observations: blood draws going back from 10 days before
`as_of`, each a panel (CBC with differential, metabolic panel, and every fourth draw the myeloma
screen: FLC kappa/lambda/ratio, SPEP, M-spike, IgG/IgA/IgM, beta-2 microglobulin, LDH), with the
SPEC.md section 4 LOINC codes and the unit mix seen in practice (g/dL and g/L haemoglobin, mg/dL
and mmol/L calcium, mg/dL and umol/L creatinine, blood and serum codes). Values are normal, so
the service evaluates the whole record (rule R8: surveillance) rather than stopping early.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PATIENT_ID = "bench-patient-1"

# (code, display, unit, low, high, decimals); a value is drawn uniformly inside [low, high].
Analyte = tuple[str, str, str, float, float, int]
CBC: tuple[tuple[Analyte, ...], ...] = (
    # alternatives of one analyte: a draw picks one (unit/code mix)
    (
        ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.1, 15.2, 1),
        ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/L", 121, 152, 0),
    ),
    (("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.2, 10.5, 1),),
    (("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 160, 390, 0),),
    (("751-8", "Neutrophils [#/volume] in Blood by Automated count", "10*3/uL", 1.9, 7.0, 1),),
    (("742-7", "Monocytes [#/volume] in Blood by Automated count", "10*3/uL", 0.2, 0.8, 2),),
    (("5905-5", "Monocytes/100 leukocytes in Blood by Automated count", "%", 2, 9, 1),),
)
EGFR_DISPLAY = "Glomerular filtration rate/1.73 sq M.predicted"
METABOLIC: tuple[tuple[Analyte, ...], ...] = (
    (
        ("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 8.7, 10.0, 1),
        ("49765-1", "Calcium [Mass/volume] in Blood", "mg/dL", 8.7, 10.0, 1),
        ("2000-8", "Calcium [Moles/volume] in Serum or Plasma", "mmol/L", 2.18, 2.52, 2),
    ),
    (("1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", 3.6, 4.6, 1),),
    (
        ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.1, 2),
        ("38483-4", "Creatinine [Mass/volume] in Blood", "mg/dL", 0.6, 1.1, 2),
        ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "umol/L", 55, 95, 0),
    ),
    (("33914-3", EGFR_DISPLAY, "mL/min/{1.73_m2}", 65, 110, 0),),
)
MYELOMA_SCREEN: tuple[tuple[Analyte, ...], ...] = (
    (("36916-5", "Kappa light chains.free [Mass/volume] in Serum", "mg/L", 6, 15, 1),),
    (("33944-0", "Lambda light chains.free [Mass/volume] in Serum", "mg/L", 9, 20, 1),),
    (("48378-4", "Kappa/Lambda free light chain ratio in Serum", "1", 0.5, 1.2, 2),),
    (("33358-3", "Protein.monoclonal [Mass/volume] in Serum or Plasma", "g/dL", 0, 0, 1),),
    (("2465-3", "IgG [Mass/volume] in Serum", "mg/dL", 800, 1500, 0),),
    (("2458-8", "IgA [Mass/volume] in Serum", "mg/dL", 90, 350, 0),),
    (("2472-9", "IgM [Mass/volume] in Serum", "mg/dL", 50, 200, 0),),
    (("1952-1", "Beta-2-Microglobulin [Mass/volume] in Serum or Plasma", "mg/L", 1.3, 2.5, 2),),
    (("2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in Serum", "U/L", 130, 220, 0),),
)
REFERENCE = {  # code+unit -> (low, high) as the lab prints it
    ("718-7", "g/dL"): (12.0, 15.5),
    ("718-7", "g/L"): (120, 155),
    ("6690-2", "10*3/uL"): (4.0, 11.0),
    ("777-3", "10*3/uL"): (150, 400),
    ("751-8", "10*3/uL"): (1.8, 7.7),
    ("17861-6", "mg/dL"): (8.6, 10.3),
    ("49765-1", "mg/dL"): (8.6, 10.3),
    ("2000-8", "mmol/L"): (2.15, 2.55),
    ("1751-7", "g/dL"): (3.5, 5.0),
    ("2160-0", "mg/dL"): (0.5, 1.1),
    ("38483-4", "mg/dL"): (0.5, 1.1),
    ("14682-9", "umol/L"): (45, 97),
    ("36916-5", "mg/L"): (3.3, 19.4),
    ("33944-0", "mg/L"): (5.7, 26.3),
    ("48378-4", "1"): (0.26, 1.65),
    ("2465-3", "mg/dL"): (700, 1600),
    ("2458-8", "mg/dL"): (70, 400),
    ("2472-9", "mg/dL"): (40, 230),
    ("1952-1", "mg/L"): (1.21, 2.7),
    ("2532-0", "U/L"): (120, 246),
}

MRI_TEXT = """MRI LUMBAR SPINE WITHOUT CONTRAST
INDICATION: Low back pain for three months.
COMPARISON: None.
TECHNIQUE: Sagittal T1, T2 and STIR, axial T2 at 1.5 T.
FINDINGS: Mildly heterogeneous bone marrow signal in the lumbar vertebral bodies, T1 signal
brighter than the intervertebral discs and muscle, likely red marrow reconversion. No focal
lesion. No compression fracture. Disc desiccation at L4-L5 with a small central protrusion.
IMPRESSION: Mildly heterogeneous marrow signal, likely red marrow reconversion.
Degenerative disc disease at L4-L5."""


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "meta": {"lastUpdated": "2024-03-01T10:00:00+00:00"},
        "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"}],
        "name": [{"family": "Example", "given": ["Bench"]}],
        "gender": "female",
        "birthDate": "1958-04-12",
    }


def mri_report(as_of: datetime) -> dict[str, Any]:
    when = _iso(as_of - timedelta(days=6))
    return {
        "resourceType": "DiagnosticReport",
        "id": "bench-mri-1",
        "status": "final",
        "category": [{"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]}],
        "code": {
            "coding": [{"system": LOINC, "code": "24968-0", "display": "MR Lumbar spine"}],
            "text": "MRI lumbar spine without contrast",
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": when,
        "issued": when,
        "conclusion": "Mildly heterogeneous marrow signal, likely red marrow reconversion.",
        "presentedForm": [
            {"contentType": "text/plain", "data": base64.b64encode(MRI_TEXT.encode()).decode()}
        ],
    }


def conditions() -> list[dict[str, Any]]:
    rows = (
        ("I10", "Essential (primary) hypertension"),
        ("R73.03", "Prediabetes"),
        ("M19.041", "Primary osteoarthritis, right hand"),
    )
    return [
        {
            "resourceType": "Condition",
            "id": f"bench-condition-{i}",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
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
            "code": {
                "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code}],
                "text": display,
            },
            "subject": {"reference": f"Patient/{PATIENT_ID}"},
            "onsetDateTime": "2015-06-01",
        }
        for i, (code, display) in enumerate(rows, start=1)
    ]


def _observation(
    rng: random.Random, index: int, analyte: Analyte, when: datetime, accession: str
) -> dict[str, Any]:
    code, display, unit, low, high, decimals = analyte
    value = round(rng.uniform(low, high), decimals)
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"bench-obs-{index}",
        "meta": {"lastUpdated": _iso(when + timedelta(hours=3))},
        "identifier": [{"system": "urn:example:lab-accession", "value": f"{accession}-{index}"}],
        "status": "amended" if index % 97 == 0 else "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                        "display": "Laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": _iso(when),
        "issued": _iso(when + timedelta(hours=3)),
        "performer": [{"display": "Example Hospital Laboratory"}],
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    if (code, unit) in REFERENCE:
        ref_low, ref_high = REFERENCE[(code, unit)]
        obs["referenceRange"] = [
            {
                "low": {"value": ref_low, "unit": unit, "system": UCUM, "code": unit},
                "high": {"value": ref_high, "unit": unit, "system": UCUM, "code": unit},
            }
        ]
    return obs


def _spep(index: int, when: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"bench-obs-{index}",
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
        "code": {
            "coding": [
                {
                    "system": LOINC,
                    "code": "12851-2",
                    "display": "Protein electrophoresis panel - Serum or Plasma",
                }
            ]
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": _iso(when),
        "valueString": "Normal serum protein electrophoresis pattern. No monoclonal protein seen.",
    }


def observations(n: int, as_of: datetime, seed: int = 20240601) -> list[dict[str, Any]]:
    """`n` lab Observations, newest first: draws every few days going back in time."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []

    def draws() -> Iterator[tuple[int, datetime]]:
        when = as_of - timedelta(days=10, hours=2)
        draw = 0
        while True:
            yield draw, when
            draw += 1
            # inpatient stays (daily draws) among clinic visits weeks apart
            gap_days = rng.choice((1, 1, 1, 1, 2, 3, 7, 14, 30))
            when -= timedelta(days=gap_days, hours=rng.randint(0, 8))

    for draw, when in draws():
        panels = [CBC, METABOLIC] + ([MYELOMA_SCREEN] if draw % 4 == 0 else [])
        accession = f"A{draw:06d}"
        for panel in panels:
            for alternatives in panel:
                if len(out) >= n:
                    return out
                out.append(_observation(rng, len(out), rng.choice(alternatives), when, accession))
            if panel is MYELOMA_SCREEN and len(out) < n:
                out.append(_spep(len(out), when))
    return out


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def now() -> datetime:
    return datetime.now(UTC)
