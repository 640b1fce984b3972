"""Unit normalisation table (SPEC.md section 4, "units and conversion")."""

from __future__ import annotations

import pytest

from fhir_mappers.units import conversion, to_canonical, unit_fields
from logic.analytes import ROWS, AnalyteRow
from logic.model import Analyte

A = Analyte

# (case id, analyte, value, UCUM code, unit text, expected canonical value)
CONVERTIBLE = [
    ("hb_g_per_dL_unchanged", A.HAEMOGLOBIN, 9.1, "g/dL", None, 9.1),
    ("hb_g_per_L_is_divided_by_10", A.HAEMOGLOBIN, 95, "g/L", None, 9.5),
    ("hb_text_g_per_dl_lower_case", A.HAEMOGLOBIN, 13.2, None, "g/dl", 13.2),
    ("hb_text_gm_per_dl", A.HAEMOGLOBIN, 13.2, None, "gm/dL", 13.2),
    ("hb_mmol_per_L_times_1_611", A.HAEMOGLOBIN, 8.0, "mmol/L", None, 12.888),
    ("calcium_mg_dl_to_mmol", A.CALCIUM_TOTAL, 10.0, "mg/dL", None, 2.495),
    ("calcium_mmol_unchanged", A.CALCIUM_TOTAL, 2.4, "mmol/L", None, 2.4),
    ("ionized_calcium_mg_dl_same_factor", A.CALCIUM_IONIZED, 5.0, "mg/dL", None, 1.2476),
    ("corrected_calcium_mg_dl", A.CALCIUM_ALBUMIN_CORRECTED, 11.0, "mg/dL", None, 2.7446),
    ("creatinine_mg_dl_to_umol", A.CREATININE, 2.0, "mg/dL", None, 176.84),
    ("creatinine_text_micro_sign", A.CREATININE, 150, None, "µmol/L", 150.0),
    ("creatinine_text_greek_mu", A.CREATININE, 150, None, "μmol/L", 150.0),
    ("creatinine_mmol_per_L", A.CREATININE, 0.15, "mmol/L", None, 150.0),
    ("egfr_ucum_annotation", A.EGFR, 55, "mL/min/{1.73_m2}", None, 55.0),
    ("egfr_text_1_73m2", A.EGFR, 55, None, "mL/min/1.73m2", 55.0),
    ("crcl_ml_per_min", A.CREATININE_CLEARANCE, 38, "mL/min", None, 38.0),
    ("albumin_g_per_L_divided_by_10", A.ALBUMIN, 35, "g/L", None, 3.5),
    ("flc_kappa_mg_dl_times_10", A.FLC_KAPPA, 2.5, "mg/dL", None, 25.0),
    ("flc_lambda_mg_L_unchanged", A.FLC_LAMBDA, 12.0, "mg/L", None, 12.0),
    ("flc_ratio_no_unit", A.FLC_RATIO, 1.2, None, None, 1.2),
    ("flc_ratio_annotation", A.FLC_RATIO, 1.2, "{ratio}", None, 1.2),
    ("m_spike_g_per_L_divided_by_10", A.M_PROTEIN, 12, "g/L", None, 1.2),
    ("urine_protein_mg_per_24h", A.URINE_PROTEIN_24H, 300, "mg/(24.h)", None, 300.0),
    ("urine_protein_g_per_24h", A.URINE_PROTEIN_24H, 0.3, "g/(24.h)", None, 300.0),
    ("urine_protein_mg_per_day", A.URINE_PROTEIN_24H, 300, "mg/d", None, 300.0),
    ("urine_protein_text_mg_24h", A.URINE_PROTEIN_24H, 300, None, "mg/24h", 300.0),
    ("igg_g_per_L_times_100", A.IGG, 6.5, "g/L", None, 650.0),
    ("igm_mg_dl_unchanged", A.IGM, 40, "mg/dL", None, 40.0),
    ("b2m_ug_per_mL_is_mg_per_L", A.BETA2_MICROGLOBULIN, 2.1, "ug/mL", None, 2.1),
    ("wbc_10_3_per_uL_is_10_9_per_L", A.WBC, 3.5, "10*3/uL", None, 3.5),
    ("wbc_per_uL_divided_by_1000", A.WBC, 3500, "/uL", None, 3.5),
    ("wbc_text_x10_9_per_L", A.WBC, 3.5, None, "x10^9/L", 3.5),
    ("wbc_text_10_9_per_L", A.WBC, 3.5, None, "10^9/L", 3.5),
    ("platelets_text_K_per_uL_is_thousands", A.PLATELETS, 140, None, "K/uL", 140.0),
    ("platelets_text_thou_per_uL", A.PLATELETS, 140, None, "thou/uL", 140.0),
    ("neutrophils_cells_per_mm3", A.NEUTROPHILS_ABSOLUTE, 1500, "/mm3", None, 1.5),
    ("monocytes_abs_10_9_per_L", A.MONOCYTES_ABSOLUTE, 1.1, "10*9/L", None, 1.1),
    ("monocyte_percent", A.MONOCYTES_PERCENT, 11, "%", None, 11.0),
    ("ldh_U_per_L", A.LDH, 250, "U/L", None, 250.0),
    ("ldh_text_IU_per_L_is_enzyme_unit", A.LDH, 250, None, "IU/L", 250.0),
    ("code_wins_over_text", A.HAEMOGLOBIN, 95, "g/L", "g/dL", 9.5),
    ("bad_code_falls_back_to_text", A.HAEMOGLOBIN, 95, "g/L?", "g/L", 9.5),
]


