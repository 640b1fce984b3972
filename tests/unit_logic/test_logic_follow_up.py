"""Follow-up status of surveillance, closing the loop (SPEC.md section 5, issue 12).

Decision-table rows at the due date and the day after, at 6 months overdue and the day after,
for the first interval (due 6 months after the index MRI) and a later one (12 months, once an
earlier MRI showed the finding stable); ordered and not done; a completed order; a newer MRI
that closes the loop and newer MRIs that do not (pelvis, brain); calendar months; the
occurrence period counted from the index MRI; orders that could not be obtained.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from logic import assess
from logic.context import add_months
from logic.follow_up import (
    covers,
    due_date,
    follow_up_status,
    is_long_overdue,
    is_overdue,
    pending_orders,
)
from logic.model import (
    Analyte,
    Assessment,
    ConditionCategory,
    Contrast,
    DataDomain,
    DataGap,
    FollowUp,
    FollowUpState,
    ImagingClass,
    ImagingReport,
    Modality,
    OrderSuggestion,
    PlacedOrder,
    Recommendation,
    Region,
)
from tests.unit_logic.factories import AS_OF, condition, lab, mri, normal_panel, record, with_labs


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def index_mri(day: date, **kw: object) -> ImagingReport:
    return replace(mri(**kw), effective=at(day, 9))  # type: ignore[arg-type]


def evaluate(
    mris: tuple[ImagingReport, ...],
    as_of_day: date,
    *,
    orders: tuple[PlacedOrder, ...] = (),
    gaps: tuple[DataDomain, ...] = (),
) -> Assessment:
    """R8 (nonspecific, normal labs drawn 10 days before `as_of_day`) at noon of that day."""
    as_of = at(as_of_day)
    panel = normal_panel(days_ago=(AS_OF - as_of).total_seconds() / 86400 + 10)
    rec = replace(record(labs=panel, mris=mris, gaps=gaps), orders=orders)
    return assess(rec, as_of)


def recommendation(a: Assessment) -> Recommendation:
    assert a.recommendation is not None, a.reason
    return a.recommendation


def status_of(a: Assessment) -> FollowUp:
    found = recommendation(a).follow_up
    assert found is not None
    return found


def mri_orders(a: Assessment) -> list[OrderSuggestion]:
    return [o for s in recommendation(a).order_sets for o in s.orders if o.key == "mri-followup"]


def order(
    authored: datetime | None,
    status: str = "active",
    *,
    reference: str = "ServiceRequest/sr-1",
    region: Region | None = Region.LUMBAR_SPINE,
    site: str | None = "lumbar",
    contrast: Contrast = Contrast.WITHOUT_AND_WITH,
) -> PlacedOrder:
    return PlacedOrder(
        reference=reference,
        status=status,
        authored=authored,
        text="MRI lumbar spine without and with contrast",
        follow_up_mri=True,
        region=region,
        site=site,
        contrast=contrast,
        intent="order",
        recognised_by="CPT 72158",
    )


# ------------------------------------------------------------------ calendar dates

FIRST_INDEX = date(2025, 12, 12)  # first interval: due 2026-06-12
FIRST_DUE = date(2026, 6, 12)


def test_calendar_months_and_the_last_day_of_a_shorter_month() -> None:
    assert due_date(date(2026, 3, 12), later_interval=False) == date(2026, 9, 12)
    assert due_date(date(2026, 8, 31), later_interval=False) == date(2027, 2, 28)
    assert due_date(date(2027, 8, 31), later_interval=False) == date(2028, 2, 29)  # leap year
    assert due_date(date(2026, 3, 31), later_interval=True) == date(2027, 3, 31)
    assert due_date(FIRST_INDEX, later_interval=False) == FIRST_DUE


def test_the_due_date_is_not_overdue_the_day_after_is() -> None:
    assert not is_overdue(FIRST_DUE, FIRST_DUE)
    assert is_overdue(FIRST_DUE, FIRST_DUE + timedelta(days=1))
    six_months_later = date(2026, 12, 12)
    assert not is_long_overdue(FIRST_DUE, six_months_later)
    assert is_long_overdue(FIRST_DUE, six_months_later + timedelta(days=1))


# ------------------------------------------------------------------ decision-table rows


@pytest.mark.parametrize(
    ("label", "mris", "due", "interval"),
    [
        pytest.param("first", lambda: (index_mri(FIRST_INDEX),), FIRST_DUE, 6, id="first"),
        pytest.param(
            "later",
            lambda: (
                index_mri(date(2025, 6, 12)),
                index_mri(date(2024, 12, 1)),  # the same finding, stable: a later interval
            ),
            date(2026, 6, 12),
            12,
            id="later",
        ),
    ],
)
@pytest.mark.parametrize(
    ("offset", "overdue", "indicator_warning"),
    [
        pytest.param("due", False, False, id="at-due-date"),
        pytest.param("due+1d", True, False, id="day-after-due"),
        pytest.param("due+6m", True, False, id="6-months-overdue"),
        pytest.param("due+6m+1d", True, True, id="day-after-6-months-overdue"),
    ],
)
def test_rows_at_and_after_the_due_date(
    label: str,
    mris: object,
    due: date,
    interval: int,
    offset: str,
    overdue: bool,
    indicator_warning: bool,
) -> None:
    day = {
        "due": due,
        "due+1d": due + timedelta(days=1),
        "due+6m": add_months(due, 6),
        "due+6m+1d": add_months(due, 6) + timedelta(days=1),
    }[offset]
    reports = mris()  # type: ignore[operator]
    a = evaluate(reports, day)
    assert a.rule_id == "R8", a.reason
    status = status_of(a)
    assert (status.due, status.interval_months, status.later_interval) == (
        due,
        interval,
        label == "later",
    )
    assert status.overdue is overdue
    assert status.long_overdue is indicator_warning
    assert status.index.reference == reports[0].reference
    (mri_order,) = mri_orders(a)
    decision = recommendation(a).decision
    if overdue:
        assert status.state is FollowUpState.OVERDUE
        # ordered now: routine, no future occurrence period
        assert (mri_order.priority, mri_order.start, mri_order.end) == ("routine", None, None)
        assert f"overdue since {due.isoformat()}" in decision
        assert f"MR Lumbar spine of {reports[0].effective.date().isoformat()}" in decision
    else:
        assert status.state is FollowUpState.NOT_DUE
        # due today: the period is today (never in 3-6 months from today)
        assert (mri_order.start, mri_order.end) == (due, due)
        assert f"due by {due.isoformat()}" in decision


# ------------------------------------------------------------------ not yet due


def test_an_mri_four_months_old_is_followed_up_in_0_to_2_months() -> None:
    index_day = date(2026, 2, 1)
    a = evaluate((index_mri(index_day),), date(2026, 6, 1))
    (mri_order,) = mri_orders(a)
    assert (mri_order.start, mri_order.end) == (date(2026, 6, 1), date(2026, 8, 1))
    assert status_of(a).state is FollowUpState.NOT_DUE


def test_a_recent_mri_is_followed_up_3_to_6_months_after_the_mri_not_after_today() -> None:
    a = evaluate((index_mri(date(2026, 5, 20)),), date(2026, 6, 1))
    (mri_order,) = mri_orders(a)
    assert (mri_order.start, mri_order.end) == (date(2026, 8, 20), date(2026, 11, 20))


# ------------------------------------------------------------------ already ordered


def test_ordered_and_not_done_offers_no_duplicate() -> None:
    index = index_mri(FIRST_INDEX)
    placed = order(at(date(2026, 7, 2)))
    a = evaluate((index,), date(2026, 8, 1), orders=(placed,))
    status = status_of(a)
    assert status.state is FollowUpState.ORDERED
    assert status.overdue
    assert status.ordered == (placed,)
    assert mri_orders(a) == []  # never a duplicate
    assert "ordered on 2026-07-02 and is not yet done (overdue since 2026-06-12)" in (
        recommendation(a).decision
    )
    # the surveillance labs are still suggested
    keys = {o.key for s in recommendation(a).order_sets for o in s.orders}
    assert {"cbc-diff", "serum-flc"} <= keys


def test_an_order_placed_before_the_due_date_counts_too() -> None:
    placed = order(at(date(2026, 1, 5)), "on-hold")
    a = evaluate((index_mri(FIRST_INDEX),), date(2026, 6, 20), orders=(placed,))
    assert status_of(a).state is FollowUpState.ORDERED
    assert mri_orders(a) == []


def test_an_order_placed_before_the_index_mri_does_not_count() -> None:
    placed = order(at(date(2025, 12, 1)))
    a = evaluate((index_mri(FIRST_INDEX),), date(2026, 6, 20), orders=(placed,))
    assert status_of(a).state is FollowUpState.OVERDUE
    assert len(mri_orders(a)) == 1


@pytest.mark.parametrize("closed", ["completed", "revoked"])
def test_a_completed_or_revoked_order_does_not_count(closed: str) -> None:
    placed = order(at(date(2026, 3, 1)), closed)
    a = evaluate((index_mri(FIRST_INDEX),), date(2026, 6, 20), orders=(placed,))
    status = status_of(a)
    assert status.state is FollowUpState.OVERDUE
    assert status.not_counted == (placed,)
    assert len(mri_orders(a)) == 1
    assert any(f"is {closed}" in n and "still outstanding" in n for n in recommendation(a).notes)


def test_an_order_without_an_authored_date_does_not_count() -> None:
    a = evaluate((index_mri(FIRST_INDEX),), date(2026, 6, 20), orders=(order(None),))
    assert status_of(a).state is FollowUpState.OVERDUE


def test_a_draft_or_a_lab_order_is_not_the_follow_up_mri() -> None:
    draft = order(at(date(2026, 3, 1)), "draft")
    lab_order = replace(order(at(date(2026, 3, 1))), follow_up_mri=False, text="CBC")
    a = evaluate((index_mri(FIRST_INDEX),), date(2026, 6, 20), orders=(draft, lab_order))
    assert status_of(a).state is FollowUpState.OVERDUE


# ------------------------------------------------------------------ a newer MRI


def test_a_newer_mri_of_the_region_closes_the_loop() -> None:
    older = index_mri(FIRST_INDEX)
    newer = index_mri(date(2026, 6, 10))  # the follow-up MRI was done: still nonspecific
    a = evaluate((newer, older), date(2026, 8, 1))
    status = status_of(a)
    assert status.index.reference == newer.reference
    assert not status.overdue
    assert status.state is FollowUpState.NOT_DUE
    assert status.due == date(2027, 6, 10)  # stable on the newer MRI: a later interval


def test_a_newer_normal_mri_of_the_region_ends_the_surveillance() -> None:
    newer = index_mri(date(2026, 6, 10), image_class=ImagingClass.NEGATIVE)
    a = evaluate((newer, index_mri(FIRST_INDEX)), date(2026, 8, 1))
    assert a.rule_id == "R0"


def test_a_newer_pelvis_mri_does_not_close_a_lumbar_finding() -> None:
    pelvis = index_mri(date(2026, 7, 1), image_class=ImagingClass.NEGATIVE, region=Region.PELVIS)
    a = evaluate((pelvis, index_mri(FIRST_INDEX)), date(2026, 8, 1))
    status = status_of(a)
    assert status.state is FollowUpState.OVERDUE
    assert status.index.region is Region.LUMBAR_SPINE


def brain_mri(day: date) -> ImagingReport:
    return replace(
        mri(ImagingClass.NEGATIVE, region=Region.OTHER),
        effective=at(day, 9),
        title="MRI brain without contrast",
    )


def test_a_newer_brain_mri_does_not_close_the_loop() -> None:
    # The mappers never keep a brain MRI among the marrow MRIs (end to end: tests/e2e_rules);
    # the follow-up status does not count one either.
    index = index_mri(FIRST_INDEX)
    status = follow_up_status(
        index,
        later_interval=False,
        mri_months=(3, 6),
        mri_reports=(brain_mri(date(2026, 7, 1)), index),
        orders=(),
        as_of=at(date(2026, 8, 1)),
    )
    assert status.state is FollowUpState.OVERDUE
    assert status.index is index
    assert not covers(brain_mri(date(2026, 7, 1)), Region.LUMBAR_SPINE)


def test_whole_body_mri_covers_every_region_spine_does_not_cover_lumbar() -> None:
    whole_body = replace(mri(region=Region.WHOLE_BODY), modality=Modality.MR)
    spine = mri(region=Region.SPINE)
    assert covers(whole_body, Region.LUMBAR_SPINE)
    assert covers(whole_body, Region.PELVIS)
    assert not covers(spine, Region.LUMBAR_SPINE)  # may be a thoracic study: cautious
    assert covers(mri(region=Region.SACRUM), Region.SACRUM)


# ------------------------------------------------------------------ R7 and missing data


def test_r7_has_the_same_follow_up_status() -> None:
    a = evaluate((index_mri(FIRST_INDEX, image_class=ImagingClass.DIFFUSE),), date(2026, 6, 13))
    assert a.rule_id == "R7"
    assert status_of(a).state is FollowUpState.OVERDUE


def test_orders_not_obtained_is_a_gap_on_the_surveillance_card_only() -> None:
    a = evaluate((index_mri(FIRST_INDEX),), date(2026, 6, 20), gaps=(DataDomain.ORDERS,))
    status = status_of(a)
    assert status.orders_gap == DataGap(DataDomain.ORDERS, "FHIR server timed out")
    assert len(mri_orders(a)) == 1  # overdue: still suggested, with a note
    assert any("could not be checked" in n for n in recommendation(a).notes)
    assert [g.domain for g in a.gaps] == [DataDomain.ORDERS]
    # R4 (unexplained anaemia) does not read the orders: their absence is not shown
    as_of = at(date(2026, 6, 20))
    panel = normal_panel(days_ago=(AS_OF - as_of).total_seconds() / 86400 + 10)
    anaemic = with_labs(
        panel,
        lab(Analyte.HAEMOGLOBIN, 11.0, days_ago=(AS_OF - as_of).total_seconds() / 86400 + 10),
    )
    r4 = assess(
        record(labs=anaemic, mris=(index_mri(FIRST_INDEX),), gaps=(DataDomain.ORDERS,)), as_of
    )
    assert r4.rule_id == "R4"
    assert r4.gaps == ()


def test_no_follow_up_status_on_other_rules() -> None:
    cancer = condition(ConditionCategory.CANCER_HISTORY, "ICD-10-CM Z85.3", "breast cancer")
    as_of = at(date(2026, 6, 20))
    panel = normal_panel(days_ago=(AS_OF - as_of).total_seconds() / 86400 + 10)
    a = assess(record(labs=panel, mris=(index_mri(FIRST_INDEX),), conditions=(cancer,)), as_of)
    assert a.rule_id == "R3"
    assert recommendation(a).follow_up is None


# ------------------------------------------------------------------ order review's view


def test_pending_orders_are_the_counted_ones() -> None:
    index = index_mri(FIRST_INDEX)
    active = order(at(date(2026, 2, 1)))
    done = order(at(date(2026, 2, 2)), "completed", reference="ServiceRequest/sr-2")
    before = order(at(date(2025, 11, 1)), reference="ServiceRequest/sr-3")
    as_of = at(date(2026, 6, 20))
    assert pending_orders(index, (index,), (active, done, before), as_of) == (active,)
    assert pending_orders(None, (), (active, done, before), as_of) == (active, before)
