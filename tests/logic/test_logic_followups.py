"""R1 cites the palliative-care Condition, imaging-protocol advice only where it changes
something, and `Assessment.blocked_by` (R0 because data were missing)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from factories import (
    AS_OF,
    condition,
    feature,
    lab,
    mri,
    normal_panel,
    record,
    with_labs,
)

from logic import assess
from logic.model import Analyte, ConditionCategory, FeatureKind
from logic.plans import LIMITED_LIFE_EXPECTANCY

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
    assert assessment.rule_id == "R1" and assessment.recommendation is not None
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
    assert assessment.rule_id == "R1" and assessment.recommendation is not None
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
