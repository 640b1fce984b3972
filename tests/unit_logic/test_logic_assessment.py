"""What `logic.assess` returns besides the rule: reasons, gaps, suppression, advisories,
checks ("why not biopsy"), escalation from the imaging history, and input validation."""

from __future__ import annotations

from datetime import datetime

import pytest

from logic import assess
from logic.model import (
    Analyte,
    ConditionCategory,
    Contrast,
    DataDomain,
    FeatureKind,
    ImagingClass,
    MappingProblem,
    Modality,
    NoCard,
)
from tests.unit_logic.factories import (
    AS_OF,
    condition,
    feature,
    lab,
    mri,
    normal_panel,
    other,
    record,
    with_labs,
)

NORMAL = normal_panel()
MYELOMA = condition(ConditionCategory.MYELOMA, "ICD-10-CM C90.00", "Multiple myeloma")


# ---------------------------------------------------------------- R0 reasons


def test_r0_reason_no_index_report() -> None:
    assert assess(record(mris=()), AS_OF).reason == "no index MRI report"


def test_r0_reason_imaging_not_obtained() -> None:
    assessment = assess(record(gaps=(DataDomain.IMAGING,)), AS_OF)
    assert assessment.reason == "imaging could not be obtained: FHIR server timed out"
    assert assessment.gaps[0].domain is DataDomain.IMAGING


def test_r0_reason_class_negative() -> None:
    negative = assess(record(mris=(mri(ImagingClass.NEGATIVE),)), AS_OF)
    assert "class NEGATIVE" in negative.reason
    assert negative.no_card is NoCard.NEGATIVE


def test_r0_suppressed_default_and_verbose() -> None:
    rec = record(conditions=(MYELOMA,))
    quiet = assess(rec, AS_OF)
    assert quiet.rule_id == "R0"
    assert quiet.recommendation is None
    assert not quiet.advisories
    assert quiet.reason == "suppressed: already under specialist care: Multiple myeloma"
    assert quiet.no_card is NoCard.SUPPRESSED
    verbose = assess(rec, AS_OF, verbose=True)
    assert verbose.no_card is NoCard.SUPPRESSED
    assert verbose.reason.startswith("suppressed: ")
    assert MYELOMA.reference in verbose.reason
    assert "C90.00" in verbose.reason


def test_r0_labs_gap_no_recommendation_built_on_missing_data() -> None:
    assessment = assess(record(labs=(), gaps=(DataDomain.LABS,)), AS_OF)
    assert assessment.rule_id == "R0"
    assert assessment.no_card is NoCard.NO_RULE
    assert "laboratory results could not be obtained" in assessment.reason


def test_conditions_gap_says_suppression_unknown() -> None:
    assessment = assess(record(gaps=(DataDomain.CONDITIONS,)), AS_OF)
    assert assessment.rule_id == "R8"
    assert "suppression unknown" in assessment.reason
    assert assessment.recommendation is not None
    assert any("Conditions could not be obtained" in n for n in assessment.recommendation.notes)
    checks = {c.label: c.outcome for c in assessment.recommendation.checks}
    assert checks["Cancer history"].startswith("not checked")


def test_problems_and_gaps_are_passed_through() -> None:
    problem = MappingProblem("Observation/9", "unit 'g/L?' is not a UCUM unit")
    rec = record(
        labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, None, evaluable=False)),
        problems=(problem,),
    )
    assessment = assess(rec, AS_OF)
    assert assessment.problems == (problem,)
    assert assessment.rule_id == "R5"


def test_naive_as_of_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        assess(record(), datetime(2026, 6, 1))


def test_future_dated_results_are_ignored() -> None:
    rec = record(labs=(*NORMAL, lab(Analyte.HAEMOGLOBIN, 7.0, days_ago=-2)))
    assert assess(rec, AS_OF).rule_id == "R8"


def test_result_91_days_old_is_stale_90_days_is_current() -> None:
    old = with_labs(NORMAL, lab(Analyte.FLC_KAPPA, 12.0, days_ago=91))
    edge = with_labs(NORMAL, lab(Analyte.FLC_KAPPA, 12.0, days_ago=90))
    assert assess(record(labs=old), AS_OF).rule_id == "R5"
    assert assess(record(labs=edge), AS_OF).rule_id == "R8"


def test_current_normal_result_supersedes_stale_abnormal() -> None:
    labs = (*NORMAL, lab(Analyte.HAEMOGLOBIN, 8.0, days_ago=200))
    assert assess(record(labs=labs), AS_OF).rule_id == "R8"


