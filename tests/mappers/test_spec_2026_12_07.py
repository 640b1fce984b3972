"""SPEC.md amendments of 2026-12-07 (mappers): MGUS and known causes of cytopenia in the
Condition tables, past haematological malignancy, remission, the Ferritin analyte (codes,
units), exam identity of imaging reports, and every analyte present in every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fhir_mappers import map_patient_record
from fhir_mappers.conditions import icd10_category, normalise_icd10, read_condition
from fhir_mappers.imaging import read_imaging_reports
from fhir_mappers.lab_codes import LAB_CODES
from fhir_mappers.units import to_canonical
from logic.model import Analyte, ConditionCategory, LabResult
from tests.support.fhir import PATIENT_ID, bundle, condition, observation, patient, quantity, ucum

C = ConditionCategory
SNOMED = "http://snomed.info/sct"

# ---------------------------------------------------------------- Condition tables (§2)

ICD_CASES = [
    ("mgus_d47_2_is_not_a_haematological_malignancy", "D47.2", C.MGUS),
    ("mpn_d47_1_still_suppresses", "D47.1", C.HAEM_MALIGNANCY),
    ("d47_9_still_suppresses", "D47.9", C.HAEM_MALIGNANCY),
    ("itp_d69_3", "D69.3", C.THROMBOCYTOPENIA_CAUSE),
    ("thrombocytopenia_d69_6", "D69.6", C.THROMBOCYTOPENIA_CAUSE),
    ("hypersplenism_d73_1", "D73.1", C.HYPERSPLENISM),
    ("cirrhosis_k74_60", "K74.60", C.HYPERSPLENISM),
    ("cirrhosis_k74_69", "K74.69", C.HYPERSPLENISM),
    ("neutropenia_d70_0", "D70.0", C.NEUTROPENIA),
    ("drug_induced_neutropenia_d70_1", "D70.1", C.NEUTROPENIA),
    ("drug_induced_neutropenia_d70_2", "D70.2", C.NEUTROPENIA),
    ("duffy_null_d72_819_verify", "D72.819", C.DUFFY_NULL),
    ("leukaemia_history_z85_6", "Z85.6", C.HAEM_MALIGNANCY_HISTORY),
    ("lymphoma_history_z85_71", "Z85.71", C.HAEM_MALIGNANCY_HISTORY),
    ("myeloma_history_z85_79", "Z85.79", C.HAEM_MALIGNANCY_HISTORY),
    ("breast_cancer_history_z85_3_stays_cancer_history", "Z85.3", C.CANCER_HISTORY),
]


@pytest.mark.parametrize(
    ("code", "category"), [c[1:] for c in ICD_CASES], ids=[c[0] for c in ICD_CASES]
)
def test_icd10_categories_of_the_amended_section_2(code: str, category: C) -> None:
    normal = normalise_icd10(code)
    assert normal is not None
    assert icd10_category(normal) is category


@pytest.mark.parametrize(
    "code", ["D69.5", "D73.0", "K74.0", "D72.810", "D72.818", "D47.3"]
)  # other thrombocytopenias, hyposplenism, hepatic fibrosis, other low WBC codes, ET
def test_neighbouring_codes_are_not_causes_of_cytopenia(code: str) -> None:
    normal = normalise_icd10(code)
    assert normal is not None
    assert icd10_category(normal) not in {
        C.THROMBOCYTOPENIA_CAUSE,
        C.HYPERSPLENISM,
        C.NEUTROPENIA,
        C.DUFFY_NULL,
        C.MGUS,
    }


def test_mgus_snomed_277577000_verify() -> None:
    fact, _ = read_condition("Condition/c1", condition("277577000", SNOMED))
    assert fact is not None
    assert (fact.category, fact.active) == (C.MGUS, True)


def test_mgus_of_unknown_status_raises_like_a_finding() -> None:
    fact, problems = read_condition("Condition/c1", condition("D47.2", clinical=None))
    assert fact is not None
    assert (fact.category, fact.active) == (C.MGUS, True)
    assert problems
    assert problems[0].message.endswith("taken as active")


@pytest.mark.parametrize("code", ["D69.3", "D73.1", "K74.60", "D70.1", "D72.819"])
@pytest.mark.parametrize(
    ("clinical", "verification"), [(None, "confirmed"), ("active", "provisional")]
)
def test_a_cause_of_cytopenia_of_unknown_status_or_unconfirmed_never_explains(
    code: str, clinical: str | None, verification: str
) -> None:
    fact, _ = read_condition(
        "Condition/c1", condition(code, clinical=clinical, verification=verification)
    )
    assert fact is not None
    assert fact.active is False


@pytest.mark.parametrize("code", ["C90.00", "C91.10", "D47.1", "C79.51", "D47.2"])
def test_remission_is_active_for_suppression_and_mgus(code: str) -> None:
    fact, _ = read_condition("Condition/c1", condition(code, clinical="remission"))
    assert fact is not None
    assert fact.active is True


def test_solid_cancer_in_remission_is_cancer_history() -> None:
    fact, _ = read_condition("Condition/c1", condition("C50.911", clinical="remission"))
    assert fact is not None
    assert (fact.category, fact.active) == (C.CANCER_HISTORY, True)


# ---------------------------------------------------------------- Ferritin (§4)


def _ferritin(value: Any, **extra: Any) -> LabResult:
    record = map_patient_record(
        [bundle(patient(), observation("2276-4", valueQuantity=quantity(value, **extra)))],
        PATIENT_ID,
    )
    (result,) = [r for r in record.labs if r.analyte is Analyte.FERRITIN]
    return result


@pytest.mark.parametrize(
    ("code", "verified"), [("2276-4", True), ("24373-3", False), ("20567-4", False)]
)
def test_ferritin_codes(code: str, verified: bool) -> None:
    row = LAB_CODES[code]
    assert (row.analyte, row.verified) == (Analyte.FERRITIN, verified)


@pytest.mark.parametrize(
    ("unit", "code", "expected"),
    [
        ("ug/L", "ug/L", 12.0),
        ("ng/mL", "ng/mL", 12.0),
        (None, "ng/mL", 12.0),
        ("µg/L", None, 12.0),
        ("mcg/L", None, 12.0),
    ],
)
def test_ferritin_ug_per_l_equals_ng_per_ml(
    unit: str | None, code: str | None, expected: float
) -> None:
    result = _ferritin(12, unit=unit, code=code)
    assert result.value == pytest.approx(expected)
    assert result.unit == "ug/L"


def test_ferritin_pmol_per_l_divided_by_2_247() -> None:
    result = _ferritin(33.705, unit="pmol/L", code="pmol/L")
    assert result.value == pytest.approx(15.0)
    assert to_canonical(Analyte.FERRITIN, 2.247, "pmol/L", None)[0] == pytest.approx(1.0)


def test_ferritin_in_mg_per_dl_is_converted_never_assumed() -> None:
    assert _ferritin(0.0012, unit="mg/dL", code="mg/dL").value == pytest.approx(12.0)


def test_ferritin_in_an_unknown_unit_is_not_evaluable() -> None:
    result = _ferritin(12, unit="ug/dl?")
    assert result.evaluable is False
    assert result.value is None


def test_ferritin_is_read_from_the_prefetch_of_a_whole_record() -> None:
    record = map_patient_record(
        [bundle(patient(), observation("24373-3", **ucum(9, "ug/L")))], PATIENT_ID
    )
    assert [(r.analyte, r.value) for r in record.labs] == [(Analyte.FERRITIN, 9.0)]


# ---------------------------------------------------------------- exam identity (§2 superseded)


def _report(rid: str, **extra: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "amended",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LP29684-5"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "30679-5"}]},
        "effectiveDateTime": "2026-05-01T09:00:00Z",
        "conclusion": "Diffusely heterogeneous marrow signal.",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
    }
    report.update(extra)
    return report


def test_exam_identity_is_read_from_identifier_based_on_imaging_study_and_issued() -> None:
    (read,), _, _ = read_imaging_reports(
        [
            _report(
                "r1",
                identifier=[{"system": "urn:acc", "value": "A1"}, {"value": "X"}, {"system": "s"}],
                basedOn=[{"reference": "ServiceRequest/o1"}, {"display": "no reference"}],
                imagingStudy=[{"reference": "ImagingStudy/s1"}],
                issued="2026-05-02T10:00:00+02:00",
            )
        ]
    )
    assert read.identifiers == ("urn:acc|A1", "|X")
    assert read.based_on == ("ServiceRequest/o1",)
    assert read.studies == ("ImagingStudy/s1",)
    assert read.issued == datetime(2026, 5, 2, 8, 0, tzinfo=UTC)


def test_exam_identity_of_junk_is_empty_not_an_error() -> None:
    (read,), _, problems = read_imaging_reports(
        [_report("r1", identifier="A1", basedOn=[None, 3], imagingStudy={"reference": "x"})]
    )
    assert (read.identifiers, read.based_on, read.studies, read.issued) == ((), (), (), None)
    assert not [p for p in problems if p.severity == "error"]


# ---------------------------------------------------------------- FHIR JSON to decision


AS_OF = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
NORMAL_PANEL = [
    ("718-7", 11.0, "g/dL"),
    ("6690-2", 6.0, "10*3/uL"),
    ("777-3", 250, "10*3/uL"),
    ("751-8", 3.5, "10*3/uL"),
    ("2160-0", 0.9, "mg/dL"),
    ("17861-6", 9.4, "mg/dL"),
    ("1751-7", 4.2, "g/dL"),
    ("36916-5", 12.0, "mg/L"),
    ("33944-0", 15.0, "mg/L"),
]


def _chart(*extra: dict[str, Any], reports: tuple[dict[str, Any], ...] = ()) -> Any:
    from logic import assess

    observations = [
        observation(code, oid=f"o{n}", when="2026-05-10T09:00:00Z", **ucum(value, unit))
        for n, (code, value, unit) in enumerate(NORMAL_PANEL)
    ]
    spep = observation(
        "12851-2",
        oid="spep",
        when="2026-05-10T09:00:00Z",
        valueString="No monoclonal protein detected",
    )
    record = map_patient_record(
        [bundle(patient(), *observations, spep, *extra, *(reports or (_report("mri-1"),)))],
        PATIENT_ID,
    )
    return assess(record, AS_OF)


def test_fhir_hb_11_with_ferritin_9_ng_per_ml_is_surveillance_naming_iron_deficiency() -> None:
    ferritin = observation("2276-4", oid="fer", when="2026-05-12T09:00:00Z", **ucum(9, "ng/mL"))
    without = _chart()
    assert "H-ANAEMIA" in {f.id for f in without.flags}
    with_ferritin = _chart(ferritin)
    assert "H-ANAEMIA" not in {f.id for f in with_ferritin.flags}
    assert with_ferritin.recommendation is not None
    assert "iron deficiency (ferritin 9 µg/L" in with_ferritin.recommendation.decision


def test_fhir_mgus_condition_counts_as_h_mprotein_and_does_not_suppress() -> None:
    mgus = condition("D47.2", cid="mgus")
    ferritin = observation("2276-4", oid="fer", when="2026-05-12T09:00:00Z", **ucum(9, "ng/mL"))
    a = _chart(mgus, ferritin)
    assert a.rule_id == "R4"
    assert {f.id for f in a.flags} >= {"H-MPROTEIN"}


def test_fhir_amended_report_of_the_same_accession_replaces_the_final_one() -> None:
    accession = [{"system": "urn:acc", "value": "ACC-1"}]
    final = _report("mri-1", status="final", identifier=accession, issued="2026-05-02T10:00:00Z")
    amended = _report(
        "mri-1a",
        identifier=accession,
        issued="2026-05-03T10:00:00Z",
        conclusion="Normal marrow signal. No marrow abnormality.",
    )
    assert _chart(reports=(final,)).rule_id != "R0"
    a = _chart(reports=(final, amended))
    assert a.rule_id == "R0", a.reason
