"""Unit normalisation to `CANONICAL_UNIT` (SPEC.md section 4, "units and conversion").

A unit is read as UCUM with ucumvert (UCUM grammar -> pint quantity), so every UCUM spelling
(g/dL, g/dl, 10*9/L, 10*3/uL, /uL, mg/(24.h), mg/d ...) converts exactly. Mass <-> molar
concentration uses SPEC.md's own factors (`SPEC_MASS_MOLAR`, from the analyte table and
`logic.thresholds`: creatinine mg/dL x 88.42 = umol/L, calcium mg/dL x 0.2495 = mmol/L,
haemoglobin mmol/L x 1.611 = g/dL, ferritin pmol/L / 2.247 = ug/L), not molar masses, so that
the service and SPEC.md agree to the digit at a threshold (2.0 mg/dL creatinine is 176.84 umol/L).
pint does the rest of the unit algebra (prefixes, volume: mg/L -> mg/dL, umol/L -> mmol/L).
A unit that is not UCUM, not in the alias table, or not commensurable with the analyte's
canonical unit is NOT converted: the result is not evaluable (SPEC.md section 2, "Units"). The
expected unit is never assumed: 95 g/L is 9.5 g/dL.

Order of preference (`conversion`): `valueQuantity.code` when its system is UCUM or absent, then
the `unit` text. Common non-UCUM text forms are mapped by explicit alias tables; only spellings
with one possible meaning for that kind of analyte are listed.

pint is slow (about a millisecond per parse), so the factor is computed once per
(analyte, code, text) and cached; a conversion is then one multiplication.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from logic.analytes import CANONICAL_UNIT, ROWS
from logic.model import Analyte

UCUM_SYSTEM = "http://unitsofmeasure.org"
UCUM_SYSTEMS = frozenset({UCUM_SYSTEM, "urn:oid:2.16.840.1.113883.6.8"})  # URL or HL7 OID

# SPEC.md section 4, "units and conversion": (unit A, unit B, k) means 1 A = k B, exactly as the
# SPEC writes it (the `mass_molar` column of the analyte table, its factors in
# `logic.thresholds`). The mass <-> molar step uses these factors only (molar masses would differ
# in the second decimal: 10000 / 113.12 g/mol = 88.40, not SPEC's 88.42); any other scaling on
# either side (mg/L, g/L, mmol/L -> umol/L) is pint's exact unit algebra.
SPEC_MASS_MOLAR: dict[Analyte, tuple[str, str, float]] = {
    row.analyte: row.mass_molar for row in ROWS if row.mass_molar is not None
}

# Text spellings (compared case-insensitively, spaces removed) -> UCUM, for every analyte.
GENERAL_ALIASES: dict[str, str] = {
    "gm/dl": "g/dL",
    "µmol/l": "umol/L",  # micro sign U+00B5
    "μmol/l": "umol/L",  # Greek mu U+03BC
    "mcmol/l": "umol/L",
    "µg/ml": "ug/mL",
    "µg/l": "ug/L",
    "μg/l": "ug/L",
    "mcg/l": "ug/L",
    "μg/ml": "ug/mL",
    "mcg/ml": "ug/mL",
    "mg/24h": "mg/(24.h)",
    "mg/24hr": "mg/(24.h)",
    "mg/24hrs": "mg/(24.h)",
    "mg/24hours": "mg/(24.h)",
    "mg/day": "mg/d",
    "g/24h": "g/(24.h)",
    "g/24hr": "g/(24.h)",
    "g/day": "g/d",
    "ml/min/1.73m2": "mL/min/{1.73_m2}",
    "ml/min/1.73m^2": "mL/min/{1.73_m2}",
    "ml/min/1.73_m2": "mL/min/{1.73_m2}",
    "ml/min/1.73.m2": "mL/min/{1.73_m2}",
    "ml/min/1.73sqm": "mL/min/{1.73_m2}",
    "ml/min/{1.73m2}": "mL/min/{1.73_m2}",
}

# Cell counts only (canonical 10*9/L): "K" means thousands here, never kelvin.
COUNT_ALIASES: dict[str, str] = {
    "x10^9/l": "10*9/L",
    "x10e9/l": "10*9/L",
    "x10*9/l": "10*9/L",
    "10e9/l": "10*9/L",
    "10^9/l": "10*9/L",
    "x10^3/ul": "10*3/uL",
    "x10e3/ul": "10*3/uL",
    "x10*3/ul": "10*3/uL",
    "10e3/ul": "10*3/uL",
    "10^3/ul": "10*3/uL",
    "k/ul": "10*3/uL",
    "k/mm3": "10*3/uL",
    "thou/ul": "10*3/uL",
    "thou/mm3": "10*3/uL",
    "10^3/mm3": "10*3/uL",
    "cells/ul": "/uL",
    "cells/mm3": "/uL",
}

# Enzyme activity (LDH): the "international unit" of enzyme activity is the UCUM U (umol/min);
# UCUM's [IU] is an unrelated arbitrary unit, so the text forms are mapped explicitly.
ENZYME_ALIASES: dict[str, str] = {"iu/l": "U/L", "[iu]/l": "U/L", "u/l": "U/L"}

# Unitless ratio (FLC kappa/lambda): these, or no unit at all, mean "1".
RATIO_SPELLINGS: frozenset[str] = frozenset({"", "1", "{ratio}", "ratio", "{calc}"})

_COUNT_ANALYTES = frozenset(a for a, u in CANONICAL_UNIT.items() if u == "10*9/L")
_ENZYME_ANALYTES = frozenset(a for a, u in CANONICAL_UNIT.items() if u == "U/L")
_MAX_UNIT_LENGTH = 40


@dataclass(frozen=True)
class Conversion:
    """How a unit converts to the analyte's canonical unit. `factor` None: not convertible."""

    factor: float | None
    ucum: str | None = None  # the UCUM unit the value was read as
    problem: str | None = None  # why it is not convertible (or a note when it was)


