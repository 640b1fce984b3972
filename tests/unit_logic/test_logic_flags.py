"""SPEC.md section 5 flags at their boundaries: at the threshold and just past it, both
sexes, values converted from other units as the mappers deliver them."""

from __future__ import annotations

import pytest

from logic import assess
from logic.model import (
    Analyte,
    ConditionCategory,
    FeatureKind,
    Finding,
    ImagingClass,
    LabResult,
    Modality,
    PatientRecord,
    Sex,
)
from tests.unit_logic.factories import (
    AS_OF,
    albumin_g_l,
    calcium_mg_dl,
    condition,
    creatinine_mg_dl,
    feature,
    flc_mg_dl,
    hb_g_l,
    hb_mmol_l,
    lab,
    m_protein_g_l,
    mri,
    normal_panel,
    other,
    per_ul,
    record,
    spep,
    with_labs,
    without,
)

NORMAL = normal_panel()
CKD = condition(ConditionCategory.CKD, "ICD-10-CM N18.3", "CKD stage 3")
IRON = condition(ConditionCategory.ANAEMIA_CAUSE, "ICD-10-CM D50.9", "Iron deficiency anaemia")


def labs(*new: LabResult, sex: Sex = Sex.FEMALE, **kw: object) -> PatientRecord:
    return record(sex=sex, labs=with_labs(NORMAL, *new), **kw)  # type: ignore[arg-type]


def fired(rec: PatientRecord) -> set[str]:
    return {f.id for f in assess(rec, AS_OF).flags}


CA = Analyte.CALCIUM_TOTAL
HB = Analyte.HAEMOGLOBIN

