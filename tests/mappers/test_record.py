"""map_patient_record: documents, bundles, patient matching, selection, imaging, problems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import fhir_mappers.record as record_module
from fhir_mappers import map_patient_record
from fhir_mappers.select import EXTREMES_PER_CRITERION, RECENT_PER_ANALYTE
from logic.model import (
    Analyte,
    ConditionCategory,
    DataDomain,
    DataGap,
    Modality,
    PatientRecord,
    Sex,
)
from tests.support.fhir import PATIENT_ID, bundle, condition, observation, patient, ucum

A = Analyte


def messages(record: PatientRecord) -> str:
    return "\n".join(p.message for p in record.problems)


def refs(record: PatientRecord) -> list[str]:
    return [lab.reference for lab in record.labs]


def mri_report(rid: str = "mri1", when: str = "2026-01-05T10:00:00Z") -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LP29684-5"}]}],
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "24968-0"}],
            "text": "MR Lumbar spine",
        },
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": when,
        "conclusion": "Diffuse heterogeneous marrow signal throughout the lumbar spine.",
    }


def test_single_resources_and_bundles_together() -> None:
    record = map_patient_record(
        [
            patient(gender="male"),
            bundle(observation("718-7", oid="a", **ucum(9, "g/dL"))),
            observation("6690-2", oid="b", **ucum(3, "10*9/L")),
            bundle(condition("C50.911")),
        ],
        PATIENT_ID,
    )
    assert record.patient.sex is Sex.MALE
    assert sorted(refs(record)) == ["Observation/a", "Observation/b"]
    assert [c.category for c in record.conditions] == [ConditionCategory.CANCER]
    assert record.problems == ()


def test_nested_bundle_batch_response() -> None:
    inner = bundle(observation("718-7", **ucum(9, "g/dL")))
    outer = {"resourceType": "Bundle", "type": "batch-response", "entry": [{"resource": inner}]}
    assert refs(map_patient_record([outer, patient()], PATIENT_ID)) == ["Observation/o1"]


def test_a_bundle_nested_too_deep_is_not_read_and_the_record_still_maps() -> None:
    # (it once sent the walk into endless recursion: the whole record was lost)
    deep: dict[str, object] = bundle(observation("718-7", oid="deep", **ucum(9, "g/dL")))
    for _ in range(5):
        deep = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": deep}]}
    record = map_patient_record(
        [deep, bundle(observation("6690-2", oid="b", **ucum(3, "10*9/L"))), patient()], PATIENT_ID
    )
    assert record.patient.reference == "Patient/p1"
    assert refs(record) == ["Observation/b"]
    assert [p.message for p in record.problems] == [
        "1 Bundle(s) nested more than 3 levels deep: not read"
    ]


def test_duplicates_across_documents_are_read_once_first_copy_wins() -> None:
    first = observation("718-7", **ucum(9, "g/dL"))
    second = observation("718-7", **ucum(15, "g/dL"))
    cond = condition("N18.3")
    record = map_patient_record([bundle(first, cond), bundle(second, cond), patient()], PATIENT_ID)
    assert [lab.value for lab in record.labs] == [9]
    assert len(record.conditions) == 1


@pytest.mark.parametrize(
    "subject",
    [
        "Patient/p1",
        "https://ehr.example.org/fhir/Patient/p1",
        "Patient/p1/_history/4",
        "urn:uuid:p1",
    ],
)
def test_subject_reference_forms(subject: str) -> None:
    record = map_patient_record(
        [bundle(observation("718-7", subject=subject, **ucum(9, "g/dL")))], "p1"
    )
    assert refs(record) == ["Observation/o1"]


def test_patient_id_given_as_a_reference() -> None:
    record = map_patient_record(
        [bundle(patient(), observation("718-7", **ucum(9, "g/dL")))], "Patient/p1"
    )
    assert refs(record) == ["Observation/o1"]
    assert record.patient.reference == "Patient/p1"


def test_transaction_bundle_urn_subject_resolved_through_patient_full_url() -> None:
    """Synthea style: subject urn:uuid:X where X is the Patient entry's fullUrl (entry later)."""
    obs = observation("718-7", subject="urn:uuid:0000-aaaa", **ucum(9, "g/dL"))
    entries = [{"fullUrl": "urn:uuid:0000-aaaa", "resource": patient()}]
    doc = {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": obs}, *entries]}
    record = map_patient_record([doc], PATIENT_ID)
    assert refs(record) == ["Observation/o1"]


def test_other_patients_resources_are_ignored_and_counted() -> None:
    record = map_patient_record(
        [
            bundle(
                patient(),
                observation("718-7", subject="Patient/other", **ucum(9, "g/dL")),
                condition("C90.00") | {"subject": {"reference": "Patient/other"}},
            )
        ],
        PATIENT_ID,
    )
    assert record.labs == ()
    assert record.conditions == ()
    assert "2 resource(s) are about another patient" in messages(record)


def test_resource_without_subject_is_not_used() -> None:
    obs = observation("718-7", **ucum(9, "g/dL"))
    del obs["subject"]
    record = map_patient_record([bundle(patient(), obs)], PATIENT_ID)
    assert record.labs == ()
    assert any(p.severity == "error" and "no subject" in p.message for p in record.problems)


@pytest.mark.parametrize(
    "documents",
    [
        None,
        "Observation",
        42,
        [None, 1, "x", ["a"]],
        [{"resourceType": "Bundle", "entry": "x"}],
        [{"resourceType": "Bundle", "entry": [None, {"resource": 5}, {"resource": None}]}],
    ],
    ids=["none", "string", "number", "junk_items", "entry_not_a_list", "junk_entries"],
)
def test_junk_documents_become_problems(documents: Any) -> None:
    record = map_patient_record(documents, PATIENT_ID)
    assert record.labs == ()
    assert record.problems


def test_a_single_mapping_is_accepted_as_one_document() -> None:
    record = map_patient_record(
        bundle(patient(), observation("718-7", **ucum(9, "g/dL"))), PATIENT_ID
    )  # type: ignore[arg-type]
    assert refs(record) == ["Observation/o1"]


def test_operation_outcome_in_place_of_data_is_reported() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    assert "OperationOutcome" in messages(map_patient_record([outcome, patient()], PATIENT_ID))


def test_missing_patient_is_reported_unless_it_is_a_known_gap() -> None:
    assert "no Patient resource" in messages(map_patient_record([], PATIENT_ID))
    gap = DataGap(DataDomain.PATIENT, "FHIR server timed out")
    record = map_patient_record([], PATIENT_ID, gaps=[gap])
    assert record.gaps == (gap,)
    assert "no Patient resource" not in messages(record)


def test_imaging_reports_are_read_by_the_imaging_mapper() -> None:
    record = map_patient_record(
        [bundle(patient(), mri_report("old", "2024-01-01T00:00:00Z"), mri_report("new"))],
        PATIENT_ID,
    )
    assert [r.reference for r in record.mri_reports] == [
        "DiagnosticReport/new",
        "DiagnosticReport/old",
    ]
    assert record.index_report is not None
    assert record.index_report.modality is Modality.MR


def test_imaging_failure_is_a_problem_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(resources: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(record_module, "read_imaging_reports", broken)
    record = map_patient_record([bundle(patient(), mri_report())], PATIENT_ID)
    assert record.mri_reports == ()
    assert "imaging reports could not be read" in messages(record)


def test_internal_failure_is_a_problem_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(documents: Any, patient_id: str) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(record_module, "collect", broken)
    record = map_patient_record([patient()], PATIENT_ID, gaps=[DataGap(DataDomain.LABS, "x")])
    assert record.patient.reference == "Patient/p1"
    assert [p.severity for p in record.problems] == ["error"]
    assert len(record.gaps) == 1


def test_strict_r4b_rejection_is_recorded_but_the_value_is_used() -> None:
    obs = observation("718-7", **ucum(9, "g/dL"))
    obs["code"]["coding"][0]["display"] = ""  # R4B: empty strings are not allowed
    record = map_patient_record([bundle(patient(), obs)], PATIENT_ID)
    assert [lab.value for lab in record.labs] == [9]
    assert any(
        p.reference == "Observation/o1" and "not valid FHIR R4B" in p.message
        for p in record.problems
    )


def test_strict_check_of_a_condition() -> None:
    cond = condition("N18.3")
    cond["onsetDateTime"] = "2024-01-01T10:00:00"
    record = map_patient_record([bundle(patient(), cond)], PATIENT_ID)
    assert len(record.conditions) == 1
    assert any(p.reference == "Condition/c1" and "R4B" in p.message for p in record.problems)


# ------------------------------------------------------------------ bounded selection

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def series(
    loinc: str, values: list[float], unit: str, *, prefix: str, step_days: int = 30
) -> list[dict[str, Any]]:
    """values[0] is the newest; one result every `step_days` days going back."""
    return [
        observation(
            loinc,
            oid=f"{prefix}{i}",
            when=(NOW - timedelta(days=step_days * i)).isoformat(),
            **ucum(v, unit),
        )
        for i, v in enumerate(values)
    ]


def test_only_the_newest_results_of_an_analyte_are_kept() -> None:
    record = map_patient_record(
        [bundle(patient(), *series("718-7", [12.0] * 50, "g/dL", prefix="h"))], PATIENT_ID
    )
    assert refs(record) == [f"Observation/h{i}" for i in range(RECENT_PER_ANALYTE)]


def test_monocytosis_history_keeps_the_oldest_qualifying_result() -> None:
    values = [1.2] + [0.6] * 40 + [1.1] + [0.5] * 5  # 1.1 x10^9/L about 3.4 years before the newest
    record = map_patient_record(
        [bundle(patient(), *series("742-7", values, "10*9/L", prefix="m"))], PATIENT_ID
    )
    kept = refs(record)
    assert "Observation/m41" in kept
    assert "Observation/m0" in kept
    assert len(kept) <= RECENT_PER_ANALYTE + 2 * EXTREMES_PER_CRITERION


def test_monocytosis_history_reads_other_units_too() -> None:
    values = [1200.0] + [600.0] * 10 + [1100.0]
    record = map_patient_record(
        [bundle(patient(), *series("742-7", values, "/uL", prefix="m"))], PATIENT_ID
    )
    assert "Observation/m11" in refs(record)


def test_ckd_history_keeps_the_oldest_egfr_below_60() -> None:
    values = [75.0] * 20 + [52.0, 80.0, 55.0, 85.0]
    record = map_patient_record(
        [
            bundle(
                patient(), *series("33914-3", values, "mL/min/{1.73_m2}", prefix="e", step_days=60)
            )
        ],
        PATIENT_ID,
    )
    kept = refs(record)
    assert "Observation/e20" in kept
    assert "Observation/e22" in kept
    assert "Observation/e23" not in kept


def test_selection_is_per_analyte() -> None:
    docs = [
        bundle(
            patient(),
            *series("718-7", [12.0] * 10, "g/dL", prefix="h"),
            *series("777-3", [200.0] * 10, "10*9/L", prefix="p"),
        )
    ]
    record = map_patient_record(docs, PATIENT_ID)
    assert len([lab for lab in record.labs if lab.analyte is A.HAEMOGLOBIN]) == RECENT_PER_ANALYTE
    assert len([lab for lab in record.labs if lab.analyte is A.PLATELETS]) == RECENT_PER_ANALYTE


def test_unhashable_json_where_strings_belong_never_raises() -> None:
    obs = observation("718-7", **ucum(9, "g/dL"))
    obs["code"]["coding"].insert(0, {"system": ["x"], "code": {"a": 1}})
    obs["code"]["coding"].append({"system": {"a": 1}, "code": "718-7"})
    obs["valueQuantity"]["system"] = ["http://unitsofmeasure.org"]
    obs["subject"] = {"reference": ["Patient/p1"]}
    obs["status"] = ["final"]
    other = observation("742-7", oid="m", **ucum(1.2, "10*9/L"))
    other["valueQuantity"]["system"] = {"u": 1}
    record = map_patient_record([bundle(patient(), obs, other)], PATIENT_ID)
    assert [(lab.reference, lab.value) for lab in record.labs] == [("Observation/m", 1.2)]
    assert "could not be read" not in messages(record)
    assert "Observation/o1" in messages(record)  # no usable subject: not used, and said so


@pytest.mark.parametrize(
    ("loinc_system", "unit_system"),
    [("urn:oid:2.16.840.1.113883.6.1", "urn:oid:2.16.840.1.113883.6.8")],
    ids=["hl7_oids"],
)
def test_loinc_and_ucum_by_oid(loinc_system: str, unit_system: str) -> None:
    obs = observation("718-7", valueQuantity={"value": 95, "system": unit_system, "code": "g/L"})
    obs["code"]["coding"][0]["system"] = loinc_system
    record = map_patient_record([bundle(patient(), obs)], PATIENT_ID)
    assert [lab.value for lab in record.labs] == [pytest.approx(9.5)]


def test_resource_without_id_is_named_by_its_full_url() -> None:
    obs = observation("718-7", **ucum(9, "g/dL"))
    del obs["id"]
    doc = {"resourceType": "Bundle", "entry": [{"fullUrl": "urn:uuid:abc", "resource": obs}]}
    assert refs(map_patient_record([doc, patient()], PATIENT_ID)) == ["urn:uuid:abc"]


def test_the_strict_check_cache_keeps_no_patient_data() -> None:
    from fhir_mappers import strict

    obs = observation(
        "718-7", subject="Patient/p1", when="2026-01-10T09:00:00", **ucum(9.87654, "g/dL")
    )
    record = map_patient_record([bundle(patient(), obs)], PATIENT_ID)
    assert "not valid FHIR R4B" in messages(record)  # the zone-less time was checked
    assert strict._cache
    assert all(len(key) == 16 for key in strict._cache)
    cached = repr(list(strict._cache.values()))
    assert "9.87654" not in cached
    assert "Patient/p1" not in cached
    assert "2026-01-10" not in cached