@pytest.mark.parametrize(
    ("analyte", "value", "code", "text", "expected"),
    [case[1:] for case in CONVERTIBLE],
    ids=[case[0] for case in CONVERTIBLE],
)
def test_converts_to_canonical_unit(
    analyte: Analyte, value: float, code: str | None, text: str | None, expected: float
) -> None:
    converted, how = to_canonical(analyte, value, code, text)
    assert converted == pytest.approx(expected, rel=1e-4)
    assert how.problem is None


# (case id, analyte, UCUM code, unit text)
NOT_EVALUABLE = [
    ("hb_no_unit_is_never_assumed", A.HAEMOGLOBIN, None, None),
    ("hb_unknown_unit", A.HAEMOGLOBIN, None, "g/L?"),
    ("hb_mass_per_mass_not_convertible", A.HAEMOGLOBIN, "g/kg", None),
    ("albumin_molar_has_no_molar_mass_in_spec", A.ALBUMIN, "umol/L", None),
    ("calcium_mEq_needs_valence_not_converted", A.CALCIUM_TOTAL, "mEq/L", None),
    ("percent_is_never_an_absolute_count", A.MONOCYTES_ABSOLUTE, "%", None),
    ("absolute_count_is_never_a_percent", A.MONOCYTES_PERCENT, "10*9/L", None),
    ("kelvin_per_uL_code_for_hb", A.HAEMOGLOBIN, "K/uL", None),
    ("K_per_uL_only_means_thousands_for_counts", A.LDH, None, "K/uL"),
    ("G_per_L_is_ambiguous_for_counts", A.WBC, None, "G/L"),
    ("ratio_with_mass_unit", A.FLC_RATIO, "mg/L", None),
    ("flc_kappa_without_unit", A.FLC_KAPPA, None, None),
    ("egfr_in_mg", A.EGFR, "mg/dL", None),
    ("urine_24h_written_mg_per_24_times_h", A.URINE_PROTEIN_24H, "mg/24.h", None),
    ("spep_interpretation_has_no_numeric_unit", A.SPEP_IFE, "g/dL", None),
    ("absurdly_long_unit", A.HAEMOGLOBIN, "g/" + "d" * 200 + "L", None),
]


@pytest.mark.parametrize(
    ("analyte", "code", "text"),
    [case[1:] for case in NOT_EVALUABLE],
    ids=[case[0] for case in NOT_EVALUABLE],
)
def test_not_convertible_is_not_evaluable(
    analyte: Analyte, code: str | None, text: str | None
) -> None:
    converted, how = to_canonical(analyte, 10.0, code, text)
    assert converted is None
    assert how.factor is None
    assert how.problem


def test_spec_factors_are_used_exactly() -> None:
    """SPEC.md section 4: calcium mg/dL x 0.2495 = mmol/L; creatinine mg/dL x 88.42 = umol/L;
    haemoglobin mmol/L x 1.611 = g/dL -- the SPEC's factors, not molar masses."""
    assert conversion(A.CALCIUM_TOTAL, "mg/dL", None).factor == 0.2495
    assert conversion(A.CALCIUM_IONIZED, "mg/dL", None).factor == 0.2495
    assert conversion(A.CALCIUM_ALBUMIN_CORRECTED, "mg/dL", None).factor == 0.2495
    assert conversion(A.CREATININE, "mg/dL", None).factor == 88.42
    assert conversion(A.HAEMOGLOBIN, "mmol/L", None).factor == 1.611


