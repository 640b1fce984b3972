"""Everything the decision table reads for one patient at one `as_of`, computed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logic import flags as flag_rules
from logic.context import Facts, gap
from logic.labs import is_current
from logic.model import (
    Analyte,
    DataDomain,
    DataGap,
    Flag,
    ImagingReport,
    LabResult,
    PatientRecord,
    Tier,
)
from logic.panel import Panel, panel_state

# The order key that re-tests an analyte (SPEC.md section 7).
ORDER_FOR_ANALYTE: dict[Analyte, str] = {
    Analyte.HAEMOGLOBIN: "cbc-diff",
    Analyte.WBC: "cbc-diff",
    Analyte.PLATELETS: "cbc-diff",
    Analyte.NEUTROPHILS_ABSOLUTE: "cbc-diff",
    Analyte.MONOCYTES_ABSOLUTE: "cbc-diff",
    Analyte.MONOCYTES_PERCENT: "cbc-diff",
    Analyte.CALCIUM_TOTAL: "cmp",
    Analyte.CALCIUM_ALBUMIN_CORRECTED: "cmp",
    Analyte.CALCIUM_IONIZED: "cmp",
    Analyte.CREATININE: "cmp",
    Analyte.EGFR: "cmp",
    Analyte.CREATININE_CLEARANCE: "cmp",
    Analyte.ALBUMIN: "cmp",
    Analyte.FLC_KAPPA: "serum-flc",
    Analyte.FLC_LAMBDA: "serum-flc",
    Analyte.FLC_RATIO: "serum-flc",
    Analyte.M_PROTEIN: "spep-ife",
    Analyte.SPEP_IFE: "spep-ife",
    Analyte.URINE_PROTEIN_24H: "upep-ife-24h",
    Analyte.URINE_M_PROTEIN_24H: "upep-ife-24h",
    Analyte.IGG: "quant-ig",
    Analyte.IGA: "quant-ig",
    Analyte.IGM: "quant-ig",
    Analyte.BETA2_MICROGLOBULIN: "b2m",
    Analyte.LDH: "ldh",
}


@dataclass(frozen=True)
class StaleAbnormal:
    """A flag that would fire on results older than 90 days: "repeat to confirm"."""

    flag: Flag
    results: tuple[LabResult, ...]

    @property
    def order_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ORDER_FOR_ANALYTE[r.analyte] for r in self.results))


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

    def repeat_to_confirm(self) -> dict[str, str]:
        """Order key -> "repeat to confirm" note, for stale abnormal results."""
        notes: dict[str, list[str]] = {}
        for stale in self.stale_abnormal:
            for key in stale.order_keys:
                notes.setdefault(key, []).append(stale.flag.id)
        return {
            key: f"repeat to confirm: stale abnormal result ({', '.join(ids)})"
            for key, ids in notes.items()
        }


def _stale_abnormal(record: PatientRecord, as_of: datetime) -> tuple[StaleAbnormal, ...]:
    stale_view = Facts.of(record, as_of, current_only=False)
    by_reference = {r.reference: r for r in record.labs}
    found = []
    for flag in flag_rules.evaluate(stale_view, labs_only=True):
        results = tuple(
            by_reference[e.reference]
            for e in flag.evidence
            if e.reference in by_reference and not is_current(by_reference[e.reference], as_of)
        )
        if results:
            found.append(StaleAbnormal(flag, results))
    return tuple(found)


def situation(record: PatientRecord, as_of: datetime) -> Situation:
    facts = Facts.of(record, as_of)
    return Situation(
        facts=facts,
        flags=flag_rules.evaluate(facts),
        stale_abnormal=_stale_abnormal(record, as_of),
        panel=panel_state(facts.labs),
    )
