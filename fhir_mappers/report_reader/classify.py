"""The class of a report and its interval change, from the present findings (SPEC.md section 3).

The class (exactly one) is decided from what is present (not negated, not historical), in this
order -- the choices the SPEC leaves open are documented on `classify`:
FOCAL_MULTIPLE > DIFFUSE > FOCAL_EQUIVOCAL > NONSPECIFIC > NEGATIVE.

Several focal lesions whose sizes are given only as the largest ("numerous lesions measuring up to
9 mm", "multiple lesions, largest 12 mm") are FOCAL_MULTIPLE when no stated size is below 5 mm:
a conservative (safety-first) reading of SPEC.md's "two or more focal lesions each >= 5 mm",
decided by the team pending clinical sign-off (see `classify`). Lesions spread "throughout" the
spine in innumerable / numerous / diffuse numbers are a DIFFUSE pattern, not FOCAL_EQUIVOCAL.

The interval change is the worst one present (`_INTERVAL_PRIORITY`); "no new lesion" / "no
interval increase" alone read as stable.
"""

from __future__ import annotations

from collections.abc import Sequence

from fhir_mappers.report_reader.measurements import _LesionSummary
from fhir_mappers.report_reader.scope import _Hit
from fhir_mappers.report_reader.vocabulary import _Kind
from logic.model import FeatureKind, ImagingClass, IntervalChange
from logic.thresholds import U_L_MIN_SIZE_MM

_INTERVAL_PRIORITY = (
    IntervalChange.NEW_LESION,
    IntervalChange.EVOLVED_DIFFUSE,
    IntervalChange.INCREASED,
    IntervalChange.STABLE,
    IntervalChange.DECREASED,
    IntervalChange.RESOLVED,
)


def classify(hits: Sequence[_Hit], lesions: _LesionSummary) -> tuple[ImagingClass, list[str]]:
    """The class of the report (SPEC.md section 3), with the reasons in words.

    Only present findings count (not negated, not historical). Order, first match wins:

    1. FOCAL_MULTIPLE: two or more focal lesions documented as >= 5 mm each (flag U-L):
       explicit sizes, or a range whose lower end is >= 5 mm ("6-12 mm").
    1b. FOCAL_MULTIPLE, conservative reading (team decision, safety first, pending clinical
       sign-off): the report affirms two or more focal lesions (count >= 2, not negated, not
       historical), no stated size is below 5 mm (neither a size nor a "< 5 mm" bound), and the
       largest stated size is >= 5 mm: "numerous lesions at L1, L2, L4 and S1 measuring up to
       9 mm", "multiple focal lesions, largest 12 mm", "multiple lesions up to 8 mm". SPEC.md
       section 3 says "each >= 5 mm"; a radiologist who gives only the largest size of a set of
       lesions does not document the others as small, and reading them as FOCAL_EQUIVOCAL (R6)
       would hide a possible myeloma-defining event (U-L, R2). Sizes of typical haemangiomas,
       bone islands, Schmorl nodes and cysts are not lesion sizes. Lesions with no size at all
       stay FOCAL_EQUIVOCAL (indeterminate) unless their distribution makes them DIFFUSE.
    2. DIFFUSE: a distribution word about the marrow ("diffuse", "throughout", "all vertebral
       bodies", three or more vertebral levels), or marrow replacement / infiltration that is not
       merely possible ("cannot exclude an infiltrative process" is a worrisome feature, not a
       pattern). Distribution beats "mild", and it beats a single equivocal lesion (which keeps
       its own worrisome features). Lesions described as a spread -- "innumerable / numerous /
       diffuse / widespread lesions throughout the spine" -- are a DIFFUSE pattern too (SPEC.md
       section 3: "throughout", distribution words; "Innumerable tiny foci 'throughout' are
       DIFFUSE", whatever their size). "Multiple lesions throughout the pelvis" (a count word,
       not a spread word) stays a set of focal lesions.
    3. FOCAL_EQUIVOCAL: any present focal lesion (one lesion, lesions all < 5 mm, sizes unknown)
       or "indeterminate" / "equivocal" about a marrow finding.
    4. NONSPECIFIC: heterogeneous / abnormal marrow signal otherwise (slight, mild, patchy,
       localised, or unqualified), or a benign hedge (red marrow reconversion / hyperplasia).
    5. NEGATIVE: nothing present.
    """
    present = [h for h in hits if not h.negated and not h.historical and h.subtype != "normal"]
    lesion_present = any(
        h.kind in {FeatureKind.FOCAL_LESION, FeatureKind.LYTIC_LESION} for h in present
    )
    if lesion_present and lesions.measured_ge_5 >= 2:
        return ImagingClass.FOCAL_MULTIPLE, [f"{lesions.measured_ge_5} focal lesions >= 5 mm"]
    if lesion_present and _several_lesions_largest_ge_5(lesions):
        return ImagingClass.FOCAL_MULTIPLE, [
            f"{lesions.count} or more focal lesions, largest {lesions.largest_mm:g} mm, "
            "no stated size < 5 mm (conservative reading of U-L, pending clinical sign-off)"
        ]
    diffuse = [
        h
        for h in present
        if (
            h.kind is FeatureKind.DIFFUSE_PATTERN
            and not h.possible
            and h.subtype != "lesion-distribution"
        )
        or (h.kind is _Kind.MULTILEVEL)
        or (h.kind is FeatureKind.DIFFUSE_HOMOGENEOUS)
    ]
    if diffuse:
        if all(h.subtype == "lesion-spread" for h in diffuse):
            return ImagingClass.DIFFUSE, ["innumerable / numerous lesions throughout (diffuse)"]
        return ImagingClass.DIFFUSE, ["diffuse marrow pattern"]
    if lesion_present:
        if lesions.all_lt_5:
            return ImagingClass.FOCAL_EQUIVOCAL, ["focal lesion(s), all < 5 mm"]
        if (lesions.count or 0) >= 2:
            return ImagingClass.FOCAL_EQUIVOCAL, ["focal lesions without two documented >= 5 mm"]
        return ImagingClass.FOCAL_EQUIVOCAL, ["one focal lesion"]
    marrow = any(
        h.kind in {FeatureKind.MARROW_SIGNAL, FeatureKind.DIFFUSE_PATTERN} for h in present
    )
    if marrow and any(h.kind is _Kind.INDETERMINATE for h in present):
        return ImagingClass.FOCAL_EQUIVOCAL, ["indeterminate marrow finding"]
    if marrow or any(h.kind is FeatureKind.BENIGN_HEDGE for h in present):
        return ImagingClass.NONSPECIFIC, ["nonspecific heterogeneous marrow signal"]
    if any(
        (h.kind in _MARROW_WORRISOME and h.subtype != "soft") or _of_the_marrow_itself(h)
        for h in present
    ):
        # SPEC.md section 3: a worrisome feature is itself a marrow finding
        return ImagingClass.NONSPECIFIC, ["worrisome marrow feature without another finding"]
    return ImagingClass.NEGATIVE, ["no current marrow abnormality"]


