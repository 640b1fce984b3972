"""Reading the index MRI against SPEC.md section 3 and the imaging history.

- Worrisome features of the index report (any one counts; H-IMAGING).
- Escalation from the history (SPEC.md §5 "Surveillance ... Escalate"): a new focal lesion,
  an increase in size / number / extent, or evolution to a diffuse pattern, taken from
  (a) the interval change the radiologist stated on the index report, and (b) comparing
  the index with the most recent earlier MRI of the same region (class, lesion count and
  largest size). A change that happened before that study was judged when it was the index.
- Lytic lesions on radiograph, CT or PET-CT (U-B).
- The index report (SPEC.md §2, `choose_index`): an amended or corrected report replaces the
  earlier report of the same exam (`superseded`); regions are replaced separately (a newer
  MRI replaces an older one only for the regions it covers: `regions_covered`); the index is
  the most recent report of the region whose class is highest.

A feature counts only when it is neither negated nor historical ("no longer seen"). Hedged
worrisome features ("cannot exclude ...", "possibly enhancing") still count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from logic import thresholds as t
from logic.labs import dated_after
from logic.model import (
    Evidence,
    FeatureKind,
    ImagingClass,
    ImagingFeature,
    ImagingReport,
    IntervalChange,
    Modality,
    Region,
)

WORRISOME: dict[FeatureKind, str] = {
    FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC: "T1 marrow signal lower than or isointense to muscle "
    "or disc",
    FeatureKind.DIFFUSE_HOMOGENEOUS: "diffuse homogeneous abnormal signal",
    FeatureKind.SHARP_MARGIN: "sharply marginated focal lesion",
    FeatureKind.ENHANCEMENT: "contrast enhancement",
    FeatureKind.FAT_SAT_HIGH_SIGNAL: "high signal after fat saturation",
    FeatureKind.INTERVAL_INCREASE: "interval increase in size, number or extent",
    FeatureKind.NEW_LESION: "new lesion compared with a prior MRI",
    FeatureKind.CANNOT_EXCLUDE_INFILTRATION: "cannot exclude an infiltrative/metastatic process",
}

BENIGN: dict[FeatureKind, str] = {
    FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE: "T1 brighter than disc and muscle",
    FeatureKind.COMPLETE_FAT_SUPPRESSION: "complete fat suppression",
    FeatureKind.BENIGN_HEDGE: "hedged as benign (reconversion / hyperplasia / haemangioma)",
}

_ESCALATING_CHANGE: dict[IntervalChange, str] = {
    IntervalChange.NEW_LESION: "new lesion since the prior MRI (as reported)",
    IntervalChange.INCREASED: "increase in size, number or extent since the prior MRI "
    "(as reported)",
    IntervalChange.EVOLVED_DIFFUSE: "evolution to a diffuse pattern since the prior MRI "
    "(as reported)",
}

_FOCAL = (ImagingClass.FOCAL_EQUIVOCAL, ImagingClass.FOCAL_MULTIPLE)


@dataclass(frozen=True)
class ImagingFinding:
    """One imaging fact a flag rests on, with the evidence a card quotes."""

    label: str
    evidence: Evidence


def present(feature: ImagingFeature) -> bool:
    """Affirmed in the current report: not negated, not historical."""
    return not feature.negated and not feature.historical


def report_evidence(report: ImagingReport, label: str, quote: str | None = None) -> Evidence:
    return Evidence(
        label=f"{report.title}: {label}" if report.title else label,
        reference=report.reference,
        date=report.effective.date(),
        quote=quote,
    )


def _quote(feature: ImagingFeature) -> str:
    return (feature.sentence or feature.span).text


def field_strength(report: ImagingReport) -> float | None:
    if report.field_strength_t is not None:
        return report.field_strength_t
    for feature in report.features:
        if feature.kind is FeatureKind.FIELD_STRENGTH and feature.value is not None:
            return feature.value
    return None


def chemical_shift_threshold_at(tesla: float | None) -> float:
    """Signal-drop threshold (%) at a field strength (SPEC.md section 3): below 20 % at 1.5 T,
    below 25 % at 3 T is worrisome. The 3 T threshold applies from
    `thresholds.CHEMICAL_SHIFT_3T_FROM_TESLA` up, and when the field is unknown (the stricter
    one: a drop is called benign only if it would be benign at either field)."""
    if tesla is not None and tesla < t.CHEMICAL_SHIFT_3T_FROM_TESLA:
        return t.CHEMICAL_SHIFT_DROP_1_5T_PCT
    return t.CHEMICAL_SHIFT_DROP_3T_PCT


def chemical_shift_threshold(report: ImagingReport) -> float:
    """Signal-drop threshold (%) of the report's field strength (`chemical_shift_threshold_at`)."""
    return chemical_shift_threshold_at(field_strength(report))


