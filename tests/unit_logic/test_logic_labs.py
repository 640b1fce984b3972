"""Lab selection helpers (logic.labs, logic.context): current / stale / future, comparators,
reference limits, computed values, calendar months."""

from __future__ import annotations

from datetime import date

import pytest

from logic.context import Facts, add_months, chronic_low_egfr
from logic.labs import (
    LabView,
    above,
    at_least,
    below,
    corrected_calcium_mmol_l,
    flc_ratio,
    flc_ratio_range,
    is_current,
    outside_limits,
    reference_limits,
    superseded,
    who_anaemia_cutoff,
)
from logic.model import Analyte, Finding, Sex
from logic.panel import Status, panel_state
from tests.unit_logic.factories import AS_OF, lab, mri, normal_panel, record


@pytest.mark.parametrize(
    ("days_ago", "current"),
    [
        pytest.param(0, True, id="same_instant_current"),
        pytest.param(90, True, id="90_days_current"),
        pytest.param(90.01, False, id="just_over_90_days_stale"),
        pytest.param(-0.01, True, id="minutes_after_as_of_within_clock_skew_current"),
        pytest.param(-1, True, id="24_h_after_as_of_within_clock_skew_current"),
        pytest.param(-1.01, False, id="over_24_h_after_as_of_ignored"),
    ],
)
def test_current_window(days_ago: float, current: bool) -> None:
    assert is_current(lab(Analyte.HAEMOGLOBIN, 13.0, days_ago=days_ago), AS_OF) is current


def test_newer_not_evaluable_result_supersedes_older_evaluable_one() -> None:
    # SPEC.md §2: the newest result in the window decides; an unknown unit is never assumed
    bad = lab(Analyte.HAEMOGLOBIN, 5.0, evaluable=False, days_ago=1)
    good = lab(Analyte.HAEMOGLOBIN, 13.0, days_ago=20)
    view = LabView((bad, good), AS_OF)
    assert not is_current(bad, AS_OF)
    assert view.latest(Analyte.HAEMOGLOBIN) is None
    assert superseded(view, Analyte.HAEMOGLOBIN) == (good,)
    # the stale view still reads the superseded value (to find it abnormal: repeat to confirm)
    assert LabView((bad, good), AS_OF, current_only=False).latest(Analyte.HAEMOGLOBIN) is good


def test_older_not_evaluable_result_does_not_hide_newer_evaluable_one() -> None:
    bad = lab(Analyte.HAEMOGLOBIN, 5.0, evaluable=False, days_ago=20)
    good = lab(Analyte.HAEMOGLOBIN, 13.0, days_ago=1)
    assert LabView((bad, good), AS_OF).latest(Analyte.HAEMOGLOBIN) is good


def test_latest_current_or_none_stale_view_reads_older() -> None:
    old = lab(Analyte.HAEMOGLOBIN, 9.0, days_ago=100)
    assert LabView((old,), AS_OF).latest(Analyte.HAEMOGLOBIN) is None
    assert LabView((old,), AS_OF, current_only=False).latest(Analyte.HAEMOGLOBIN) is old
    assert LabView((old,), AS_OF).is_stale(Analyte.HAEMOGLOBIN)


def test_indeterminate_finding_counts_as_not_evaluable() -> None:
    labs = tuple(r for r in normal_panel() if r.analyte is not Analyte.SPEP_IFE)
    labs += (lab(Analyte.SPEP_IFE, None, finding=Finding.INDETERMINATE),)
    states = {s.item.order_key: s.status for s in panel_state(LabView(labs, AS_OF)).items}
    assert states["spep-ife"] is Status.NOT_EVALUABLE


def test_panel_calcium_satisfied_by_lab_corrected_calcium_alone() -> None:
    kept = [r for r in normal_panel() if r.analyte not in (Analyte.CALCIUM_TOTAL, Analyte.ALBUMIN)]
    labs = (*kept, lab(Analyte.CALCIUM_ALBUMIN_CORRECTED, 2.4))
    assert panel_state(LabView(labs, AS_OF)).gating_complete


def test_panel_renal_satisfied_by_egfr_alone_cbc_needs_all_four() -> None:
    labs = tuple(r for r in normal_panel() if r.analyte is not Analyte.CREATININE)
    assert panel_state(LabView(labs, AS_OF)).gating_complete
    no_neutrophils = tuple(
        r for r in normal_panel() if r.analyte is not Analyte.NEUTROPHILS_ABSOLUTE
    )
    assert not panel_state(LabView(no_neutrophils, AS_OF)).gating_complete


def test_comparators_never_establish_the_other_side() -> None:
    assert above(lab(Analyte.M_PROTEIN, 0.1), 0.0)
    assert not above(lab(Analyte.M_PROTEIN, 0.1, comparator="<"), 0.0)
    assert not above(lab(Analyte.M_PROTEIN, 0.1, comparator="<="), 0.0)
    assert below(lab(Analyte.FLC_RATIO, 0.1, comparator="<"), 0.125)
    assert not below(lab(Analyte.FLC_RATIO, 0.1, comparator=">"), 0.125)
    assert above(lab(Analyte.FLC_RATIO, 100.0, comparator=">"), 8.0)


def test_float_noise_at_a_boundary_is_not_above() -> None:
    assert not above(lab(Analyte.CALCIUM_TOTAL, 2.85), 2.6 + 0.25)
    assert at_least(lab(Analyte.FLC_RATIO, 100.0), 100.0)


