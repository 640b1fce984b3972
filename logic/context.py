"""What the record says about the patient's history (SPEC.md section 2), and the bundle of
facts every flag predicate reads.

- Suppression: an active myeloma, lymphoma / leukaemia / MDS / MPN, or secondary malignant
  neoplasm of bone or marrow: the patient is under specialist care, no work-up card.
- Limited life expectancy: an active hospice / palliative care Condition (the mappers also
  map any site-configured code to `ConditionCategory.PALLIATIVE`).
- Known cause of anaemia: an active Condition the mappers classed as `ANAEMIA_CAUSE`, or a
  current ferritin below 15 ug/L (iron deficiency; a stale ferritin documents nothing now).
- Known cause of cytopenia, per cell line (`CYTOPENIA_CAUSES`): ITP / D69.6 for platelets,
  hypersplenism or cirrhosis for platelets and WBC, neutropenia (D70.*) for neutrophils and
  WBC, a documented Duffy-null phenotype for neutrophils of 1.0-1.8 x10^9/L only.
- Known CKD: an active N18.* Condition, or eGFR <60 on two results more than 3 months apart.
  One definition for every rule that mentions CKD (U-R, H-RENAL, the FLC renal range).
- Cancer history: a non-haematological malignancy, active (C00-C80 except C79.5) or in the
  personal history (Z85.*), and a past haematological malignancy (Z85.6, Z85.7*, an inactive
  or resolved C81-C96). A resolved malignancy is still a personal history.

A known cause is a `KnownCause` (the words a card names it with, and its evidence). `Facts`
applies the exemptions; `Facts(..., exempt=False)` evaluates the flags as if no cause were
documented, to show what the causes discounted (`logic.checks.excused_flags`).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cached_property
from types import MappingProxyType
from typing import Final

from logic import thresholds as t
from logic.analytes import LABEL
from logic.imaging import IndexChoice, choose_index
from logic.labs import (
    LabView,
    above,
    at_least,
    below,
    dated_after,
    describe,
    evidence,
    latest_current,
)
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


def mgus(record: PatientRecord) -> tuple[ConditionFact, ...]:
    """SPEC.md §2: an active MGUS (D47.2; SNOMED 277577000 (verify)): never suppresses; a
    known clonal marker that counts as H-MPROTEIN."""
    return active(record, ConditionCategory.MGUS)


# SPEC.md §2 known causes of cytopenia: the cell lines each category explains.
CYTOPENIA_CAUSES: Final = MappingProxyType(
    {
        ConditionCategory.THROMBOCYTOPENIA_CAUSE: frozenset({Analyte.PLATELETS}),
        ConditionCategory.HYPERSPLENISM: frozenset({Analyte.PLATELETS, Analyte.WBC}),
        ConditionCategory.NEUTROPENIA: frozenset({Analyte.NEUTROPHILS_ABSOLUTE, Analyte.WBC}),
        ConditionCategory.DUFFY_NULL: frozenset({Analyte.NEUTROPHILS_ABSOLUTE}),
    }
)


@dataclass(frozen=True)
class KnownCause:
    """A documented cause that explains a finding (SPEC.md §2), as a card names it."""

    name: str  # "Iron deficiency anaemia", "iron deficiency (ferritin 8 µg/L on 2026-05-20)"
    evidence: Evidence
    code: str | None = None  # "ICD-10-CM D50.9" for a Condition

    @property
    def named(self) -> str:
        """The name with its code: "Iron deficiency anaemia (ICD-10-CM D50.9)"."""
        return f"{self.name} ({self.code})" if self.code else self.name

    @property
    def phrase(self) -> str:
        """As a sentence names it: "documented Iron deficiency anaemia" for a Condition,
        "iron deficiency (ferritin ...)" for a laboratory result."""
        return f"documented {self.name}" if self.code else self.name


def condition_cause(condition: ConditionFact) -> KnownCause:
    name = condition.display or condition.category.value
    return KnownCause(name, condition_evidence(condition), condition.code)


def iron_deficiency(view: LabView) -> LabResult | None:
    """SPEC.md §2: a current ferritin below 15 ug/L documents iron deficiency, whatever the
    view's mode (a stale ferritin documents nothing about today's haemoglobin)."""
    ferritin = latest_current(view, Analyte.FERRITIN)
    if ferritin is None or ferritin.value is None:
        return None
    limit = t.FERRITIN_IRON_DEFICIENCY_UG_L
    # "<15" (below the assay's reporting limit at 15) is established to be below 15 too
    bound = ferritin.comparator == "<" and ferritin.value <= limit
    return ferritin if bound or below(ferritin, limit) else None


def ferritin_cause(ferritin: LabResult) -> KnownCause:
    day = ferritin.effective.date().isoformat()
    limit = f"{t.FERRITIN_IRON_DEFICIENCY_UG_L:g} µg/L"
    return KnownCause(
        f"iron deficiency (ferritin {describe(ferritin)}, below {limit}, on {day})",
        evidence(ferritin, f"{LABEL[Analyte.FERRITIN]} (iron deficiency)"),
    )


def duffy_null_range(result: LabResult) -> bool:
    """Absolute neutrophils within 1.0-1.8 x10^9/L (both ends included): the counts a
    documented Duffy-null phenotype explains (SPEC.md §2)."""
    return at_least(result, t.DUFFY_NULL_NEUTROPHILS_LOW) and not above(
        result, t.DUFFY_NULL_NEUTROPHILS_HIGH
    )


def ckd_conditions(record: PatientRecord) -> tuple[ConditionFact, ...]:
    """SPEC.md §2 documented CKD: an active N18.* Condition."""
    return active(record, ConditionCategory.CKD)


def cancer_history(record: PatientRecord) -> tuple[ConditionFact, ...]:
    """SPEC.md §2 cancer history: active non-haematological malignancy, Z85.*, or a past
    haematological malignancy (Z85.6, Z85.7*, inactive / resolved C81-C96).

    A CANCER Condition counts whatever its clinical status (resolved = personal history);
    the mappers drop refuted and entered-in-error Conditions.
    """
    return tuple(c for c in record.conditions if c.category in CANCER_HISTORY_CATEGORIES)


CANCER_HISTORY_CATEGORIES: Final = (
    ConditionCategory.CANCER,
    ConditionCategory.CANCER_HISTORY,
    ConditionCategory.HAEM_MALIGNANCY_HISTORY,
)


def haematological_history_only(record: PatientRecord) -> bool:
    """Every cancer-history Condition is a past haematological malignancy: the R3 card
    refers to haematology rather than oncology (SPEC.md §2)."""
    found = cancer_history(record)
    return bool(found) and all(
        c.category is ConditionCategory.HAEM_MALIGNANCY_HISTORY for c in found
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


# The cached properties of Facts that depend only on the record and as_of (`Facts.in_mode`).
_MODE_FREE: Final = ("_mri_newest_first", "index_choice")


@dataclass(frozen=True)
class Facts:
    """Everything one evaluation reads: the record, `as_of`, and the lab view."""

    record: PatientRecord
    as_of: datetime
    labs: LabView
    # Apply the documented-cause and known-CKD exemptions (SPEC.md §2). False only to show
    # what the exemptions discounted (`logic.checks.excused_flags`).
    exempt: bool = True

    @classmethod
    def of(cls, record: PatientRecord, as_of: datetime, *, current_only: bool = True) -> Facts:
        return cls(record, as_of, LabView(record.labs, as_of, current_only))

    def in_mode(self, current_only: bool) -> Facts:
        """These facts with the labs read in the mode `current_only` (`Facts.of(record, as_of,
        current_only=...)` with the same exemptions); what was already worked out that does not
        depend on the labs' mode (the index MRI, the per-analyte orderings) is shared."""
        facts = replace(self, labs=self.labs.in_mode(current_only))
        for name in _MODE_FREE:
            if name in self.__dict__:
                facts.__dict__[name] = self.__dict__[name]  # as functools.cached_property stores
        return facts

    @cached_property
    def anaemia_causes(self) -> tuple[KnownCause, ...]:
        """SPEC.md §2 known causes of anaemia (discount U-A and H-ANAEMIA): an active
        documented cause, or a current ferritin below 15 ug/L."""
        if not self.exempt:
            return ()
        causes = [condition_cause(c) for c in anaemia_causes(self.record)]
        ferritin = iron_deficiency(self.labs)
        if ferritin is not None:
            causes.append(ferritin_cause(ferritin))
        return tuple(causes)

    def cytopenia_causes(self, result: LabResult) -> tuple[KnownCause, ...]:
        """SPEC.md §2 known causes of a low count (`result`: platelets, WBC or absolute
        neutrophils), per cell line; a Duffy-null phenotype only for neutrophils 1.0-1.8."""
        if not self.exempt:
            return ()
        found = []
        for condition in active(self.record, *CYTOPENIA_CAUSES):
            if result.analyte not in CYTOPENIA_CAUSES[condition.category]:
                continue
            if condition.category is ConditionCategory.DUFFY_NULL and not duffy_null_range(result):
                continue
            found.append(condition_cause(condition))
        return tuple(found)

    @cached_property
    def ckd_causes(self) -> tuple[KnownCause, ...]:
        """SPEC.md §2 known CKD, as causes (discount U-R and H-RENAL): an active N18.*
        Condition, or eGFR <60 on two results more than 3 months apart."""
        if not self.exempt:
            return ()
        causes = [condition_cause(c) for c in ckd_conditions(self.record)]
        chronic = chronic_low_egfr(self.labs)
        if chronic is not None:
            newer, older = chronic
            days = f"{older.effective.date().isoformat()} and {newer.effective.date().isoformat()}"
            causes.append(
                KnownCause(
                    f"known CKD (eGFR below {t.EGFR_LOW:g} on {days})",
                    evidence(newer, "eGFR (known CKD)"),
                )
            )
        return tuple(causes)

    @cached_property
    def _mri_newest_first(self) -> tuple[ImagingReport, ...]:
        """MRI reports dated up to `as_of` (plus the clock-skew tolerance), newest first
        (whatever order they came in)."""
        usable = [r for r in self.record.mri_reports if not dated_after(r.effective, self.as_of)]
        return tuple(sorted(usable, key=lambda r: r.effective, reverse=True))

    @cached_property
    def index_choice(self) -> IndexChoice:
        """How the index MRI was chosen (SPEC.md §2, `logic.imaging.choose_index`)."""
        return choose_index(self._mri_newest_first)

    @property
    def index(self) -> ImagingReport | None:
        """The index MRI report (SPEC.md §2): superseded reports dropped, each region's
        newest report standing, the most recent of those whose class is highest."""
        return self.index_choice.index

    @property
    def priors(self) -> tuple[ImagingReport, ...]:
        """Earlier MRI reports (comparison history), newest first, superseded ones left out."""
        return self.index_choice.priors

    @property
    def known_ckd(self) -> bool:
        return bool(ckd_conditions(self.record)) or chronic_low_egfr(self.labs) is not None