def test_every_flag_listed_and_recommendation_cites_flag_sources() -> None:
    rec = record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 9.0)))
    assessment = assess(rec, AS_OF)
    assert [f.id for f in assessment.flags] == ["U-A", "H-ANAEMIA"]
    assert assessment.recommendation is not None
    citations = " ".join(assessment.recommendation.citations)
    assert "Rajkumar" in citations
    assert "WHO" in citations
    assert "U-A" in assessment.reason


# ---------------------------------------------------------------- escalation from history


def test_escalation_lesion_count_increase_beats_i_focal() -> None:
    prior = mri(ImagingClass.FOCAL_EQUIVOCAL, days_ago=200, lesion_count=1, sizes=(4.0,))
    index = mri(ImagingClass.FOCAL_EQUIVOCAL, lesion_count=2, sizes=(4.0, 3.0))
    assessment = assess(record(mris=(index, prior)), AS_OF)
    assert assessment.rule_id == "R4"
    (imaging,) = [f for f in assessment.flags if f.id == "H-IMAGING"]
    assert "lesions 1 -> 2" in imaging.criterion
    assert prior.reference in imaging.criterion


def test_escalation_growth_of_largest_lesion() -> None:
    prior = mri(ImagingClass.FOCAL_EQUIVOCAL, days_ago=200, lesion_count=1, sizes=(4.0,))
    index = mri(ImagingClass.FOCAL_EQUIVOCAL, lesion_count=1, sizes=(4.8,))
    assessment = assess(record(mris=(index, prior)), AS_OF)
    assert assessment.rule_id == "R4"
    assert "largest lesion 4 -> 4.8 mm" in assessment.flags[0].criterion


def test_new_focal_lesion_with_urgent_flag_is_r2() -> None:
    prior = mri(ImagingClass.NONSPECIFIC, days_ago=200)
    index = mri(ImagingClass.FOCAL_MULTIPLE, lesion_count=3, sizes=(6.0, 7.0, 9.0))
    assessment = assess(record(mris=(index, prior)), AS_OF)
    assert assessment.rule_id == "R2"
    assert {"U-L", "H-IMAGING"} <= {f.id for f in assessment.flags}


def test_stable_focal_equivocal_stays_r6() -> None:
    prior = mri(ImagingClass.FOCAL_EQUIVOCAL, days_ago=200, lesion_count=1, sizes=(4.0,))
    index = mri(ImagingClass.FOCAL_EQUIVOCAL, lesion_count=1, sizes=(4.0,))
    assert assess(record(mris=(index, prior)), AS_OF).rule_id == "R6"


def test_improved_diffuse_to_nonspecific_is_not_escalation() -> None:
    prior = mri(ImagingClass.DIFFUSE, days_ago=200)
    assert assess(record(mris=(mri(), prior)), AS_OF).rule_id == "R8"


# ---------------------------------------------------------------- advisories


def codes(rec: object) -> set[str]:
    return {a.code for a in assess(rec, AS_OF).advisories}  # type: ignore[arg-type]


def test_advisory_contrast_only_mri() -> None:
    assert "pre-contrast-missing" in codes(record(mris=(mri(contrast=Contrast.WITH),)))
    assert "pre-contrast-missing" not in codes(
        record(mris=(mri(contrast=Contrast.WITHOUT_AND_WITH),))
    )


def test_advisory_chemical_shift_only_where_it_can_change_the_decision() -> None:
    assert "chemical-shift" in codes(record(mris=(mri(chemical_shift_done=False),)))  # R8
    assert "chemical-shift" not in codes(record(mris=(mri(chemical_shift_done=True),)))
    multiple = mri(ImagingClass.FOCAL_MULTIPLE, chemical_shift_done=False)  # R2: biopsy anyway
    assert "chemical-shift" not in codes(record(mris=(multiple,)))


def test_benign_appearance_is_a_note_of_the_surveillance_card_not_an_advisory() -> None:
    hedge = feature(FeatureKind.BENIGN_HEDGE, "Likely red marrow reconversion.")
    assessment = assess(record(mris=(mri(features=(hedge,)),)), AS_OF)
    assert assessment.rule_id == "R8"
    assert assessment.recommendation is not None
    assert "benign-appearance-not-proof" not in {a.code for a in assessment.advisories}
    (note,) = [n for n in assessment.recommendation.notes if "not proof of benignity" in n]
    assert "hedged as benign" in note


