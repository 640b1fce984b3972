"""What each rule recommends (SPEC.md section 5, column "recommend"): the decision sentence,
the order sets, the notes (pitfalls, escalation, "repeat to confirm") and, for the cards
that do not recommend a biopsy, the checks ("why not biopsy")."""

from __future__ import annotations

from dataclasses import dataclass

from logic import citations as cite
from logic import follow_up, orders
from logic import thresholds as t
from logic.checks import excused_notes, excused_phrase, why_not_biopsy
from logic.context import (
    condition_evidence,
    haematological_history_only,
    limited_life_expectancy,
    mgus,
)
from logic.imaging import benign_features
from logic.model import Check, DataDomain, FollowUp, FollowUpState, OrderSet, Tier
from logic.situation import Situation


@dataclass(frozen=True)
class Plan:
    decision: str
    order_sets: tuple[OrderSet, ...]
    notes: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    follow_up: FollowUp | None = None  # R7/R8: the follow-up MRI's due date and status
    labs_explained: bool = False  # R7/R8: a documented cause explained an abnormal result


ANAEMIA_PITFALL = "Do not delay the marrow biopsy in unexplained anaemia (SPEC.md section 5)."
BENIGN_PITFALL = (
    "MRI appearance alone is not proof of benignity: the labs and the follow-up MRI decide "
    "(SPEC.md section 5)."
)


def benign_pitfall(sit: Situation) -> str:
    """R7/R8 note (SPEC.md section 5 pitfall): the decision leans on a benign-looking MRI, so
    say that the appearance alone proves nothing, naming the benign features the report
    describes. A note on the primary card, not an imaging-protocol card (`logic.advisories`)."""
    index = sit.index
    benign = benign_features(index) if index is not None else ()
    if not benign:
        return BENIGN_PITFALL
    seen = "; ".join(dict.fromkeys(f.label for f in benign))
    return (
        f"MRI appearance alone is not proof of benignity (the report describes: {seen}): the "
        "labs and the follow-up MRI decide (SPEC.md section 5)."
    )


def mgus_notes(sit: Situation) -> tuple[str, ...]:
    """A known MGUS (SPEC.md §2): it counts as a clonal marker (H-MPROTEIN), and the card
    says to evaluate it for progression (IMWG; Kyle et al., Leukemia 2010)."""
    known = mgus(sit.record)
    if not known:
        return ()
    names = ", ".join(dict.fromkeys(c.display for c in known))
    return (
        f"Known MGUS ({names}): evaluate for progression of MGUS (IMWG: follow-up, or sooner "
        f"when symptoms suggestive of a plasma cell malignancy arise; {cite.KYLE_2010_SHORT}).",
    )


def known_cause_notes(sit: Situation) -> tuple[str, ...]:
    """R1-R4 (no "why not biopsy" checks): a known MGUS, and the flags a known cause
    discounted, named with the cause (SPEC.md §2)."""
    return mgus_notes(sit) + excused_notes(sit)


def _ids(sit: Situation, tier: Tier) -> str:
    return ", ".join(f.id for f in sit.tier(tier))


def _labs_gap_note(sit: Situation) -> tuple[str, ...]:
    gap = sit.gap(DataDomain.LABS)
    if gap is None:
        return ()
    return (
        f"Laboratory results could not be obtained ({gap.reason}): missing first-line labs "
        "were not ordered; check them before ordering.",
    )


LIMITED_LIFE_EXPECTANCY = "Limited life expectancy: hospice or palliative care (SPEC.md section 2)"


def goals_of_care(sit: Situation) -> Plan:
    """R1: goals-of-care discussion; biopsy only if it would change management.

    The hospice / palliative-care Conditions the rule rests on are cited as evidence (label,
    Condition reference, code, onset or recorded date) in a check, and named in a note."""
    found = limited_life_expectancy(sit.record)
    why = "; ".join(c.display for c in found)
    # No "do not delay the biopsy" pitfall here: R1 says biopsy only if it would change
    # management, and the two would contradict each other on one card.
    notes = [f"Limited life expectancy: {why}.", *known_cause_notes(sit)]
    flags = ", ".join(f.id for f in sit.flags if f.tier is not Tier.INTERMEDIATE)
    return Plan(
        decision=f"Discuss goals of care before any marrow work-up ({flags}); biopsy only "
        "if it would change management.",
        order_sets=orders.r1_orders(sit),
        notes=tuple(notes),
        checks=(
            Check(LIMITED_LIFE_EXPECTANCY, "present", tuple(condition_evidence(c) for c in found)),
        ),
    )


