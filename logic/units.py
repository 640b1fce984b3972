"""How a card shows a laboratory value and its unit.

Each analyte's canonical unit and display precision (`decimals`: the precision laboratories
report at, so that a card never shows float noise, "72.489 µmol/L" from a mg/dL conversion, nor
more certainty than the measurement has) are columns of the analyte table, `logic.analytes`;
the rule catalogue publishes them. `UNIT_DISPLAY` is the one table of how a UCUM unit is shown.

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
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from logic.analytes import DECIMALS
from logic.model import Analyte
from logic.thresholds import COMPARISON_TOLERANCE

# UCUM unit -> how a clinician reads it, in a sentence (flag criteria, notes) and on a card
# (the one display table). Evidence keeps the UCUM unit.
UNIT_DISPLAY: Final[Mapping[str, str]] = MappingProxyType(
    {
        "10*9/L": "×10⁹/L",
        "10*3/uL": "×10³/µL",
        "umol/L": "µmol/L",
        "ug/L": "µg/L",
        "mL/min/{1.73_m2}": "mL/min/1.73 m²",
        "mg/(24.h)": "mg/24 h",
        "1": "",
    }
)


def display_unit(unit: str | None) -> str:
    """A UCUM unit as a clinician reads it ("mL/min/1.73 m²"; "" for a ratio or no unit)."""
    if not unit:
        return ""
    return UNIT_DISPLAY.get(unit, unit)


# How many decimals beyond the clinical precision the threshold guard may add.
MAX_EXTRA_DECIMALS: Final = 4
_EPS: Final = COMPARISON_TOLERANCE
_FALLBACK_DECIMALS: Final = 3


def decimals_for(analyte: Analyte) -> int:
    """Decimals a card shows `analyte` with (3 for an analyte without an entry)."""
    return DECIMALS.get(analyte, _FALLBACK_DECIMALS)


def _rounded(value: float, decimals: int) -> Decimal:
    try:
        exact = Decimal(repr(value))
        return exact.quantize(_quantum(decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # inf / nan: not a lab value, shown as is
        return Decimal(repr(value))


@lru_cache(maxsize=64)  # a few decimals per analyte (`DECIMALS` + the guard's extra ones)
def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _side(value: float, limit: float) -> int:
    if abs(value - limit) <= _EPS:
        return 0
    return 1 if value > limit else -1


def _misplaced(value: float, shown: Decimal, limits: Iterable[float]) -> bool:
    """The shown value sits on a limit, or on its other side, while the raw value does not."""
    shown_value = float(shown)
    for limit in limits:
        raw = _side(value, limit)
        if raw != 0 and _side(shown_value, limit) != raw:
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
