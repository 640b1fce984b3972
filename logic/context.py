"""What the record says about the patient's history (SPEC.md section 2), and the bundle of
facts every flag predicate reads.

- Suppression: an active myeloma, lymphoma / leukaemia / MDS / MPN, or secondary malignant
  neoplasm of bone or marrow: the patient is under specialist care, no work-up card.
- Limited life expectancy: an active hospice / palliative care Condition (the mappers also
  map any site-configured code to `ConditionCategory.PALLIATIVE`).
- Known cause of anaemia: an active Condition the mappers classed as `ANAEMIA_CAUSE`.
- Known CKD: an active N18.* Condition, or eGFR <60 on two results more than 3 months apart.
- Cancer history: a non-haematological malignancy, active (C00-C80 except C79.5) or in the
  personal history (Z85.*). A resolved malignancy is still a personal history.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property

from logic import thresholds as t
from logic.labs import LabView, below, dated_after
from logic.model import (
    Analyte,
    ConditionCategory,
    ConditionFact,
    DataDomain,
    DataGap,
    Evidence,
    ImagingReport,
    LabResult,
    MappingProblem,
    PatientRecord,
)

SUPPRESSING = (
    ConditionCategory.MYELOMA,
    ConditionCategory.HAEM_MALIGNANCY,
    ConditionCategory.BONE_METASTASIS,
)


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def active(record: PatientRecord, *categories: ConditionCategory) -> tuple[ConditionFact, ...]:
    """Active Conditions of the given categories."""
    return tuple(c for c in record.conditions if c.active and c.category in categories)


def suppressing_conditions(record: PatientRecord) -> tuple[ConditionFact, ...]:
    """SPEC.md §2 suppression: active myeloma, haematological malignancy, C79.5*."""
    return active(record, *SUPPRESSING)


def limited_life_expectancy(record: PatientRecord) -> tuple[ConditionFact, ...]:
    """SPEC.md §2: hospice or palliative care (Z51.5 / SNOMED 103735009, both (verify))."""
    return active(record, ConditionCategory.PALLIATIVE)


def anaemia_causes(record: PatientRecord) -> tuple[ConditionFact, ...]:
    """SPEC.md §2 known cause of anaemia (D63.1, D63.8, D50-D53, D55-D59, D62, D64.81)."""
    return active(record, ConditionCategory.ANAEMIA_CAUSE)


def ckd_conditions(record: PatientRecord) -> tuple[ConditionFact, ...]:
    """SPEC.md §2 documented CKD: an active N18.* Condition."""
    return active(record, ConditionCategory.CKD)


def cancer_history(record: PatientRecord) -> tuple[ConditionFact, ...]:
    """SPEC.md §2 cancer history: active non-haematological malignancy or Z85.*.

    A CANCER Condition counts whatever its clinical status (resolved = personal history);
    the mappers drop refuted and entered-in-error Conditions.
    """
    return tuple(
        c
        for c in record.conditions
        if c.category in (ConditionCategory.CANCER, ConditionCategory.CANCER_HISTORY)
    )


def chronic_low_egfr(view: LabView) -> tuple[LabResult, LabResult] | None:
    """SPEC.md §2 known CKD by laboratory: eGFR <60 on two results >3 months apart.

    Returns (newest, older) low results, any age before `as_of`, or None.
    """
    low = [r for r in view.history(Analyte.EGFR) if below(r, t.EGFR_LOW)]
    for newer in low:
        for older in reversed(low):
            limit = add_months(older.effective.date(), t.CKD_EGFR_APART_MONTHS)
            if newer.effective.date() > limit:
                return newer, older
    return None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def future_dated_problems(record: PatientRecord, as_of: datetime) -> tuple[MappingProblem, ...]:
    """Every laboratory result and imaging report dated after `as_of`, as a data-quality
    warning (never dropped silently). Timezone-less source times are read as UTC, so a result
    from a site east of UTC can land hours "in the future". Within the clock-skew tolerance
    (`thresholds.CLOCK_SKEW_TOLERANCE`, 24 h, an engineering tolerance) it is used as current;
    beyond it, it is not used for any decision."""
    items: list[tuple[str, datetime]] = [(r.reference, r.effective) for r in record.labs]
    items += [(r.reference, r.effective) for r in (*record.mri_reports, *record.other_imaging)]
    problems = []
    for reference, effective in items:
        if effective <= as_of:
            continue
        when = f"dated {_utc(effective)}, after the evaluation time ({_utc(as_of)})"
        if dated_after(effective, as_of):
            message = f"{when}: not used; check the time zone of the source"
        else:
            hours = f"{t.CLOCK_SKEW_TOLERANCE.total_seconds() / 3600:g} h"
            message = (
                f"{when}, within the {hours} clock-skew tolerance: used as current; check the "
                "time zone of the source"
            )
        problems.append(MappingProblem(reference=reference, message=message, severity="warning"))
    return tuple(problems)


def gap(record: PatientRecord, domain: DataDomain) -> DataGap | None:
    """The first gap of `domain` (data that could not be obtained), if any."""
    return next((g for g in record.gaps if g.domain is domain), None)


def condition_evidence(condition: ConditionFact) -> Evidence:
    return Evidence(
        label=condition.display or condition.category.value,
        reference=condition.reference,
        value=condition.code,
        date=condition.onset or condition.recorded,
    )


@dataclass(frozen=True)
class Facts:
    """Everything one evaluation reads: the record, `as_of`, and the lab view."""

    record: PatientRecord
    as_of: datetime
    labs: LabView

    @classmethod
    def of(cls, record: PatientRecord, as_of: datetime, *, current_only: bool = True) -> Facts:
        return cls(record, as_of, LabView(record.labs, as_of, current_only))

    @cached_property
    def _mri_newest_first(self) -> tuple[ImagingReport, ...]:
        """MRI reports dated up to `as_of` (plus the clock-skew tolerance), newest first
        (whatever order they came in)."""
        usable = [r for r in self.record.mri_reports if not dated_after(r.effective, self.as_of)]
        return tuple(sorted(usable, key=lambda r: r.effective, reverse=True))

    @property
    def index(self) -> ImagingReport | None:
        """The index MRI report (SPEC.md §2): the most recent one not dated after `as_of`."""
        reports = self._mri_newest_first
        return reports[0] if reports else None

    @property
    def priors(self) -> tuple[ImagingReport, ...]:
        """Earlier MRI reports (comparison history), newest first."""
        return self._mri_newest_first[1:]

    @property
    def known_ckd(self) -> bool:
        return bool(ckd_conditions(self.record)) or chronic_low_egfr(self.labs) is not None