def chemical_shift_drop(report: ImagingReport) -> tuple[float, ImagingFeature | None] | None:
    """The chemical-shift signal drop (%) and the feature it was read from, if measured.

    Several measured drops (one per level): the lowest decides, the more cautious reading
    (a small drop is the worrisome one, SPEC.md section 3)."""
    measured = [
        (feature.value, feature)
        for feature in report.features
        if feature.kind is FeatureKind.CHEMICAL_SHIFT_DROP
        and feature.value is not None
        and present(feature)
    ]
    if measured:
        return min(measured, key=lambda pair: pair[0])
    if report.signal_drop_pct is not None:
        return report.signal_drop_pct, None
    return None


def worrisome_features(report: ImagingReport) -> tuple[ImagingFinding, ...]:
    """SPEC.md §3 worrisome features affirmed in `report` (H-IMAGING)."""
    found: list[ImagingFinding] = []
    for feature in report.features:
        if feature.kind in WORRISOME and present(feature):
            label = WORRISOME[feature.kind]
            found.append(ImagingFinding(label, report_evidence(report, label, _quote(feature))))
    drop = chemical_shift_drop(report)
    if drop is not None:
        pct, source = drop
        limit = chemical_shift_threshold(report)
        if pct < limit:
            label = f"chemical-shift signal drop {pct:g}% (below {limit:g}%)"
            quote = _quote(source) if source else None
            found.append(ImagingFinding(label, report_evidence(report, label, quote)))
    return tuple(found)


def benign_features(report: ImagingReport) -> tuple[ImagingFinding, ...]:
    """SPEC.md §3 benign modifiers and hedges affirmed in `report`."""
    found = [
        ImagingFinding(BENIGN[f.kind], report_evidence(report, BENIGN[f.kind], _quote(f)))
        for f in report.features
        if f.kind in BENIGN and present(f)
    ]
    drop = chemical_shift_drop(report)
    if drop is not None and drop[0] >= chemical_shift_threshold(report):
        label = f"chemical-shift signal drop {drop[0]:g}%"
        quote = _quote(drop[1]) if drop[1] else None
        found.append(ImagingFinding(label, report_evidence(report, label, quote)))
    return tuple(found)


def _comparable(index: ImagingReport, prior: ImagingReport) -> bool:
    """Prior MRI of the same region (lesion counts of different regions do not compare)."""
    return prior.region is index.region


def compare(index: ImagingReport, prior: ImagingReport) -> tuple[str, ...]:
    """How the index is worse than `prior`, from class and lesion count / size."""
    changes: list[str] = []
    if index.image_class is ImagingClass.DIFFUSE and prior.image_class in (
        ImagingClass.NEGATIVE,
        ImagingClass.NONSPECIFIC,
    ):
        changes.append(f"evolution to a diffuse pattern (was {prior.image_class.value})")
    if index.image_class in _FOCAL and prior.image_class not in _FOCAL:
        changes.append(f"new focal lesion (was {prior.image_class.value})")
    elif (
        index.image_class is ImagingClass.FOCAL_MULTIPLE
        and prior.image_class is ImagingClass.FOCAL_EQUIVOCAL
    ):
        changes.append("equivocal focal finding progressed to multiple focal lesions >=5 mm")
    elif (
        index.lesion_count is not None
        and prior.lesion_count is not None
        and index.lesion_count > prior.lesion_count
    ):
        changes.append(f"lesions {prior.lesion_count} -> {index.lesion_count}")
    if index.lesion_sizes_mm and prior.lesion_sizes_mm:
        before, after = max(prior.lesion_sizes_mm), max(index.lesion_sizes_mm)
        if after > before:
            changes.append(f"largest lesion {before:g} -> {after:g} mm")
    return tuple(changes)


