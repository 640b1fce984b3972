"""Lab values at clinical precision (logic.units), honest at the limits, with what the lab sent."""

from __future__ import annotations

import pytest

from logic import assess
from logic.analytes import DECIMALS
from logic.labs import converted, decision_limits, describe, evidence, shown_value
from logic.model import Analyte
from logic.units import MAX_EXTRA_DECIMALS, format_value
from tests.unit_logic.factories import AS_OF, calcium_mg_dl, lab, normal_panel, record, with_labs


@pytest.mark.parametrize(
    ("analyte", "value", "shown"),
    [
        pytest.param(Analyte.CALCIUM_TOTAL, 3.019, "3.02", id="calcium-2-decimals"),
        pytest.param(Analyte.CREATININE, 72.489, "72", id="creatinine-integer"),
        pytest.param(Analyte.HAEMOGLOBIN, 11.0, "11.0", id="hb-1-decimal-keeps-zero"),
        pytest.param(Analyte.FLC_KAPPA, 12.04, "12.0", id="flc-1-decimal"),
        pytest.param(Analyte.FLC_KAPPA, 19.44, "19.44", id="kappa-above-uln-19.4"),
        pytest.param(Analyte.FLC_RATIO, 1.2857, "1.29", id="ratio-2-decimals"),
        pytest.param(Analyte.PLATELETS, 240.4, "240", id="platelets-integer"),
        pytest.param(Analyte.CALCIUM_TOTAL, 2.345, "2.35", id="half-up-like-a-lab"),
    ],
)
def test_clinical_precision(analyte: Analyte, value: float, shown: str) -> None:
    assert shown_value(lab(analyte, value)) == shown


@pytest.mark.parametrize(
    ("analyte", "value", "shown"),
    [
        # U-C: >2.75 mmol/L
        pytest.param(Analyte.CALCIUM_TOTAL, 2.7504, "2.7504", id="ca-just-above-2.75"),
        pytest.param(Analyte.CALCIUM_TOTAL, 2.754, "2.754", id="ca-2.754-not-2.75"),
        pytest.param(Analyte.CALCIUM_TOTAL, 2.75, "2.75", id="ca-on-2.75"),
        pytest.param(Analyte.CALCIUM_TOTAL, 2.7449, "2.74", id="ca-below-2.75-plain"),
        # U-C: ULN 2.6 + 0.25 = 2.85; H-CALCIUM: ULN 2.6
        pytest.param(Analyte.CALCIUM_TOTAL, 2.8496, "2.8496", id="ca-just-below-uln+0.25"),
        pytest.param(Analyte.CALCIUM_TOTAL, 2.6049, "2.605", id="ca-just-above-uln"),
        # U-A: Hb <10 g/dL
        pytest.param(Analyte.HAEMOGLOBIN, 9.96, "9.96", id="hb-below-10-not-10.0"),
        pytest.param(Analyte.HAEMOGLOBIN, 10.04, "10.04", id="hb-above-10-not-10.0"),
        pytest.param(Analyte.HAEMOGLOBIN, 10.0, "10.0", id="hb-on-10"),
        # H-ANAEMIA: WHO 12.0 / 13.0
        pytest.param(Analyte.HAEMOGLOBIN, 11.96, "11.96", id="hb-below-who-12"),
        # U-R: creatinine >177 umol/L; default ULN 1.2 mg/dL = 106.104 umol/L
        pytest.param(Analyte.CREATININE, 176.6, "176.6", id="creat-below-177-not-177"),
        pytest.param(Analyte.CREATININE, 177.4, "177.4", id="creat-above-177-not-177"),
        pytest.param(Analyte.CREATININE, 106.4, "106.4", id="creat-above-uln-106.1"),
        pytest.param(Analyte.CREATININE, 106.0, "106", id="creat-below-uln-plain"),
        # U-R / H-RENAL: eGFR <40, <60
        pytest.param(Analyte.EGFR, 59.6, "59.6", id="egfr-below-60-not-60"),
        pytest.param(Analyte.EGFR, 39.5, "39.5", id="egfr-below-40-not-40"),
        # H-FLC: <0.125 or >8; ratio normal 0.26-1.65
        pytest.param(Analyte.FLC_RATIO, 8.004, "8.004", id="ratio-above-8-not-8.00"),
        pytest.param(Analyte.FLC_RATIO, 1.654, "1.654", id="ratio-above-1.65"),
        pytest.param(Analyte.FLC_RATIO, 0.1249, "0.12", id="ratio-below-0.125-plain"),
        # H-CYTOPENIA platelets <150, I-MONOCYTE >=1.0
        pytest.param(Analyte.PLATELETS, 149.6, "149.6", id="platelets-below-150"),
        pytest.param(Analyte.MONOCYTES_ABSOLUTE, 0.996, "0.996", id="monocytes-below-1.0"),
        # H-MPROTEIN: any spike >0 never shows as 0
        pytest.param(Analyte.M_PROTEIN, 0.04, "0.04", id="m-spike-not-zero"),
    ],
)
def test_rounding_never_moves_a_value_onto_or_across_a_limit(
    analyte: Analyte, value: float, shown: str
) -> None:
    assert shown_value(lab(analyte, value)) == shown


