"""Follow-up status of surveillance: closing the loop (SPEC.md section 5, "Follow-up status").

A surveillance decision (R7, R8) is only useful if the follow-up MRI happens. This module knows
when it is due and whether it happened, was ordered, or is overdue. Pure: `as_of` is an
argument, nothing reads the clock.

- Due date: 6 months after the index MRI (the end of the first 3-6 month interval), or 12
  months after it once an earlier MRI showed the finding stable (a later interval). Calendar
  months (`logic.context.add_months`): 6 months after 12 March is 12 September, and from the
  31st the last day of a shorter month.
- Overdue: the day after the due date, when no newer MRI covering the region of the finding
  exists. The due date itself is not overdue. Overdue by more than 6 months starts the day after
  due date + 6 months: the card is then a warning.
- A newer MRI closes the loop only when it covers the region of the finding (SPEC.md section 2):
  the same region, or a whole-body MRI. A pelvis MRI does not close a lumbar finding; a
  spine MRI whose region is "spine" (whole, thoracic or unspecified: the report codes do not
  tell a whole-spine study from a thoracic one) does not close a lumbar finding either, the
  cautious reading. The interval is then counted from that newer MRI.
- Already ordered: an active or on-hold ServiceRequest with order key `mri-followup` or an MR
  spine / sacrum / pelvis code (`PlacedOrder.follow_up_mri`), authored after the MRI the
  interval is counted from, whether before or after the due date. A completed or revoked order
  does not count (with no newer MRI the follow-up is still overdue); neither does an order
  without an authored date (it cannot be placed after the MRI). No duplicate is ever offered.
- Not yet due: the MRI's occurrence period is counted from the index MRI date, never from
  today: from index + the interval's lower bound (or today, when that has passed) to the due
  date. An MRI 4 months old is followed up in 0-2 months, not in 3-6.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Final

from logic import thresholds as t
from logic.context import add_months
from logic.labs import dated_after
from logic.model import (
    DataGap,
    FollowUp,
    FollowUpState,
    ImagingReport,
    OrderSuggestion,
    PlacedOrder,
    Region,
)

FOLLOW_UP_KEY: Final = "mri-followup"
# Statuses of an order that is placed and not yet done (SPEC.md section 5).
PENDING_STATUSES: Final = frozenset({"active", "on-hold"})
# Statuses of a follow-up order that do not count (SPEC.md section 5), named on the card.
NOT_COUNTED_STATUSES: Final = frozenset({"completed", "revoked"})

# Which newer MRI regions cover the region of a finding (SPEC.md section 2: regions are
# replaced separately; whole spine covers the spinal regions). A whole-body MRI covers every
# region; "spine" covers only "spine" (it may be a thoracic study: see the module docstring).
_COVERED_BY: Final[dict[Region, frozenset[Region]]] = {
    Region.LUMBAR_SPINE: frozenset({Region.LUMBAR_SPINE, Region.WHOLE_BODY}),
    Region.SACRUM: frozenset({Region.SACRUM, Region.WHOLE_BODY}),
    Region.PELVIS: frozenset({Region.PELVIS, Region.WHOLE_BODY}),
    Region.SPINE: frozenset({Region.SPINE, Region.WHOLE_BODY}),
    Region.SACROILIAC: frozenset({Region.SACROILIAC, Region.WHOLE_BODY}),
    Region.WHOLE_BODY: frozenset({Region.WHOLE_BODY}),
    Region.OTHER: frozenset(),
}


def covers(newer: ImagingReport, finding_region: Region) -> bool:
    """A newer MRI covers the region of the finding: only then does it close the loop."""
    return newer.region in _COVERED_BY.get(finding_region, frozenset())


def due_months(later_interval: bool) -> int:
    """6 months in the first interval, 12 once an earlier MRI showed the finding stable."""
    return t.FOLLOW_UP_DUE_LATER_MONTHS if later_interval else t.FOLLOW_UP_DUE_FIRST_MONTHS


def due_date(index_day: date, later_interval: bool) -> date:
    return add_months(index_day, due_months(later_interval))


def is_overdue(due: date, today: date) -> bool:
    """The due date itself is not overdue; the day after is."""
    return today > due


def is_long_overdue(due: date, today: date) -> bool:
    """Overdue by more than 6 months: from the day after due date + 6 months."""
    return today > add_months(due, t.FOLLOW_UP_LONG_OVERDUE_MONTHS)


def latest_covering_mri(
    index: ImagingReport, mri_reports: Iterable[ImagingReport], as_of: datetime
) -> ImagingReport:
    """The MRI the interval is counted from: the index, or a newer MRI (not dated after
    `as_of`) that covers the region of the index finding, whichever is newest."""
    latest = index
    for report in mri_reports:
        if report.effective <= latest.effective or dated_after(report.effective, as_of):
            continue
        if covers(report, index.region):
            latest = report
    return latest


def authored_after(order: PlacedOrder, mri: ImagingReport) -> bool:
    """The order was authored after the MRI was done (an order without a date cannot be)."""
    return order.authored is not None and order.authored > mri.effective


def split_orders(
    orders: Iterable[PlacedOrder], mri: ImagingReport, as_of: datetime
) -> tuple[tuple[PlacedOrder, ...], tuple[PlacedOrder, ...]]:
    """(counted, not counted) follow-up MRI orders authored after `mri`, newest first.

    Counted: active or on-hold. Not counted (shown on the card): completed or revoked. Orders
    authored after `as_of` (beyond the clock-skew tolerance) are not read."""
    counted: list[PlacedOrder] = []
    closed: list[PlacedOrder] = []
    for order in orders:
        if not order.follow_up_mri or not authored_after(order, mri):
            continue
        assert order.authored is not None
        if dated_after(order.authored, as_of):
            continue
        if order.status in PENDING_STATUSES:
            counted.append(order)
        elif order.status in NOT_COUNTED_STATUSES:
            closed.append(order)
    return _newest_first(counted), _newest_first(closed)


def _newest_first(orders: list[PlacedOrder]) -> tuple[PlacedOrder, ...]:
    orders.sort(key=lambda o: o.reference)
    orders.sort(key=lambda o: o.authored or datetime.min, reverse=True)
    return tuple(orders)


def follow_up_status(
    index: ImagingReport,
    *,
    later_interval: bool,
    mri_months: tuple[int, int],
    mri_reports: Sequence[ImagingReport],
    orders: Sequence[PlacedOrder],
    as_of: datetime,
    orders_gap: DataGap | None = None,
) -> FollowUp:
    """The follow-up MRI of a surveillance decision at `as_of` (SPEC.md section 5).

    `later_interval`: an earlier MRI showed the finding stable; `mri_months`: the surveillance
    MRI interval of the stage, (3, 6), (6, 12) or (12, 12), whose lower bound opens the
    occurrence period of a follow-up that is not yet due."""
    mri = latest_covering_mri(index, mri_reports, as_of)
    today = as_of.date()
    mri_day = mri.effective.date()
    due = due_date(mri_day, later_interval)
    overdue = is_overdue(due, today)
    counted, not_counted = split_orders(orders, mri, as_of)
    if counted:
        state = FollowUpState.ORDERED
    elif overdue:
        state = FollowUpState.OVERDUE
    else:
        state = FollowUpState.NOT_DUE
    window = None
    if not overdue:
        window = (max(add_months(mri_day, mri_months[0]), today), due)
    return FollowUp(
        state=state,
        index=mri,
        due=due,
        interval_months=due_months(later_interval),
        later_interval=later_interval,
        overdue=overdue,
        long_overdue=overdue and is_long_overdue(due, today),
        window=window,
        ordered=counted,
        not_counted=not_counted,
        orders_gap=orders_gap,
    )


def mri_order(status: FollowUp, stage_note: str) -> OrderSuggestion | None:
    """The follow-up MRI to suggest: none when one is already ordered (never a duplicate);
    overdue: now (routine, no occurrence period); else in the window counted from the index."""
    if status.state is FollowUpState.ORDERED:
        return None
    if status.overdue:
        return OrderSuggestion(
            FOLLOW_UP_KEY,
            "routine",
            note=f"follow-up MRI overdue since {status.due.isoformat()}: order now",
        )
    assert status.window is not None
    start, end = status.window
    return OrderSuggestion(FOLLOW_UP_KEY, start=start, end=end, note=stage_note)


def decision_sentence(status: FollowUp) -> str:
    """What the decision sentence of the R7/R8 card says about the follow-up MRI."""
    title = status.index.title.strip() or "MRI"
    mri = f"{title} of {status.index.effective.date().isoformat()}"
    due = status.due.isoformat()
    if status.state is FollowUpState.ORDERED:
        ordered = status.ordered[0]
        when = ordered.authored.date().isoformat() if ordered.authored else "an unknown date"
        done = "overdue since" if status.overdue else "due by"
        return f"The follow-up MRI was ordered on {when} and is not yet done ({done} {due})."
    if status.state is FollowUpState.OVERDUE:
        return (
            f"The follow-up MRI is overdue since {due} ({status.interval_months} months after "
            f"{mri}): order it now."
        )
    return f"Follow-up MRI due by {due} ({status.interval_months} months after {mri})."


# ------------------------------------------------------------------------------ catalogue

CATALOGUE_LINES: Final[tuple[str, ...]] = (
    "Applies to the surveillance decisions R7 and R8 (card topic `surveillance`).",
    "Due date: "
    f"{t.FOLLOW_UP_DUE_FIRST_MONTHS} months after the index MRI (the end of the first 3-6 "
    f"month interval), or {t.FOLLOW_UP_DUE_LATER_MONTHS} months after it once an earlier MRI "
    "showed the finding stable. Dates are calendar dates in calendar months: 6 months after "
    "12 March is 12 September; from the 31st, the last day of a shorter month (31 August + 6 "
    "months = 28 or 29 February).",
    "Not yet due: the follow-up MRI is suggested with an occurrence period counted from the "
    "index MRI date, never from today (an MRI 4 months old is followed up in 0-2 months, not "
    "in 3-6).",
    "Overdue: from the day after the due date (the due date itself is not overdue), when no "
    "newer MRI covering the region of the finding exists (the same region, or a whole-body "
    "MRI; a pelvis or brain MRI does not close a lumbar finding). The card says the follow-up "
    "MRI is overdue since the due date, names the index MRI and its date, and suggests the MRI "
    "now (routine, no future occurrence period).",
    f"Overdue by more than {t.FOLLOW_UP_LONG_OVERDUE_MONTHS} months (from the day after due "
    f"date + {t.FOLLOW_UP_LONG_OVERDUE_MONTHS} months): the card is a `warning` (else `info`); "
    "the topic stays `surveillance`.",
    "Already ordered: an active or on-hold order with key `mri-followup` or an MR spine / "
    "sacrum / pelvis code, authored after the index MRI (before or after the due date): the "
    'card says "ordered on <date>, not yet done" and suggests no second MRI. A completed or '
    "revoked order does not count: with no newer MRI the follow-up is still overdue. An order "
    "without an authored date does not count either.",
    "Orders already placed come from a narrow query (ServiceRequest by patient, status active "
    "or on-hold, and the follow-up MRI codes). When they cannot be obtained it is a data gap: "
    "the card says an existing order could not be checked.",
)


def pending_orders(
    index: ImagingReport | None,
    mri_reports: Sequence[ImagingReport],
    orders: Sequence[PlacedOrder],
    as_of: datetime,
) -> tuple[PlacedOrder, ...]:
    """Follow-up MRI orders placed and not done at `as_of`: active or on hold, authored after
    the latest MRI covering the region of the index finding (without an index MRI: any such
    order), newest first (order review: a drafted MRI is then a duplicate)."""
    if index is None:
        found = [
            o
            for o in orders
            if o.follow_up_mri
            and o.status in PENDING_STATUSES
            and not (o.authored is not None and dated_after(o.authored, as_of))
        ]
        return _newest_first(found)
    counted, _ = split_orders(orders, latest_covering_mri(index, mri_reports, as_of), as_of)
    return counted