def _older_abnormal_notes(sit: Situation) -> tuple[str, ...]:
    """R2/R3/R4: stale (or superseded) abnormal results the decision did not rest on, shown so
    that they are repeated, not lost (the lab orders carry "repeat to confirm")."""
    return tuple(
        f"Older abnormal result, repeat to confirm: {s.described()} ({s.flag.id}, result "
        f"{s.why}{'; urgent repeat' if s.urgent else ''})."
        for s in sit.stale_abnormal
    )


def urgent_workup(sit: Situation) -> Plan:
    """R2: URGENT haematology referral, marrow biopsy, whole-body imaging, STAT labs."""
    return Plan(
        decision=f"Possible myeloma-defining event ({_ids(sit, Tier.URGENT)}): urgent "
        "haematology referral, marrow aspirate and biopsy, and whole-body imaging.",
        order_sets=orders.r2_orders(sit),
        notes=_labs_gap_note(sit) + _older_abnormal_notes(sit) + known_cause_notes(sit),
    )


def cancer_staging(sit: Situation) -> Plan:
    """R3: oncology/haematology referral and staging; then targeted or marrow biopsy. A past
    haematological malignancy alone: haematology referral (SPEC.md §2)."""
    if haematological_history_only(sit.record):
        history, referral = "a past haematological malignancy", "haematology referral"
    else:
        history, referral = "a history of cancer", "oncology or haematology referral"
    return Plan(
        decision=f"Marrow signal change with {history}: {referral} and staging imaging (MRI "
        "without and with contrast, or FDG PET/CT), then a targeted or marrow biopsy.",
        order_sets=orders.r3_orders(sit),
        notes=_labs_gap_note(sit) + _older_abnormal_notes(sit) + known_cause_notes(sit),
    )


def biopsy_indicated(sit: Situation) -> Plan:
    """R4: haematology referral and marrow biopsy (not urgent)."""
    notes = [*_labs_gap_note(sit), *_older_abnormal_notes(sit), *known_cause_notes(sit)]
    if sit.has("H-ANAEMIA"):
        notes.append(ANAEMIA_PITFALL)
    return Plan(
        decision=f"Marrow biopsy indicated ({_ids(sit, Tier.HIGH)}): haematology referral "
        "for marrow aspirate and biopsy, not urgent.",
        order_sets=orders.r4_orders(sit),
        notes=tuple(notes),
    )


def first_line_labs(sit: Situation) -> Plan:
    """R5: order the first-line panel; MRI in 3-6 months; re-evaluate with the results."""
    notes = [
        f"{s.flag.id} on a result {s.why}: repeat to confirm ({s.flag.criterion})"
        f"{'; the repeat is urgent (a myeloma-defining level if confirmed)' if s.urgent else ''}."
        for s in sit.stale_abnormal
    ]
    pending = ", ".join(f.id for f in sit.flags)
    if pending:
        notes.append(f"Also present, to be re-evaluated with the results: {pending}.")
    notes.append("Re-evaluate when the results arrive.")
    return Plan(
        decision="First-line laboratory work-up incomplete: order the first-line panel, "
        "MRI in 3-6 months, and re-evaluate when the results arrive.",
        order_sets=orders.r5_orders(sit),
        notes=tuple(notes),
        checks=why_not_biopsy(sit),
    )


def econsult(sit: Situation) -> Plan:
    """R6: haematology e-consult, with the follow-up each I flag calls for."""
    return Plan(
        decision=f"Intermediate-risk finding ({_ids(sit, Tier.INTERMEDIATE)}): haematology "
        "e-consult.",
        order_sets=orders.r6_orders(sit),
        notes=_labs_gap_note(sit),
        checks=why_not_biopsy(sit),
    )


