"""The analyte table (logic.analytes): every analyte has one complete row. (That its canonical
unit and SPEC.md factor convert: tests/mappers/test_units.py.)"""

from __future__ import annotations

import re
from dataclasses import MISSING, fields

import pytest

from logic.analytes import ANALYTES, ROWS, AnalyteRow
from logic.model import Analyte
from logic.order_catalogue import ORDERS
from logic.units import UNIT_DISPLAY

_LOINC = re.compile(r"\d{1,6}-\d")


def test_one_row_per_analyte() -> None:
    assert [row.analyte for row in ROWS] == list(Analyte)
    assert set(ANALYTES) == set(Analyte)


@pytest.mark.parametrize("row", ROWS, ids=[row.analyte.value for row in ROWS])
def test_every_analyte_has_every_entry(row: AnalyteRow) -> None:
    """Adding an analyte is one row: codes, unit, label, words, precision, order, limits."""
    assert row.loinc, "at least one LOINC code"
    assert all(_LOINC.fullmatch(c.code) for c in row.loinc), row.loinc
    assert any(c.verified for c in row.loinc), "at least one code SPEC.md does not mark (verify)"
    assert row.label.strip()
    assert row.words.strip()
    if row.unit:
        assert row.decimals is not None
        assert 0 <= row.decimals <= 3
    else:
        assert row.decimals is None, "a qualitative analyte has no precision"
        assert (row.low, row.high, row.flag_limits) == (None, None, ())
    assert row.order_key is None or row.order_key in ORDERS
    if row.low is not None and row.high is not None:
        assert row.low < row.high
    if row.mass_molar is not None:
        unit_a, unit_b, factor = row.mass_molar
        assert row.unit in (unit_a, unit_b)
        assert factor > 0


def test_a_loinc_code_names_one_analyte() -> None:
    listed = [c.code for row in ROWS for c in row.loinc]
    assert len(listed) == len(set(listed))


def test_every_field_is_set_explicitly_or_deliberately_defaulted() -> None:
    """The row's fields without a default are the ones every analyte must state."""
    required = {f.name for f in fields(AnalyteRow) if f.default is MISSING}
    assert required == {"analyte", "loinc", "unit", "label", "words", "decimals", "order_key"}


def test_every_canonical_unit_is_shown_in_clinical_form() -> None:
    """A canonical unit written in UCUM's own syntax has a display form."""
    for row in ROWS:
        if any(ch in row.unit for ch in "*{(u") and row.unit != "U/L":
            assert row.unit in UNIT_DISPLAY, row.unit
