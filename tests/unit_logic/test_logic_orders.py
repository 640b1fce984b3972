"""Order sets per rule (SPEC.md sections 5 and 7): keys, timing, priority, notes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from logic import assess
from logic.model import (
    Analyte,
    ConditionCategory,
    DataDomain,
    FeatureKind,
    ImagingClass,
    OrderSuggestion,
    PatientRecord,
    Recommendation,
    Region,
)
from logic.order_catalogue import ORDER_KEYS
from tests.unit_logic.factories import (
    AS_OF,
    condition,
    feature,
    lab,
    m_protein_g_l,
    mri,
    normal_panel,
    record,
    with_labs,
    without,
)

NORMAL = normal_panel()
IN_3_MONTHS, IN_6_MONTHS, IN_12_MONTHS = date(2026, 9, 1), date(2026, 12, 1), date(2027, 6, 1)
# The surveillance MRI is counted from the index MRI (factories: 5 days before AS_OF,
# 2026-05-27), never from today (SPEC.md section 5, follow-up status).
MRI_3, MRI_6, MRI_12 = date(2026, 8, 27), date(2026, 11, 27), date(2027, 5, 27)


def recommend(rec: PatientRecord) -> Recommendation:
    assessment = assess(rec, AS_OF)
    assert assessment.recommendation is not None, assessment.reason
    return assessment.recommendation


def orders(rec: PatientRecord) -> dict[str, OrderSuggestion]:
    found: dict[str, OrderSuggestion] = {}
    for order_set in recommend(rec).order_sets:
        for order in order_set.orders:
            found.setdefault(order.key, order)
    return found


def test_r8_first_interval_mri_and_labs_in_3_to_6_months() -> None:
    found = orders(record())
    assert (found["mri-followup"].start, found["mri-followup"].end) == (MRI_3, MRI_6)
    for key in ("cbc-diff", "cmp", "spep-ife", "serum-flc"):
        assert (found[key].start, found[key].end) == (IN_3_MONTHS, IN_6_MONTHS)


def test_r7_labs_at_3_months_mri_in_3_to_6_months() -> None:
    found = orders(record(mris=(mri(ImagingClass.DIFFUSE),)))
    assert (found["cbc-diff"].start, found["cbc-diff"].end) == (IN_3_MONTHS, IN_3_MONTHS)
    assert (found["mri-followup"].start, found["mri-followup"].end) == (MRI_3, MRI_6)
    assert "defer biopsy" in recommend(record(mris=(mri(ImagingClass.DIFFUSE),))).decision


def test_r8_after_a_stable_interval_6_to_12_months() -> None:
    history = (mri(), mri(days_ago=200))
    rec = recommend(record(mris=history))
    found = {o.key: o for s in rec.order_sets for o in s.orders}
    assert (found["mri-followup"].start, found["mri-followup"].end) == (MRI_6, MRI_12)
    assert (found["cbc-diff"].start, found["cbc-diff"].end) == (IN_6_MONTHS, IN_12_MONTHS)
    assert "stable on MRI since 2025-11-13: MRI and labs in 6-12 months" in rec.decision


def test_r8_stable_three_years_annual() -> None:
    history = (mri(), mri(days_ago=400), mri(days_ago=3 * 366 + 10))
    found = orders(record(mris=history))
    assert (found["mri-followup"].start, found["mri-followup"].end) == (MRI_12, MRI_12)


def test_r8_prior_of_another_region_does_not_count_as_stable() -> None:
    history = (mri(), mri(days_ago=400, region=Region.PELVIS))
    found = orders(record(mris=history))
    assert found["mri-followup"].start == MRI_3


def test_r8_prior_negative_is_not_a_stable_interval() -> None:
    history = (mri(), mri(ImagingClass.NEGATIVE, days_ago=400))
    assert orders(record(mris=history))["mri-followup"].end == MRI_6


def test_r2_urgent_orders_and_stat_missing_labs() -> None:
    rec = record(labs=(lab(Analyte.HAEMOGLOBIN, 8.0),), mris=(mri(ImagingClass.FOCAL_MULTIPLE),))
    recommendation = recommend(rec)
    main, labs = recommendation.order_sets
    assert main.recommended
    assert not labs.recommended
    assert {o.key for o in main.orders} == {
        "hematology-referral",
        "bone-marrow-biopsy",
        "flow-cytometry",
        "cytogenetics-fish",
        "whole-body-imaging",
    }
    assert all(o.priority == "urgent" for o in main.orders)
    assert {o.key for o in labs.orders} >= {"cbc-diff", "cmp", "spep-ife", "serum-flc"}
    assert all(o.priority == "stat" for o in labs.orders)
    assert (labs.first_line_labs, labs.stat) == (True, True)  # typed: the card reads no label
    assert (main.first_line_labs, main.stat) == (False, False)
    fish = next(o for o in main.orders if o.key == "cytogenetics-fish")
    assert fish.note is not None
    assert "del(17p)" in fish.note
    assert "U-L" in fish.note


def test_r2_with_labs_gap_orders_no_labs_and_says_why() -> None:
    rec = record(labs=(), mris=(mri(ImagingClass.FOCAL_MULTIPLE),), gaps=(DataDomain.LABS,))
    recommendation = recommend(rec)
    assert [s.label for s in recommendation.order_sets] == ["Urgent myeloma work-up"]
    assert any("could not be obtained" in n for n in recommendation.notes)


def test_r4_clonal_marker_adds_urine_studies_and_whole_body_imaging() -> None:
    found = orders(record(labs=with_labs(NORMAL, m_protein_g_l(5.0))))
    assert {"upep-ife-24h", "whole-body-imaging", "bone-marrow-biopsy"} <= set(found)
    assert all(o.priority == "routine" for o in found.values())
    assert "H-MPROTEIN" in (found["cytogenetics-fish"].note or "")


def test_r4_anaemia_without_clonal_marker_no_urine_studies_but_fish_panel_and_ngs() -> None:
    # anaemia is a CRAB feature (FISH panel) and a cytopenia (myeloid NGS): the team's reading
    recommendation = recommend(record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0))))
    found = {o.key: o for s in recommendation.order_sets for o in s.orders}
    assert "upep-ife-24h" not in found
    assert "whole-body-imaging" not in found
    assert "FISH panel" in (found["cytogenetics-fish"].note or "")
    assert "myeloid NGS" in (found["bone-marrow-biopsy"].note or "")
    assert any("unexplained anaemia" in n for n in recommendation.notes)


def test_r4_cytopenia_adds_myeloid_ngs_note() -> None:
    found = orders(record(labs=with_labs(NORMAL, lab(Analyte.PLATELETS, 90.0))))
    assert "myeloid NGS" in (found["bone-marrow-biopsy"].note or "")


def test_r4_missing_labs_are_ordered_with_the_biopsy() -> None:
    rec = record(labs=(lab(Analyte.HAEMOGLOBIN, 11.0),))
    sets = recommend(rec).order_sets
    assert sets[1].label == "First-line labs not yet current"
    assert (sets[1].first_line_labs, sets[1].stat) == (True, False)
    assert {o.key for o in sets[1].orders} >= {"cbc-diff", "cmp", "spep-ife", "serum-flc"}


def test_r5_stale_abnormal_result_repeat_to_confirm() -> None:
    rec = record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 9.0, days_ago=120)))
    recommendation = recommend(rec)
    found = {o.key: o for s in recommendation.order_sets for o in s.orders}
    assert "repeat to confirm" in (found["cbc-diff"].note or "")
    assert found["cbc-diff"].repeat_to_confirm  # typed: the card does not read the note
    assert not found["mri-followup"].repeat_to_confirm
    assert "U-A" in (found["cbc-diff"].note or "")
    assert (found["mri-followup"].start, found["mri-followup"].end) == (IN_3_MONTHS, IN_6_MONTHS)
    assert any("repeat to confirm" in n for n in recommendation.notes)
    assert set(found) == {"cbc-diff", "mri-followup"}


def test_r5_stale_normal_result_is_reordered_not_trusted() -> None:
    found = orders(record(labs=with_labs(NORMAL, lab(Analyte.FLC_KAPPA, 12.0, days_ago=95))))
    assert "older than 90 days" in (found["serum-flc"].note or "")
    assert "repeat to confirm" not in (found["serum-flc"].note or "")
    assert not found["serum-flc"].repeat_to_confirm


def test_r5_not_evaluable_result_is_reordered() -> None:
    rec = record(labs=with_labs(NORMAL, lab(Analyte.PLATELETS, 9.0, evaluable=False)))
    assert "not evaluable" in (orders(rec)["cbc-diff"].note or "")


def test_r5_non_gating_b2m_missing_is_ordered_with_panel_but_does_not_gate() -> None:
    assert assess(record(labs=without(NORMAL, Analyte.BETA2_MICROGLOBULIN)), AS_OF).rule_id == "R8"
    found = orders(record(labs=without(NORMAL, Analyte.FLC_KAPPA, Analyte.BETA2_MICROGLOBULIN)))
    assert {"serum-flc", "b2m"} <= set(found)


def test_r6_follow_up_per_intermediate_flag() -> None:
    rec = record(
        labs=with_labs(NORMAL, lab(Analyte.MONOCYTES_ABSOLUTE, 1.2), lab(Analyte.FLC_RATIO, 2.0)),
        mris=(mri(ImagingClass.FOCAL_EQUIVOCAL),),
    )
    found = orders(rec)
    assert found["hematology-referral"].note == "e-consult"
    assert "upep-ife-24h" in found
    cbc = found["cbc-diff"]
    assert (cbc.start, cbc.end) == (
        AS_OF.date() + timedelta(weeks=4),
        AS_OF.date() + timedelta(weeks=12),
    )
    assert (found["mri-followup"].start, found["mri-followup"].end) == (IN_3_MONTHS, IN_6_MONTHS)


def test_r3_staging_orders() -> None:
    history = condition(ConditionCategory.CANCER_HISTORY, "ICD-10-CM Z85.46", "Prostate cancer")
    found = orders(record(conditions=(history,)))
    assert {"oncology-referral", "mri-followup", "whole-body-imaging"} <= set(found)


def test_r1_referral_only_if_it_would_change_management() -> None:
    palliative = condition(ConditionCategory.PALLIATIVE, "ICD-10-CM Z51.5", "Hospice care")
    recommendation = recommend(
        record(mris=(mri(features=(feature(FeatureKind.ENHANCEMENT),)),), conditions=(palliative,))
    )
    (only,) = recommendation.order_sets
    assert not only.recommended
    assert only.orders[0].key == "hematology-referral"
    assert "goals of care" in recommendation.decision


@pytest.mark.parametrize(
    "rec",
    [
        pytest.param(record(), id="R8"),
        pytest.param(record(mris=(mri(ImagingClass.DIFFUSE),)), id="R7"),
        pytest.param(record(labs=()), id="R5"),
        pytest.param(record(mris=(mri(ImagingClass.FOCAL_EQUIVOCAL),)), id="R6"),
        pytest.param(record(labs=with_labs(NORMAL, m_protein_g_l(5.0))), id="R4"),
        pytest.param(record(mris=(mri(ImagingClass.FOCAL_MULTIPLE),), labs=()), id="R2"),
    ],
)
def test_every_order_key_is_a_spec_section_7_key_and_one_set_is_recommended(
    rec: PatientRecord,
) -> None:
    recommendation = recommend(rec)
    keys = {o.key for s in recommendation.order_sets for o in s.orders}
    assert keys <= ORDER_KEYS
    assert sum(s.recommended for s in recommendation.order_sets) == 1


def test_r8_stable_just_under_three_years_still_6_to_12_months() -> None:
    history = (mri(), mri(days_ago=3 * 365 - 30))
    assert orders(record(mris=history))["mri-followup"].start == MRI_6