CASES = [
    # ---- U-C: >2.75 mmol/L, or >0.25 above the ULN
    ("U_C_calcium_2_75_not_urgent", labs(lab(CA, 2.75, high=2.6)), "U-C", False),
    ("U_C_calcium_2_76_urgent", labs(lab(CA, 2.76, high=2.6)), "U-C", True),
    ("U_C_uln_2_4_plus_0_25_at_2_65_not_urgent", labs(lab(CA, 2.65, high=2.4)), "U-C", False),
    ("U_C_uln_2_4_plus_0_25_at_2_66_urgent", labs(lab(CA, 2.66, high=2.4)), "U-C", True),
    ("U_C_calcium_11_1_mg_dl_urgent", labs(calcium_mg_dl(11.1)), "U-C", True),
    # 11.0 mg/dL x 0.2495 = 2.7445 mmol/L: not above 2.75 mmol/L (canonical unit decides)
    ("U_C_calcium_11_0_mg_dl_is_2_7445_mmol_not_urgent", labs(calcium_mg_dl(11.0)), "U-C", False),
    (
        "U_C_corrected_calcium_albumin_20_g_l_urgent",
        labs(lab(CA, 2.6, high=2.6), albumin_g_l(20.0)),
        "U-C",
        True,
    ),
    (
        "U_C_lab_corrected_calcium_2_86_urgent",
        labs(lab(Analyte.CALCIUM_ALBUMIN_CORRECTED, 2.86)),
        "U-C",
        True,
    ),
    ("U_C_calcium_dated_2_days_after_as_of_ignored", labs(lab(CA, 3.2, days_ago=-2)), "U-C", False),
    (
        "U_C_calcium_dated_12_h_after_as_of_clock_skew_used",
        labs(lab(CA, 3.2, days_ago=-0.5)),
        "U-C",
        True,
    ),
    ("U_C_calcium_not_evaluable_ignored", labs(lab(CA, 3.2, evaluable=False)), "U-C", False),
    # ---- H-CALCIUM: above the ULN; ionized against ionized limits only
    ("H_CALCIUM_2_60_at_uln_normal", labs(lab(CA, 2.60, high=2.6)), "H-CALCIUM", False),
    ("H_CALCIUM_2_61_above_uln", labs(lab(CA, 2.61, high=2.6)), "H-CALCIUM", True),
    ("H_CALCIUM_default_uln_2_6_when_lab_sends_none", labs(lab(CA, 2.62)), "H-CALCIUM", True),
    ("H_CALCIUM_ionized_1_33_normal", labs(lab(Analyte.CALCIUM_IONIZED, 1.33)), "H-CALCIUM", False),
    ("H_CALCIUM_ionized_1_34_high", labs(lab(Analyte.CALCIUM_IONIZED, 1.34)), "H-CALCIUM", True),
    (
        "H_CALCIUM_corrected_by_albumin_4_0_unchanged",
        labs(lab(CA, 2.6, high=2.6), lab(Analyte.ALBUMIN, 4.0)),
        "H-CALCIUM",
        False,
    ),
    # ---- U-R: creatinine >177 umol/L or eGFR <40; not with documented CKD
    ("U_R_creatinine_177_not_urgent", labs(lab(Analyte.CREATININE, 177.0)), "U-R", False),
    ("U_R_creatinine_177_1_urgent", labs(lab(Analyte.CREATININE, 177.1)), "U-R", True),
    ("U_R_creatinine_2_0_mg_dl_not_urgent", labs(creatinine_mg_dl(2.0)), "U-R", False),
    ("U_R_creatinine_2_01_mg_dl_urgent", labs(creatinine_mg_dl(2.01)), "U-R", True),
    ("U_R_egfr_40_not_urgent", labs(lab(Analyte.EGFR, 40.0)), "U-R", False),
    ("U_R_egfr_39_urgent", labs(lab(Analyte.EGFR, 39.0)), "U-R", True),
    (
        "U_R_egfr_39_documented_ckd_not_counted",
        labs(lab(Analyte.EGFR, 39.0), conditions=(CKD,)),
        "U-R",
        False,
    ),
    # ---- H-RENAL: eGFR <60 or creatinine >ULN, without known CKD
    ("H_RENAL_egfr_60_normal", labs(lab(Analyte.EGFR, 60.0)), "H-RENAL", False),
    ("H_RENAL_egfr_59_low", labs(lab(Analyte.EGFR, 59.0)), "H-RENAL", True),
    (
        "H_RENAL_creatinine_at_lab_uln_106",
        labs(lab(Analyte.CREATININE, 106.0, high=106.0)),
        "H-RENAL",
        False,
    ),
    (
        "H_RENAL_creatinine_106_5_above_lab_uln",
        labs(lab(Analyte.CREATININE, 106.5, high=106.0)),
        "H-RENAL",
        True,
    ),
    ("H_RENAL_creatinine_1_2_mg_dl_default_uln", labs(creatinine_mg_dl(1.2)), "H-RENAL", False),
    ("H_RENAL_creatinine_1_3_mg_dl_default_uln", labs(creatinine_mg_dl(1.3)), "H-RENAL", True),
    (
        "H_RENAL_egfr_59_with_n18_not_counted",
        labs(lab(Analyte.EGFR, 59.0), conditions=(CKD,)),
        "H-RENAL",
        False,
    ),
    (
        "H_RENAL_egfr_55_known_ckd_by_two_results_4_months_apart",
        record(
            labs=with_labs(NORMAL, lab(Analyte.EGFR, 55.0), lab(Analyte.EGFR, 52.0, days_ago=140))
        ),
        "H-RENAL",
        False,
    ),
    (
        "H_RENAL_egfr_55_two_results_only_2_months_apart_not_known_ckd",
        record(
            labs=with_labs(NORMAL, lab(Analyte.EGFR, 55.0), lab(Analyte.EGFR, 52.0, days_ago=70))
        ),
        "H-RENAL",
        True,
    ),
    # ---- U-A: Hb <10 or >2 below LLN; not with a documented cause
    ("U_A_hb_10_0_not_urgent", labs(lab(HB, 10.0)), "U-A", False),
    ("U_A_hb_9_9_urgent", labs(lab(HB, 9.9)), "U-A", True),
    ("U_A_hb_99_g_l_urgent", labs(hb_g_l(99.0)), "U-A", True),
    ("U_A_hb_6_2_mmol_l_is_9_99_g_dl_urgent", labs(hb_mmol_l(6.2)), "U-A", True),
    (
        "U_A_male_lab_lln_13_5_hb_11_5_not_urgent",
        labs(lab(HB, 11.5, low=13.5), sex=Sex.MALE),
        "U-A",
        False,
    ),
    (
        "U_A_male_lab_lln_13_5_hb_11_4_urgent",
        labs(lab(HB, 11.4, low=13.5), sex=Sex.MALE),
        "U-A",
        True,
    ),
    ("U_A_male_default_lln_13_hb_10_9_urgent", labs(lab(HB, 10.9), sex=Sex.MALE), "U-A", True),
    ("U_A_female_default_lln_12_hb_10_9_not_urgent", labs(lab(HB, 10.9)), "U-A", False),
    ("U_A_hb_9_documented_cause_not_counted", labs(lab(HB, 9.0), conditions=(IRON,)), "U-A", False),
    # ---- H-ANAEMIA: WHO cut-offs, never the lab's LLN
    ("H_ANAEMIA_female_12_0", labs(lab(HB, 12.0)), "H-ANAEMIA", False),
    ("H_ANAEMIA_female_11_9", labs(lab(HB, 11.9)), "H-ANAEMIA", True),
    ("H_ANAEMIA_male_13_0", labs(lab(HB, 13.0), sex=Sex.MALE), "H-ANAEMIA", False),
    ("H_ANAEMIA_male_12_9", labs(lab(HB, 12.9), sex=Sex.MALE), "H-ANAEMIA", True),
    ("H_ANAEMIA_male_12_9_female_would_be_normal", labs(lab(HB, 12.9)), "H-ANAEMIA", False),
    ("H_ANAEMIA_unknown_sex_12_0", labs(lab(HB, 12.0), sex=Sex.UNKNOWN), "H-ANAEMIA", False),
    ("H_ANAEMIA_unknown_sex_11_9", labs(lab(HB, 11.9), sex=Sex.UNKNOWN), "H-ANAEMIA", True),
    ("H_ANAEMIA_female_12_5_lab_lln_13_ignored", labs(lab(HB, 12.5, low=13.0)), "H-ANAEMIA", False),
    ("H_ANAEMIA_male_129_g_l", labs(hb_g_l(129.0), sex=Sex.MALE), "H-ANAEMIA", True),
    ("H_ANAEMIA_documented_cause", labs(lab(HB, 11.0), conditions=(IRON,)), "H-ANAEMIA", False),
    # ---- U-Li: involved/uninvolved >=100 and involved >=100 mg/L
    (
        "U_Li_kappa_100_ratio_100",
        labs(
            lab(Analyte.FLC_KAPPA, 100.0),
            lab(Analyte.FLC_LAMBDA, 1.0),
            lab(Analyte.FLC_RATIO, 100.0),
        ),
        "U-Li",
        True,
    ),
    (
        "U_Li_kappa_99_ratio_99_not_urgent",
        labs(
            lab(Analyte.FLC_KAPPA, 99.0), lab(Analyte.FLC_LAMBDA, 1.0), lab(Analyte.FLC_RATIO, 99.0)
        ),
        "U-Li",
        False,
    ),
    (
        "U_Li_ratio_200_but_kappa_80_not_urgent",
        labs(
            lab(Analyte.FLC_KAPPA, 80.0),
            lab(Analyte.FLC_LAMBDA, 0.4),
            lab(Analyte.FLC_RATIO, 200.0),
        ),
        "U-Li",
        False,
    ),
    (
        "U_Li_lambda_100_ratio_0_01",
        labs(
            lab(Analyte.FLC_KAPPA, 1.0),
            lab(Analyte.FLC_LAMBDA, 100.0),
            lab(Analyte.FLC_RATIO, 0.01),
        ),
        "U-Li",
        True,
    ),
    (
        "U_Li_lambda_99_not_urgent",
        labs(
            lab(Analyte.FLC_KAPPA, 0.99),
            lab(Analyte.FLC_LAMBDA, 99.0),
            lab(Analyte.FLC_RATIO, 0.01),
        ),
        "U-Li",
        False,
    ),
    (
        "U_Li_kappa_10_mg_dl_lambda_0_1_mg_dl_ratio_computed",
        record(
            labs=with_labs(
                without(NORMAL, Analyte.FLC_RATIO),
                flc_mg_dl(Analyte.FLC_KAPPA, 10.0),
                flc_mg_dl(Analyte.FLC_LAMBDA, 0.1),
            )
        ),
        "U-Li",
        True,
    ),
    # ---- H-FLC / I-FLC
    ("H_FLC_ratio_8_is_I_not_H", labs(lab(Analyte.FLC_RATIO, 8.0)), "H-FLC", False),
    ("H_FLC_ratio_8_01", labs(lab(Analyte.FLC_RATIO, 8.01)), "H-FLC", True),
    ("H_FLC_ratio_0_125_is_I_not_H", labs(lab(Analyte.FLC_RATIO, 0.125)), "H-FLC", False),
    ("H_FLC_ratio_0_124", labs(lab(Analyte.FLC_RATIO, 0.124)), "H-FLC", True),
    ("I_FLC_ratio_8_borderline", labs(lab(Analyte.FLC_RATIO, 8.0)), "I-FLC", True),
    ("I_FLC_ratio_1_65_normal", labs(lab(Analyte.FLC_RATIO, 1.65)), "I-FLC", False),
    ("I_FLC_ratio_1_66", labs(lab(Analyte.FLC_RATIO, 1.66)), "I-FLC", True),
    ("I_FLC_ratio_0_26_normal", labs(lab(Analyte.FLC_RATIO, 0.26)), "I-FLC", False),
    ("I_FLC_ratio_0_25", labs(lab(Analyte.FLC_RATIO, 0.25)), "I-FLC", True),
    (
        "I_FLC_lab_range_high_1_5_ratio_1_6",
        labs(lab(Analyte.FLC_RATIO, 1.6, low=0.3, high=1.5)),
        "I-FLC",
        True,
    ),
    (
        "I_FLC_egfr_50_renal_range_ratio_3_10_normal",
        labs(lab(Analyte.FLC_RATIO, 3.10), lab(Analyte.EGFR, 50.0)),
        "I-FLC",
        False,
    ),
    (
        "I_FLC_egfr_50_renal_range_ratio_3_11",
        labs(lab(Analyte.FLC_RATIO, 3.11), lab(Analyte.EGFR, 50.0)),
        "I-FLC",
        True,
    ),
    (
        "I_FLC_egfr_50_renal_range_ratio_0_36",
        labs(lab(Analyte.FLC_RATIO, 0.36), lab(Analyte.EGFR, 50.0)),
        "I-FLC",
        True,
    ),
    # ---- H-MPROTEIN
    ("H_MPROTEIN_spike_0", labs(lab(Analyte.M_PROTEIN, 0.0)), "H-MPROTEIN", False),
    ("H_MPROTEIN_spike_1_g_l_is_0_1_g_dl", labs(m_protein_g_l(1.0)), "H-MPROTEIN", True),
    (
        "H_MPROTEIN_spike_below_detection_lt_0_1",
        labs(lab(Analyte.M_PROTEIN, 0.1, comparator="<")),
        "H-MPROTEIN",
        False,
    ),
    ("H_MPROTEIN_ife_monoclonal", labs(spep(Finding.POSITIVE)), "H-MPROTEIN", True),
    ("H_MPROTEIN_ife_negative", labs(spep(Finding.NEGATIVE)), "H-MPROTEIN", False),
    (
        "H_MPROTEIN_urine_m_protein_0",
        labs(lab(Analyte.URINE_M_PROTEIN_24H, 0.0)),
        "H-MPROTEIN",
        False,
    ),
    (
        "H_MPROTEIN_urine_m_protein_30_mg",
        labs(lab(Analyte.URINE_M_PROTEIN_24H, 30.0)),
        "H-MPROTEIN",
        True,
    ),
    # ---- H-IMMUNOPARESIS: lab LLN only
    (
        "H_IMMUNOPARESIS_igg_at_lln_700",
        labs(lab(Analyte.IGG, 700.0, low=700.0)),
        "H-IMMUNOPARESIS",
        False,
    ),
    ("H_IMMUNOPARESIS_igg_699", labs(lab(Analyte.IGG, 699.0, low=700.0)), "H-IMMUNOPARESIS", True),
    (
        "H_IMMUNOPARESIS_igm_no_lab_lln_not_judged",
        labs(lab(Analyte.IGM, 5.0)),
        "H-IMMUNOPARESIS",
        False,
    ),
    # ---- H-CYTOPENIA: lab LLN preferred, else 150 / 4.0 / 1.8
    ("H_CYTOPENIA_platelets_150", labs(lab(Analyte.PLATELETS, 150.0)), "H-CYTOPENIA", False),
    ("H_CYTOPENIA_platelets_149", labs(lab(Analyte.PLATELETS, 149.0)), "H-CYTOPENIA", True),
    (
        "H_CYTOPENIA_platelets_140_lab_lln_130",
        labs(lab(Analyte.PLATELETS, 140.0, low=130.0)),
        "H-CYTOPENIA",
        False,
    ),
    ("H_CYTOPENIA_wbc_4000_per_ul", labs(per_ul(Analyte.WBC, 4000.0)), "H-CYTOPENIA", False),
    ("H_CYTOPENIA_wbc_3900_per_ul", labs(per_ul(Analyte.WBC, 3900.0)), "H-CYTOPENIA", True),
    (
        "H_CYTOPENIA_neutrophils_1_8",
        labs(lab(Analyte.NEUTROPHILS_ABSOLUTE, 1.8)),
        "H-CYTOPENIA",
        False,
    ),
    (
        "H_CYTOPENIA_neutrophils_1_79",
        labs(lab(Analyte.NEUTROPHILS_ABSOLUTE, 1.79)),
        "H-CYTOPENIA",
        True,
    ),
    # ---- H-MONOCYTOSIS / I-MONOCYTE
    (
        "H_MONOCYTOSIS_two_counts_1_0_three_months_apart",
        labs(
            lab(Analyte.MONOCYTES_ABSOLUTE, 1.0, days_ago=1),
            lab(Analyte.MONOCYTES_ABSOLUTE, 1.1, days_ago=93),
        ),
        "H-MONOCYTOSIS",
        True,
    ),
    (
        "H_MONOCYTOSIS_two_counts_one_day_short_of_three_months",
        labs(
            lab(Analyte.MONOCYTES_ABSOLUTE, 1.0, days_ago=1),
            lab(Analyte.MONOCYTES_ABSOLUTE, 1.1, days_ago=91),
        ),
        "H-MONOCYTOSIS",
        False,
    ),
    ("I_MONOCYTE_single_1_0", labs(lab(Analyte.MONOCYTES_ABSOLUTE, 1.0)), "I-MONOCYTE", True),
    (
        "I_MONOCYTE_single_0_99_percent_7",
        labs(lab(Analyte.MONOCYTES_ABSOLUTE, 0.99)),
        "I-MONOCYTE",
        False,
    ),
    (
        "I_MONOCYTE_0_5_with_10_percent",
        labs(lab(Analyte.MONOCYTES_ABSOLUTE, 0.5), lab(Analyte.MONOCYTES_PERCENT, 10.0)),
        "I-MONOCYTE",
        True,
    ),
    (
        "I_MONOCYTE_0_49_with_12_percent",
        labs(lab(Analyte.MONOCYTES_ABSOLUTE, 0.49), lab(Analyte.MONOCYTES_PERCENT, 12.0)),
        "I-MONOCYTE",
        False,
    ),
    (
        "I_MONOCYTE_0_6_with_9_9_percent",
        labs(lab(Analyte.MONOCYTES_ABSOLUTE, 0.6), lab(Analyte.MONOCYTES_PERCENT, 9.9)),
        "I-MONOCYTE",
        False,
    ),
    (
        "I_MONOCYTE_percent_alone_is_never_a_count",
        record(
            labs=with_labs(
                without(NORMAL, Analyte.MONOCYTES_ABSOLUTE), lab(Analyte.MONOCYTES_PERCENT, 30.0)
            )
        ),
        "I-MONOCYTE",
        False,
    ),
    # ---- imaging flags
    (
        "U_L_focal_multiple",
        record(mris=(mri(ImagingClass.FOCAL_MULTIPLE, lesion_count=2, sizes=(5.0, 7.0)),)),
        "U-L",
        True,
    ),
    (
        "U_L_not_for_focal_equivocal_sizes_4_and_6",
        record(mris=(mri(ImagingClass.FOCAL_EQUIVOCAL, lesion_count=2, sizes=(4.0, 6.0)),)),
        "U-L",
        False,
    ),
    (
        "I_FOCAL_focal_equivocal",
        record(mris=(mri(ImagingClass.FOCAL_EQUIVOCAL, lesion_count=1),)),
        "I-FOCAL",
        True,
    ),
    ("I_FOCAL_not_for_nonspecific", record(), "I-FOCAL", False),
    (
        "U_B_lytic_lesion_on_radiograph",
        record(other_imaging=(other(Modality.XR, feature(FeatureKind.LYTIC_LESION)),)),
        "U-B",
        True,
    ),
    (
        "U_B_negated_lytic_lesion",
        record(
            other_imaging=(other(Modality.CT, feature(FeatureKind.LYTIC_LESION, negated=True)),)
        ),
        "U-B",
        False,
    ),
    (
        "U_B_lytic_on_mri_does_not_count",
        record(other_imaging=(other(Modality.MR, feature(FeatureKind.LYTIC_LESION)),)),
        "U-B",
        False,
    ),
    (
        "H_IMAGING_enhancement",
        record(mris=(mri(features=(feature(FeatureKind.ENHANCEMENT),)),)),
        "H-IMAGING",
        True,
    ),
    (
        "H_IMAGING_negated_enhancement",
        record(mris=(mri(features=(feature(FeatureKind.ENHANCEMENT, negated=True),)),)),
        "H-IMAGING",
        False,
    ),
    (
        "H_IMAGING_historical_feature",
        record(mris=(mri(features=(feature(FeatureKind.SHARP_MARGIN, historical=True),)),)),
        "H-IMAGING",
        False,
    ),
    (
        "H_IMAGING_chemical_shift_19_pct_1_5_t",
        record(mris=(mri(signal_drop_pct=19.0, field_strength_t=1.5),)),
        "H-IMAGING",
        True,
    ),
    (
        "H_IMAGING_chemical_shift_20_pct_1_5_t_benign",
        record(mris=(mri(signal_drop_pct=20.0, field_strength_t=1.5),)),
        "H-IMAGING",
        False,
    ),
    (
        "H_IMAGING_chemical_shift_24_pct_3_t",
        record(mris=(mri(signal_drop_pct=24.0, field_strength_t=3.0),)),
        "H-IMAGING",
        True,
    ),
    (
        "H_IMAGING_chemical_shift_25_pct_3_t_benign",
        record(mris=(mri(signal_drop_pct=25.0, field_strength_t=3.0),)),
        "H-IMAGING",
        False,
    ),
    (
        "H_IMAGING_chemical_shift_22_pct_unknown_field_uses_25",
        record(mris=(mri(signal_drop_pct=22.0),)),
        "H-IMAGING",
        True,
    ),
    # ---- history flags
    (
        "H_SYMPTOMS_active_night_sweats",
        record(conditions=(condition(ConditionCategory.NIGHT_SWEATS),)),
        "H-SYMPTOMS",
        True,
    ),
    (
        "H_SYMPTOMS_resolved_fever",
        record(conditions=(condition(ConditionCategory.FEVER, active=False),)),
        "H-SYMPTOMS",
        False,
    ),
    (
        "H_CANCER_z85_history",
        record(conditions=(condition(ConditionCategory.CANCER_HISTORY, "ICD-10-CM Z85.3"),)),
        "H-CANCER",
        True,
    ),
    (
        "H_CANCER_not_for_myeloma",
        record(conditions=(condition(ConditionCategory.MYELOMA),)),
        "H-CANCER",
        False,
    ),
]