def test_corrected_calcium_formula_in_mmol() -> None:
    # 10.0 mg/dL with albumin 3.0 g/dL -> 10.8 mg/dL = 2.6946 mmol/L
    assert corrected_calcium_mmol_l(10.0 * 0.2495, 3.0) == pytest.approx(10.8 * 0.2495)
    assert corrected_calcium_mmol_l(2.4, 4.0) == pytest.approx(2.4)


def test_flc_ratio_computed_from_kappa_and_lambda_when_not_sent() -> None:
    kappa = lab(Analyte.FLC_KAPPA, 40.0, reference="Observation/k")
    lam = lab(Analyte.FLC_LAMBDA, 10.0, reference="Observation/l")
    ratio = flc_ratio(LabView((kappa, lam), AS_OF))
    assert ratio is not None
    assert ratio.value == pytest.approx(4.0)
    assert ratio.derived_from == ("Observation/k", "Observation/l")


def test_flc_ratio_range_renal_overrides_lab_range() -> None:
    ratio = lab(Analyte.FLC_RATIO, 2.0, low=0.3, high=1.5)
    assert flc_ratio_range(ratio, True) == (0.37, 3.10, True)
    assert flc_ratio_range(ratio, False) == (0.3, 1.5, False)
    assert flc_ratio_range(lab(Analyte.FLC_RATIO, 2.0), False) == (0.26, 1.65, False)


@pytest.mark.parametrize(
    ("sex", "cutoff"), [(Sex.MALE, 13.0), (Sex.FEMALE, 12.0), (Sex.UNKNOWN, 12.0)]
)
def test_who_cutoffs(sex: Sex, cutoff: float) -> None:
    assert who_anaemia_cutoff(sex) == cutoff


def test_reference_limits_from_result_else_spec_defaults() -> None:
    assert reference_limits(lab(Analyte.CALCIUM_TOTAL, 2.4), Sex.MALE) == (2.1, 2.6)
    assert reference_limits(lab(Analyte.CALCIUM_TOTAL, 2.4, low=2.2, high=2.55), Sex.MALE) == (
        2.2,
        2.55,
    )
    assert reference_limits(lab(Analyte.HAEMOGLOBIN, 14.0), Sex.MALE) == (13.0, None)
    assert outside_limits(lab(Analyte.CALCIUM_IONIZED, 1.34), Sex.MALE) == "above 1.33"
    assert outside_limits(lab(Analyte.LDH, 900.0), Sex.MALE) is None  # "lab": no default


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 6, 1), 6, date(2026, 12, 1)),
        (date(2026, 6, 1), 12, date(2027, 6, 1)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_known_ckd_by_two_low_egfr_more_than_3_months_apart() -> None:
    exactly_3_months = (
        lab(Analyte.EGFR, 50.0, days_ago=0),
        lab(Analyte.EGFR, 50.0, days_ago=92),  # 2026-03-01 -> 2026-06-01: exactly 3 months
    )
    more_than = (lab(Analyte.EGFR, 50.0, days_ago=0), lab(Analyte.EGFR, 50.0, days_ago=93))
    assert chronic_low_egfr(LabView(exactly_3_months, AS_OF)) is None
    assert chronic_low_egfr(LabView(more_than, AS_OF)) is not None


def test_index_report_skips_mri_dated_beyond_clock_skew_after_as_of() -> None:
    future, past = mri(days_ago=-1.01), mri(days_ago=10)
    facts = Facts.of(record(mris=(future, past)), AS_OF)
    assert facts.index is past


def test_index_report_is_the_newest_whatever_the_order_received() -> None:
    older, newer = mri(days_ago=300), mri(days_ago=10)
    facts = Facts.of(record(mris=(older, newer)), AS_OF)
    assert facts.index is newer
    assert facts.priors == (older,)


def test_latest_current_remembered_per_view_answers_as_its_definition() -> None:
    # latest_current remembers its answers per view (shared with the view in the other mode):
    # each answer, asked first in either view, again, and after the other mode filled the
    # memo, is the newest result in the window when it is usable, else None.
    from logic.labs import is_usable, latest_current

    labs = (
        lab(Analyte.HAEMOGLOBIN, 11.0, days_ago=5),
        lab(Analyte.HAEMOGLOBIN, 9.0, days_ago=40),
        lab(Analyte.PLATELETS, None, evaluable=False, days_ago=3),  # supersedes the next
        lab(Analyte.PLATELETS, 90.0, days_ago=30),
        lab(Analyte.CALCIUM_TOTAL, 3.1, days_ago=200),  # stale only
        lab(Analyte.CREATININE, 150.0, days_ago=-3),  # after as_of beyond the skew
        lab(Analyte.ALBUMIN, 40.0, days_ago=10),
    )

    def definition(analyte: Analyte) -> object:
        found = LabView(labs, AS_OF).decisive(analyte)
        return found if found is not None and is_usable(found, AS_OF) else None

    expected = {analyte: definition(analyte) for analyte in Analyte}
    assert expected[Analyte.HAEMOGLOBIN] is labs[0]
    assert expected[Analyte.PLATELETS] is None
    assert expected[Analyte.CALCIUM_TOTAL] is None
    assert expected[Analyte.ALBUMIN] is labs[6]
    for first_mode in (True, False):
        view = LabView(labs, AS_OF, current_only=first_mode)
        for analyte in Analyte:
            assert latest_current(view, analyte) is expected[analyte]
        other = view.in_mode(not first_mode)
        for analyte in reversed(Analyte):
            assert latest_current(other, analyte) is expected[analyte]
            assert latest_current(view, analyte) is expected[analyte]
        fresh = LabView(labs, AS_OF, current_only=first_mode).in_mode(not first_mode)
        assert [latest_current(fresh, a) for a in Analyte] == [expected[a] for a in Analyte]
