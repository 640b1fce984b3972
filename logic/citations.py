"""The sources rules and flags cite (SPEC.md sections 1, 2, 4 and 5)."""

from __future__ import annotations

from typing import Final

IMWG_2014: Final = (
    "IMWG 2014: Rajkumar SV et al. International Myeloma Working Group updated criteria for "
    "the diagnosis of multiple myeloma. Lancet Oncol 2014;15:e538-48"
)
WHO_ANAEMIA: Final = (
    "WHO 2011: Haemoglobin concentrations for the diagnosis of anaemia and assessment of "
    "severity (WHO/NMH/NHD/MNM/11.1)"
)
SPIERINGS_2014: Final = (
    "Spierings et al., Neth J Med 2014: 7/15 (47%) biopsies for incidental diffuse MRI marrow "
    "signal showed clinically important haematological disease"
)
ANN_DIAGN_PATHOL_2019: Final = (
    "Ann Diagn Pathol 2019;40:7-12: 19/45 (42%) biopsies for nonspecific diffuse T1 change "
    "showed a neoplasm; lower haemoglobin in the neoplasm group"
)
ARIKAN_2024: Final = (
    "Arikan et al., Curr Med Imaging 2024: 3/42 (7%) haematological malignancy; 1 of 35 "
    "followed ~40 months developed MGUS"
)
SHAH_2014: Final = (
    "Shah et al., Sci World J 2014;380814: 6% of incidental abnormal marrow later diagnosed "
    "with a malignancy"
)
SPEC_2: Final = "SPEC.md section 2"
SPEC_3: Final = "SPEC.md section 3"
SPEC_4: Final = "SPEC.md section 4"
SPEC_5: Final = "SPEC.md section 5"
SPEC_7: Final = "SPEC.md section 7"
KYLE_2010_SHORT: Final = "Kyle et al., Leukemia 2010;24:1121-7"
