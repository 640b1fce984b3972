"""Every threshold, window and default limit the rules use, each with its source.

Values are in the canonical units of `logic.analytes.CANONICAL_UNIT`. A value marked
"(verify)" in SPEC.md came from a secondary source only: it is kept and listed in
`UNVERIFIED`, never replaced by a guess.

Where SPEC.md states a limit in two units that do not convert exactly (calcium 11 mg/dL =
2.7445 mmol/L, not 2.75; 10.2 mg/dL = 2.545 mmol/L, not 2.6), the canonical-unit (mmol/L)
figure of SPEC.md is used, because results are compared in the canonical unit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

# ---------------------------------------------------------------- time windows (SPEC.md §2, §5)

# §2 "Current result": effective within 90 days before as_of.
CURRENT_WINDOW: Final = timedelta(days=90)
# Engineering tolerance, NOT a SPEC.md value: a result or report dated up to 24 h after
# `as_of` is treated as dated at `as_of` (current), with a data-quality warning. Timezone-less
# source times are read as UTC, so a result from a UTC+10 site can land hours "in the future";
# clock skew between EHR and lab does the same. Anything dated later is not used (warning too).
CLOCK_SKEW_TOLERANCE: Final = timedelta(hours=24)
# Engineering tolerance, NOT a SPEC.md value: values within this distance of a limit count as
# equal to it (values converted between units carry float noise: 2.6 + 0.25). Every comparison
# with a limit (`logic.labs`) and the display guard (`logic.units`) use it.
COMPARISON_TOLERANCE: Final = 1e-9
# §2 "Known CKD": eGFR <60 on two results *more than* 3 months apart.
CKD_EGFR_APART_MONTHS: Final = 3
# §5 H-MONOCYTOSIS: two results *at least* 3 months apart.
MONOCYTOSIS_APART_MONTHS: Final = 3

# ---------------------------------------------------------------- unit conversion (SPEC.md §4)

# Calcium: mg/dL x 0.2495 = mmol/L.
CALCIUM_MG_DL_TO_MMOL_L: Final = 0.2495
# Creatinine: mg/dL x 88.42 = umol/L.
CREATININE_MG_DL_TO_UMOL_L: Final = 88.42
# Haemoglobin: mmol/L x 1.611 = g/dL.
HAEMOGLOBIN_MMOL_L_TO_G_DL: Final = 1.611
# Ferritin: pmol/L / 2.247 = ug/L, i.e. 1 ug/L = 2.247 pmol/L (verify).
FERRITIN_UG_L_TO_PMOL_L: Final = 2.247
# §4 corrected calcium (computed): total Ca (mg/dL) + 0.8 x (4.0 - albumin g/dL).
CORRECTED_CALCIUM_FACTOR_MG_DL: Final = 0.8
CORRECTED_CALCIUM_ALBUMIN_REF_G_DL: Final = 4.0

# ---------------------------------------------------------------- default reference limits (§4)

# Haemoglobin LLN when the result carries none = the WHO cut-off by sex (§4 row Haemoglobin).
HB_WHO_CUTOFF_MALE_G_DL: Final = 13.0
HB_WHO_CUTOFF_FEMALE_G_DL: Final = 12.0
HB_WHO_CUTOFF_UNKNOWN_SEX_G_DL: Final = 12.0
# Total and albumin-corrected calcium: 8.2-10.2 mg/dL (2.1-2.6 mmol/L); mmol/L figure used.
CALCIUM_TOTAL_LOW_MMOL_L: Final = 2.1
CALCIUM_TOTAL_HIGH_MMOL_L: Final = 2.6
# Ionized calcium 1.15-1.33 mmol/L; never compared with total-calcium limits.
CALCIUM_IONIZED_LOW_MMOL_L: Final = 1.15
CALCIUM_IONIZED_HIGH_MMOL_L: Final = 1.33
# Creatinine ULN: from the lab; default 1.2 mg/dL (= 106.1 umol/L).
CREATININE_HIGH_MG_DL: Final = 1.2
CREATININE_HIGH_UMOL_L: Final = CREATININE_HIGH_MG_DL * CREATININE_MG_DL_TO_UMOL_L
# eGFR / CrCl: <60 abnormal (H-RENAL; renal FLC range).
EGFR_LOW: Final = 60.0
# Albumin 3.4-4.7 g/dL (not a criterion of §5; used only for corrected calcium).
ALBUMIN_LOW_G_DL: Final = 3.4
ALBUMIN_HIGH_G_DL: Final = 4.7
# FLC kappa 3.3-19.4 mg/L, lambda 5.7-26.3 mg/L.
FLC_KAPPA_LOW_MG_L: Final = 3.3
FLC_KAPPA_HIGH_MG_L: Final = 19.4
FLC_LAMBDA_LOW_MG_L: Final = 5.7
FLC_LAMBDA_HIGH_MG_L: Final = 26.3
# FLC kappa/lambda ratio 0.26-1.65; 0.37-3.10 when eGFR <60 (§4, I-FLC).
FLC_RATIO_LOW: Final = 0.26
FLC_RATIO_HIGH: Final = 1.65
FLC_RATIO_RENAL_LOW: Final = 0.37
FLC_RATIO_RENAL_HIGH: Final = 3.10
# Serum M-protein: 0 (any spike >0 is positive); urine M-protein 24 h: 0.
M_PROTEIN_HIGH_G_DL: Final = 0.0
URINE_M_PROTEIN_HIGH_MG_24H: Final = 0.0
# Urine protein 24 h <229 mg/24 h; beta-2 microglobulin 1.21-2.70 mg/L (not criteria of §5;
# shown on the checks only).
URINE_PROTEIN_HIGH_MG_24H: Final = 229.0
B2M_LOW_MG_L: Final = 1.21
B2M_HIGH_MG_L: Final = 2.70
# WBC 4.0, platelets 150, absolute neutrophils 1.8 (x10^9/L) lower limits (H-CYTOPENIA).
WBC_LOW: Final = 4.0
PLATELETS_LOW: Final = 150.0
NEUTROPHILS_LOW: Final = 1.8
# §2 known cause of anaemia: a current ferritin below 15 ug/L documents iron deficiency (WHO
# guideline on ferritin, 2020). Not a flag (§4).
FERRITIN_IRON_DEFICIENCY_UG_L: Final = 15.0
# §2 known cause of cytopenia: a documented Duffy-null phenotype (benign ethnic neutropenia)
# explains absolute neutrophils of 1.0-1.8 x10^9/L (both ends included), and no other count.
DUFFY_NULL_NEUTROPHILS_LOW: Final = 1.0
DUFFY_NULL_NEUTROPHILS_HIGH: Final = 1.8

# ---------------------------------------------------------------- flag thresholds (§5)

# U-Li: involved/uninvolved FLC ratio >=100 and involved FLC >=100 mg/L (IMWG 2014).
U_LI_RATIO: Final = 100.0
U_LI_INVOLVED_MG_L: Final = 100.0
# U-C: calcium >0.25 mmol/L (1 mg/dL) above ULN, or >2.75 mmol/L (11 mg/dL).
U_C_ABOVE_ULN_MMOL_L: Final = 0.25
U_C_ABSOLUTE_MMOL_L: Final = 2.75
# U-R: creatinine >177 umol/L (2 mg/dL), or eGFR / CrCl <40.
U_R_CREATININE_UMOL_L: Final = 177.0
U_R_EGFR: Final = 40.0
# U-A: Hb <10 g/dL, or >2 g/dL below the LLN.
U_A_HB_G_DL: Final = 10.0
U_A_BELOW_LLN_G_DL: Final = 2.0
# U-L: more than one focal MRI lesion, each >=5 mm.
U_L_MIN_LESIONS: Final = 2
U_L_MIN_SIZE_MM: Final = 5.0
# H-FLC: kappa/lambda ratio <0.125 or >8; I-FLC lies between these and the normal range.
H_FLC_RATIO_LOW: Final = 0.125
H_FLC_RATIO_HIGH: Final = 8.0
# H-MONOCYTOSIS / I-MONOCYTE: absolute monocytes >=1.0 x10^9/L; I-MONOCYTE also 0.5-0.99
# with monocytes >=10 %.
MONOCYTES_HIGH: Final = 1.0
MONOCYTES_BORDERLINE_LOW: Final = 0.5
MONOCYTES_PERCENT_HIGH: Final = 10.0
# H-SYMPTOMS: age >50 with unexplained weight loss.
SYMPTOMS_WEIGHT_LOSS_AGE: Final = 50

# ---------------------------------------------------------------- imaging (§3)

# Chemical-shift signal drop below 20 % at 1.5 T, or below 25 % at 3 T, is worrisome.
CHEMICAL_SHIFT_DROP_1_5T_PCT: Final = 20.0
CHEMICAL_SHIFT_DROP_3T_PCT: Final = 25.0
# Field strength at or above which the 3 T threshold applies. When the report gives no
# field strength, the stricter (3 T, 25 %) threshold is used: a drop of 20-24 % is not
# called benign without knowing the field.
CHEMICAL_SHIFT_3T_FROM_TESLA: Final = 3.0
# §3 normal marrow: patchy red marrow confined to the proximal femora and pelvis in a patient
# under 40, with no worrisome feature, is NEGATIVE (the report reader's age cut-off).
RED_MARROW_NORMAL_UNDER_AGE: Final = 40

# ---------------------------------------------------------------- follow-up timing (§5)

# R5, R7, R8, I-FOCAL: MRI in 3-6 months.
MRI_FIRST_INTERVAL_MONTHS: Final = (3, 6)
# R8: labs every 3-6 months (first interval).
LABS_FIRST_INTERVAL_MONTHS: Final = (3, 6)
# R7: repeat labs at 3 months.
R7_LABS_AT_MONTHS: Final = 3
# I-MONOCYTE: repeat CBC with differential in 4-12 weeks.
I_MONOCYTE_REPEAT_CBC_WEEKS: Final = (4, 12)
# Surveillance after a first stable interval: MRI and labs every 6-12 months until 2-3 years
# of stability, then annually. The upper bound (3 years) is used: yearly only after 3 years.
STABLE_INTERVAL_MONTHS: Final = (6, 12)
STABLE_YEARS_BEFORE_ANNUAL: Final = 3
ANNUAL_MONTHS: Final = 12
# Follow-up status (closing the loop): the surveillance MRI is due 6 months after the index MRI
# (end of the first 3-6 month interval), 12 months after it once an earlier MRI showed the
# finding stable; overdue by more than 6 months makes the card a warning. Calendar months.
FOLLOW_UP_DUE_FIRST_MONTHS: Final = 6
FOLLOW_UP_DUE_LATER_MONTHS: Final = 12
FOLLOW_UP_LONG_OVERDUE_MONTHS: Final = 6

# ---------------------------------------------------------------- codes marked (verify)

# ICD-10-CM D64.81 as a known cause of anaemia, Z51.5 and SNOMED 103735009 for palliative
# care are "(verify)" in SPEC.md §2; they are matched by fhir_mappers, listed here so the
# catalogue shows them as unverified.
UNVERIFIED: Final[tuple[str, ...]] = (
    "ICD-10-CM D64.81 as a documented cause of anaemia (SPEC.md §2)",
    "ICD-10-CM Z51.5 / SNOMED 103735009 as limited life expectancy (SPEC.md §2)",
    "SNOMED 277577000 as MGUS (SPEC.md §2)",
    "ICD-10-CM D72.819 as a documented Duffy-null phenotype (SPEC.md §2)",
    "Ferritin pmol/L / 2.247 = ug/L (SPEC.md §4)",
)
