"""The clinical reviewer's patients (haematologist-informaticist review of `logic.assess`):
each test is one patient that showed a defect, named for the case."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from logic import assess
from logic.model import (
    Analyte,
    Assessment,
    Check,
    ConditionCategory,
    FeatureKind,
    ImagingClass,
    LabResult,
    OrderSuggestion,
    Sex,
)
from tests.unit_logic.factories import (
    AS_OF,
    condition,
    feature,
    lab,
    mri,
    normal_panel,
    record,
    with_labs,
    without,
)

NORMAL = normal_panel()


def _checks(assessment: Assessment) -> dict[str, Check]:
    assert assessment.recommendation is not None
    return {c.label: c for c in assessment.recommendation.checks}


def _orders(assessment: Assessment) -> dict[str, OrderSuggestion]:
    assert assessment.recommendation is not None
    return {o.key: o for s in assessment.recommendation.order_sets for o in s.orders}


# ---------------------------------------------------------------- 1. newest result decides


def test_newer_hb_with_unknown_unit_is_not_replaced_by_older_normal_hb() -> None:
    # Hb 14.0 ten days ago; Hb two days ago with an unknown unit (not evaluable)
    unreadable = lab(Analyte.HAEMOGLOBIN, None, evaluable=False, days_ago=2, as_sent="8.1 G/DL?")
    labs = (*NORMAL, unreadable)
    assessment = assess(record(labs=labs), AS_OF)
    assert assessment.rule_id == "R5"
    cbc = _checks(assessment)["CBC with differential"]
    assert cbc.outcome == "not evaluable"
    assert [e.reference for e in cbc.evidence if e.label == "Haemoglobin"] == [unreadable.reference]
    assert "last result not evaluable: Haemoglobin" in (_orders(assessment)["cbc-diff"].note or "")


def test_older_low_hb_superseded_by_unreadable_hb_does_not_fire_but_is_repeated_urgently() -> None:
    low = lab(Analyte.HAEMOGLOBIN, 7.5, days_ago=10)
    unreadable = lab(Analyte.HAEMOGLOBIN, None, evaluable=False, days_ago=2, as_sent="?")
    assessment = assess(record(labs=with_labs(NORMAL, low, unreadable)), AS_OF)
    assert assessment.rule_id == "R5"
    assert not [f for f in assessment.flags if f.id in ("U-A", "H-ANAEMIA")]
    cbc = _orders(assessment)["cbc-diff"]
    assert cbc.priority == "urgent"
    assert "U-A on a result superseded by a newer result that is not evaluable" in (cbc.note or "")


def test_older_normal_hb_superseded_by_unreadable_hb_never_clears() -> None:
    unreadable = lab(Analyte.HAEMOGLOBIN, None, evaluable=False, days_ago=1)
    assessment = assess(record(labs=(*NORMAL, unreadable)), AS_OF)
    assert assessment.rule_id not in ("R7", "R8")


# ---------------------------------------------------------------- 2. dated after as_of


def test_hb_dated_12_hours_after_as_of_is_used_as_current_with_a_warning() -> None:
    # a UTC+10 site whose timezone-less time was read as UTC
    ahead = lab(Analyte.HAEMOGLOBIN, 9.0, days_ago=-0.5)
    assessment = assess(record(labs=with_labs(NORMAL, ahead)), AS_OF)
    assert assessment.rule_id == "R2"
    (problem,) = [p for p in assessment.problems if p.reference == ahead.reference]
    assert problem.severity == "warning"
    assert "after the evaluation time" in problem.message
    assert "used as current; check the time zone of the source" in problem.message


def test_hb_dated_3_days_after_as_of_is_not_used_and_reported() -> None:
    ahead = lab(Analyte.HAEMOGLOBIN, 9.0, days_ago=-3)
    assessment = assess(record(labs=(*NORMAL, ahead)), AS_OF)
    assert assessment.rule_id == "R8"
    (problem,) = [p for p in assessment.problems if p.reference == ahead.reference]
    assert problem.message.endswith("not used; check the time zone of the source")
    assert "dated 2026-06-04 12:00 UTC, after the evaluation time (2026-06-01 12:00 UTC)" in (
        problem.message
    )


def test_mri_dated_2_days_after_as_of_is_not_the_index_and_is_reported() -> None:
    ahead, index = mri(days_ago=-2), mri(days_ago=10)
    assessment = assess(record(mris=(ahead, index)), AS_OF)
    assert assessment.recommendation is not None
    assert assessment.recommendation.index_report is index
    assert [p.reference for p in assessment.problems] == [ahead.reference]


def test_only_mri_dated_after_as_of_gives_no_card_but_says_why() -> None:
    ahead = mri(days_ago=-3)
    assessment = assess(record(mris=(ahead,)), AS_OF)
    assert assessment.rule_id == "R0"
    assert [p.reference for p in assessment.problems] == [ahead.reference]


def test_mri_dated_6_hours_after_as_of_is_the_index() -> None:
    ahead = mri(days_ago=-0.25)
    assessment = assess(record(mris=(ahead,)), AS_OF)
    assert assessment.recommendation is not None
    assert assessment.recommendation.index_report is ahead
    assert len(assessment.problems) == 1


# ---------------------------------------------------------------- 3. corrected calcium pairing


def test_calcium_today_with_albumin_83_days_earlier_is_not_corrected() -> None:
    calcium = lab(Analyte.CALCIUM_TOTAL, 2.5, high=2.6, days_ago=0)
    albumin = lab(Analyte.ALBUMIN, 2.5, days_ago=83)
    assessment = assess(record(labs=with_labs(NORMAL, calcium, albumin)), AS_OF)
    assert not [f for f in assessment.flags if f.id in ("U-C", "H-CALCIUM")]
    assert assessment.rule_id == "R8"
    outcome = _checks(assessment)["Calcium with albumin"].outcome
    assert "corrected calcium not computed: no albumin from the calcium's collection day" in outcome


def test_calcium_with_same_day_albumin_is_corrected_with_the_calcium_date_and_reference() -> None:
    calcium = lab(Analyte.CALCIUM_TOTAL, 2.5, high=2.6, days_ago=0)
    albumin = lab(Analyte.ALBUMIN, 2.5, days_ago=0.2)  # same calendar day, earlier draw
    assessment = assess(record(labs=with_labs(NORMAL, calcium, albumin)), AS_OF)
    (u_c,) = [f for f in assessment.flags if f.id == "U-C"]
    (computed,) = u_c.evidence
    assert computed.reference == calcium.reference
    assert computed.date == calcium.effective.date()
    assert calcium.reference in computed.label
    assert albumin.reference in computed.label


# ---------------------------------------------------------------- 4. "not present" only if assessed

MDE = "Myeloma-defining events (IMWG 2014)"


def test_no_labs_myeloma_defining_events_not_assessed_rather_than_not_present() -> None:
    assessment = assess(record(labs=()), AS_OF)
    assert assessment.rule_id == "R5"
    outcome = _checks(assessment)[MDE].outcome
    assert outcome.startswith("not assessed: no current evaluable haemoglobin, calcium")
    assert "not present" not in outcome


def test_hb_6_excused_by_iron_deficiency_is_not_called_normal_labs() -> None:
    iron = condition(ConditionCategory.ANAEMIA_CAUSE, "ICD-10-CM D50.9", "Iron deficiency anaemia")
    rec = record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 6.0)), conditions=(iron,))
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R8"
    assert assessment.recommendation is not None
    decision = assessment.recommendation.decision
    assert "normal current labs" not in decision
    assert "abnormal results explained by documented Iron deficiency anaemia" in decision
    assert assessment.recommendation.labs_explained  # typed: the card does not read the words
    check = _checks(assessment)[MDE]
    assert check.outcome.startswith("not counted: U-A haemoglobin 6.0 g/dL")
    assert iron.reference in {e.reference for e in check.evidence}


def test_all_components_current_myeloma_defining_events_not_present() -> None:
    assessment = assess(record(labs=NORMAL), AS_OF)
    assert _checks(assessment)[MDE].outcome == "not present"
    assert assessment.recommendation is not None
    assert "with normal current labs" in assessment.recommendation.decision


# ---------------------------------------------------------------- 5. biopsy-bundle triggers


def test_h_anaemia_and_h_calcium_biopsy_gets_fish_panel_and_myeloid_ngs() -> None:
    labs = with_labs(
        NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0), lab(Analyte.CALCIUM_TOTAL, 2.7, high=2.6)
    )
    assessment = assess(record(labs=labs), AS_OF)
    assert assessment.rule_id == "R4"
    found = _orders(assessment)
    assert "FISH panel" in (found["cytogenetics-fish"].note or "")
    assert "H-ANAEMIA" in (found["cytogenetics-fish"].note or "")
    assert "H-CALCIUM" in (found["cytogenetics-fish"].note or "")
    assert "myeloid NGS panel (H-ANAEMIA)" in (found["bone-marrow-biopsy"].note or "")


def test_h_renal_alone_suspects_plasma_cell_disorder_without_myeloid_ngs() -> None:
    assessment = assess(record(labs=with_labs(NORMAL, lab(Analyte.EGFR, 50.0))), AS_OF)
    assert assessment.rule_id == "R4"
    found = _orders(assessment)
    assert "FISH panel" in (found["cytogenetics-fish"].note or "")
    assert found["bone-marrow-biopsy"].note is None


def test_u_a_biopsy_gets_myeloid_ngs() -> None:
    assessment = assess(record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 8.0))), AS_OF)
    assert assessment.rule_id == "R2"
    assert "myeloid NGS panel (U-A, H-ANAEMIA)" in (
        _orders(assessment)["bone-marrow-biopsy"].note or ""
    )


# ---------------------------------------------------------------- 6. H-SYMPTOMS and age


def _weight_loss_patient(birth_date: date | None) -> Assessment:
    loss = condition(ConditionCategory.WEIGHT_LOSS, "ICD-10-CM R63.4", "Abnormal weight loss")
    rec = record(conditions=(loss,))
    rec = replace(rec, patient=replace(rec.patient, birth_date=birth_date))
    return assess(rec, AS_OF)


def test_weight_loss_at_age_50_does_not_fire_h_symptoms() -> None:
    assessment = _weight_loss_patient(date(1976, 6, 1))  # 50 on AS_OF (2026-06-01)
    assert "H-SYMPTOMS" not in {f.id for f in assessment.flags}
    assert assessment.rule_id == "R8"
    outcome = _checks(assessment)["Fever, night sweats, weight loss, bone pain"].outcome
    assert outcome.startswith("weight loss documented, not counted at age 50")


def test_weight_loss_at_age_51_fires_h_symptoms() -> None:
    assessment = _weight_loss_patient(date(1975, 6, 1))  # 51 on AS_OF
    (symptoms,) = [f for f in assessment.flags if f.id == "H-SYMPTOMS"]
    assert symptoms.criterion == "weight loss (age 51)"
    assert assessment.rule_id == "R4"


def test_weight_loss_with_age_unknown_fires_h_symptoms() -> None:
    assessment = _weight_loss_patient(None)
    (symptoms,) = [f for f in assessment.flags if f.id == "H-SYMPTOMS"]
    assert symptoms.criterion == "weight loss (age unknown)"


def test_night_sweats_at_age_40_fires_h_symptoms() -> None:
    sweats = condition(ConditionCategory.NIGHT_SWEATS, "ICD-10-CM R61", "Night sweats")
    assessment = assess(record(conditions=(sweats,), birth_date=date(1986, 1, 1)), AS_OF)
    assert "H-SYMPTOMS" in {f.id for f in assessment.flags}


# ---------------------------------------------------------------- 7. FLC renal range


def _i_flc(assessment: Assessment) -> list[str]:
    return [f.criterion for f in assessment.flags if f.id == "I-FLC"]


def test_creatinine_clearance_50_and_ratio_1_8_no_i_flc() -> None:
    labs = with_labs(
        NORMAL,
        lab(Analyte.CREATININE_CLEARANCE, 50.0, days_ago=5),
        lab(Analyte.FLC_RATIO, 1.8),
    )
    labs = tuple(r for r in labs if r.analyte is not Analyte.EGFR)
    assert _i_flc(assess(record(labs=labs), AS_OF)) == []


def test_known_ckd_by_egfr_history_and_ratio_1_8_no_i_flc() -> None:
    # eGFR 50 at 100 and 300 days (known CKD, SPEC.md §2); no current eGFR
    labs = with_labs(
        NORMAL,
        lab(Analyte.FLC_RATIO, 1.8),
        lab(Analyte.EGFR, 50.0, days_ago=100),
        lab(Analyte.EGFR, 50.0, days_ago=300),
    )
    assert _i_flc(assess(record(labs=labs), AS_OF)) == []


def test_documented_ckd_no_current_egfr_and_ratio_1_8_no_i_flc() -> None:
    ckd = condition(ConditionCategory.CKD, "ICD-10-CM N18.3", "CKD stage 3")
    labs = with_labs(NORMAL, lab(Analyte.FLC_RATIO, 1.8))
    labs = tuple(r for r in labs if r.analyte is not Analyte.EGFR)
    assert _i_flc(assess(record(labs=labs, conditions=(ckd,)), AS_OF)) == []


def test_ratio_3_2_with_creatinine_clearance_50_names_the_renal_range_reason() -> None:
    labs = with_labs(
        NORMAL, lab(Analyte.CREATININE_CLEARANCE, 50.0, days_ago=5), lab(Analyte.FLC_RATIO, 3.2)
    )
    labs = tuple(r for r in labs if r.analyte is not Analyte.EGFR)
    (criterion,) = _i_flc(assess(record(labs=labs), AS_OF))
    assert "renal range: Creatinine clearance 50" in criterion


def test_ratio_1_8_with_normal_egfr_fires_i_flc() -> None:
    labs = with_labs(NORMAL, lab(Analyte.FLC_RATIO, 1.8))
    assert len(_i_flc(assess(record(labs=labs), AS_OF))) == 1


# ---------------------------------------------------------------- 8. stale abnormal: not current


def test_monocytes_1_1_now_and_130_days_ago_is_current_monocytosis_no_repeat_to_confirm() -> None:
    labs = with_labs(
        NORMAL,
        lab(Analyte.MONOCYTES_ABSOLUTE, 1.1, days_ago=10),
        lab(Analyte.MONOCYTES_ABSOLUTE, 1.1, days_ago=130),
    )
    assessment = assess(record(labs=labs), AS_OF)
    assert assessment.rule_id == "R4"
    assert "H-MONOCYTOSIS" in {f.id for f in assessment.flags}
    assert assessment.recommendation is not None
    notes = " ".join(assessment.recommendation.notes)
    assert "repeat to confirm" not in notes
    assert all("repeat to confirm" not in (o.note or "") for o in _orders(assessment).values())


def test_stale_note_lists_only_the_stale_results_dates() -> None:
    labs = with_labs(NORMAL, lab(Analyte.WBC, 6.0, low=4.0, days_ago=120))
    assessment = assess(record(labs=labs), AS_OF)
    note = _orders(assessment)["cbc-diff"].note or ""
    assert "last result older than 90 days (2026-02-01): White cell count" in note
    assert "2026-05-22" not in note  # the current Hb, platelets, neutrophils


# ---------------------------------------------------------------- 9. older abnormal on R2-R4


def test_r4_shows_older_abnormal_flc_ratio_as_repeat_to_confirm_note() -> None:
    labs = with_labs(
        NORMAL,
        lab(Analyte.CALCIUM_TOTAL, 2.7, high=2.6),
        lab(Analyte.FLC_KAPPA, 60.0, days_ago=120),
        lab(Analyte.FLC_LAMBDA, 15.0, days_ago=120),
        lab(Analyte.FLC_RATIO, 4.0, days_ago=120),
    )
    assessment = assess(record(labs=labs), AS_OF)
    assert assessment.rule_id == "R4"
    assert assessment.recommendation is not None
    (note,) = [n for n in assessment.recommendation.notes if n.startswith("Older abnormal")]
    assert "repeat to confirm: " in note
    assert "Free light chain kappa/lambda ratio 4.00 (2026-02-01)" in note
    assert "repeat to confirm" in (_orders(assessment)["serum-flc"].note or "")


# ---------------------------------------------------------------- 10. R1 pitfall


def test_r1_palliative_anaemia_has_no_do_not_delay_biopsy_pitfall() -> None:
    palliative = condition(ConditionCategory.PALLIATIVE, "ICD-10-CM Z51.5", "Palliative care")
    rec = record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0)), conditions=(palliative,))
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R1"
    assert assessment.recommendation is not None
    assert not [n for n in assessment.recommendation.notes if "Do not delay" in n]


# ---------------------------------------------------------------- 12. stale at urgent level


def test_stale_hb_7_5_from_120_days_ago_repeat_is_urgent() -> None:
    labs = with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 7.5, days_ago=120))
    assessment = assess(record(labs=labs), AS_OF)
    assert assessment.rule_id == "R5"
    cbc = _orders(assessment)["cbc-diff"]
    assert cbc.priority == "urgent"
    assert "U-A on a result older than 90 days" in (cbc.note or "")
    assert assessment.recommendation is not None
    assert any("the repeat is urgent" in n for n in assessment.recommendation.notes)


def test_stale_hb_11_from_120_days_ago_repeat_stays_routine() -> None:
    labs = with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0, days_ago=120))
    cbc = _orders(assess(record(labs=labs), AS_OF))["cbc-diff"]
    assert cbc.priority == "routine"
    assert "H-ANAEMIA on a result older than 90 days" in (cbc.note or "")


# ---------------------------------------------------------------- 11. I-MONOCYTE same blood count


def test_monocytes_0_6_with_12_percent_from_80_days_earlier_no_i_monocyte() -> None:
    labs = with_labs(
        NORMAL,
        lab(Analyte.MONOCYTES_ABSOLUTE, 0.6, days_ago=5),
        lab(Analyte.MONOCYTES_PERCENT, 12.0, days_ago=85),
    )
    assert "I-MONOCYTE" not in {f.id for f in assess(record(labs=labs), AS_OF).flags}


def test_monocytes_0_6_with_12_percent_same_day_fires_i_monocyte() -> None:
    labs = with_labs(
        NORMAL,
        lab(Analyte.MONOCYTES_ABSOLUTE, 0.6, days_ago=5),
        lab(Analyte.MONOCYTES_PERCENT, 12.0, days_ago=5),
    )
    assert "I-MONOCYTE" in {f.id for f in assess(record(labs=labs), AS_OF).flags}


# ---------------------------------------------------------------- 14. criterion wording


def _criterion(flag_id: str, *new: LabResult) -> str:
    assessment = assess(record(labs=with_labs(NORMAL, *new)), AS_OF)
    (found,) = [f for f in assessment.flags if f.id == flag_id]
    return found.criterion


def test_u_r_criterion_names_egfr_with_a_readable_unit() -> None:
    assert _criterion("U-R", lab(Analyte.EGFR, 38.0)) == "eGFR 38 mL/min/1.73 m² < 40"


def test_h_flc_criterion_says_ratio_without_unit_1() -> None:
    # the ratio at its clinical precision (2 decimals), no unit "1"
    assert _criterion("H-FLC", lab(Analyte.FLC_RATIO, 125.0)) == "kappa/lambda ratio 125.00 > 8"


def test_h_immunoparesis_criterion_says_lower_limit() -> None:
    criterion = _criterion("H-IMMUNOPARESIS", lab(Analyte.IGG, 500.0, low=700.0))
    assert criterion == "IgG 500 mg/dL < lower limit 700"


def test_h_renal_default_creatinine_limit_shown_at_clinical_precision() -> None:
    criterion = _criterion("H-RENAL", lab(Analyte.CREATININE, 150.0))
    assert criterion == "Creatinine 150 µmol/L > upper limit 106 µmol/L"


def test_sex_unknown_note_only_when_haemoglobin_was_evaluated() -> None:
    unknown = "Sex unknown"
    no_hb = record(sex=Sex.UNKNOWN, labs=without(NORMAL, Analyte.HAEMOGLOBIN))
    with_hb = record(sex=Sex.UNKNOWN)
    for rec, shown in ((no_hb, False), (with_hb, True)):
        recommendation = assess(rec, AS_OF).recommendation
        assert recommendation is not None
        assert any(unknown in n for n in recommendation.notes) is shown


def test_superseded_low_hb_is_named_on_the_cbc_check() -> None:
    low = lab(Analyte.HAEMOGLOBIN, 7.5, days_ago=10)
    unreadable = lab(Analyte.HAEMOGLOBIN, None, evaluable=False, days_ago=2, as_sent="?")
    assessment = assess(record(labs=with_labs(NORMAL, low, unreadable)), AS_OF)
    outcome = _checks(assessment)["CBC with differential"].outcome
    assert outcome.startswith("not evaluable, abnormal (U-A, H-ANAEMIA: Haemoglobin 7.5 g/dL")
    assert outcome.endswith("repeat to confirm")


def test_kappa_and_lambda_of_different_days_give_no_computed_ratio() -> None:
    # same-day pairing, as for corrected calcium (no ratio sent by the lab)
    labs = (
        *without(NORMAL, Analyte.FLC_RATIO, Analyte.FLC_KAPPA, Analyte.FLC_LAMBDA),
        lab(Analyte.FLC_KAPPA, 150.0, days_ago=2),
        lab(Analyte.FLC_LAMBDA, 1.2, days_ago=60),
    )
    flags = {f.id for f in assess(record(labs=labs), AS_OF).flags}
    assert not flags & {"U-Li", "H-FLC", "I-FLC"}


def test_kappa_and_lambda_of_the_same_day_give_a_computed_ratio() -> None:
    labs = (
        *without(NORMAL, Analyte.FLC_RATIO, Analyte.FLC_KAPPA, Analyte.FLC_LAMBDA),
        lab(Analyte.FLC_KAPPA, 150.0, days_ago=2),
        lab(Analyte.FLC_LAMBDA, 1.2, days_ago=2),
    )
    flags = {f.id for f in assess(record(labs=labs), AS_OF).flags}
    assert {"U-Li", "H-FLC"} <= flags


def test_u_l_with_only_the_largest_size_stated_says_so() -> None:
    report = mri(
        ImagingClass.FOCAL_MULTIPLE,
        features=(feature(FeatureKind.FOCAL_LESION, "Numerous focal lesions up to 9 mm."),),
        lesion_count=3,
        sizes=(9.0,),
    )
    (u_l,) = [f for f in assess(record(mris=(report,)), AS_OF).flags if f.id == "U-L"]
    assert "largest 9 mm, other sizes not stated" in u_l.criterion
