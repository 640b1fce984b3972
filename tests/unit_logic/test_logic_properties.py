"""Invariants of `logic.assess` over generated records (hypothesis): it never fails, R0 has
no recommendation, every flag carries evidence, orders are SPEC.md section 7 keys scheduled
after `as_of`, missing data never grounds a recommendation, suppression always silences."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logic import assess
from logic.model import (
    Analyte,
    ConditionCategory,
    DataDomain,
    DataGap,
    FeatureKind,
    Finding,
    ImagingClass,
    IntervalChange,
    LabResult,
    PatientFacts,
    PatientRecord,
    Sex,
    Tier,
)
from logic.order_catalogue import ORDER_KEYS
from tests.unit_logic.factories import AS_OF, condition, feature, lab, mri

labs = st.builds(
    lambda analyte, value, days, evaluable, comparator, high, finding: lab(
        analyte,
        value,
        days_ago=days,
        evaluable=evaluable,
        comparator=comparator,
        high=high,
        finding=finding if analyte in (Analyte.SPEP_IFE, Analyte.URINE_M_PROTEIN_24H) else None,
    ),
    st.sampled_from(list(Analyte)),
    st.floats(min_value=0.0, max_value=400.0, allow_nan=False),
    st.floats(min_value=-5, max_value=400),
    st.booleans(),
    st.sampled_from([None, None, None, "<", ">"]),
    st.one_of(st.none(), st.floats(min_value=0.1, max_value=300.0)),
    st.sampled_from(list(Finding)),
)
features = st.builds(
    lambda kind, negated, value: feature(kind, negated=negated, value=value),
    st.sampled_from(list(FeatureKind)),
    st.booleans(),
    st.one_of(st.none(), st.floats(min_value=0, max_value=60)),
)
reports = st.builds(
    lambda cls, days, feats, count, sizes, change: mri(
        cls,
        days_ago=days,
        features=tuple(feats),
        lesion_count=count,
        sizes=tuple(sizes),
        interval_change=change,
    ),
    st.sampled_from(list(ImagingClass)),
    st.floats(min_value=-5, max_value=2000),
    st.lists(features, max_size=4),
    st.one_of(st.none(), st.integers(min_value=0, max_value=6)),
    st.lists(st.floats(min_value=1, max_value=40), max_size=4),
    st.one_of(st.none(), st.sampled_from(list(IntervalChange))),
)
conditions = st.builds(
    lambda category, active: condition(category, active=active),
    st.sampled_from(list(ConditionCategory)),
    st.booleans(),
)


@st.composite
def records(draw: st.DrawFn) -> PatientRecord:
    mris = sorted(draw(st.lists(reports, max_size=3)), key=lambda r: r.effective, reverse=True)
    gaps = draw(st.sets(st.sampled_from(list(DataDomain)), max_size=2))
    return PatientRecord(
        patient=PatientFacts("Patient/p", sex=draw(st.sampled_from(list(Sex)))),
        labs=tuple(draw(st.lists(labs, max_size=25))),
        mri_reports=tuple(mris),
        conditions=tuple(draw(st.lists(conditions, max_size=3))),
        gaps=tuple(DataGap(d, "timed out") for d in sorted(gaps)),
    )


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(records())
def test_assessment_invariants(rec: PatientRecord) -> None:
    a = assess(rec, AS_OF)
    assert a.rule_id in {f"R{n}" for n in range(9)}
    assert (a.recommendation is None) == (a.rule_id == "R0")
    assert a.reason
    # the record's problems come first; logic adds one warning per result or report dated
    # after as_of (never silent)
    # the gaps shown are the record's, except orders already placed, which only the
    # surveillance cards read (follow-up status)
    shown = tuple(
        g for g in rec.gaps if g.domain is not DataDomain.ORDERS or a.rule_id in ("R7", "R8")
    )
    assert a.problems[: len(rec.problems)] == rec.problems
    assert a.gaps == shown
    added = a.problems[len(rec.problems) :]
    assert all("after the evaluation time" in p.message for p in added)
    dated = (*rec.labs, *rec.mri_reports, *rec.other_imaging)
    assert len(added) == sum(1 for r in dated if r.effective > AS_OF)
    assert all(f.evidence for f in a.flags)
    gaps = {g.domain for g in rec.gaps}
    if DataDomain.IMAGING in gaps:
        assert a.rule_id == "R0"
    if DataDomain.LABS in gaps:
        assert a.rule_id not in ("R5", "R7", "R8")
    if a.rule_id == "R2":
        assert any(f.tier is Tier.URGENT for f in a.flags)
    if a.recommendation is None:
        assert not a.advisories
        return
    assert a.recommendation.rule_id == a.rule_id
    assert sum(s.recommended for s in a.recommendation.order_sets) <= 1
    for order_set in a.recommendation.order_sets:
        for order in order_set.orders:
            assert order.key in ORDER_KEYS
            if order.start is not None:
                # the surveillance MRI is counted from the index MRI: it may be due now
                assert order.start >= AS_OF.date()
                assert order.end is None or order.end >= order.start


@SETTINGS
@given(records())
def test_active_myeloma_always_silences(rec: PatientRecord) -> None:
    myeloma = condition(ConditionCategory.MYELOMA, "ICD-10-CM C90.00", "Multiple myeloma")
    a = assess(replace(rec, conditions=(*rec.conditions, myeloma)), AS_OF)
    assert a.rule_id == "R0"
    assert a.recommendation is None


@SETTINGS
@given(records(), st.lists(labs, max_size=5))
def test_future_dated_results_never_change_the_decision(
    rec: PatientRecord, extra: list[LabResult]
) -> None:
    future = tuple(replace(r, effective=AS_OF.replace(year=2027)) for r in extra)
    before = assess(rec, AS_OF)
    after = assess(replace(rec, labs=rec.labs + future), AS_OF)
    assert after.rule_id == before.rule_id
    assert [f.id for f in after.flags] == [f.id for f in before.flags]
