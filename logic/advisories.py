"""Imaging-protocol advice: the SPEC.md section 5 pitfalls that a report or plan shows.

- a contrast-only index MRI without pre-contrast sequences;
- no chemical-shift imaging when the index class is DIFFUSE or NONSPECIFIC;
- a skeletal survey as the only whole-body imaging when whole-body imaging is recommended;
- MRI appearance alone treated as proof of benignity (benign modifiers on the index).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from logic.imaging import benign_features, report_evidence
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


def chemical_shift_suggested(sit: Situation, rule_id: str) -> Advisory | None:
    index = sit.index
    if index is None or index.image_class not in (ImagingClass.DIFFUSE, ImagingClass.NONSPECIFIC):
        return None
    if index.chemical_shift_done or index.signal_drop_pct is not None:
        return None
    return Advisory(
        code="chemical-shift",
        summary="Consider chemical-shift (in/opposed-phase or Dixon) MRI of the marrow",
        detail="A signal drop of 20% or more at 1.5 T (25% at 3 T) supports benign red marrow; "
        "a smaller drop is a worrisome feature (SPEC.md section 3).",
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


def benign_appearance_not_proof(sit: Situation, rule_id: str) -> Advisory | None:
    index = sit.index
    if index is None:
        return None
    benign = benign_features(index)
    if not benign:
        return None
    return Advisory(
        code="benign-appearance-not-proof",
        summary="A benign-looking MRI does not exclude marrow disease: labs and follow-up decide",
        detail="Features favouring red marrow are reassuring but not proof of benignity; the "
        "first-line labs and the surveillance plan still apply (SPEC.md section 5 pitfalls).",
        evidence=tuple(f.evidence for f in benign),
    )


@dataclass(frozen=True)
class AdvisoryRule:
    code: str
    when: str
    find: Callable[[Situation, str], Advisory | None]


ADVISORY_RULES: tuple[AdvisoryRule, ...] = (
    AdvisoryRule(
        "pre-contrast-missing",
        "the index MRI was contrast-only, without pre-contrast sequences",
        pre_contrast_missing,
    ),
    AdvisoryRule(
        "chemical-shift",
        "index class DIFFUSE or NONSPECIFIC and no chemical-shift (in/opposed-phase, Dixon) "
        "imaging done",
        chemical_shift_suggested,
    ),
    AdvisoryRule(
        "skeletal-survey-alone",
        "whole-body imaging is recommended (R2-R4) and a skeletal survey is the only "
        "whole-body imaging on record",
        skeletal_survey_alone,
    ),
    AdvisoryRule(
        "benign-appearance-not-proof",
        "the index MRI shows benign modifiers or a benign hedge (MRI appearance alone is not "
        "proof of benignity)",
        benign_appearance_not_proof,
    ),
)


def advisories(sit: Situation, rule_id: str) -> tuple[Advisory, ...]:
    """Every imaging-protocol advisory relevant to this patient and decision."""
    found = (rule.find(sit, rule_id) for rule in ADVISORY_RULES)
    return tuple(a for a in found if a is not None)
