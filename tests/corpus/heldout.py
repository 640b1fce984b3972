"""Held-out corpus: written after the rule engine was tuned on reports.py, and first scored
unseen (the first score of both engines on it is in the issue note). Same format as reports.py.
"""

from __future__ import annotations

from .reports import Case

HELDOUT: tuple[Case, ...] = (
    Case(
        "ho_negative_osseous_structures_normal",
        "FINDINGS:\nThe osseous structures demonstrate normal marrow signal intensity. There is "
        "no suspicious osseous lesion.\nIMPRESSION:\nNo acute osseous abnormality.\n",
        "NEGATIVE",
        negated=("focal-lesion", "marrow-signal"),
    ),
    Case(
        "ho_heterogeneous_nonspecific_uppercase",
        "FINDINGS:\nHETEROGENEOUS BONE MARROW SIGNAL IN THE LUMBAR VERTEBRAE. NO FOCAL LESION.\n"
        "IMPRESSION:\nNONSPECIFIC HETEROGENEOUS MARROW SIGNAL.\n",
        "NONSPECIFIC",
        negated=("focal-lesion",),
        hedges=("nonspecific",),
    ),
    Case(
        "ho_diffuse_t1_hypointense_marrow",
        "FINDINGS:\nThere is diffusely T1-hypointense marrow in the lumbar spine and sacrum, "
        "darker than the adjacent discs.\nIMPRESSION:\nDiffuse marrow signal abnormality; "
        "differential includes marrow infiltration by a haematological process.\n",
        "DIFFUSE",
        levels=("sacrum",),
        worrisome=("cannot-exclude-infiltration", "t1-low-vs-muscle-or-disc"),
        hedges=("cannot exclude",),
    ),
    Case(
        "ho_three_lesions_with_sizes_in_impression",
        "FINDINGS:\nFocal T1-hypointense lesions are present at L1, L3 and L5.\nIMPRESSION:\n"
        "Three focal lesions measuring 6 mm, 8 mm and 13 mm, concerning for myeloma.\n",
        "FOCAL_MULTIPLE",
        count=3,
        sizes=(6.0, 8.0, 13.0),
        levels=("L1", "L3", "L5"),
        worrisome=("cannot-exclude-infiltration",),
    ),
    Case(
        "ho_single_sacral_lesion_cm",
        "FINDINGS:\nA 2.3 cm marrow-replacing lesion in the left sacral ala.\nIMPRESSION:\n"
        "Solitary sacral lesion; metastasis cannot be excluded.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(23.0,),
        levels=("sacral ala",),
        worrisome=("cannot-exclude-infiltration",),
        hedges=("cannot exclude",),
    ),
    Case(
        "ho_stable_since_prior",
        "COMPARISON: MRI 2023-11-14.\nFINDINGS:\nPatchy heterogeneous marrow signal, stable "
        "since the prior examination.\nIMPRESSION:\nStable patchy marrow heterogeneity.\n",
        "NONSPECIFIC",
        interval="stable",
    ),
    Case(
        "ho_no_suspicious_new_lesion",
        "FINDINGS:\nRedemonstrated mildly heterogeneous marrow. No suspicious new lesion.\n"
        "IMPRESSION:\nNo new marrow lesion.\n",
        "NONSPECIFIC",
        negated=("new-lesion",),
        hedges=("mild",),
        interval="stable",
    ),
    Case(
        "ho_interval_enlargement",
        "FINDINGS:\nInterval enlargement of the T1-hypointense lesion in the right iliac bone, "
        "now 18 mm, previously 11 mm.\nIMPRESSION:\nEnlarging iliac lesion.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(18.0,),
        levels=("iliac",),
        worrisome=("interval-increase",),
        interval="increased",
    ),
    Case(
        "ho_resolved_marrow_edema",
        "FINDINGS:\nThe previously noted heterogeneous marrow signal at L2 has resolved. Marrow "
        "signal is now normal.\nIMPRESSION:\nResolution of L2 marrow signal abnormality.\n",
        "NEGATIVE",
        negated=("marrow-signal",),
        interval="resolved",
    ),
    Case(
        "ho_opposed_phase_drop_35_percent",
        "TECHNIQUE: 1.5T MRI with in- and opposed-phase imaging.\nFINDINGS:\nHeterogeneous "
        "marrow signal with approximately 35% signal drop on opposed-phase images.\n"
        "IMPRESSION:\nHeterogeneous marrow, likely benign given signal drop.\n",
        "NONSPECIFIC",
        benign=("chemical-shift-drop",),
        hedges=("likely",),
        field=1.5,
        drop=35.0,
    ),
    Case(
        "ho_enhancing_lesions_multiple_no_sizes",
        "FINDINGS:\nMultiple enhancing marrow lesions in the thoracolumbar spine.\n"
        "IMPRESSION:\nMultiple enhancing lesions.\n",
        "FOCAL_EQUIVOCAL",
        count=2,
        worrisome=("enhancement",),
    ),
    Case(
        "ho_no_marrow_edema_or_lesion_but_mild_heterogeneity",
        "FINDINGS:\nNo marrow edema or focal lesion, although the marrow is mildly "
        "heterogeneous.\nIMPRESSION:\nMild marrow heterogeneity.\n",
        "NONSPECIFIC",
        negated=("focal-lesion",),
        hedges=("mild",),
    ),
    Case(
        "ho_infiltrative_pattern_throughout",
        "FINDINGS:\nInfiltrative marrow pattern throughout the visualized spine with loss of "
        "normal fatty marrow signal.\nIMPRESSION:\nDiffuse marrow infiltration.\n",
        "DIFFUSE",
    ),
    Case(
        "ho_focus_at_t2_vertebra",
        "FINDINGS:\nA 5 mm T1-hypointense focus in the T2 vertebral body.\nIMPRESSION:\nSmall "
        "T2 vertebral body focus, nonspecific.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(5.0,),
        levels=("T2",),
        hedges=("nonspecific",),
    ),
    Case(
        "ho_html_diffuse",
        "<p>FINDINGS: Diffusely heterogeneous marrow signal involving L1&ndash;L5.</p>"
        "<p>IMPRESSION: Diffuse marrow heterogeneity.</p>",
        "DIFFUSE",
        levels=("L1", "L2", "L3", "L4", "L5"),
        source="html",
    ),
    Case(
        "ho_conclusion_two_lesions",
        "Two focal marrow lesions at L3 (7 mm) and S2 (9 mm). Recommend SPEP and free light "
        "chains.",
        "FOCAL_MULTIPLE",
        count=2,
        sizes=(7.0, 9.0),
        levels=("L3", "S2"),
        source="conclusion",
    ),
    Case(
        "ho_hemangioma_and_heterogeneous",
        "FINDINGS:\nTypical haemangioma at L3. Mildly heterogeneous marrow elsewhere.\n"
        "IMPRESSION:\nMild marrow heterogeneity. Incidental L3 haemangioma.\n",
        "NONSPECIFIC",
        hedges=("mild",),
    ),
    Case(
        "ho_isointense_to_muscle_diffuse",
        "FINDINGS:\nMarrow signal is diffusely isointense to skeletal muscle on T1-weighted "
        "images.\nIMPRESSION:\nDiffusely abnormal marrow signal.\n",
        "DIFFUSE",
        worrisome=("t1-low-vs-muscle-or-disc",),
    ),
    Case(
        "ho_indication_lesion_findings_negative",
        "INDICATION: Myeloma screening. Lytic lesion on outside CT?\nFINDINGS:\nNo lytic or "
        "marrow-replacing lesion is identified. Normal marrow signal.\nIMPRESSION:\nNegative.\n",
        "NEGATIVE",
        negated=("focal-lesion", "lytic-lesion", "marrow-signal"),
    ),
    Case(
        "ho_subtle_heterogeneity_presumed",
        "FINDINGS:\nSubtle heterogeneity of the bone marrow, presumed to reflect red marrow.\n"
        "IMPRESSION:\nSubtle marrow heterogeneity.\n",
        "NONSPECIFIC",
        benign=("benign-hedge",),
        hedges=("presumed", "subtle"),
    ),
)
