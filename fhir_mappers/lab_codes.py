"""LOINC codes recognised per analyte (SPEC.md section 4, "LOINC codes to accept").

The codes are the `loinc` column of the analyte table (`logic.analytes`, where the codes
SPEC.md marks "(verify)" and those it says public code gets wrong are described); this module
indexes them by code and matches a FHIR coding (system by URL or OID) against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logic.analytes import ROWS, CodeNote
from logic.model import Analyte

LOINC_SYSTEM = "http://loinc.org"
LOINC_SYSTEMS = frozenset({LOINC_SYSTEM, "urn:oid:2.16.840.1.113883.6.1"})  # URL or HL7 OID


@dataclass(frozen=True)
class LabCode:
    code: str
    analyte: Analyte
    verified: bool = True  # False: "(verify)" in SPEC.md section 4
    note: CodeNote = ""


_TABLE: list[LabCode] = [
    LabCode(c.code, row.analyte, c.verified, c.note) for row in ROWS for c in row.loinc
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
QUALITATIVE_CODES: frozenset[str] = frozenset(
    row.code for row in _TABLE if row.note == "interpretation"
)
ELECTROPHORESIS_FRACTION_CODES: frozenset[str] = frozenset(
    row.code for row in _TABLE if row.note == "fraction"
)


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