# (case id, analyte, value, UCUM code, canonical value as SPEC.md's factor gives it, digits)
# At the values the rules compare: SPEC.md section 5 U-R (creatinine 2 mg/dL), U-C (11 mg/dL),
# the calcium default ULN (10.2 mg/dL), U-A (Hb 10 g/dL) and the creatinine default ULN.
SPEC_THRESHOLDS = [
    ("creatinine_2_mg_dl_u_r", A.CREATININE, 2.0, "mg/dL", 176.84, 2),
    ("creatinine_20_mg_L_u_r_prefix_by_pint", A.CREATININE, 20.0, "mg/L", 176.84, 2),
    ("creatinine_1_2_mg_dl_default_uln", A.CREATININE, 1.2, "mg/dL", 106.104, 3),
    ("creatinine_umol_back_to_mmol_unchanged", A.CREATININE, 0.177, "mmol/L", 177.0, 3),
    ("calcium_11_mg_dl_u_c", A.CALCIUM_TOTAL, 11.0, "mg/dL", 2.7445, 4),
    ("calcium_10_2_mg_dl_default_uln", A.CALCIUM_TOTAL, 10.2, "mg/dL", 2.5449, 4),
    ("calcium_102_mg_L_prefix_by_pint", A.CALCIUM_TOTAL, 102.0, "mg/L", 2.5449, 4),
    ("corrected_calcium_11_mg_dl", A.CALCIUM_ALBUMIN_CORRECTED, 11.0, "mg/dL", 2.7445, 4),
    ("ionized_calcium_5_3_mg_dl", A.CALCIUM_IONIZED, 5.3, "mg/dL", 1.32235, 5),
    ("hb_6_2_mmol_L_u_a", A.HAEMOGLOBIN, 6.2, "mmol/L", 9.9882, 4),
    ("hb_6200_umol_L_prefix_by_pint", A.HAEMOGLOBIN, 6200.0, "umol/L", 9.9882, 4),
    ("hb_100_g_L_divided_by_10", A.HAEMOGLOBIN, 100.0, "g/L", 10.0, 4),
]


@pytest.mark.parametrize(
    ("analyte", "value", "code", "expected", "digits"),
    [case[1:] for case in SPEC_THRESHOLDS],
    ids=[case[0] for case in SPEC_THRESHOLDS],
)
def test_spec_factor_agrees_to_the_digit_at_thresholds(
    analyte: Analyte, value: float, code: str, expected: float, digits: int
) -> None:
    converted, how = to_canonical(analyte, value, code, None)
    assert converted is not None
    assert how.problem is None
    assert round(converted, digits) == expected
    assert converted == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_mass_to_molar_refuses_a_unit_that_does_not_fit_the_spec_factor() -> None:
    """No SPEC.md factor for albumin / FLC molar units, and a mass alone is not a concentration."""
    assert conversion(A.CREATININE, "mg", None).factor is None
    assert conversion(A.CALCIUM_TOTAL, "mmol", None).factor is None
    assert conversion(A.FLC_KAPPA, "umol/L", None).factor is None


def test_conversion_is_cached_per_analyte_and_unit() -> None:
    first = conversion(A.IGA, "g/L", None)
    assert conversion(A.IGA, "g/L", None) is first


def test_code_of_another_system_is_not_read_as_ucum() -> None:
    assert unit_fields({"code": "g/L", "unit": "g/dL", "system": "http://example.org"}) == (
        None,
        "g/dL",
    )
    assert unit_fields({"code": "g/L", "system": "http://unitsofmeasure.org"}) == ("g/L", None)
    assert unit_fields(["not", "a", "quantity"]) == (None, None)


@pytest.mark.parametrize("row", ROWS, ids=[row.analyte.value for row in ROWS])
def test_every_canonical_unit_is_ucum_the_converter_reads_as_itself(row: AnalyteRow) -> None:
    """A new analyte row's canonical unit is real UCUM: a value sent in it is used unchanged
    (a qualitative analyte has none)."""
    how = conversion(row.analyte, row.unit, None)
    if row.unit:
        assert (how.factor, how.ucum) == (1.0, row.unit)
    else:
        assert how.factor is None


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r.mass_molar], ids=[r.analyte.value for r in ROWS if r.mass_molar]
)
def test_the_spec_mass_molar_factor_converts_between_its_two_units(row: AnalyteRow) -> None:
    assert row.mass_molar is not None
    unit_a, unit_b, factor = row.mass_molar
    if row.unit == unit_b:
        assert conversion(row.analyte, unit_a, None).factor == pytest.approx(factor)
    else:
        assert conversion(row.analyte, unit_b, None).factor == pytest.approx(1.0 / factor)
