"""Canonical units and the clinical display precision of every laboratory analyte.

`CANONICAL_UNIT` (defined in `logic.model`, the shared domain model) is the unit every value is
normalised to before any comparison (SPEC.md section 4). `DECIMALS` is how many decimals a card
shows a value with, in that unit: the precision laboratories report at, so that a card never
shows float noise ("72.489 µmol/L" from a mg/dL conversion) nor more certainty than the
measurement has. The two tables are read together (`PRECISION` pairs them):

| analyte | canonical unit | decimals | shown as |
|---|---|---|---|
| haemoglobin | g/dL | 1 | 9.5 g/dL |
| calcium (total, corrected, ionized) | mmol/L | 2 | 2.90 mmol/L |
| creatinine | umol/L | 0 | 72 umol/L |
| eGFR, creatinine clearance | mL/min/{1.73_m2}, mL/min | 0 | 58 |
| albumin | g/dL | 1 | 3.8 g/dL |
| free light chains kappa, lambda | mg/L | 1 | 19.4 mg/L |
| free light chain ratio | 1 | 2 | 1.65 |
| serum M-protein | g/dL | 1 | 0.8 g/dL |
| urine protein, urine M-protein (24 h) | mg/(24.h) | 0 | 229 mg/24 h |
| IgG, IgA, IgM | mg/dL | 0 | 1100 mg/dL |
| beta-2 microglobulin | mg/L | 1 | 2.7 mg/L |
| WBC, absolute neutrophils | 10*9/L | 1 | 4.0 x10^9/L |
| platelets | 10*9/L | 0 | 150 x10^9/L |
| absolute monocytes | 10*9/L | 2 | 0.62 x10^9/L |
| monocytes percent | % | 1 | 10.5 % |
| LDH | U/L | 0 | 180 U/L |
| ferritin | ug/L | 0 | 12 ug/L |

These are display conventions, not clinical values: no rule reads them. Two guards keep a
rounded value honest (`format_value`):

- a value is never shown on the wrong side of, or on, a limit a rule compares it with when
  the raw value lies on one side of it: one more decimal is shown (and another, up to
  `MAX_EXTRA_DECIMALS`) until the shown value sits on the same side as the raw one (calcium
  2.7504 mmol/L against 2.75 is "2.7504", not "2.75"; creatinine 106.4 umol/L against a ULN
  of 106.1 is "106.4", not "106"); a value above zero never shows as 0;
- a value sent with a comparator ("<0.05") is a bound: it keeps the decimals it was sent with.

Rounding is half-up on the decimal value, as laboratories round (2.345 -> 2.35).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Final

from logic.model import CANONICAL_UNIT, Analyte

DECIMALS: Final[Mapping[Analyte, int]] = MappingProxyType(
    {
        Analyte.HAEMOGLOBIN: 1,
        Analyte.CALCIUM_TOTAL: 2,
        Analyte.CALCIUM_ALBUMIN_CORRECTED: 2,
        Analyte.CALCIUM_IONIZED: 2,
        Analyte.CREATININE: 0,
        Analyte.EGFR: 0,
        Analyte.CREATININE_CLEARANCE: 0,
        Analyte.ALBUMIN: 1,
        Analyte.FLC_KAPPA: 1,
        Analyte.FLC_LAMBDA: 1,
        Analyte.FLC_RATIO: 2,
        Analyte.M_PROTEIN: 1,
        Analyte.URINE_PROTEIN_24H: 0,
        Analyte.URINE_M_PROTEIN_24H: 0,
        Analyte.IGG: 0,
        Analyte.IGA: 0,
        Analyte.IGM: 0,
        Analyte.BETA2_MICROGLOBULIN: 1,
        Analyte.WBC: 1,
        Analyte.PLATELETS: 0,
        Analyte.NEUTROPHILS_ABSOLUTE: 1,
        Analyte.MONOCYTES_ABSOLUTE: 2,
        Analyte.MONOCYTES_PERCENT: 1,
        Analyte.LDH: 0,
        Analyte.FERRITIN: 0,
    }
)

# Analyte -> (canonical unit, decimals): the precision table in one place. Qualitative analytes
# (canonical unit "", SPEP/IFE) have no numeric value and no precision.
PRECISION: Final[Mapping[Analyte, tuple[str, int]]] = MappingProxyType(
    {analyte: (CANONICAL_UNIT[analyte], decimals) for analyte, decimals in DECIMALS.items()}
)

# Canonical UCUM unit -> how a sentence shows it (flag criteria, notes). Evidence keeps the
# UCUM unit; the card renderer has its own display table.
UNIT_DISPLAY: Final[Mapping[str, str]] = MappingProxyType(
    {
        "10*9/L": "×10⁹/L",
        "umol/L": "µmol/L",
        "ug/L": "µg/L",
        "mL/min/{1.73_m2}": "mL/min/1.73 m²",
        "mg/(24.h)": "mg/24 h",
        "1": "",
    }
)


def display_unit(unit: str) -> str:
    """A canonical UCUM unit as a clinician reads it ("mL/min/1.73 m²"; "" for a ratio)."""
    return UNIT_DISPLAY.get(unit, unit)


# How many decimals beyond the clinical precision the threshold guard may add.
MAX_EXTRA_DECIMALS: Final = 4
# Values within this distance of a limit count as equal to it (unit-conversion float noise,
# the same tolerance as the comparisons in `logic.labs`).
_EPS: Final = 1e-9
_FALLBACK_DECIMALS: Final = 3


def decimals_for(analyte: Analyte) -> int:
    """Decimals a card shows `analyte` with (3 for an analyte without an entry)."""
    return DECIMALS.get(analyte, _FALLBACK_DECIMALS)


def _rounded(value: float, decimals: int) -> Decimal:
    try:
        exact = Decimal(repr(value))
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # inf / nan: not a lab value, shown as is
        return Decimal(repr(value))


def _side(value: float, limit: float) -> int:
    if abs(value - limit) <= _EPS:
        return 0
    return 1 if value > limit else -1


def _misplaced(value: float, shown: Decimal, limits: Iterable[float]) -> bool:
    """The shown value sits on a limit, or on its other side, while the raw value does not."""
    for limit in limits:
        raw = _side(value, limit)
        if raw != 0 and _side(float(shown), limit) != raw:
            return True
    return False


def format_value(
    value: float,
    analyte: Analyte,
    limits: Iterable[float] = (),
    *,
    bound: bool = False,
) -> str:
    """`value` (canonical unit) at the clinical precision of `analyte`, honest about `limits`.

    `limits` are the limits a rule compares the value with (reference limits, flag
    thresholds); zero is always one. `bound=True` for a value sent with a comparator: it keeps
    the decimals it was sent with (up to the guard's maximum).
    """
    base = decimals_for(analyte)
    checked = (*limits, 0.0)
    decimals = base
    shown = _rounded(value, decimals)
    while decimals < base + MAX_EXTRA_DECIMALS:
        exact_enough = not bound or abs(float(shown) - value) <= _EPS
        if exact_enough and not _misplaced(value, shown, checked):
            break
        decimals += 1
        shown = _rounded(value, decimals)
    return f"{shown:f}"