# Worrisome features that are statements about the marrow itself (SPEC.md section 3), so that a
# report whose only marrow statement is one of them is at least NONSPECIFIC. Enhancement, high
# signal after fat saturation and sharp margins are said of a lesion or target, which counts itself.
_MARROW_WORRISOME = frozenset(
    {
        FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC,
        FeatureKind.DIFFUSE_HOMOGENEOUS,
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
    }
)


def _of_the_marrow_itself(hit: _Hit) -> bool:
    """High signal after fat saturation said plainly of the marrow ("ill-defined high signal on
    fat-saturated T2 in the right iliac marrow"): not hedged ("mildly"), not oedema (whose
    cause a report names elsewhere), and in a clause that names the marrow (subtype "marrow",
    set by `checks`)."""
    return (
        hit.kind is FeatureKind.FAT_SAT_HIGH_SIGNAL and not hit.hedged and hit.subtype == "marrow"
    )


def _several_lesions_largest_ge_5(lesions: _LesionSummary) -> bool:
    """Two or more affirmed focal lesions, none stated < 5 mm, the largest stated >= 5 mm.

    The conservative reading of FOCAL_MULTIPLE / U-L (SPEC.md sections 3 and 5) documented on
    `classify`; a team decision pending clinical sign-off.
    """
    return (
        (lesions.count or 0) >= 2
        and not lesions.stated_below_5
        and lesions.largest_mm is not None
        and lesions.largest_mm >= U_L_MIN_SIZE_MM
    )


def _interval(hits: Sequence[_Hit]) -> IntervalChange | None:
    found = {h.interval for h in hits if h.interval is not None and not h.negated}
    for change in _INTERVAL_PRIORITY:
        if change in found:
            return change
    # "no new lesion" / "no interval increase" alone: nothing worse than before
    if any(h.interval is not None and h.negated and h.subtype == "pseudo" for h in hits):
        return IntervalChange.STABLE
    return None
