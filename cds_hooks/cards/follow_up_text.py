"""What the surveillance card (R7, R8) says about its follow-up MRI (SPEC.md section 5,
"Follow-up status"): in clinical words, under 140 characters in the summary.

- Overdue: "Follow-up MRI overdue since 2026-04-12: nonspecific marrow change on lumbar spine MRI
  of 2025-10-12; order the MRI now". Overdue by more than 6 months: indicator `warning`.
- Already ordered: "Follow-up MRI ordered on 2026-05-02, not yet done (due 2026-04-12): ...".
- Not yet due: the summary says when ("repeat MRI by 2026-12-01"); the occurrence period of
  the suggested MRI is counted from the index MRI date.

The card's `detail` gets a "Follow-up MRI" section right under the decision: the due date and
how it was counted, the index MRI, the order already placed (reference, status, date) and what
does not count (a completed or revoked order with no newer MRI).
"""

from __future__ import annotations

from typing import Literal

from cds_hooks.cards.detail import REGION_WORDS, clinical_words, shorten
from cds_hooks.cards.document import Bullets
from logic.model import FollowUp, FollowUpState, ImagingReport, PlacedOrder, Recommendation

Indicator = Literal["info", "warning", "critical"]


def _mri(report: ImagingReport) -> str:
    """ "lumbar spine MRI of 2025-10-12"."""
    region = REGION_WORDS.get(report.region, "")
    name = f"{region} MRI" if region else "MRI"
    return f"{name} of {report.effective.date().isoformat()}"


def _authored(order: PlacedOrder) -> str:
    return order.authored.date().isoformat() if order.authored is not None else "an unknown date"


def follow_up_indicator(recommendation: Recommendation) -> Indicator | None:
    """`warning` when the follow-up MRI is overdue by more than 6 months, else None (the rule's
    own indicator stands). The topic stays `surveillance`."""
    status = recommendation.follow_up
    if status is not None and status.long_overdue:
        return "warning"
    return None


def follow_up_summary(recommendation: Recommendation, finding: str) -> str | None:
    """The summary of a surveillance card (R7/R8) whose follow-up MRI is overdue or already
    ordered, `finding` in its rule's words ("Diffuse marrow change"); None when it is simply
    not yet due (the rule's summary then says when)."""
    status = recommendation.follow_up
    if status is None:
        return None
    finding = finding.lower()
    mri = _mri(status.index)
    due = status.due.isoformat()
    if status.state is FollowUpState.ORDERED:
        when = _authored(status.ordered[0])
        timing = f"overdue since {due}" if status.overdue else f"due by {due}"
        return shorten(
            f"Follow-up MRI ordered on {when}, not yet done ({timing}): {finding} on {mri}"
        )
    if status.state is FollowUpState.OVERDUE:
        return shorten(f"Follow-up MRI overdue since {due}: {finding} on {mri}; order the MRI now")
    return None


def _order_line(order: PlacedOrder) -> str:
    return (
        f"{order.text or 'MRI'} ({order.reference}, {order.status}), ordered on {_authored(order)}"
    )


def follow_up_section(recommendation: Recommendation) -> Bullets | None:
    """The "Follow-up MRI" section of the card's detail, in clinical words (the index MRI's and
    the orders' FHIR references are in the card's extension, `clinical_words`)."""
    status = recommendation.follow_up
    if status is None:
        return None
    lines = [_due_line(status)]
    if status.state is FollowUpState.ORDERED:
        first, *others = status.ordered
        lines.append(
            f"Already ordered, not yet done: {_order_line(first)}. No second MRI is suggested."
        )
        lines.extend(f"Also ordered: {_order_line(o)}." for o in others)
    elif status.state is FollowUpState.OVERDUE:
        months = "more than 6 months" if status.long_overdue else "up to 6 months"
        lines.append(
            f"Overdue since {status.due.isoformat()} ({months}): no newer MRI of the "
            f"{REGION_WORDS.get(status.index.region) or 'same region'} was found and no "
            "follow-up MRI is ordered. Order it now."
        )
    elif status.window is not None:
        start, end = status.window
        lines.append(f"Not yet due: to be done between {start.isoformat()} and {end.isoformat()}.")
    if status.state is not FollowUpState.ORDERED:
        lines.extend(
            f"Not counted: {_order_line(o)} is {o.status}, and no newer MRI was found."
            for o in status.not_counted
        )
        if status.orders_gap is not None:
            lines.append(
                "Orders already placed could not be checked "
                f"({status.orders_gap.reason}): check that a follow-up MRI is not already "
                "ordered before ordering one."
            )
    return Bullets("Follow-up MRI", tuple(clinical_words(line) for line in lines))


def _due_line(status: FollowUp) -> str:
    why = (
        "a later interval: an earlier MRI showed the finding stable"
        if status.later_interval
        else "the end of the first 3-6 month interval"
    )
    reference = status.index.reference
    return (
        f"Due {status.due.isoformat()}: {status.interval_months} months after the "
        f"{_mri(status.index)} ({reference}; {why})."
    )
