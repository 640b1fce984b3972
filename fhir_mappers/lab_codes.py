"""LOINC codes recognised per analyte (SPEC.md section 4, "LOINC codes to accept").

One row per code. `verified=False` marks the codes SPEC.md lists as "(verify)": they are
recognised, but they come from a secondary source only and are unverified here too.

Deliberately NOT recognised (SPEC.md section 4, "Codes that public code gets wrong"):
- 26450-7 is eosinophils %, not a monocyte code;
- "33944-8" and "33945-5" are not LOINC codes (lambda free light chains is 33944-0);
- total (not free) kappa / lambda light chains must not feed the FLC rules, so no total
  light-chain code is in the table.
Distinct analytes are never merged: ionized calcium is not total calcium, the monocyte percent
is not an absolute count, the albumin-corrected calcium the lab reports is its own analyte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logic.model import Analyte

LOINC_SYSTEM = "http://loinc.org"
LOINC_SYSTEMS = frozenset({LOINC_SYSTEM, "urn:oid:2.16.840.1.113883.6.1"})  # URL or HL7 OID


@dataclass(frozen=True)
class LabCode:
    code: str
    analyte: Analyte
    verified: bool = True  # False: "(verify)" in SPEC.md section 4
    note: str = ""


def _rows(analyte: Analyte, codes: str, *, verified: bool = True, note: str = "") -> list[LabCode]:
    return [LabCode(c.strip(), analyte, verified, note) for c in codes.split(",")]


A = Analyte
_TABLE: list[LabCode] = [
    *_rows(A.HAEMOGLOBIN, "718-7, 30313-1"),
    *_rows(A.HAEMOGLOBIN, "30350-3, 30352-9, 20509-6, 55782-7", verified=False),
    *_rows(A.HAEMOGLOBIN, "59260-0", note="molar"),
    *_rows(A.CALCIUM_TOTAL, "17861-6, 49765-1", note="mass"),
    *_rows(A.CALCIUM_TOTAL, "2000-8", note="molar"),
    *_rows(A.CALCIUM_ALBUMIN_CORRECTED, "29265-6", note="molar"),
    *_rows(A.CALCIUM_IONIZED, "1994-3, 1995-0"),
    *_rows(A.CALCIUM_IONIZED, "47596-2, 17863-2", verified=False),
    *_rows(A.CREATININE, "2160-0, 38483-4, 14682-9, 59826-8, 77140-2"),
    *_rows(A.EGFR, "33914-3, 48642-3, 48643-1, 62238-1, 98979-8"),
    *_rows(A.CREATININE_CLEARANCE, "35591-7"),
    *_rows(A.ALBUMIN, "1751-7, 2862-1"),
    *_rows(A.ALBUMIN, "61151-7, 61152-5", verified=False),
    *_rows(A.FLC_KAPPA, "36916-5"),
    *_rows(A.FLC_KAPPA, "104544-2", verified=False),
    *_rows(A.FLC_LAMBDA, "33944-0"),
    *_rows(A.FLC_RATIO, "48378-4"),
    *_rows(A.FLC_RATIO, "40844-3", note="deprecated"),
    *_rows(A.FLC_RATIO, "104546-7", verified=False),
    *_rows(A.M_PROTEIN, "33358-3"),
    *_rows(A.M_PROTEIN, "51435-6", verified=False),
    *_rows(A.SPEP_IFE, "12851-2, 25700-6, 49275-1", note="interpretation"),
    *_rows(A.SPEP_IFE, "2865-4, 2868-8, 2871-2, 2874-6", note="fraction"),
    *_rows(A.URINE_PROTEIN_24H, "2889-4"),
    *_rows(A.URINE_M_PROTEIN_24H, "42482-0"),
    *_rows(A.URINE_M_PROTEIN_24H, "40661-1", verified=False),
    *_rows(A.IGG, "2465-3"),
    *_rows(A.IGA, "2458-8"),
    *_rows(A.IGM, "2472-9"),
    *_rows(A.BETA2_MICROGLOBULIN, "1952-1"),
    *_rows(A.WBC, "6690-2, 26464-8"),
    *_rows(A.WBC, "804-5", verified=False),
    *_rows(A.PLATELETS, "777-3, 26515-7"),
    *_rows(A.PLATELETS, "778-1, 49497-1", verified=False),
    *_rows(A.NEUTROPHILS_ABSOLUTE, "751-8, 26499-4"),
    *_rows(A.MONOCYTES_ABSOLUTE, "742-7, 26484-6"),
    *_rows(A.MONOCYTES_ABSOLUTE, "743-5", verified=False),
    *_rows(A.MONOCYTES_PERCENT, "5905-5, 26485-3, 744-3"),
    *_rows(A.LDH, "2532-0"),
    *_rows(A.FERRITIN, "2276-4"),
    *_rows(A.FERRITIN, "24373-3, 20567-4", verified=False),
]

LAB_CODES: dict[str, LabCode] = {row.code: row for row in _TABLE}
assert len(LAB_CODES) == len(_TABLE), "a LOINC code is listed for two analytes"

# Every recognised code, for the cheap raw-JSON pre-selection (select.py).
LAB_LOINC_CODES: frozenset[str] = frozenset(LAB_CODES)

# Codes that look plausible but must never be recognised (SPEC.md section 4), for the tests.
NOT_RECOGNISED: dict[str, str] = {
    "26450-7": "eosinophils % (not monocytes)",
    "33944-8": "not a LOINC code",
    "33945-5": "not a LOINC code",
}

# Codes whose result is qualitative (SPEP / IFE interpretation), never a number on its own.
QUALITATIVE_CODES: frozenset[str] = frozenset({"12851-2", "25700-6", "49275-1"})
ELECTROPHORESIS_FRACTION_CODES: frozenset[str] = frozenset({"2865-4", "2868-8", "2871-2", "2874-6"})


def recognise(codings: object) -> LabCode | None:
    """The first coding (LOINC by URL or OID, or no system) whose code is in the table."""
    if not isinstance(codings, list):
        return None
    for coding in codings:
        if not isinstance(coding, Mapping):
            continue
        found = lab_code_of(coding)
        if found is not None:
            return found
    return None


def lab_code_of(coding: Mapping[str, Any]) -> LabCode | None:
    code = coding.get("code")
    if not isinstance(code, str):
        return None
    row = LAB_CODES.get(code)
    if row is None:
        return None
    system = coding.get("system")
    if system is not None and (not isinstance(system, str) or system not in LOINC_SYSTEMS):
        return None
    return row