def test_advisory_skeletal_survey_alone_when_whole_body_imaging_recommended() -> None:
    survey = other(Modality.XR)
    rec = record(mris=(mri(ImagingClass.FOCAL_MULTIPLE),), other_imaging=(survey,))
    assert "skeletal-survey-alone" in codes(rec)
    assert "skeletal-survey-alone" not in codes(record(other_imaging=(survey,)))


def test_no_advisories_without_a_card() -> None:
    assert codes(record(mris=(mri(contrast=Contrast.WITH),), conditions=(MYELOMA,))) == set()


# ---------------------------------------------------------------- why not biopsy


def test_r8_checks_show_normal_panel_with_evidence() -> None:
    assessment = assess(record(), AS_OF)
    assert assessment.recommendation is not None
    checks = {c.label: c for c in assessment.recommendation.checks}
    cbc = checks["CBC with differential"]
    assert cbc.outcome == "normal"
    assert {e.label for e in cbc.evidence} >= {"Haemoglobin", "Platelets"}
    assert all(e.reference and e.date and e.value for e in cbc.evidence)
    assert checks["Worrisome MRI features (SPEC.md section 3)"].outcome == "not present"
    assert checks["Myeloma-defining events (IMWG 2014)"].outcome == "not present"


def test_r8_check_explained_anaemia_is_named() -> None:
    cause = condition(ConditionCategory.ANAEMIA_CAUSE, "ICD-10-CM D50.9", "Iron deficiency")
    rec = record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0)), conditions=(cause,))
    assessment = assess(rec, AS_OF)
    assert assessment.recommendation is not None
    (cbc,) = [c for c in assessment.recommendation.checks if c.label == "CBC with differential"]
    assert cbc.outcome == "below the WHO cut-off, explained by Iron deficiency"


def test_r5_checks_name_what_is_missing() -> None:
    rec = record(labs=tuple(r for r in NORMAL if r.analyte is not Analyte.SPEP_IFE))
    assessment = assess(rec, AS_OF)
    assert assessment.recommendation is not None
    checks = {c.label: c.outcome for c in assessment.recommendation.checks}
    assert checks["SPEP with serum immunofixation"] == "missing"


def test_r6_check_marks_the_borderline_item() -> None:
    rec = record(labs=with_labs(NORMAL, lab(Analyte.FLC_RATIO, 2.0)))
    assessment = assess(rec, AS_OF)
    assert assessment.recommendation is not None
    checks = {c.label: c.outcome for c in assessment.recommendation.checks}
    assert checks["Serum free light chains kappa, lambda and ratio"] == "abnormal (I-FLC)"


def test_assess_is_deterministic() -> None:
    rec = record(mris=(mri(ImagingClass.DIFFUSE),))
    assert assess(rec, AS_OF) == assess(rec, AS_OF)


def test_r8_check_reports_value_outside_range_that_meets_no_criterion() -> None:
    rec = record(labs=with_labs(NORMAL, lab(Analyte.WBC, 14.0, low=4.0, high=11.0)))
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R8"
    assert assessment.recommendation is not None
    (cbc,) = [c for c in assessment.recommendation.checks if c.label == "CBC with differential"]
    assert cbc.outcome == (
        "outside reference range, no SPEC.md section 5 criterion met: White cell count above 11"
    )


def test_r8_check_b2m_judged_against_spec_default_limits() -> None:
    rec = record(labs=with_labs(NORMAL, lab(Analyte.BETA2_MICROGLOBULIN, 2.71)))
    assessment = assess(rec, AS_OF)
    assert assessment.recommendation is not None
    checks = {c.label: c.outcome for c in assessment.recommendation.checks}
    assert checks["Beta-2 microglobulin"].endswith("Beta-2 microglobulin above 2.7")


def test_corrected_calcium_pairs_the_albumin_nearest_in_time() -> None:
    # total Ca 2.6 sixty days ago with albumin 2.0 g/dL that day; a newer albumin 4.5 today
    labs = with_labs(
        NORMAL,
        lab(Analyte.CALCIUM_TOTAL, 2.6, high=2.6, days_ago=60),
        lab(Analyte.ALBUMIN, 4.5, days_ago=1),
        lab(Analyte.ALBUMIN, 2.0, days_ago=60, reference="Observation/alb-same-day"),
    )
    (u_c,) = [f for f in assess(record(labs=labs), AS_OF).flags if f.id == "U-C"]
    assert "Observation/alb-same-day" in u_c.evidence[0].label


