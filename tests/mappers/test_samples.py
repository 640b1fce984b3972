"""Every resource in tests/data maps without an exception (real-shaped R4 data).

Synthea bundles are big transaction Bundles (entry[].resource, subjects as urn:uuid).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_mappers import map_patient_record
from logic.model import Analyte, PatientRecord, Sex

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = sorted(DATA.rglob("*.json"))
SYNTHEA = {  # file name -> Patient id (tests/data/PROVENANCE.md)
    "Lavern_Kassulke_1b3c4971-6ef2-4a46-b7d7-f56c91d78135.json": (
        "61845b03-0682-49c2-97fe-d766cfd4d406"
    ),
    "Jordan_Cruickshank_5de38439-d320-46d3-854d-3c098e88de4c.json": (
        "3afaeb2a-9f18-40b5-8fe7-dfd882de2f2b"
    ),
    "Keira_Huel_279e1ce8-1a84-492b-bb78-b1d13a0d564c.json": "b465d605-3571-49bc-9c06-e3e23f45cb50",
    "Loyd_Connelly_b200e2a2-c5ea-481f-97ae-67ec2dc22a5b.json": (
        "11f2b925-43b2-45e4-ac34-7811a9eb9c1b"
    ),
}


def load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


SHARED = [
    *(f"synthea/{name}" for name in SYNTHEA),
    "hl7-core/diagnosticreport-example-f201-brainct.json",
    "hl7-core/diagnosticreport-example-ultrasound.json",
    *(
        f"uscore/{name}.json"
        for name in (
            "DiagnosticReport-bone-density-report", "DiagnosticReport-cardiology-report",
            "DiagnosticReport-chest-xray-report", "diagnosticreport-cbc",
            "diagnosticreport-metabolic-panel", "observation-cbc-hemoglobin",
            "observation-serum-calcium", "observation-serum-creatinine", "patient-example",
            "servicerequest-bmp", "servicerequest-cbc", "servicerequest-chest-xray",
        )
    ),
]  # fmt: skip


def resources_of(document: Any) -> list[Any]:
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        return [entry.get("resource") for entry in document.get("entry", [])]
    return [document]


@pytest.mark.parametrize("relative", SHARED)
def test_all_shared_samples_are_here(relative: str) -> None:
    assert (DATA / relative).is_file()
    assert (DATA / "PROVENANCE.md").is_file()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_resource_maps_alone_without_an_exception(path: Path) -> None:
    for resource in resources_of(load(path)):
        own_id = resource.get("id") if isinstance(resource, dict) else None
        for patient_id in ("example", "p1", str(own_id)):
            record = map_patient_record([resource], patient_id)
            assert isinstance(record, PatientRecord)


@pytest.mark.parametrize("name", sorted(SYNTHEA))
def test_synthea_bundle_maps_its_patient(name: str) -> None:
    record = map_patient_record([load(DATA / "synthea" / name)], SYNTHEA[name])
    assert record.patient.sex in (Sex.MALE, Sex.FEMALE)
    assert record.patient.birth_date is not None
    assert record.labs, "Synthea metabolic panels and CBCs carry haemoglobin/calcium/creatinine"
    assert all(lab.evaluable for lab in record.labs if lab.analyte is not Analyte.SPEP_IFE)
    assert not [p for p in record.problems if p.severity == "error"]


def test_synthea_blood_codes_are_calcium_and_creatinine() -> None:
    """CDS-HOOKS.md: 49765-1 / 38483-4 arrive as often as the serum codes."""
    name = "Lavern_Kassulke_1b3c4971-6ef2-4a46-b7d7-f56c91d78135.json"
    record = map_patient_record([load(DATA / "synthea" / name)], SYNTHEA[name])
    codes = {(lab.analyte, lab.code) for lab in record.labs}
    assert (Analyte.CALCIUM_TOTAL, "49765-1") in codes
    assert (Analyte.CREATININE, "38483-4") in codes


def test_us_core_examples_together() -> None:
    docs = [load(p) for p in sorted((DATA / "uscore").glob("*.json"))]
    record = map_patient_record(docs, "example")
    values = {lab.analyte: (round(lab.value or 0, 2), lab.as_sent) for lab in record.labs}
    assert values == {
        Analyte.HAEMOGLOBIN: (17.0, "17 g/dL"),
        Analyte.CALCIUM_TOTAL: (1.92, "7.7 mg/dL"),
        Analyte.CREATININE: (88.42, "1 mg/dL"),  # SPEC.md: mg/dL x 88.42
    }
    assert record.patient.birth_date is not None
    assert [r.reference for r in record.other_imaging]  # chest x-ray via the imaging mapper
