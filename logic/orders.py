"""The order sets each rule suggests (SPEC.md sections 5 and 7).

Order keys are those of SPEC.md §7 (`logic.order_catalogue` holds their codes). Timing is an
`occurrencePeriod` counted from `as_of`: "MRI in 3-6 months" = start as_of + 3 months, end
as_of + 6 months; except the surveillance MRI of R7/R8, counted from the index MRI date (or
ordered now when overdue, or not offered when already ordered: `logic.follow_up`). R2 orders
are `urgent`, its missing first-line labs `stat`.

Surveillance schedule (SPEC.md §5): first interval 3-6 months; after a first stable
interval, MRI and labs every 6-12 months until 3 years of stability (SPEC.md: 2-3 years, the
upper bound is used), then yearly. The stage is derived from the MRI history: the earliest
earlier MRI of the same region with a marrow finding that the index is no worse than.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from logic import follow_up
from logic import thresholds as t
from logic.context import add_months, haematological_history_only
from logic.imaging import stable_since
from logic.model import DataDomain, FollowUp, OrderSet, OrderSuggestion, Priority
from logic.situation import Situation

FISH_PANEL = "FISH panel del(17p), t(4;14), t(11;14), t(14;16), 1q gain, del(13)"
SURVEILLANCE_LABS = ("cbc-diff", "cmp", "spep-ife", "serum-flc")
# SPEC.md §5 biopsy bundle, the team's reading of its two conditions:
# - FISH panel "when a plasma-cell disorder is suspected": any U flag (myeloma-defining
#   event), a CRAB feature (H-CALCIUM, H-RENAL, H-ANAEMIA) or a clonal / plasma-cell marker
#   (H-MPROTEIN, H-FLC, I-FLC, H-IMMUNOPARESIS).
# - Myeloid NGS panel "when cytopenia or monocytosis is present": cytopenia includes anaemia
#   (U-A, H-ANAEMIA) as well as H-CYTOPENIA (platelets, WBC, neutrophils); monocytosis is
#   H-MONOCYTOSIS or I-MONOCYTE.
PLASMA_CELL_FLAGS = (
    *("U-L", "U-Li", "U-C", "U-R", "U-A", "U-B"),
    *("H-CALCIUM", "H-RENAL", "H-ANAEMIA"),
    *("H-MPROTEIN", "H-FLC", "I-FLC", "H-IMMUNOPARESIS"),
)
MYELOID_FLAGS = ("U-A", "H-ANAEMIA", "H-CYTOPENIA", "H-MONOCYTOSIS", "I-MONOCYTE")
CLONAL_MARKER_FLAGS = ("H-MPROTEIN", "H-FLC", "I-FLC")


def in_months(sit: Situation, months: int) -> date:
    return add_months(sit.facts.as_of.date(), months)


def scheduled(
    sit: Situation, key: str, months: tuple[int, int], note: str | None = None
) -> OrderSuggestion:
    """An order due between `months[0]` and `months[1]` months after `as_of`."""
    return OrderSuggestion(
        key=key, start=in_months(sit, months[0]), end=in_months(sit, months[1]), note=note
    )


@dataclass(frozen=True)
class SurveillanceStage:
    name: str  # "first interval", "after a stable interval", "annual"
    mri_months: tuple[int, int]
    labs_months: tuple[int, int]
    stable_since: date | None


def surveillance_stage(sit: Situation) -> SurveillanceStage:
    """Stage of the surveillance schedule, from the MRI history (SPEC.md §5)."""
    index = sit.index
    start = stable_since(index, sit.facts.priors) if index is not None else None
    if index is None or start is None:
        return SurveillanceStage(
            "first interval", t.MRI_FIRST_INTERVAL_MONTHS, t.LABS_FIRST_INTERVAL_MONTHS, None
        )
    annual_from = add_months(start.date(), 12 * t.STABLE_YEARS_BEFORE_ANNUAL)
    if index.effective.date() >= annual_from:
        yearly = (t.ANNUAL_MONTHS, t.ANNUAL_MONTHS)
        return SurveillanceStage("annual", yearly, yearly, start.date())
    return SurveillanceStage(
        "after a stable interval", t.STABLE_INTERVAL_MONTHS, t.STABLE_INTERVAL_MONTHS, start.date()
    )


def lab_orders(sit: Situation, priority: Priority = "routine") -> tuple[OrderSuggestion, ...]:
    """First-line panel orders for every item not current, and "repeat to confirm" for stale
    abnormal results. Empty when laboratory data could not be obtained (no order built on
    missing data)."""
    if sit.gap(DataDomain.LABS) is not None:
        return ()
    notes: dict[str, list[str]] = {}
    for state in sit.panel.incomplete:
        notes.setdefault(state.item.order_key, []).append(state.note or "")
    repeats = sit.repeat_to_confirm()
    for key, (note, _) in repeats.items():
        notes.setdefault(key, []).insert(0, note)
    return tuple(
        OrderSuggestion(
            key=key,
            priority=_repeat_priority(priority, repeats.get(key, ("", False))[1]),
            note="; ".join(n for n in parts if n) or None,
            repeat_to_confirm=key in repeats,
        )
        for key, parts in notes.items()
    )


def _repeat_priority(priority: Priority, urgent_repeat: bool) -> Priority:
    """A repeat of a stale (or superseded) result that meets a U criterion is urgent (never
    lowers a stat order): clinical-safety choice, no new threshold (`StaleAbnormal.urgent`)."""
    if urgent_repeat and priority == "routine":
        return "urgent"
    return priority


def biopsy_bundle(sit: Situation, priority: Priority = "routine") -> tuple[OrderSuggestion, ...]:
    """SPEC.md §5 biopsy bundle: aspirate and core (posterior iliac crest), multicolour flow
    cytometry, karyotype with the FISH panel when a plasma-cell disorder is suspected
    (`PLASMA_CELL_FLAGS`), and a myeloid NGS panel when cytopenia (anaemia included) or
    monocytosis is present (`MYELOID_FLAGS`)."""
    myeloid = [f.id for f in sit.flags if f.id in MYELOID_FLAGS]
    plasma = [f.id for f in sit.flags if f.id in PLASMA_CELL_FLAGS]
    biopsy_note = None  # the order itself is aspirate and core, posterior iliac crest
    if myeloid:
        biopsy_note = f"add a myeloid NGS panel ({', '.join(myeloid)})"
    cyto_note = "karyotype"
    if plasma:
        cyto_note += f"; {FISH_PANEL} (plasma-cell disorder suspected: {', '.join(plasma)})"
    return (
        OrderSuggestion("bone-marrow-biopsy", priority, note=biopsy_note),
        OrderSuggestion("flow-cytometry", priority, note="multicolour, at least 8 colours"),
        OrderSuggestion("cytogenetics-fish", priority, note=cyto_note),
    )


def _set(
    label: str,
    orders: tuple[OrderSuggestion, ...],
    recommended: bool,
    *,
    first_line_labs: bool = False,
    stat: bool = False,
) -> tuple[OrderSet, ...]:
    if not orders:
        return ()
    return (OrderSet(label, orders, recommended, first_line_labs=first_line_labs, stat=stat),)


def missing_labs_set(sit: Situation, priority: Priority) -> tuple[OrderSet, ...]:
    return _set(
        "First-line labs not yet current",
        lab_orders(sit, priority),
        False,
        first_line_labs=True,
        stat=priority == "stat",
    )


# ---------------------------------------------------------------- per rule


def r1_orders(sit: Situation) -> tuple[OrderSet, ...]:
    """R1: goals of care first; referral only if a work-up would change management."""
    referral = OrderSuggestion(
        "hematology-referral",
        note="after a goals-of-care discussion; marrow biopsy only if it would change management",
    )
    return _set("If a work-up would change management", (referral,), False)


def r2_orders(sit: Situation) -> tuple[OrderSet, ...]:
    """R2: URGENT referral, marrow aspirate and biopsy, whole-body imaging; STAT missing labs."""
    u_flags = ", ".join(f.id for f in sit.flags if f.id.startswith("U-"))
    main = (
        OrderSuggestion("hematology-referral", "urgent", note=f"urgent: {u_flags}"),
        *biopsy_bundle(sit, "urgent"),
        OrderSuggestion(
            "whole-body-imaging",
            "urgent",
            note="low-dose whole-body CT, FDG PET/CT or whole-body MRI (not a skeletal survey)",
        ),
    )
    return _set("Urgent myeloma work-up", main, True) + missing_labs_set(sit, "stat")


def r3_orders(sit: Situation) -> tuple[OrderSet, ...]:
    """R3: oncology/haematology referral and staging imaging; biopsy follows staging. A past
    haematological malignancy alone is referred to haematology (SPEC.md §2)."""
    referral = (
        OrderSuggestion("hematology-referral", note="past haematological malignancy, for staging")
        if haematological_history_only(sit.record)
        else OrderSuggestion("oncology-referral", note="oncology or haematology, for staging")
    )
    main = (
        referral,
        OrderSuggestion("mri-followup", note="staging: MRI without and with contrast"),
        OrderSuggestion("whole-body-imaging", note="staging alternative: FDG PET/CT"),
    )
    return _set("Staging for cancer history", main, True) + missing_labs_set(sit, "routine")


def r4_orders(sit: Situation) -> tuple[OrderSet, ...]:
    """R4: referral and marrow biopsy (not urgent); with a clonal marker also 24-h urine
    studies and whole-body imaging; missing first-line labs."""
    main: tuple[OrderSuggestion, ...] = (
        OrderSuggestion("hematology-referral"),
        *biopsy_bundle(sit),
    )
    clonal = [f.id for f in sit.flags if f.id in CLONAL_MARKER_FLAGS]
    if clonal:
        why = f"clonal marker: {', '.join(clonal)}"
        main += (
            OrderSuggestion("upep-ife-24h", note=why),
            OrderSuggestion(
                "whole-body-imaging",
                note=f"{why}; low-dose whole-body CT, FDG PET/CT or whole-body MRI",
            ),
        )
    return _set("Haematology referral and marrow biopsy", main, True) + missing_labs_set(
        sit, "routine"
    )


def r5_orders(sit: Situation) -> tuple[OrderSet, ...]:
    """R5: the first-line panel (stale abnormal: repeat to confirm) and MRI in 3-6 months."""
    mri = scheduled(sit, "mri-followup", t.MRI_FIRST_INTERVAL_MONTHS, "MRI in 3-6 months")
    return _set("First-line laboratory panel", lab_orders(sit), True, first_line_labs=True) + _set(
        "Follow-up MRI", (mri,), False
    )


def r6_orders(sit: Situation) -> tuple[OrderSet, ...]:
    """R6: haematology e-consult; I-FLC urine studies; I-MONOCYTE CBC in 4-12 weeks;
    I-FOCAL MRI (or whole-body MRI) in 3-6 months."""
    orders: list[OrderSuggestion] = [OrderSuggestion("hematology-referral", note="e-consult")]
    if sit.has("I-FLC"):
        orders.append(OrderSuggestion("upep-ife-24h", note="I-FLC"))
    if sit.has("I-MONOCYTE"):
        weeks = t.I_MONOCYTE_REPEAT_CBC_WEEKS
        today = sit.facts.as_of.date()
        orders.append(
            OrderSuggestion(
                "cbc-diff",
                start=today + timedelta(weeks=weeks[0]),
                end=today + timedelta(weeks=weeks[1]),
                note="I-MONOCYTE: repeat CBC with differential in 4-12 weeks",
            )
        )
    if sit.has("I-FOCAL"):
        orders.append(
            scheduled(
                sit,
                "mri-followup",
                t.MRI_FIRST_INTERVAL_MONTHS,
                "I-FOCAL: repeat MRI (or whole-body MRI) in 3-6 months",
            )
        )
    return _set("Haematology e-consult", tuple(orders), True)


def surveillance_follow_up(sit: Situation) -> FollowUp | None:
    """R7/R8: when the follow-up MRI is due and whether it was done or ordered (SPEC.md §5,
    "Follow-up status"; `logic.follow_up`). None without an index MRI."""
    index = sit.index
    if index is None:
        return None
    stage = surveillance_stage(sit)
    return follow_up.follow_up_status(
        index,
        later_interval=stage.stable_since is not None,
        mri_months=stage.mri_months,
        mri_reports=sit.record.mri_reports,
        orders=sit.record.orders,
        as_of=sit.facts.as_of,
        orders_gap=sit.gap(DataDomain.ORDERS),
    )


def _surveillance(sit: Situation, labs_months: tuple[int, int], label: str) -> tuple[OrderSet, ...]:
    stage = surveillance_stage(sit)
    mri_note = f"surveillance MRI, {stage.name}: in {_span(stage.mri_months)}"
    status = surveillance_follow_up(sit)
    # SPEC.md §5 follow-up status: counted from the index MRI, overdue now, or already ordered.
    mri = follow_up.mri_order(status, mri_note) if status is not None else None
    orders = [mri] if mri is not None else []
    if stage.name != "first interval":
        labs_months = stage.labs_months
    lab_note = f"surveillance labs, {stage.name}: in {_span(labs_months)}"
    orders += [scheduled(sit, key, labs_months, lab_note) for key in SURVEILLANCE_LABS]
    return _set(label, tuple(orders), True)


def _span(months: tuple[int, int]) -> str:
    low, high = months
    return f"{low} months" if low == high else f"{low}-{high} months"


def r7_orders(sit: Situation) -> tuple[OrderSet, ...]:
    """R7: defer biopsy; repeat labs at 3 months; MRI in 3-6 months (later stages: §5)."""
    at = t.R7_LABS_AT_MONTHS
    return _surveillance(sit, (at, at), "Surveillance, biopsy deferred")


def r8_orders(sit: Situation) -> tuple[OrderSet, ...]:
    """R8: MRI in 3-6 months; labs every 3-6 months (later stages: §5)."""
    return _surveillance(sit, t.LABS_FIRST_INTERVAL_MONTHS, "Surveillance")
