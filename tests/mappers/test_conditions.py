"""Condition -> ConditionFact: code tables, ICD normalisation, clinical/verification status."""

from __future__ import annotations

from datetime import date

import pytest

from fhir_mappers.conditions import icd10_category, normalise_icd10, read_condition
from logic.model import ConditionCategory
from tests.support.fhir import condition

C = ConditionCategory
SNOMED = "http://snomed.info/sct"

ICD_CASES = [
    ("myeloma_c90_00", "C90.00", C.MYELOMA),
    ("myeloma_without_dot", "C9000", C.MYELOMA),
    ("plasmacytoma_c90_3", "C90.30", C.MYELOMA),
    ("lymphoma_c81_lower_bound", "C81.10", C.HAEM_MALIGNANCY),
    ("cll_c91_10", "C91.10", C.HAEM_MALIGNANCY),
    ("haem_c96_upper_bound", "C96.9", C.HAEM_MALIGNANCY),
    ("mds_d46_9", "D46.9", C.HAEM_MALIGNANCY),
    ("mpn_d47_1", "D47.1", C.HAEM_MALIGNANCY),
    ("polycythaemia_d45", "D45", C.HAEM_MALIGNANCY),
    ("bone_metastasis_c79_51", "C79.51", C.BONE_METASTASIS),
    ("marrow_metastasis_c79_52", "C79.52", C.BONE_METASTASIS),
    ("other_metastasis_c79_31_is_cancer", "C79.31", C.CANCER),
    ("breast_cancer_c50", "C50.911", C.CANCER),
    ("lip_c00_lower_bound", "C00.0", C.CANCER),
    ("unknown_primary_c80_upper_bound", "C80.1", C.CANCER),
    ("neuroendocrine_c7a_is_cancer", "C7A.00", C.CANCER),
    ("secondary_neuroendocrine_c7b_is_cancer", "C7B.03", C.CANCER),
    ("merkel_c4a_is_cancer", "C4A.9", C.CANCER),
    ("cancer_history_z85_3", "Z85.3", C.CANCER_HISTORY),
    ("anaemia_ckd_d63_1", "D63.1", C.ANAEMIA_CAUSE),
    ("anaemia_other_chronic_d63_8", "D63.8", C.ANAEMIA_CAUSE),
    ("iron_deficiency_d50_9", "D50.9", C.ANAEMIA_CAUSE),
    ("b12_d51_0", "D51.0", C.ANAEMIA_CAUSE),
    ("folate_d52_9", "D52.9", C.ANAEMIA_CAUSE),
    ("haemolytic_d59_9", "D59.9", C.ANAEMIA_CAUSE),
    ("posthaemorrhagic_d62", "D62", C.ANAEMIA_CAUSE),
    ("chronic_blood_loss_d64_81_verify", "D64.81", C.ANAEMIA_CAUSE),
    ("ckd_n18_3", "N18.30", C.CKD),
    ("palliative_z51_5_verify", "Z51.5", C.PALLIATIVE),
    ("fever_r50_9", "R50.9", C.FEVER),
    ("night_sweats_r61", "R61", C.NIGHT_SWEATS),
    ("weight_loss_r63_4", "R63.4", C.WEIGHT_LOSS),
    ("pathological_fracture_m84_4", "M84.48XA", C.PATHOLOGICAL_FRACTURE),
    ("pathological_fracture_neoplastic_m84_5", "M84.58XA", C.PATHOLOGICAL_FRACTURE),
]


@pytest.mark.parametrize(
    ("code", "category"), [c[1:] for c in ICD_CASES], ids=[c[0] for c in ICD_CASES]
)
def test_icd10_categories(code: str, category: ConditionCategory) -> None:
    normal = normalise_icd10(code)
    assert normal is not None
    assert icd10_category(normal) is category


NOT_CATEGORISED = [
    ("anaemia_in_neoplastic_disease_d63_0_is_not_a_cause", "D63.0"),
    ("d54_is_not_in_the_ranges", "D54"),
    ("d64_9_unspecified_anaemia", "D64.9"),
    ("in_situ_d05_is_not_cancer", "D05.10"),
    ("hypertension", "I10"),
    ("postvaccination_fever_r50_83", "R50.83"),
    ("bone_disorder_m89_8x_is_not_bone_pain", "M89.8X9"),
    ("osteoporotic_fracture_m80_is_not_listed", "M80.08XA"),
    ("c97_does_not_exist", "C97"),
]


@pytest.mark.parametrize(
    "code", [c[1] for c in NOT_CATEGORISED], ids=[c[0] for c in NOT_CATEGORISED]
)
def test_codes_outside_the_tables(code: str) -> None:
    normal = normalise_icd10(code)
    assert normal is None or icd10_category(normal) is None


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("C9000", "C90.00"),
        ("c90.00", "C90.00"),
        (" N18 ", "N18"),
        ("Z515", "Z51.5"),
        ("M8448XA", "M84.48XA"),
        ("90.0", None),
        ("", None),
        ("C90.000000", None),
    ],
)
def test_normalise_icd10(raw: str, normal: str | None) -> None:
    assert normalise_icd10(raw) == normal