def escalation(
    index: ImagingReport, priors: tuple[ImagingReport, ...]
) -> tuple[ImagingFinding, ...]:
    """SPEC.md §5 escalation from the imaging history (reported and by comparison)."""
    found: list[ImagingFinding] = []
    if index.interval_change in _ESCALATING_CHANGE:
        label = _ESCALATING_CHANGE[index.interval_change]
        found.append(ImagingFinding(label, report_evidence(index, label)))
    prior = next((p for p in priors if _comparable(index, p)), None)
    if prior is not None:
        changes = compare(index, prior)
        if changes:
            day = prior.effective.date().isoformat()
            label = f"compared with MRI of {day} ({prior.reference}): " + "; ".join(changes)
            found.append(ImagingFinding(label, report_evidence(index, label)))
    return tuple(found)


def stable_since(index: ImagingReport, priors: tuple[ImagingReport, ...]) -> datetime | None:
    """Start of the stable interval: walking back through earlier MRIs of the same region,
    the date of the oldest one reached while each study is no worse than the one before it
    and every one shows a marrow finding. None when the index is the first study (or worse
    than the one before it)."""
    start: datetime | None = None
    newer = index
    for older in (p for p in priors if _comparable(index, p)):
        if older.image_class is ImagingClass.NEGATIVE or compare(newer, older):
            break
        start, newer = older.effective, older
    return start


def lytic_lesions(
    reports: tuple[ImagingReport, ...], as_of: datetime
) -> tuple[ImagingFinding, ...]:
    """U-B: lytic lesion(s) affirmed on a radiograph, CT or PET-CT dated up to `as_of` (plus
    the clock-skew tolerance; `logic.context.future_dated_problems` reports later ones)."""
    found: list[ImagingFinding] = []
    for report in reports:
        if report.modality not in (Modality.XR, Modality.CT, Modality.PET):
            continue
        if dated_after(report.effective, as_of):
            continue
        for feature in report.features:
            if feature.kind is FeatureKind.LYTIC_LESION and present(feature):
                label = "lytic lesion"
                found.append(ImagingFinding(label, report_evidence(report, label, _quote(feature))))
    return tuple(found)


# ---------------------------------------------------------------- the index report (§2)

# SPEC.md §3 lists the classes from least to most severe; "the region whose class is highest"
# follows that order (FOCAL_EQUIVOCAL leads to R6, which the table puts before DIFFUSE's R7).
CLASS_RANK: dict[ImagingClass, int] = {
    ImagingClass.NEGATIVE: 0,
    ImagingClass.NONSPECIFIC: 1,
    ImagingClass.DIFFUSE: 2,
    ImagingClass.FOCAL_EQUIVOCAL: 3,
    ImagingClass.FOCAL_MULTIPLE: 4,
}

# Statuses of a report that replaces the earlier report of the same exam (SPEC.md §2).
REPLACING_STATUSES = frozenset({"amended", "corrected"})

# SPEC.md §2: "whole spine covers the spinal regions". The region model has one SPINE region
# for whole, thoracic and unspecified spine studies, so a SPINE report covers the lumbar spine
# only when its title says it is a whole-spine study (a thoracic MRI never clears a lumbar
# finding). The sacrum and the pelvis are regions of their own; a whole-body MRI covers all.
_WHOLE_SPINE = re.compile(
    r"\b(?:whole|total|entire|complete|full)[- ]spine\b|\bcervical,? thoracic,? (?:and )?lumbar\b"
    r"|\bthoraco-?lumbar\b|\blumbar\b",
    re.IGNORECASE,
)
_ALL_REGIONS = frozenset(Region) - {Region.OTHER}


def regions_covered(report: ImagingReport) -> frozenset[Region]:
    """The regions an MRI covers (SPEC.md §2): its own; a whole-body MRI every region; a
    whole-spine MRI (named so in its title) the spine and the lumbar spine."""
    if report.region is Region.WHOLE_BODY:
        return _ALL_REGIONS
    if report.region is Region.SPINE and _WHOLE_SPINE.search(report.title or ""):
        return frozenset({Region.SPINE, Region.LUMBAR_SPINE})
    return frozenset({report.region})


def same_exam(a: ImagingReport, b: ImagingReport) -> bool:
    """Two reports of the same exam (SPEC.md §2): a shared identifier, a shared ImagingStudy
    or basedOn reference, or the same exam code and effective time."""
    if set(a.identifiers) & set(b.identifiers):
        return True
    if set(a.studies) & set(b.studies) or set(a.based_on) & set(b.based_on):
        return True
    return a.code is not None and a.code == b.code and a.effective == b.effective