def test_escalation_equivocal_to_multiple_focal_lesions() -> None:
    prior = mri(ImagingClass.FOCAL_EQUIVOCAL, days_ago=200)
    index = mri(ImagingClass.FOCAL_MULTIPLE)
    assessment = assess(record(mris=(index, prior)), AS_OF)
    assert assessment.rule_id == "R2"
    (imaging,) = [f for f in assessment.flags if f.id == "H-IMAGING"]
    assert "progressed to multiple focal lesions" in imaging.criterion


def test_r5_check_not_evaluable_shows_what_the_lab_sent() -> None:
    bad = lab(Analyte.PLATELETS, None, evaluable=False, as_sent="250 x10E9/L?")
    rec = record(labs=with_labs(NORMAL, bad))
    assessment = assess(rec, AS_OF)
    assert assessment.rule_id == "R5"
    assert assessment.recommendation is not None
    (cbc,) = [c for c in assessment.recommendation.checks if c.label == "CBC with differential"]
    assert cbc.outcome == "not evaluable"
    platelets = [e for e in cbc.evidence if e.reference == bad.reference]
    assert platelets
    assert platelets[0].as_sent == "250 x10E9/L?"
    assert platelets[0].value is None


def test_r5_check_stale_abnormal_says_repeat_to_confirm() -> None:
    rec = record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 9.0, days_ago=120)))
    assessment = assess(rec, AS_OF)
    assert assessment.recommendation is not None
    (cbc,) = [c for c in assessment.recommendation.checks if c.label == "CBC with differential"]
    assert cbc.outcome == (
        "stale (older than 90 days), abnormal (U-A, H-ANAEMIA: Haemoglobin 9.0 g/dL "
        "(2026-02-01)): repeat to confirm"
    )
    assert assessment.flags == ()  # a stale result never fires a flag


def test_escalation_judged_against_the_latest_comparable_prior_only() -> None:
    # nonspecific 3 years ago -> diffuse 2 years ago (escalated then) -> diffuse now: stable
    history = (
        mri(ImagingClass.DIFFUSE),
        mri(ImagingClass.DIFFUSE, days_ago=730),
        mri(ImagingClass.NONSPECIFIC, days_ago=1100),
    )
    assessment = assess(record(mris=history), AS_OF)
    assert assessment.rule_id == "R7", assessment.reason
    assert assessment.recommendation is not None
    assert "stable on MRI since 2024-06-01" in assessment.recommendation.decision


def test_escalation_compares_the_latest_prior_of_the_same_region() -> None:
    from logic.model import Region

    history = (
        mri(ImagingClass.DIFFUSE),
        mri(ImagingClass.NONSPECIFIC, days_ago=100, region=Region.PELVIS),
        mri(ImagingClass.NONSPECIFIC, days_ago=400),
    )
    assert assess(record(mris=history), AS_OF).rule_id == "R4"


def test_the_stale_view_derived_from_the_current_facts_reads_as_one_built_anew() -> None:
    # situation() derives the stale view (Facts.in_mode) from the current facts, sharing the
    # index MRI and the per-analyte orderings already worked out: the same flags as a stale
    # view built from the record, whichever caches the current facts had filled.
    from logic.context import Facts
    from logic.flags import evaluate

    labs = (
        *with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 9.0, days_ago=120)),
        lab(Analyte.PLATELETS, 90.0, days_ago=400),
        lab(Analyte.CALCIUM_TOTAL, 3.1, days_ago=200),
    )
    rec = record(labs=labs, mris=(mri(ImagingClass.NONSPECIFIC),))
    fresh = Facts.of(rec, AS_OF, current_only=False)
    for warm in (False, True):
        current = Facts.of(rec, AS_OF)
        if warm:
            evaluate(current)  # fills the index MRI and the orderings of the current view
        stale = current.in_mode(current_only=False)
        assert stale.labs.current_only is False
        assert stale.exempt is current.exempt
        assert evaluate(stale, labs_only=True) == evaluate(fresh, labs_only=True)
        assert evaluate(stale) == evaluate(fresh)
        assert stale.index == fresh.index
        if warm:
            assert stale.index_choice is current.index_choice
        for analyte in Analyte:
            assert stale.labs.history(analyte) == fresh.labs.history(analyte)
            assert stale.labs.decisive(analyte) == fresh.labs.decisive(analyte)