@pytest.mark.parametrize(
    ("rec", "flag_id", "expected"), [pytest.param(r, f, e, id=i) for i, r, f, e in CASES]
)
def test_flag_boundary(rec: PatientRecord, flag_id: str, expected: bool) -> None:
    assert (flag_id in fired(rec)) is expected


def test_every_flag_has_a_boundary_case_each_way() -> None:
    from logic.flags import FLAG_IDS

    for flag_id in FLAG_IDS:
        outcomes = {e for _, _, f, e in CASES if f == flag_id}
        assert outcomes == {True, False}, flag_id


def test_flag_evidence_carries_value_unit_date_reference_and_as_sent() -> None:
    assessment = assess(labs(calcium_mg_dl(11.1, reference="Observation/ca1")), AS_OF)
    (u_c,) = [f for f in assessment.flags if f.id == "U-C"]
    (ev,) = u_c.evidence
    assert ev.reference == "Observation/ca1"
    assert ev.value == "2.77"
    assert ev.unit == "mmol/L"
    assert ev.date == (AS_OF.date().fromordinal(AS_OF.date().toordinal() - 10))
    assert (ev.as_sent, ev.quote) == ("11.1 mg/dL", None)
    assert "2.75" in u_c.criterion


def test_computed_corrected_calcium_names_both_sources() -> None:
    rec = labs(
        lab(CA, 2.6, high=2.6, reference="Observation/ca"),
        albumin_g_l(20.0, reference="Observation/alb"),
    )
    (u_c,) = [f for f in assess(rec, AS_OF).flags if f.id == "U-C"]
    assert "Observation/ca, Observation/alb" in u_c.evidence[0].label
    assert u_c.evidence[0].value == "3.00"  # 2.6 + 0.8 x (4.0 - 2.0) x 0.2495 = 2.9992


def test_imaging_flag_quotes_the_report_sentence() -> None:
    sentence = "Avidly enhancing marrow lesion at L4."
    rec = record(mris=(mri(features=(feature(FeatureKind.ENHANCEMENT, sentence),)),))
    (flag,) = [f for f in assess(rec, AS_OF).flags if f.id == "H-IMAGING"]
    assert flag.evidence[0].quote == sentence
    assert flag.evidence[0].reference is not None
    assert flag.evidence[0].reference.startswith("DiagnosticReport/")