SNOMED_CASES = [
    ("myeloma_snomed", "109989006", C.MYELOMA),
    ("palliative_snomed_verify", "103735009", C.PALLIATIVE),
    ("fever_snomed", "386661006", C.FEVER),
    ("night_sweats_snomed", "42984000", C.NIGHT_SWEATS),
    ("weight_loss_snomed", "89362005", C.WEIGHT_LOSS),
    ("bone_pain_snomed", "12584003", C.BONE_PAIN),
    ("pathological_fracture_snomed", "268029009", C.PATHOLOGICAL_FRACTURE),
]


@pytest.mark.parametrize(
    ("code", "category"), [c[1:] for c in SNOMED_CASES], ids=[c[0] for c in SNOMED_CASES]
)
def test_snomed_codes(code: str, category: ConditionCategory) -> None:
    fact, _ = read_condition("Condition/c1", condition(code, SNOMED))
    assert fact is not None
    assert (fact.category, fact.code) == (category, f"SNOMED {code}")


def test_fact_carries_code_display_and_dates() -> None:
    resource = condition("C9000")
    resource["onsetDateTime"] = "2024-03-05T10:00:00+01:00"
    fact, problems = read_condition("Condition/c1", resource)
    assert fact is not None
    assert problems == []
    assert fact.code == "ICD-10-CM C90.00"
    assert fact.display == "dx C9000"
    assert (fact.onset, fact.recorded) == (date(2024, 3, 5), date(2025, 5, 1))


def test_who_icd10_system_is_tolerated() -> None:
    fact, _ = read_condition("Condition/c1", condition("C90.0", "http://hl7.org/fhir/sid/icd-10"))
    assert fact is not None
    assert fact.category is C.MYELOMA
    assert fact.code == "ICD-10 C90.0"


def test_icd_code_in_a_local_system_is_not_read() -> None:
    assert read_condition("Condition/c1", condition("C90.00", "http://acme.org/dx"))[0] is None


STATUS_CASES = [
    ("active", "active", "confirmed", True),
    ("recurrence_is_active", "recurrence", "confirmed", True),
    ("relapse_is_active", "relapse", "confirmed", True),
    # SPEC.md section 2: a myeloma in remission is still under specialist care
    ("remission_is_still_under_specialist_care", "remission", "confirmed", True),
    ("no_verification_status_is_fine", "active", None, True),
    ("provisional_myeloma_never_suppresses", "active", "provisional", False),
    ("differential_myeloma_never_suppresses", "active", "differential", False),
    ("unconfirmed_myeloma_never_suppresses", "active", "unconfirmed", False),
]


@pytest.mark.parametrize(
    ("clinical", "verification", "active"),
    [c[1:] for c in STATUS_CASES],
    ids=[c[0] for c in STATUS_CASES],
)
def test_myeloma_status(clinical: str, verification: str | None, active: bool) -> None:
    fact, _ = read_condition(
        "Condition/c1", condition("C90.00", clinical=clinical, verification=verification)
    )
    assert fact is not None
    assert fact.category is C.MYELOMA
    assert fact.active is active


@pytest.mark.parametrize("clinical", ["inactive", "resolved"])
@pytest.mark.parametrize("code", ["C90.00", "C91.10", "C83.30"])
def test_inactive_or_resolved_haematological_malignancy_is_a_past_one(
    code: str, clinical: str
) -> None:
    """SPEC.md section 2: an inactive/resolved C81-C96 is cancer history (not suppression)."""
    fact, _ = read_condition("Condition/c1", condition(code, clinical=clinical))
    assert fact is not None
    assert (fact.category, fact.active) == (C.HAEM_MALIGNANCY_HISTORY, True)


@pytest.mark.parametrize("verification", ["refuted", "entered-in-error"])
def test_refuted_and_entered_in_error_are_excluded(verification: str) -> None:
    assert read_condition("Condition/c1", condition("C90.00", verification=verification)) == (
        None,
        [],
    )


