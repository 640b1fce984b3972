"""Imaging-protocol advice: the SPEC.md section 5 pitfalls, voiced only where they change
something (alert fatigue: a secondary card that comes with nearly every primary card is soon
ignored, and with it the one that matters).

Shown as the secondary `imaging-protocol` card:

- pre-contrast-missing, always (any card R1-R8): a contrast-only index MRI has no pre-contrast
  T1 sequences, and the marrow is judged on them;
- chemical-shift, only where its result can change the decision: surveillance or deferral
  (R7 DIFFUSE, R8 NONSPECIFIC) and the haematology e-consult (R6: an equivocal focal lesion,
  I-FOCAL, or a DIFFUSE / NONSPECIFIC index), when no chemical-shift (in/opposed-phase,
  Dixon) imaging was done. A drop below 20 % (1.5 T) / 25 % (3 T) is a worrisome feature
  (H-IMAGING) and turns R6-R8 into R4, marrow biopsy. Not on R1-R4, where the biopsy or the
  goals-of-care discussion is already recommended, nor on R5, where the first-line labs come
  first;
- skeletal-survey-alone, where whole-body imaging is recommended (R2-R4) and a skeletal survey
  is the only whole-body imaging on record.

"MRI appearance alone is not proof of benignity" is not a separate card: it is a note of the
primary card where the decision leans on a benign-looking MRI, R7 and R8 (`logic.plans`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from logic.imaging import report_evidence
from logic.model import Advisory, Contrast, ImagingClass, Modality, Region
from logic.situation import Situation

_WHOLE_BODY_RULES = ("R2", "R3", "R4")


def pre_contrast_missing(sit: Situation, rule_id: str) -> Advisory | None:
    index = sit.index
    if index is None or index.contrast is not Contrast.WITH:
        return None
    return Advisory(
        code="pre-contrast-missing",
        summary="MRI was contrast-only: add pre-contrast T1 sequences",
        detail="Marrow signal is judged on pre-contrast T1-weighted images; a contrast-only "
        "MRI cannot show whether the marrow is darker than muscle or disc (SPEC.md section 5 "
        "pitfalls).",
        evidence=(report_evidence(index, "contrast only"),),
    )


# Rules whose decision a chemical-shift result can change (a worrisome drop: H-IMAGING -> R4).
CHEMICAL_SHIFT_RULES = ("R6", "R7", "R8")
_CHEMICAL_SHIFT_CLASSES = (
    ImagingClass.DIFFUSE,
    ImagingClass.NONSPECIFIC,
    ImagingClass.FOCAL_EQUIVOCAL,
)


def chemical_shift_suggested(sit: Situation, rule_id: str) -> Advisory | None:
    """R7/R8, or R6 with I-FOCAL or a DIFFUSE / NONSPECIFIC index, and no chemical-shift
    imaging done: its result could turn surveillance or an e-consult into a biopsy (R4)."""
    index = sit.index
    if rule_id not in CHEMICAL_SHIFT_RULES or index is None:
        return None
    if index.image_class not in _CHEMICAL_SHIFT_CLASSES:
        return None
    if index.chemical_shift_done or index.signal_drop_pct is not None:
        return None
    if index.image_class is ImagingClass.FOCAL_EQUIVOCAL:
        target = "the equivocal focal lesion"
    else:
        target = "the marrow"
    return Advisory(
        code="chemical-shift",
        summary="Consider chemical-shift (in/opposed-phase or Dixon) MRI of the marrow",
        detail=f"Chemical-shift imaging of {target} could change this decision: a signal drop "
        "of 20% or more at 1.5 T (25% at 3 T) supports benign red marrow; a smaller drop is a "
        "worrisome feature that calls for a marrow biopsy (SPEC.md sections 3 and 5).",
        evidence=(report_evidence(index, index.image_class.value),),
    )


def skeletal_survey_alone(sit: Situation, rule_id: str) -> Advisory | None:
    if rule_id not in _WHOLE_BODY_RULES:
        return None
    other = sit.record.other_imaging
    surveys = [
        r
        for r in other
        if r.modality is Modality.XR
        and (r.region is Region.WHOLE_BODY or "survey" in r.title.lower())
    ]
    cross_sectional = [r for r in other if r.modality in (Modality.CT, Modality.PET)]
    whole_body_mri = [r for r in sit.record.mri_reports if r.region is Region.WHOLE_BODY]
    if not surveys or cross_sectional or whole_body_mri:
        return None
    return Advisory(
        code="skeletal-survey-alone",
        summary="A skeletal survey alone does not assess the marrow: use whole-body CT, "
        "PET/CT or MRI",
        detail="Radiographs miss marrow infiltration and small lytic lesions; low-dose "
        "whole-body CT, FDG PET/CT or whole-body MRI is recommended (SPEC.md section 5).",
        evidence=tuple(report_evidence(r, "skeletal survey") for r in surveys),
    )


@dataclass(frozen=True)
class AdvisoryRule:
    code: str
    when: str
    find: Callable[[Situation, str], Advisory | None]


ADVISORY_RULES: tuple[AdvisoryRule, ...] = (
    AdvisoryRule(
        "pre-contrast-missing",
        "the index MRI was contrast-only, without pre-contrast sequences (any card R1-R8)",
        pre_contrast_missing,
    ),
    AdvisoryRule(
        "chemical-shift",
        "the decision is R7 or R8 (surveillance), or R6 (e-consult) with I-FOCAL or a DIFFUSE "
        "or NONSPECIFIC index, and no chemical-shift (in/opposed-phase, Dixon) imaging was "
        "done: a worrisome signal drop would turn it into a marrow biopsy (R4)",
        chemical_shift_suggested,
    ),
    AdvisoryRule(
        "skeletal-survey-alone",
        "whole-body imaging is recommended (R2-R4) and a skeletal survey is the only "
        "whole-body imaging on record",
        skeletal_survey_alone,
    ),
)


def advisories(sit: Situation, rule_id: str) -> tuple[Advisory, ...]:
    """Every imaging-protocol advisory relevant to this patient and decision."""
    found = (rule.find(sit, rule_id) for rule in ADVISORY_RULES)
    return tuple(a for a in found if a is not None)
