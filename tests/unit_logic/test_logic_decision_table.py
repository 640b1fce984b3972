"""SPEC.md section 5 decision table: at least two rows per rule R0-R8, first match wins,
stale vs current, data gaps and suppression. Records are plain data (tests/unit_logic/factories)."""

from __future__ import annotations

import pytest

from logic import assess
from logic.model import (
    Analyte,
    ConditionCategory,
    DataDomain,
    FeatureKind,
    Finding,
    ImagingClass,
    IntervalChange,
    Modality,
    PatientRecord,
    Sex,
)
from tests.unit_logic.factories import (
    AS_OF,
    condition,
    feature,
    hb_g_l,
    lab,
    mri,
    normal_panel,
    other,
    record,
    spep,
    with_labs,
    without,
)

NORMAL = normal_panel()
PALLIATIVE = condition(ConditionCategory.PALLIATIVE, "ICD-10-CM Z51.5", "Palliative care")
MYELOMA = condition(ConditionCategory.MYELOMA, "ICD-10-CM C90.00", "Multiple myeloma")
BREAST_CANCER_HISTORY = condition(
    ConditionCategory.CANCER_HISTORY, "ICD-10-CM Z85.3", "History of breast cancer"
)
ENHANCING = feature(FeatureKind.ENHANCEMENT, "Enhancing lesion at L3.")