# No clinicalStatus: categories that raise a flag are taken as active; categories that excuse a
# finding (anaemia cause, CKD) or suppress cards (myeloma, haem malignancy, bone metastasis,
# palliative) are not -- a diagnosis of unknown status never silences the service.
MISSING_STATUS_CASES = [
    ("ckd_excuses_not_active", "N18.4", C.CKD, False),
    ("anaemia_cause_excuses_not_active", "D50.9", C.ANAEMIA_CAUSE, False),
    ("myeloma_suppresses_not_active", "C90.00", C.MYELOMA, False),
    ("haem_malignancy_suppresses_not_active", "C91.10", C.HAEM_MALIGNANCY, False),
    ("bone_metastasis_suppresses_not_active", "C79.51", C.BONE_METASTASIS, False),
    ("palliative_not_active", "Z51.5", C.PALLIATIVE, False),
    ("cancer_still_raises", "C50.911", C.CANCER, True),
    ("fever_still_raises", "R50.9", C.FEVER, True),
    ("weight_loss_still_raises", "R63.4", C.WEIGHT_LOSS, True),
    ("pathological_fracture_still_raises", "M84.48XA", C.PATHOLOGICAL_FRACTURE, True),
]


@pytest.mark.parametrize(
    ("code", "category", "active"),
    [c[1:] for c in MISSING_STATUS_CASES],
    ids=[c[0] for c in MISSING_STATUS_CASES],
)
@pytest.mark.parametrize("clinical", [None, "unknown-status"])
def test_missing_clinical_status_raises_but_never_excuses(
    code: str, category: ConditionCategory, active: bool, clinical: str | None
) -> None:
    fact, problems = read_condition("Condition/c1", condition(code, clinical=clinical))
    assert fact is not None
    assert (fact.category, fact.active) == (category, active)
    assert len(problems) == 1
    message = problems[0].message
    if active:
        assert message.endswith("taken as active")
    else:
        assert "not taken as active" in message


def test_missing_clinical_status_cancer_history_is_history_without_warning() -> None:
    fact, problems = read_condition("Condition/c1", condition("Z85.3", clinical=None))
    assert fact is not None
    assert (fact.category, fact.active) == (C.CANCER_HISTORY, True)
    assert problems == []


def test_provisional_cancer_still_raises() -> None:
    fact, _ = read_condition("Condition/c1", condition("C50.911", verification="provisional"))
    assert fact is not None
    assert (fact.category, fact.active) == (C.CANCER, True)


def test_resolved_cancer_is_cancer_history() -> None:
    fact, _ = read_condition("Condition/c1", condition("C50.911", clinical="resolved"))
    assert fact is not None
    assert (fact.category, fact.active) == (C.CANCER_HISTORY, True)


@pytest.mark.parametrize("clinical", ["active", "inactive", "resolved", None])
def test_z85_history_is_history_regardless(clinical: str | None) -> None:
    fact, problems = read_condition("Condition/c1", condition("Z85.3", clinical=clinical))
    assert fact is not None
    assert (fact.category, fact.active) == (C.CANCER_HISTORY, True)
    assert problems == []


def test_resolved_ckd_is_not_active() -> None:
    fact, _ = read_condition("Condition/c1", condition("N18.3", clinical="resolved"))
    assert fact is not None
    assert fact.active is False


def test_first_known_coding_wins_and_unknown_codes_give_nothing() -> None:
    resource = condition("I10")
    assert read_condition("Condition/c1", resource) == (None, [])
    resource["code"]["coding"].append(
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "N18.5"}
    )
    fact, _ = read_condition("Condition/c1", resource)
    assert fact is not None
    assert fact.category is C.CKD


@pytest.mark.parametrize(
    "junk",
    [
        {"code": None},
        {"code": {"coding": "C90"}},
        {"code": {"coding": [None, 5, {"code": 9}]}},
        {
            "code": {"coding": [{"system": SNOMED, "code": "109989006"}]},
            "clinicalStatus": [1],
            "verificationStatus": "x",
            "onsetDateTime": 5,
            "recordedDate": "??",
        },
    ],
)
def test_junk_never_raises(junk: dict[str, object]) -> None:
    read_condition("Condition/x", {"resourceType": "Condition", **junk})


def test_snomed_only_cancer_is_not_used_but_reported() -> None:
    resource = condition("363406005", SNOMED)
    resource["code"]["coding"][0]["display"] = "Malignant tumor of colon"
    fact, problems = read_condition("Condition/c1", resource)
    assert fact is None
    assert len(problems) == 1
    assert "Malignant tumor of colon" in problems[0].message


@pytest.mark.parametrize(
    ("display", "clinical", "reported"),
    [
        ("Viral sinusitis (disorder)", "active", False),
        ("Chronic kidney disease stage 3", "active", True),
        ("Acute lymphoblastic leukemia", "resolved", True),
        ("Hospice care", None, True),
    ],
    ids=["unrelated", "ckd_words", "resolved_is_history_too", "hospice_words"],
)
def test_unrecognised_condition_warning(display: str, clinical: str | None, reported: bool) -> None:
    resource = condition("123456", SNOMED, clinical=clinical)
    resource["code"]["coding"][0]["display"] = display
    fact, problems = read_condition("Condition/c1", resource)
    assert fact is None
    assert bool(problems) is reported