def _replaces(newer: ImagingReport, older: ImagingReport) -> bool:
    """`newer` (amended or corrected) replaces `older`, a report of the same exam: `older` is
    not amended/corrected, or was issued before `newer`."""
    if newer.status not in REPLACING_STATUSES or not same_exam(newer, older):
        return False
    if older.status not in REPLACING_STATUSES:
        return True
    return newer.issued is not None and (older.issued is None or older.issued < newer.issued)


def superseded(reports: Iterable[ImagingReport]) -> dict[str, ImagingReport]:
    """Reference of each superseded report -> the amended / corrected report replacing it."""
    items = list(reports)
    found: dict[str, ImagingReport] = {}
    for newer in items:
        for older in items:
            distinct = older is not newer and older.reference != newer.reference
            if distinct and _replaces(newer, older):
                found.setdefault(older.reference, newer)
    return found


@dataclass(frozen=True)
class IndexChoice:
    """The index MRI and how it was chosen (SPEC.md §2)."""

    index: ImagingReport | None
    live: tuple[ImagingReport, ...]  # not superseded, newest first
    replaced: tuple[tuple[ImagingReport, ImagingReport], ...] = ()  # (superseded, by)

    @property
    def priors(self) -> tuple[ImagingReport, ...]:
        """Earlier MRI reports (comparison history), newest first: older than the index."""
        index = self.index
        if index is None:
            return ()
        return tuple(r for r in self.live if r is not index and r.effective <= index.effective)

    @property
    def newer(self) -> tuple[ImagingReport, ...]:
        """MRI reports newer than the index (of regions the index finding is not in)."""
        index = self.index
        if index is None:
            return ()
        return tuple(r for r in self.live if r.effective > index.effective)


def choose_index(newest_first: Iterable[ImagingReport]) -> IndexChoice:
    """SPEC.md §2: drop superseded reports; per region, the newest report covering it stands;
    the index is the most recent of those whose class is highest."""
    reports = tuple(newest_first)
    replaced_by = superseded(reports)
    live = tuple(r for r in reports if r.reference not in replaced_by)
    current: dict[Region, ImagingReport] = {}
    for report in live:
        for region in regions_covered(report):
            current.setdefault(region, report)
    # one entry per report (a report standing for several regions): by identity, not by
    # equality, which hashed every field and feature of each report
    standing = list({id(r): r for r in current.values()}.values())
    index = None
    if standing:
        index = max(standing, key=lambda r: (CLASS_RANK[r.image_class], r.effective))
    replaced = tuple((r, replaced_by[r.reference]) for r in reports if r.reference in replaced_by)
    return IndexChoice(index, live, replaced)


CLASS_WORDS: dict[ImagingClass, str] = {
    ImagingClass.NEGATIVE: "no marrow abnormality",
    ImagingClass.NONSPECIFIC: "nonspecific heterogeneity",
    ImagingClass.DIFFUSE: "diffuse change",
    ImagingClass.FOCAL_EQUIVOCAL: "one indeterminate focal lesion",
    ImagingClass.FOCAL_MULTIPLE: "several focal lesions",
}


def _named(report: ImagingReport) -> str:
    title = report.title or "MRI"
    return f"{title} of {report.effective.date().isoformat()} ({report.reference})"


def index_notes(choice: IndexChoice) -> tuple[str, ...]:
    """What a card says about the choice of the index MRI (SPEC.md §2: "the card names it"),
    when it is not simply the newest report: newer MRIs of other regions, and reports an
    amended or corrected report replaced."""
    notes: list[str] = []
    index = choice.index
    if index is not None and choice.newer:
        newer = "; ".join(f"{_named(r)}: {CLASS_WORDS[r.image_class]}" for r in choice.newer)
        notes.append(
            f"Index MRI: {_named(index)}, {CLASS_WORDS[index.image_class]}: the most recent "
            "MRI of the region with the most significant finding. A newer MRI replaces an "
            f"older one only for the regions it covers; newer MRI of other regions: {newer}."
        )
    for old, new in choice.replaced:
        notes.append(
            f"{_named(old)} is replaced by the {new.status} report of the same exam "
            f"({new.reference})."
        )
    return tuple(notes)