def _surveillance_plan(sit: Situation, finding: str, first_interval: str, prefix: str = "") -> str:
    """The decision sentence, with the interval of the surveillance stage (SPEC.md §5)."""
    stage = orders.surveillance_stage(sit)
    if stage.stable_since is None:
        return f"{finding}: {first_interval}."
    since = stage.stable_since.isoformat()
    if stage.name == "annual":
        return (
            f"{finding}, stable on MRI since {since} ({t.STABLE_YEARS_BEFORE_ANNUAL} years or "
            f"more): {prefix}yearly MRI and labs, or as clinically indicated."
        )
    low, high = stage.mri_months
    return (
        f"{finding}, stable on MRI since {since}: {prefix}MRI and labs in {low}-{high} months, "
        f"until {t.STABLE_YEARS_BEFORE_ANNUAL} years of stability, then yearly."
    )


def _labs_phrase(sit: Situation) -> str:
    """R7/R8: "normal current labs", unless a finding was discounted by a documented cause
    (then the labs were not normal: say what explained them)."""
    return excused_phrase(sit) or "normal current labs"


def _with_follow_up(
    sit: Situation, decision: str, status: FollowUp | None, finding: str, labs: str
) -> str:
    """The decision sentence, then where the follow-up MRI stands (SPEC.md §5 follow-up
    status): due by, overdue since, or ordered and not yet done. Overdue or ordered, the
    sentence does not schedule the MRI "in 3-6 months" as well: it names the labs' interval
    (`labs`, first interval) and the follow-up sentence says what to do about the MRI."""
    if status is None:
        return decision
    if status.state is not FollowUpState.NOT_DUE:
        stage = orders.surveillance_stage(sit)
        if stage.stable_since is not None:
            low, high = stage.labs_months
            labs = "yearly labs" if low == high == 12 else f"labs in {low}-{high} months"
        return f"{finding}: {labs}. {follow_up.decision_sentence(status)}"
    return f"{decision} {follow_up.decision_sentence(status)}"


def _follow_up_notes(status: FollowUp | None) -> tuple[str, ...]:
    """A completed or revoked follow-up order that did not close the loop, and orders that
    could not be checked for an existing follow-up MRI."""
    if status is None:
        return ()
    notes = [
        f"The follow-up MRI order {o.reference} of "
        f"{o.authored.date().isoformat() if o.authored else 'an unknown date'} is {o.status}, "
        "but no newer MRI of the region was found: the follow-up MRI is still outstanding."
        for o in status.not_counted
        if status.state is not FollowUpState.ORDERED
    ]
    if status.orders_gap is not None and status.state is not FollowUpState.ORDERED:
        notes.append(
            f"Orders already placed could not be checked ({status.orders_gap.reason}): check "
            "that a follow-up MRI is not already ordered before ordering one."
        )
    return tuple(notes)


def defer_biopsy(sit: Situation) -> Plan:
    """R7: defer biopsy; repeat labs at 3 months; MRI in 3-6 months (counted from the index
    MRI; overdue or already ordered: `logic.follow_up`)."""
    status = orders.surveillance_follow_up(sit)
    finding = "Diffuse marrow signal without worrisome features and with " + _labs_phrase(sit)
    return Plan(
        decision=_with_follow_up(
            sit,
            _surveillance_plan(
                sit,
                finding,
                "defer biopsy; repeat labs at 3 months and MRI in 3-6 months",
                prefix="biopsy deferred; ",
            ),
            status,
            finding,
            "defer biopsy; repeat labs at 3 months",
        ),
        order_sets=orders.r7_orders(sit),
        notes=(*_follow_up_notes(status), benign_pitfall(sit)),
        checks=why_not_biopsy(sit),
        follow_up=status,
        labs_explained=excused_phrase(sit) is not None,
    )


def surveillance(sit: Situation) -> Plan:
    """R8: MRI in 3-6 months; labs every 3-6 months (the MRI counted from the index MRI;
    overdue or already ordered: `logic.follow_up`)."""
    status = orders.surveillance_follow_up(sit)
    finding = "Nonspecific marrow heterogeneity with " + _labs_phrase(sit)
    return Plan(
        decision=_with_follow_up(
            sit,
            _surveillance_plan(
                sit, finding, "surveillance MRI in 3-6 months and labs every 3-6 months"
            ),
            status,
            finding,
            "surveillance labs every 3-6 months",
        ),
        order_sets=orders.r8_orders(sit),
        notes=(*_follow_up_notes(status), benign_pitfall(sit)),
        checks=why_not_biopsy(sit),
        follow_up=status,
        labs_explained=excused_phrase(sit) is not None,
    )