def test_derived_limits_are_guarded_too() -> None:
    # U-A: >2 g/dL below the lab's LLN 11.5 -> 9.5; U-C: > ULN 2.55 + 0.25 = 2.80
    assert shown_value(lab(Analyte.HAEMOGLOBIN, 9.46, low=11.5)) == "9.46"
    assert shown_value(lab(Analyte.HAEMOGLOBIN, 9.46)) == "9.5"  # no limit at 9.5 without it
    assert shown_value(lab(Analyte.CALCIUM_TOTAL, 2.8004, high=2.55)) == "2.8004"


def test_the_labs_own_limits_are_guarded_too() -> None:
    assert shown_value(lab(Analyte.CREATININE, 100.4, high=100.0)) == "100.4"
    assert shown_value(lab(Analyte.IGG, 699.6, low=700.0)) == "699.6"
    assert 700.0 in decision_limits(lab(Analyte.IGG, 699.6, low=700.0))


def test_a_value_sent_with_a_comparator_keeps_its_decimals() -> None:
    assert shown_value(lab(Analyte.M_PROTEIN, 0.05, comparator="<")) == "<0.05"
    assert shown_value(lab(Analyte.CREATININE, 44.2, comparator="<")) == "<44.2"


def test_the_guard_adds_at_most_its_maximum() -> None:
    shown = format_value(2.75 + 1e-8, Analyte.CALCIUM_TOTAL, (2.75,))
    assert len(shown.split(".")[1]) == DECIMALS[Analyte.CALCIUM_TOTAL] + MAX_EXTRA_DECIMALS


def test_converted_value_shows_what_the_lab_sent() -> None:
    calcium = calcium_mg_dl(11.6)
    assert converted(calcium)
    assert describe(calcium) == "2.89 mmol/L (11.6 mg/dL as sent)"
    ev = evidence(calcium)
    assert (ev.value, ev.unit, ev.as_sent, ev.quote) == ("2.89", "mmol/L", "11.6 mg/dL", None)


def test_value_sent_in_the_canonical_unit_is_not_echoed() -> None:
    creatinine = lab(Analyte.CREATININE, 72.489, as_sent="72.489 umol/L")
    assert not converted(creatinine)
    assert describe(creatinine) == "72 µmol/L"
    ev = evidence(creatinine)
    assert (ev.value, ev.quote) == ("72", None)
    platelets = lab(Analyte.PLATELETS, 95.0, as_sent="95 10*3/uL")  # same number, other spelling
    assert evidence(platelets).quote is None


def test_flag_criterion_uses_clinical_precision_and_the_value_as_sent() -> None:
    rec = record(labs=with_labs(normal_panel(), calcium_mg_dl(12.1, reference="Observation/ca")))
    assessment = assess(rec, AS_OF)
    (u_c,) = [f for f in assessment.flags if f.id == "U-C"]
    assert "Calcium, total 3.02 mmol/L (12.1 mg/dL as sent) > 2.75 mmol/L" in u_c.criterion
    assert u_c.evidence[0].value == "3.02"