ROWS: list[tuple[str, PatientRecord, str]] = [
    # R0: no card
    ("R0_no_mri_report", record(mris=()), "R0"),
    ("R0_class_negative", record(mris=(mri(ImagingClass.NEGATIVE),)), "R0"),
    ("R0_suppressed_active_myeloma", record(conditions=(MYELOMA,)), "R0"),
    (
        "R0_suppressed_bone_metastasis_even_with_urgent_flag",
        record(
            labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 8.0)),
            conditions=(condition(ConditionCategory.BONE_METASTASIS, "ICD-10-CM C79.51"),),
        ),
        "R0",
    ),
    ("R0_imaging_gap", record(gaps=(DataDomain.IMAGING,)), "R0"),
    ("R0_only_mri_is_future_dated", record(mris=(mri(days_ago=-3),)), "R0"),
    ("R0_labs_gap_nonspecific_no_flag", record(labs=(), gaps=(DataDomain.LABS,)), "R0"),
    (
        "R0_inactive_myeloma_does_not_suppress_R8",
        record(conditions=(condition(ConditionCategory.MYELOMA, active=False),)),
        "R8",
    ),
    # R1: limited life expectancy and any U or H flag
    (
        "R1_palliative_with_urgent_anaemia_beats_R2",
        record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 8.0)), conditions=(PALLIATIVE,)),
        "R1",
    ),
    (
        "R1_palliative_with_worrisome_imaging",
        record(mris=(mri(features=(ENHANCING,)),), conditions=(PALLIATIVE,)),
        "R1",
    ),
    (
        "R1_not_for_palliative_with_only_an_I_flag",
        record(mris=(mri(ImagingClass.FOCAL_EQUIVOCAL),), conditions=(PALLIATIVE,)),
        "R6",
    ),
    # R2: any U flag
    ("R2_haemoglobin_9_9", record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 9.9))), "R2"),
    ("R2_focal_multiple_lesions", record(mris=(mri(ImagingClass.FOCAL_MULTIPLE),)), "R2"),
    (
        "R2_lytic_lesion_on_ct",
        record(other_imaging=(other(Modality.CT, feature(FeatureKind.LYTIC_LESION)),)),
        "R2",
    ),
    (
        "R2_urgent_flag_beats_cancer_history_R3",
        record(mris=(mri(ImagingClass.FOCAL_MULTIPLE),), conditions=(BREAST_CANCER_HISTORY,)),
        "R2",
    ),
    (
        "R2_labs_gap_imaging_urgent_still_applies",
        record(labs=(), mris=(mri(ImagingClass.FOCAL_MULTIPLE),), gaps=(DataDomain.LABS,)),
        "R2",
    ),
    # R3: H-CANCER
    ("R3_cancer_history_nonspecific", record(conditions=(BREAST_CANCER_HISTORY,)), "R3"),
    (
        "R3_cancer_beats_R4_anaemia",
        record(
            labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.5)),
            conditions=(condition(ConditionCategory.CANCER, "ICD-10-CM C50.911", "Breast"),),
        ),
        "R3",
    ),
    # R4: any other H flag on current data
    (
        "R4_anaemia_female_11_9",
        record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.9))),
        "R4",
    ),
    ("R4_worrisome_enhancement", record(mris=(mri(features=(ENHANCING,)),)), "R4"),
    ("R4_monoclonal_spep", record(labs=with_labs(NORMAL, spep(Finding.POSITIVE))), "R4"),
    (
        "R4_escalation_new_lesion_reported",
        record(mris=(mri(interval_change=IntervalChange.NEW_LESION),)),
        "R4",
    ),
    (
        "R4_escalation_evolved_diffuse_vs_prior",
        record(mris=(mri(ImagingClass.DIFFUSE), mri(ImagingClass.NONSPECIFIC, days_ago=200))),
        "R4",
    ),
    (
        "R4_high_flag_beats_missing_labs_R5",
        record(labs=(lab(Analyte.HAEMOGLOBIN, 11.0),)),
        "R4",
    ),
    # R5: first-line labs missing or stale
    ("R5_no_labs_at_all", record(labs=()), "R5"),
    ("R5_flc_missing", record(labs=without(NORMAL, Analyte.FLC_KAPPA, Analyte.FLC_LAMBDA)), "R5"),
    ("R5_panel_91_days_old_stale_normal", record(labs=normal_panel(days_ago=91)), "R5"),
    (
        "R5_stale_abnormal_haemoglobin_repeat_to_confirm",
        record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 9.0, days_ago=120))),
        "R5",
    ),
    (
        "R5_haemoglobin_not_evaluable_counts_missing",
        record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 8.0, evaluable=False))),
        "R5",
    ),
    (
        "R5_missing_labs_beats_I_FOCAL_R6",
        record(labs=(), mris=(mri(ImagingClass.FOCAL_EQUIVOCAL),)),
        "R5",
    ),
    # R6: any I flag
    ("R6_focal_equivocal", record(mris=(mri(ImagingClass.FOCAL_EQUIVOCAL),)), "R6"),
    ("R6_flc_ratio_1_66", record(labs=with_labs(NORMAL, lab(Analyte.FLC_RATIO, 1.66))), "R6"),
    (
        "R6_single_monocyte_count_1_0",
        record(labs=with_labs(NORMAL, lab(Analyte.MONOCYTES_ABSOLUTE, 1.0))),
        "R6",
    ),
    (
        "R6_labs_gap_imaging_I_FOCAL_still_applies",
        record(labs=(), mris=(mri(ImagingClass.FOCAL_EQUIVOCAL),), gaps=(DataDomain.LABS,)),
        "R6",
    ),
    (
        "R6_intermediate_flag_beats_R7_diffuse",
        record(
            mris=(mri(ImagingClass.DIFFUSE),),
            labs=with_labs(NORMAL, lab(Analyte.FLC_RATIO, 0.2)),
        ),
        "R6",
    ),
    (
        "R6_intermediate_flag_beats_R8_nonspecific_male",
        record(sex=Sex.MALE, labs=with_labs(NORMAL, lab(Analyte.MONOCYTES_ABSOLUTE, 1.3))),
        "R6",
    ),
    # R7: DIFFUSE, no worrisome feature, current labs normal
    ("R7_diffuse_normal_labs", record(mris=(mri(ImagingClass.DIFFUSE),)), "R7"),
    (
        "R7_diffuse_male_normal_labs_converted_units",
        record(
            sex=Sex.MALE,
            mris=(mri(ImagingClass.DIFFUSE),),
            labs=with_labs(NORMAL, hb_g_l(131.0)),
        ),
        "R7",
    ),
    (
        "R7_not_with_worrisome_t1_low",
        record(
            mris=(
                mri(
                    ImagingClass.DIFFUSE, features=(feature(FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC),)
                ),
            )
        ),
        "R4",
    ),
    (
        "R7_not_with_labs_gap",
        record(labs=NORMAL, mris=(mri(ImagingClass.DIFFUSE),), gaps=(DataDomain.LABS,)),
        "R0",
    ),
    # R8: NONSPECIFIC, current labs normal
    ("R8_nonspecific_female_normal_labs", record(), "R8"),
    (
        "R8_nonspecific_male_hb_13_0",
        record(sex=Sex.MALE, labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 13.0))),
        "R8",
    ),
    (
        "R8_explained_anaemia_is_not_a_flag",
        record(
            labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0)),
            conditions=(
                condition(ConditionCategory.ANAEMIA_CAUSE, "ICD-10-CM D50.9", "Iron deficiency"),
            ),
        ),
        "R8",
    ),
    (
        "R8_conditions_gap_rules_still_run",
        record(gaps=(DataDomain.CONDITIONS,)),
        "R8",
    ),
]


@pytest.mark.parametrize(("rec", "expected"), [pytest.param(r, e, id=i) for i, r, e in ROWS])
def test_decision_table_row(rec: PatientRecord, expected: str) -> None:
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == expected, assessment.reason
    if expected == "R0":
        assert assessment.recommendation is None
    else:
        assert assessment.recommendation is not None
        assert assessment.recommendation.rule_id == expected
        assert assessment.recommendation.citations


def test_every_rule_has_two_rows() -> None:
    from collections import Counter

    counts = Counter(expected for _, _, expected in ROWS)
    assert all(counts[f"R{n}"] >= 2 for n in range(9)), counts