_lock = threading.Lock()
_registry: Any = None


def _ucum() -> Any:
    """The ucumvert registry, created on first use (about half a second)."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                from ucumvert import PintUcumRegistry

                _registry = PintUcumRegistry()
    return _registry


# Units labs commonly send, converted once by `warm_up` so that no request pays pint's cost.
COMMON_UNITS: tuple[str, ...] = (
    "g/dL", "g/L", "mg/dL", "mg/L", "mmol/L", "umol/L", "ug/mL", "%", "U/L", "10*9/L",
    "10*3/uL", "/uL", "mL/min/{1.73_m2}", "mL/min", "mg/(24.h)", "mg/d", "g/(24.h)", "ug/L",
    "ng/mL", "pmol/L",
)  # fmt: skip


def warm_up() -> None:
    """Load the UCUM registry and convert the common units now (call at service start)."""
    for analyte in Analyte:
        for unit in COMMON_UNITS:
            conversion(analyte, unit, None)
            conversion(analyte, None, unit)


def _key(text: str) -> str:
    return "".join(text.split()).casefold()


def _alias(analyte: Analyte, text: str) -> str:
    key = _key(text)
    if analyte in _COUNT_ANALYTES and key in COUNT_ALIASES:
        return COUNT_ALIASES[key]
    if analyte in _ENZYME_ANALYTES and key in ENZYME_ALIASES:
        return ENZYME_ALIASES[key]
    return GENERAL_ALIASES.get(key, text.strip())


@lru_cache(maxsize=1024)
def _quantity(ucum: str) -> Any | None:
    """The pint quantity of a UCUM string, or None when it is not UCUM."""
    if not ucum or len(ucum) > _MAX_UNIT_LENGTH:
        return None
    try:
        quantity = _ucum().from_ucum(ucum)
        _ = quantity.dimensionality  # an annotation alone parses to a bare token
    except Exception:  # noqa: BLE001 - lark / pint raise many types for a malformed unit
        return None
    return quantity


def _factor(analyte: Analyte, ucum: str) -> float | None:
    """Multiplier from `ucum` to the canonical unit, or None when not commensurable."""
    source = _quantity(ucum)
    target = _quantity(CANONICAL_UNIT[analyte])
    if source is None or target is None:
        return None
    try:
        ratio = source / target
        if ratio.dimensionless:
            return float(ratio.to("dimensionless").magnitude)
        return _spec_bridge(analyte, source, target)
    except Exception:  # noqa: BLE001 - pint raises many types for incompatible units
        return None


def _scale(a: Any, b: Any) -> float | None:
    """a / b as a plain number when a and b are the same kind of unit, else None."""
    ratio = a / b
    if not ratio.dimensionless:
        return None
    return float(ratio.to("dimensionless").magnitude)


def _spec_bridge(analyte: Analyte, source: Any, target: Any) -> float | None:
    """Mass <-> molar through the SPEC.md factor: source -> unit A, x k, unit B -> target (or
    the reverse, / k). None when the analyte has no SPEC factor or the units do not fit it."""
    bridge = SPEC_MASS_MOLAR.get(analyte)
    if bridge is None:
        return None
    unit_a, unit_b, k = bridge
    qa, qb = _quantity(unit_a), _quantity(unit_b)
    if qa is None or qb is None:
        return None
    for start, end, step in ((qa, qb, k), (qb, qa, 1.0 / k)):
        into, out_of = _scale(source, start), _scale(end, target)
        if into is not None and out_of is not None:
            # exact when no scaling is needed: 2.0 mg/dL -> 2.0 x 88.42 = 176.84 umol/L
            return step if into == 1.0 and out_of == 1.0 else into * step * out_of
    return None


def _is_ratio_spelling(text: str | None) -> bool:
    return text is None or _key(text) in RATIO_SPELLINGS


@lru_cache(maxsize=4096)
def conversion(analyte: Analyte, code: str | None, text: str | None) -> Conversion:
    """How a value sent with UCUM `code` and/or `unit` text converts to the canonical unit."""
    canonical = CANONICAL_UNIT[analyte]
    if canonical == "":
        return Conversion(None, None, "qualitative analyte has no numeric unit")
    if canonical == "1" and _is_ratio_spelling(code) and _is_ratio_spelling(text):
        return Conversion(1.0, "1")
    tried: list[str] = []
    for candidate in (code, text):
        if candidate is None or not candidate.strip():
            continue
        ucum = _alias(analyte, candidate)
        factor = _factor(analyte, ucum)
        if factor is not None:
            return Conversion(factor, ucum)
        tried.append(candidate.strip())
    if not tried:
        return Conversion(None, None, "no unit sent: value not evaluable")
    sent = " / ".join(f"'{t[:_MAX_UNIT_LENGTH]}'" for t in dict.fromkeys(tried))
    return Conversion(
        None,
        None,
        f"unit {sent} is not a known unit convertible to {canonical}: value not evaluable",
    )


def unit_fields(quantity: object) -> tuple[str | None, str | None]:
    """(UCUM code, unit text) of a FHIR Quantity; a code of a non-UCUM system is not UCUM."""
    if not isinstance(quantity, dict):
        return None, None
    code = quantity.get("code")
    text = quantity.get("unit")
    system = quantity.get("system")
    if system is not None and (not isinstance(system, str) or system not in UCUM_SYSTEMS):
        code = None
    return (
        code if isinstance(code, str) else None,
        text if isinstance(text, str) else None,
    )


def to_canonical(
    analyte: Analyte, value: float, code: str | None, text: str | None
) -> tuple[float | None, Conversion]:
    """`value` in the analyte's canonical unit (None when not convertible) and how."""
    how = conversion(analyte, code, text)
    if how.factor is None:
        return None, how
    return value * how.factor, how
