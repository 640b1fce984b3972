"""R1 cites the palliative-care Condition, imaging-protocol advice only where it changes
something, and `Assessment.blocked_by` (R0 because data were missing)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from logic import assess
from logic.model import (
    Analyte,
    ConditionCategory,
    Contrast,
    DataDomain,
    DataGap,
    FeatureKind,
    ImagingClass,
    LabResult,
)
from logic.plans import LIMITED_LIFE_EXPECTANCY
from tests.unit_logic.factories import (
    AS_OF,
    condition,
    feature,
    lab,
    mri,
    normal_panel,
    record,
    with_labs,
)

PALLIATIVE = replace(
    condition(ConditionCategory.PALLIATIVE, "ICD-10-CM Z51.5", "Encounter for palliative care"),
    reference="Condition/pall-1",
    onset=date(2026, 3, 14),
)
HOSPICE = replace(
    condition(ConditionCategory.PALLIATIVE, "SNOMED 385763009", "Hospice care"),
    reference="Condition/hosp-1",
)

# ------------------------------------------------------------------ R1 evidence


def test_r1_cites_the_palliative_condition_as_evidence() -> None:
    rec = record(
        labs=with_labs(normal_panel(), lab(Analyte.HAEMOGLOBIN, 8.0)), conditions=(PALLIATIVE,)
    )
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R1"
    assert assessment.recommendation is not None
    (check,) = [c for c in assessment.recommendation.checks if c.label == LIMITED_LIFE_EXPECTANCY]
    assert check.outcome == "present"
    (item,) = check.evidence
    assert item.label == "Encounter for palliative care"
    assert item.reference == "Condition/pall-1"
    assert item.date == date(2026, 3, 14)  # onset
    assert item.value == "ICD-10-CM Z51.5"


def test_r1_cites_every_limited_life_expectancy_condition_with_its_date() -> None:
    rec = record(
        mris=(mri(features=(feature(FeatureKind.ENHANCEMENT),)),),
        conditions=(PALLIATIVE, HOSPICE),
    )
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R1"
    assert assessment.recommendation is not None
    cited = {
        (e.reference, e.date)
        for c in assessment.recommendation.checks
        for e in c.evidence
        if (e.reference or "").startswith("Condition/")
    }
    assert cited == {
        ("Condition/pall-1", date(2026, 3, 14)),
        ("Condition/hosp-1", date(2025, 1, 1)),
    }


# ------------------------------------------------------------------ imaging-protocol advice

HB_LOW = lab(Analyte.HAEMOGLOBIN, 11.0)  # H-ANAEMIA (female, WHO 12.0): R4
FLC_BORDERLINE = lab(Analyte.FLC_RATIO, 2.0)  # I-FLC (0.26-1.65 < 2.0 < 8): R6
MONOCYTES_HIGH = lab(Analyte.MONOCYTES_ABSOLUTE, 1.2)  # I-MONOCYTE: R6


def _advice(
    image_class: ImagingClass, *new_labs: LabResult, **mri_kw: object
) -> tuple[str, set[str]]:
    index = mri(image_class, **mri_kw)  # type: ignore[arg-type]
    assessment = assess(record(labs=with_labs(normal_panel(), *new_labs), mris=(index,)), AS_OF)
    return assessment.rule_id, {a.code for a in assessment.advisories}


@pytest.mark.parametrize(
    ("image_class", "new_labs", "rule", "advised"),
    [
        pytest.param(ImagingClass.NONSPECIFIC, (), "R8", True, id="R8-surveillance"),
        pytest.param(ImagingClass.DIFFUSE, (), "R7", True, id="R7-deferral"),
        pytest.param(ImagingClass.FOCAL_EQUIVOCAL, (), "R6", True, id="R6-I-FOCAL"),
        pytest.param(ImagingClass.NONSPECIFIC, (FLC_BORDERLINE,), "R6", True, id="R6-I-FLC"),
        pytest.param(ImagingClass.DIFFUSE, (MONOCYTES_HIGH,), "R6", True, id="R6-I-MONOCYTE"),
        pytest.param(ImagingClass.NONSPECIFIC, (HB_LOW,), "R4", False, id="R4-biopsy-anyway"),
        pytest.param(ImagingClass.DIFFUSE, (HB_LOW,), "R4", False, id="R4-diffuse"),
        pytest.param(ImagingClass.FOCAL_MULTIPLE, (), "R2", False, id="R2-urgent"),
    ],
)
def test_chemical_shift_only_where_its_result_can_change_the_decision(
    image_class: ImagingClass, new_labs: tuple[LabResult, ...], rule: str, advised: bool
) -> None:
    found_rule, codes = _advice(image_class, *new_labs, chemical_shift_done=False)
    assert found_rule == rule
    assert ("chemical-shift" in codes) is advised


def test_chemical_shift_not_suggested_on_r5_labs_first() -> None:
    index = mri(ImagingClass.NONSPECIFIC, chemical_shift_done=False)
    assessment = assess(record(labs=(), mris=(index,)), AS_OF)
    assert assessment.rule_id == "R5"
    assert assessment.advisories == ()


@pytest.mark.parametrize("rule_class", [ImagingClass.NONSPECIFIC, ImagingClass.FOCAL_EQUIVOCAL])
def test_chemical_shift_not_suggested_once_done(rule_class: ImagingClass) -> None:
    assert _advice(rule_class, chemical_shift_done=True)[1] == set()
    assert _advice(rule_class, chemical_shift_done=False, signal_drop_pct=35.0)[1] == set()


@pytest.mark.parametrize(
    ("image_class", "new_labs"),
    [
        (ImagingClass.NONSPECIFIC, ()),  # R8
        (ImagingClass.NONSPECIFIC, (HB_LOW,)),  # R4
        (ImagingClass.FOCAL_MULTIPLE, ()),  # R2
    ],
)
def test_contrast_only_index_mri_is_always_advised(
    image_class: ImagingClass, new_labs: tuple[LabResult, ...]
) -> None:
    codes = _advice(image_class, *new_labs, contrast=Contrast.WITH)[1]
    assert "pre-contrast-missing" in codes


def test_no_imaging_protocol_card_on_a_typical_biopsy_card() -> None:
    """The alert-fatigue case: R4 on a nonspecific MRI without chemical shift, hedged as benign."""
    hedge = feature(FeatureKind.BENIGN_HEDGE, "Likely red marrow reconversion.")
    rule, codes = _advice(
        ImagingClass.NONSPECIFIC, HB_LOW, chemical_shift_done=False, features=(hedge,)
    )
    assert rule == "R4"
    assert codes == set()


def test_benign_appearance_note_only_on_r7_and_r8() -> None:
    hedge = feature(FeatureKind.BENIGN_HEDGE, "Likely red marrow reconversion.")
    for new_labs, rule, noted in [((), "R8", True), ((HB_LOW,), "R4", False)]:
        rec = record(
            labs=with_labs(normal_panel(), *new_labs),
            mris=(mri(ImagingClass.NONSPECIFIC, features=(hedge,)),),
        )
        assessment = assess(rec, AS_OF)
        assert assessment.rule_id == rule
        assert assessment.recommendation is not None
        notes = " ".join(assessment.recommendation.notes)
        assert ("not proof of benignity" in notes) is noted
        assert all(a.code != "benign-appearance-not-proof" for a in assessment.advisories)


# ------------------------------------------------------------------ Assessment.blocked_by


def test_r0_because_imaging_could_not_be_obtained_is_blocked_by_the_imaging_gap() -> None:
    assessment = assess(record(gaps=(DataDomain.IMAGING,)), AS_OF)
    assert assessment.rule_id == "R0"
    assert assessment.recommendation is None
    assert assessment.reason.startswith("imaging could not be obtained")
    assert assessment.blocked_by == (DataGap(DataDomain.IMAGING, "FHIR server timed out"),)


def test_r0_without_an_index_mri_is_not_blocked_by_a_labs_gap() -> None:
    assessment = assess(record(mris=(), gaps=(DataDomain.LABS,)), AS_OF)
    assert assessment.rule_id == "R0"
    assert assessment.reason == "no index MRI report"
    assert assessment.blocked_by == ()
    assert assessment.gaps  # still reported, for verbose output


def test_r0_negative_mri_is_not_blocked_by_a_labs_gap() -> None:
    rec = record(mris=(mri(ImagingClass.NEGATIVE),), gaps=(DataDomain.LABS,))
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R0"
    assert assessment.blocked_by == ()


def test_labs_gap_and_no_other_rule_is_blocked_by_the_labs_gap() -> None:
    assessment = assess(record(labs=(), gaps=(DataDomain.LABS,)), AS_OF)
    assert assessment.rule_id == "R0"
    assert assessment.recommendation is None
    assert assessment.reason.startswith("laboratory results could not be obtained")
    assert assessment.blocked_by == (DataGap(DataDomain.LABS, "FHIR server timed out"),)


def test_labs_gap_does_not_block_a_rule_that_imaging_decides() -> None:
    rec = record(labs=(), mris=(mri(ImagingClass.FOCAL_EQUIVOCAL),), gaps=(DataDomain.LABS,))
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R6"
    assert assessment.blocked_by == ()


def test_imaging_gap_under_specialist_care_stays_silent() -> None:
    myeloma = condition(ConditionCategory.MYELOMA, "ICD-10-CM C90.00", "Multiple myeloma")
    rec = record(conditions=(myeloma,), gaps=(DataDomain.IMAGING,))
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R0"
    assert assessment.blocked_by == ()
