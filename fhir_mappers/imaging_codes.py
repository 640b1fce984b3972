"""Imaging report codes and categories (SPEC.md section 6) and how an exam is recognised.

A DiagnosticReport is an *imaging* report when its category is Radiology (LOINC LP29684-5, or
v2-0074 RAD; both systems occur in real data, CDS-HOOKS.md "Real-world FHIR shapes"), or when its
code is one of the imaging LOINC codes below. Modality, region and contrast come from the code
table first, then from the code's display/text (CPT or local codes: SPEC.md section 6, last line),
then from the report's own title line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from logic.model import Contrast, Modality, Region

LOINC = "http://loinc.org"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
# Older / alternative spellings of the v2-0074 system seen in R4 data.
V2_0074_ALIASES = frozenset(
    {V2_0074, "http://hl7.org/fhir/v2/0074", "urn:oid:2.16.840.1.113883.12.74"}
)
SNOMED = "http://snomed.info/sct"
CPT = "http://www.ama-assn.org/go/cpt"

# SPEC.md section 6: DiagnosticReport.category Radiology.
RADIOLOGY_CATEGORY_LOINC = "LP29684-5"
RADIOLOGY_CATEGORY_V2 = "RAD"
# Not in SPEC.md: the HL7 core examples carry SNOMED 394914008 |Radiology| beside v2-0074 RAD.
RADIOLOGY_CATEGORY_SNOMED = "394914008"
LAB_CATEGORY_V2 = "LAB"

# SPEC.md section 6: generic "Diagnostic imaging study" code; says nothing about modality or site.
GENERIC_IMAGING_LOINC = "18748-4"


@dataclass(frozen=True)
class ExamCode:
    """What an exam code says about the study."""

    modality: Modality
    region: Region
    contrast: Contrast
    name: str


_WO = Contrast.WITHOUT
_W = Contrast.WITH
_WOW = Contrast.WITHOUT_AND_WITH
_UNK = Contrast.UNKNOWN

# SPEC.md section 6, table "Imaging report codes" (LOINC).
EXAM_LOINC: dict[str, ExamCode] = {
    "24968-0": ExamCode(Modality.MR, Region.LUMBAR_SPINE, _UNK, "MR lumbar spine"),
    "30679-5": ExamCode(Modality.MR, Region.LUMBAR_SPINE, _WO, "MR lumbar spine without contrast"),
    "30678-7": ExamCode(Modality.MR, Region.LUMBAR_SPINE, _W, "MR lumbar spine with contrast"),
    "24967-2": ExamCode(
        Modality.MR, Region.LUMBAR_SPINE, _WOW, "MR lumbar spine without and with contrast"
    ),
    "36111-3": ExamCode(Modality.MR, Region.LUMBAR_SPINE, _UNK, "MR lumbar spine limited"),
    "36059-4": ExamCode(Modality.MR, Region.SACRUM, _UNK, "MR sacrum"),
    "36521-3": ExamCode(Modality.MR, Region.SACRUM, _WO, "MR sacrum without contrast"),
    "36391-1": ExamCode(Modality.MR, Region.SACRUM, _WOW, "MR sacrum without and with contrast"),
    "36060-2": ExamCode(Modality.MR, Region.SACRUM, _UNK, "MR sacrum and coccyx"),
    "24867-4": ExamCode(Modality.MR, Region.PELVIS, _UNK, "MR pelvis"),
    "30673-8": ExamCode(Modality.MR, Region.PELVIS, _WO, "MR pelvis without contrast"),
    "30674-6": ExamCode(Modality.MR, Region.PELVIS, _WOW, "MR pelvis without and with contrast"),
    "36067-7": ExamCode(Modality.MR, Region.SPINE, _UNK, "MR spine"),
    "36531-2": ExamCode(Modality.MR, Region.SPINE, _WO, "MR spine without contrast"),
    "36400-0": ExamCode(Modality.MR, Region.SPINE, _WOW, "MR spine without and with contrast"),
    "36532-0": ExamCode(Modality.MR, Region.SPINE, _WO, "MR thoracic spine without contrast"),
    "36031-3": ExamCode(Modality.MR, Region.SACROILIAC, _UNK, "MR sacroiliac joints"),
    "46358-8": ExamCode(Modality.MR, Region.WHOLE_BODY, _UNK, "MR whole body"),
    "46305-9": ExamCode(Modality.CT, Region.WHOLE_BODY, _UNK, "CT whole body"),
    "44139-4": ExamCode(Modality.PET, Region.WHOLE_BODY, _UNK, "PET whole body"),
}

# Regions in which heterogeneous marrow signal is read by this service (SPEC.md section 6).
MARROW_REGIONS = frozenset(
    {
        Region.LUMBAR_SPINE,
        Region.SACRUM,
        Region.PELVIS,
        Region.SPINE,
        Region.SACROILIAC,
        Region.WHOLE_BODY,
    }
)
# Modalities read for lytic lesions (flag U-B: radiograph, CT or PET-CT).
LYTIC_MODALITIES = frozenset({Modality.CT, Modality.XR, Modality.PET})

_F = re.IGNORECASE

# Modality words. Order matters: PET-CT is PET, "CT" alone is CT.
_MODALITY_PATTERNS: tuple[tuple[Modality, re.Pattern[str]], ...] = (
    (Modality.PET, re.compile(r"\bPET\b|positron emission|\bFDG\b", _F)),
    (Modality.MR, re.compile(r"\bMRI?\b|\bMR[- ]|magnetic resonance|\bNMR\b", _F)),
    (Modality.CT, re.compile(r"\bCT\b|\bCAT scan|computed tomograph", _F)),
    (
        Modality.XR,
        re.compile(
            r"\bXR\b|x-?ray|radiograph|skeletal survey|bone survey|plain film|\bDX\b|\bCR\b", _F
        ),
    ),
    (
        Modality.OTHER,
        re.compile(
            r"ultraso|sonograph|\bUS\b|\bDXA\b|\bDEXA\b|densitometr|bone density|"
            r"bone scan|scintigra|\bNM\b|mammo",
            _F,
        ),
    ),
)

# Region words. Order matters: "lumbosacral" is lumbar spine; "sacroiliac" before "sacrum".
_REGION_PATTERNS: tuple[tuple[Region, re.Pattern[str]], ...] = (
    (Region.WHOLE_BODY, re.compile(r"whole[- ]body|total[- ]body|\bWB\b", _F)),
    (Region.SACROILIAC, re.compile(r"sacro-?iliac|\bSI\s+joints?\b|\bSIJ", _F)),
    (
        Region.LUMBAR_SPINE,
        re.compile(r"lumb[ao]|\bL-?spine\b|\bLS\s+spine\b|\bL/S\b", _F),
    ),
    (Region.SACRUM, re.compile(r"\bsacr(um|al)\b|coccy", _F)),
    (Region.PELVIS, re.compile(r"\bpelvi[sc]", _F)),
    (
        Region.SPINE,
        re.compile(r"\bspine\b|\bspinal\b|thoracic|cervical|\b[CT]-?spine\b|\bwhole spine", _F),
    ),
)

_CONTRAST_PATTERNS: tuple[tuple[Contrast, re.Pattern[str]], ...] = (
    (
        Contrast.WITHOUT_AND_WITH,
        re.compile(
            r"with(out)?\s+(and|&|/)\s+with(out)?|\bw/?o\s*(and|&|/|\+)?\s*w/?\b|"
            r"\bwo?/w\b|\bw\s*/?\s*wo\b|\bwwo\b|pre[- ]?\s*(and|&|/)\s*post|"
            r"before and after",
            _F,
        ),
    ),
    (
        Contrast.WITHOUT,
        re.compile(
            r"without\s+(iv\s+)?(contrast|gad)|\bw/?o\s+(iv\s+)?(contrast|con\b|gad)|\bwo\b|"
            r"non-?\s*contrast|unenhanced|non-?enhanced|\bw/o\b",
            _F,
        ),
    ),
    (
        Contrast.WITH,
        re.compile(
            r"\bwith\s+(iv\s+)?(contrast|gad)|\bw/?\s+(iv\s+)?(contrast|con\b|gad)|"
            r"post-?\s*contrast|contrast[- ]enhanced|\bw\s+contrast",
            _F,
        ),
    ),
)


def imaging_document_types() -> tuple[str, ...]:
    """LOINC document types of an imaging report kept as a DocumentReference (issue 17): the
    generic 18748-4 and the exam codes of SPEC.md section 6."""
    return (GENERIC_IMAGING_LOINC, *EXAM_LOINC)


def is_radiology_category(system: str, code: str) -> bool:
    """SPEC.md section 6: category LOINC LP29684-5 or v2-0074 RAD (plus SNOMED Radiology)."""
    if system == LOINC and code == RADIOLOGY_CATEGORY_LOINC:
        return True
    if system in V2_0074_ALIASES and code == RADIOLOGY_CATEGORY_V2:
        return True
    return system == SNOMED and code == RADIOLOGY_CATEGORY_SNOMED


def is_lab_category(system: str, code: str) -> bool:
    return system in V2_0074_ALIASES and code == LAB_CATEGORY_V2


def modality_in(text: str) -> Modality | None:
    """The modality a title names ("MRI L-spine w/o" -> MR), or None."""
    for modality, pattern in _MODALITY_PATTERNS:
        if pattern.search(text):
            return modality
    return None


def region_in(text: str) -> Region | None:
    """The body region a title names, or None."""
    for region, pattern in _REGION_PATTERNS:
        if pattern.search(text):
            return region
    if re.search(r"\b(head|brain|chest|abdomen|knee|shoulder|neck|breast|cardiac)\b", text, _F):
        return Region.OTHER
    return None


def contrast_in(text: str) -> Contrast:
    """Contrast phase a title names: without / with / without-and-with, else UNKNOWN."""
    for contrast, pattern in _CONTRAST_PATTERNS:
        if pattern.search(text):
            return contrast
    return Contrast.UNKNOWN
