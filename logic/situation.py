"""Everything the decision table reads for one patient at one `as_of`, computed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logic import flags as flag_rules
from logic import thresholds as t
from logic.analytes import LABEL, ORDER_FOR_ANALYTE
from logic.context import Facts, gap
from logic.labs import LabView, describe, in_window, is_usable, latest_current
from logic.model import (
    DataDomain,
    DataGap,
    Flag,
    ImagingReport,
    LabResult,
    PatientRecord,
    Tier,
)
from logic.panel import Panel, panel_state


@dataclass(frozen=True)
class StaleAbnormal:
    """A laboratory flag that fires on results the current view does not read, and does not
    fire on current data: "repeat to confirm". Its results are older than 90 days, or lie in
    the window but were superseded by a newer result that is not evaluable (`logic.labs`)."""

    flag: Flag
    results: tuple[LabResult, ...]
    superseded: bool = False  # a result lies in the current window, overtaken by a newer one

    @property
    def order_keys(self) -> tuple[str, ...]:
        keys = (ORDER_FOR_ANALYTE[r.analyte] for r in self.results)
        return tuple(dict.fromkeys(k for k in keys if k is not None))

    @property
    def urgent(self) -> bool:
        """The stale result meets a U criterion (a myeloma-defining event if confirmed): its
        repeat is ordered with priority urgent. An engineering / clinical-safety choice (no
        new threshold): a result that old or unconfirmed does not make the card R2, but its
        repeat must not wait in the routine queue."""
        return self.flag.tier is Tier.URGENT

    @property
    def why(self) -> str:
        if self.superseded:
            return "superseded by a newer result that is not evaluable"
        return f"older than {t.CURRENT_WINDOW.days} days"

    def described(self) -> str:
        """ "Haemoglobin 7.5 g/dL (2026-02-01)" for each result."""
        return "; ".join(
            f"{LABEL[r.analyte]} {describe(r) if r.value is not None else r.finding or ''}"
            f" ({r.effective.date().isoformat()})"
            for r in self.results
        )


@dataclass(frozen=True)
class Situation:
    facts: Facts
    flags: tuple[Flag, ...]  # every flag that fired on current data
    stale_abnormal: tuple[StaleAbnormal, ...]
    panel: Panel

    @property
    def record(self) -> PatientRecord:
        return self.facts.record

    @property
    def index(self) -> ImagingReport | None:
        return self.facts.index

    def has(self, *flag_ids: str) -> bool:
        return any(f.id in flag_ids for f in self.flags)

    def tier(self, tier: Tier) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.tier is tier)

    def gap(self, domain: DataDomain) -> DataGap | None:
        return gap(self.record, domain)

    def repeat_to_confirm(self) -> dict[str, tuple[str, bool]]:
        """Order key -> ("repeat to confirm" note, urgent), for stale abnormal results."""
        notes: dict[str, list[StaleAbnormal]] = {}
        for stale in self.stale_abnormal:
            for key in stale.order_keys:
                notes.setdefault(key, []).append(stale)
        return {
            key: (
                "repeat to confirm: "
                + "; ".join(f"{s.flag.id} on a result {s.why}" for s in found),
                any(s.urgent for s in found),
            )
            for key, found in notes.items()
        }


def only_current_results(record: PatientRecord, current_view: LabView) -> bool:
    """Every usable result of the record is the one the current view reads for its analyte
    (no older result, none superseded): then no result can be stale or superseded."""
    as_of = current_view.as_of
    return all(
        latest_current(current_view, r.analyte) is r for r in record.labs if is_usable(r, as_of)
    )


def _stale_abnormal(facts: Facts, current: tuple[Flag, ...]) -> tuple[StaleAbnormal, ...]:
    """Laboratory flags that fire on the stale view (newest usable result of any age) and
    not on current data, with the results the current view does not read. A flag that fires
    on current data is current, even when it also read an older result (H-MONOCYTOSIS).
    `facts`: the current facts (`Facts.of(record, as_of)`), whose flags are `current`.

    A stale flag is kept only with a usable result the current view does not read; when the
    current view reads every usable result there is none, whatever fires on the stale view,
    and the flags are not evaluated a second time (`only_current_results`)."""
    record, as_of = facts.record, facts.as_of
    current_view = facts.labs
    if only_current_results(record, current_view):
        return ()
    stale_view = facts.in_mode(current_only=False)
    fired = {f.id for f in current}
    by_reference: dict[str, list[LabResult]] = {}
    for result in record.labs:
        by_reference.setdefault(result.reference, []).append(result)
    found = []
    for flag in flag_rules.evaluate(stale_view, labs_only=True):
        if flag.id in fired:
            continue
        results = tuple(
            dict.fromkeys(
                r
                for e in flag.evidence
                if e.reference is not None
                for r in by_reference.get(e.reference, ())
                if is_usable(r, as_of) and latest_current(current_view, r.analyte) is not r
            )
        )
        if results:
            superseded = any(in_window(r, as_of) for r in results)
            found.append(StaleAbnormal(flag, results, superseded))
    return tuple(found)


def situation(record: PatientRecord, as_of: datetime) -> Situation:
    facts = Facts.of(record, as_of)
    flags = flag_rules.evaluate(facts)
    return Situation(
        facts=facts,
        flags=flags,
        stale_abnormal=_stale_abnormal(facts, flags),
        panel=panel_state(facts.labs),
    )
