"""The first-line laboratory panel (SPEC.md section 5) and where each part of it stands.

Gating items (all must be current before R7/R8 can apply):

- CBC with differential (cbc-diff): haemoglobin, WBC, platelets and absolute neutrophils,
  all four current. Monocytes are read when present but do not gate.
- Renal function (cmp): creatinine, eGFR or creatinine clearance, any one current.
- Calcium with albumin (cmp): total calcium and albumin both current, or a lab-reported
  albumin-corrected calcium.
- SPEP with immunofixation (spep-ife): a current positive or negative interpretation.
- Serum free light chains (serum-flc): kappa and lambda current (the ratio is computed when
  the lab sends none).

Ordered with the panel but not gating: beta-2 microglobulin (b2m), LDH (ldh), IgG/IgA/IgM
(quant-ig).

The newest result of an analyte within the current window decides: when it is not evaluable
the item is not evaluable (counts as missing), even if an older evaluable result lies in the
window. "Normal" is not judged here: a current result that
is abnormal makes a flag fire, and every flag decides before R7/R8 (first match wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from logic import thresholds as t
from logic.analytes import LABEL
from logic.labs import LabView, latest_current
from logic.model import Analyte, LabResult


class Status(IntEnum):
    """Where a panel item stands; higher is worse."""

    CURRENT = 0
    STALE = 1
    NOT_EVALUABLE = 2
    MISSING = 3


STATUS_WORDS = {
    Status.CURRENT: "current",
    Status.STALE: f"stale (older than {t.CURRENT_WINDOW.days} days)",
    Status.NOT_EVALUABLE: "not evaluable",
    Status.MISSING: "missing",
}


@dataclass(frozen=True)
class PanelItem:
    label: str
    order_key: str
    gating: bool
    # alternatives: the item is satisfied when every analyte of any one alternative is current
    alternatives: tuple[tuple[Analyte, ...], ...]
    # read with the item when present (shown on checks), never required
    related: tuple[Analyte, ...] = ()


FIRST_LINE: tuple[PanelItem, ...] = (
    PanelItem(
        "CBC with differential",
        "cbc-diff",
        True,
        (
            (
                Analyte.HAEMOGLOBIN,
                Analyte.WBC,
                Analyte.PLATELETS,
                Analyte.NEUTROPHILS_ABSOLUTE,
            ),
        ),
        (Analyte.MONOCYTES_ABSOLUTE, Analyte.MONOCYTES_PERCENT),
    ),
    PanelItem(
        "Creatinine and/or eGFR",
        "cmp",
        True,
        ((Analyte.CREATININE,), (Analyte.EGFR,), (Analyte.CREATININE_CLEARANCE,)),
        (Analyte.CREATININE, Analyte.EGFR, Analyte.CREATININE_CLEARANCE),
    ),
    PanelItem(
        "Calcium with albumin",
        "cmp",
        True,
        ((Analyte.CALCIUM_TOTAL, Analyte.ALBUMIN), (Analyte.CALCIUM_ALBUMIN_CORRECTED,)),
        (Analyte.CALCIUM_TOTAL, Analyte.CALCIUM_ALBUMIN_CORRECTED, Analyte.CALCIUM_IONIZED),
    ),
    PanelItem(
        "SPEP with serum immunofixation",
        "spep-ife",
        True,
        ((Analyte.SPEP_IFE,),),
        (Analyte.M_PROTEIN,),
    ),
    PanelItem(
        "Serum free light chains kappa, lambda and ratio",
        "serum-flc",
        True,
        ((Analyte.FLC_KAPPA, Analyte.FLC_LAMBDA),),
        (Analyte.FLC_RATIO,),
    ),
    PanelItem("Beta-2 microglobulin", "b2m", False, ((Analyte.BETA2_MICROGLOBULIN,),)),
    PanelItem("LDH", "ldh", False, ((Analyte.LDH,),)),
    PanelItem("IgG, IgA, IgM", "quant-ig", False, ((Analyte.IGG, Analyte.IGA, Analyte.IGM),)),
)


@dataclass(frozen=True)
class ItemState:
    item: PanelItem
    status: Status
    results: tuple[LabResult, ...]  # the current results (or the stale / unreadable ones)
    missing: tuple[Analyte, ...]  # analytes of the best alternative that are not current

    @property
    def note(self) -> str | None:
        """Why the item is (re)ordered, for the order suggestion."""
        if self.status is Status.CURRENT:
            return None
        names = ", ".join(LABEL[a] for a in self.missing)
        if self.status is Status.STALE:
            stale = [r for r in self.results if r.analyte in self.missing]
            dates = ", ".join(sorted({r.effective.date().isoformat() for r in stale}))
            return f"last result older than {t.CURRENT_WINDOW.days} days ({dates}): {names}"
        if self.status is Status.NOT_EVALUABLE:
            return f"last result not evaluable: {names}"
        return f"no result: {names}"


def _analyte_status(view: LabView, analyte: Analyte) -> tuple[Status, LabResult | None]:
    """The newest result within the current window decides (SPEC.md §2): current when it is
    evaluable, NOT_EVALUABLE when it is not, even if an older evaluable result lies in the
    window (that one is superseded, never read as current). With none in the window: STALE
    on an older usable result, else MISSING."""
    newest = view.decisive(analyte)
    if newest is not None:
        current = latest_current(view, analyte)
        if current is not None:
            return Status.CURRENT, current
        return Status.NOT_EVALUABLE, newest
    history = view.history(analyte)
    if history:
        return Status.STALE, history[0]
    return Status.MISSING, None


def item_state(view: LabView, item: PanelItem) -> ItemState:
    """The best alternative of `item`: its worst analyte status decides."""
    best: ItemState | None = None
    for alternative in item.alternatives:
        statuses = [_analyte_status(view, a) for a in alternative]
        worst = max(s for s, _ in statuses)
        state = ItemState(
            item=item,
            status=worst,
            results=tuple(r for _, r in statuses if r is not None),
            missing=tuple(a for a, (s, _) in zip(alternative, statuses, strict=True) if s),
        )
        if best is None or state.status < best.status:
            best = state
    assert best is not None
    if best.status is Status.CURRENT:
        extra = [latest_current(view, a) for a in item.related]
        # Keyed by (reference, analyte): a computed value (the mappers' FLC ratio) carries the
        # reference of its first source (kappa), and must not hide that measured result.
        read = {(r.reference, r.analyte): r for r in (*best.results, *(r for r in extra if r))}
        best = ItemState(best.item, best.status, tuple(read.values()), best.missing)
    return best


@dataclass(frozen=True)
class Panel:
    items: tuple[ItemState, ...]

    @property
    def gating_complete(self) -> bool:
        """Every gating item is current (SPEC.md §5: before R7/R8 can apply)."""
        return all(s.status is Status.CURRENT for s in self.items if s.item.gating)

    @property
    def incomplete(self) -> tuple[ItemState, ...]:
        """Items (gating or not) that are not current: the ones to order."""
        return tuple(s for s in self.items if s.status is not Status.CURRENT)


def panel_state(view: LabView) -> Panel:
    return Panel(tuple(item_state(view, item) for item in FIRST_LINE))
