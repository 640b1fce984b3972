"""A corpus of marrow MRI report texts, written in radiology style, with the expected reading.

Each case is what a radiologist reading the report would answer (SPEC.md section 3), not what the
extractor happens to produce. Fields left out mean "none": no lesions, no sizes, no levels, no
worrisome or benign feature, nothing negated, no hedge, no interval change, no field strength,
no chemical-shift value.

- `count`: number of focal lesions (a lower bound for "multiple" = 2, "several"/"numerous" = 3).
- `levels`: vertebral levels and sites (sacral ala, iliac, pelvis, sacrum) of present findings.
- `negated`: feature kinds mentioned only as negated ("no focal lesion" -> focal-lesion).
- `hedges`: canonical hedge words that govern a present finding: slight, mild, subtle, minimal,
  nonspecific, may represent, likely, favored (favoured), probably, could reflect, possible,
  cannot exclude, suggestive, presumed.
- `source`: how the text reaches the reader: "text" (presentedForm text/plain), "html"
  (presentedForm text/html, base64), "conclusion" (DiagnosticReport.conclusion only).

Plain data: imported by tests/corpus/test_corpus.py and by benchmarks/imaging_nlp.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    cls: str  # ImagingClass value
    count: int | None = None
    sizes: tuple[float, ...] = ()
    levels: tuple[str, ...] = ()
    worrisome: tuple[str, ...] = ()
    benign: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()
    interval: str | None = None
    field: float | None = None
    drop: float | None = None
    source: str = "text"


T15 = "TECHNIQUE: Sagittal T1, T2 and STIR, axial T2 of the lumbar spine at 1.5 T.\n"
T3 = "TECHNIQUE: Sagittal T1, T2, STIR and T1 in/opposed-phase (Dixon) at 3T.\n"
CMP = "COMPARISON: MRI lumbar spine 2024-03-01.\n"
IND = "INDICATION: Low back pain.\n"


CASES: tuple[Case, ...] = (
    # ------------------------------------------------------------------ negatives
    Case(
        "negative_normal_marrow_signal",
        IND + T15 + "COMPARISON: None.\nFINDINGS:\nVertebral body heights are maintained. "
        "Normal marrow signal. Mild disc desiccation at L4-5 without herniation.\n"
        "IMPRESSION:\nNo marrow abnormality. Mild degenerative disc disease at L4-5.\n",
        "NEGATIVE",
        negated=("marrow-signal",),
        field=1.5,
    ),
    Case(
        "negative_marrow_signal_is_unremarkable",
        IND + "FINDINGS:\nAlignment is normal. The bone marrow signal is unremarkable. "
        "No focal osseous lesion.\nIMPRESSION:\nUnremarkable MRI of the lumbar spine.\n",
        "NEGATIVE",
        negated=("focal-lesion", "marrow-signal"),
    ),
    Case(
        "negative_no_abnormal_marrow_signal_or_lesion",
        "FINDINGS:\nNo abnormal marrow signal, marrow-replacing lesion or abnormal enhancement.\n"
        "IMPRESSION:\nNegative for marrow infiltration.\n",
        "NEGATIVE",
        negated=("diffuse-pattern", "enhancement", "focal-lesion", "marrow-signal"),
    ),
    Case(
        "negative_for_and_free_of",
        "FINDINGS:\nThe sacrum and iliac bones are free of focal lesions. Negative for "
        "heterogeneous marrow signal.\nIMPRESSION:\nNormal study.\n",
        "NEGATIVE",
        negated=("focal-lesion", "marrow-signal"),
    ),
    Case(
        "indication_history_is_not_a_finding",
        "CLINICAL HISTORY: History of heterogeneous marrow on outside MRI. Evaluate.\n"
        + CMP
        + "FINDINGS:\nMarrow signal is normal. No focal lesion.\nIMPRESSION:\nNormal marrow.\n",
        "NEGATIVE",
        negated=("focal-lesion", "marrow-signal"),
    ),
    Case(
        "degenerative_only_diffuse_disc_bulge",
        "FINDINGS:\nL4-5: Diffuse disc bulge with mild bilateral foraminal stenosis. "
        "L5-S1: Small central protrusion. Modic type 2 endplate changes at L5-S1.\n"
        "IMPRESSION:\nMultilevel degenerative change. Marrow otherwise unremarkable.\n",
        "NEGATIVE",
        negated=("marrow-signal",),
    ),
    Case(
        "typical_hemangioma_is_not_a_focal_lesion",
        "FINDINGS:\nA 9 mm T1 and T2 hyperintense focus at L2, typical of a hemangioma. "
        "Otherwise normal marrow signal.\nIMPRESSION:\nL2 hemangioma. No suspicious lesion.\n",
        "NEGATIVE",
        negated=("focal-lesion", "marrow-signal"),
    ),
    Case(
        "schmorl_node_is_not_a_lesion",
        "FINDINGS:\nSchmorl node at the superior endplate of L3. Marrow signal is preserved.\n"
        "IMPRESSION:\nNo acute abnormality.\n",
        "NEGATIVE",
        negated=("marrow-signal",),
    ),
    Case(
        "not_seen_negates_backwards",
        "FINDINGS:\nA focal marrow lesion is not seen. Abnormal enhancement is not identified.\n"
        "IMPRESSION:\nNo marrow lesion.\n",
        "NEGATIVE",
        negated=("enhancement", "focal-lesion"),
    ),
    # ------------------------------------------------------------------ nonspecific
    Case(
        "nonspecific_mild_heterogeneous",
        IND + T15 + CMP + "FINDINGS:\nMildly heterogeneous marrow signal in the lumbar spine. "
        "No focal lesion.\nIMPRESSION:\nMildly heterogeneous marrow signal, nonspecific.\n",
        "NONSPECIFIC",
        negated=("focal-lesion",),
        hedges=("mild", "nonspecific"),
        field=1.5,
    ),
    Case(
        "nonspecific_patchy_localised_british",
        "FINDINGS:\nPatchy, localised heterogeneity of the marrow in the L3 vertebral body.\n"
        "IMPRESSION:\nLocalised patchy marrow heterogeneity at L3, of doubtful significance.\n",
        "NONSPECIFIC",
        levels=("L3",),
    ),
    Case(
        "nonspecific_slight_localized_american",
        "FINDINGS:\nSlightly heterogeneous, localized marrow signal in the S1 segment.\n"
        "IMPRESSION:\nSlight localized marrow heterogeneity.\n",
        "NONSPECIFIC",
        levels=("S1",),
        hedges=("slight",),
    ),
    Case(
        "red_marrow_reconversion_hedge",
        "FINDINGS:\nHeterogeneous marrow signal, likely red marrow reconversion.\n"
        "IMPRESSION:\nHeterogeneous marrow, likely reconversion.\n",
        "NONSPECIFIC",
        benign=("benign-hedge",),
        hedges=("likely",),
    ),
    Case(
        "haematopoietic_marrow_hyperplasia_british",
        "FINDINGS:\nMottled bone marrow signal. Appearances are favoured to represent "
        "haematopoietic marrow hyperplasia.\nIMPRESSION:\nMottled marrow, favoured benign.\n",
        "NONSPECIFIC",
        benign=("benign-hedge",),
        hedges=("favored",),
    ),
    Case(
        "hematopoietic_hyperplasia_american_probably",
        "FINDINGS:\nInhomogeneous marrow signal, probably hematopoietic marrow hyperplasia "
        "in this smoker.\nIMPRESSION:\nInhomogeneous marrow, probably benign hyperplasia.\n",
        "NONSPECIFIC",
        benign=("benign-hedge",),
        hedges=("probably",),
    ),
    Case(
        "could_reflect_reconversion",
        "FINDINGS:\nSubtle variegated marrow signal which could reflect red marrow "
        "reconversion.\nIMPRESSION:\nSubtle variegated marrow.\n",
        "NONSPECIFIC",
        benign=("benign-hedge",),
        hedges=("subtle", "could reflect"),
    ),
    Case(
        "minimal_heterogeneity_may_represent",
        "FINDINGS:\nMinimal heterogeneity of the marrow, which may represent normal "
        "variation.\nIMPRESSION:\nMinimal marrow heterogeneity.\n",
        "NONSPECIFIC",
        hedges=("minimal", "may represent"),
    ),
    Case(
        "salt_and_pepper_marrow",
        "FINDINGS:\nSalt-and-pepper appearance of the marrow in the L4 and L5 vertebral bodies.\n"
        "IMPRESSION:\nSalt and pepper marrow at L4-L5, nonspecific.\n",
        "NONSPECIFIC",
        levels=("L4", "L5"),
        hedges=("nonspecific",),
    ),
    Case(
        "title_case_headings_on_own_line",
        "Findings\nMildly heterogeneous marrow signal. No focal lesion.\n\nImpression\n"
        "Mild marrow heterogeneity.\n",
        "NONSPECIFIC",
        negated=("focal-lesion",),
        hedges=("mild",),
    ),
    Case(
        "conclusion_only_without_headings",
        "Mildly heterogeneous marrow signal without focal lesion. No change from prior.",
        "NONSPECIFIC",
        negated=("focal-lesion",),
        hedges=("mild",),
        interval="stable",
        source="conclusion",
    ),
    Case(
        "html_report_nonspecific",
        "<html><body><h3>FINDINGS:</h3><p>Mildly heterogeneous marrow signal &amp; no focal "
        "lesion.</p><h3>IMPRESSION:</h3><p>Mild marrow heterogeneity, likely red marrow "
        "reconversion.</p></body></html>",
        "NONSPECIFIC",
        benign=("benign-hedge",),
        negated=("focal-lesion",),
        hedges=("mild", "likely"),
        source="html",
    ),
    # ------------------------------------------------------------------ diffuse
    Case(
        "diffuse_beats_mild",
        IND + T15 + "FINDINGS:\nMild diffuse heterogeneity of the marrow signal throughout the "
        "lumbar spine.\nIMPRESSION:\nMild diffuse heterogeneous marrow signal.\n",
        "DIFFUSE",
        hedges=("mild",),
        field=1.5,
    ),
    Case(
        "diffuse_without_discrete_focal_lesion",
        "FINDINGS:\nDiffuse heterogeneity of the marrow without a discrete focal lesion.\n"
        "IMPRESSION:\nDiffuse marrow heterogeneity.\n",
        "DIFFUSE",
        negated=("focal-lesion",),
    ),
    Case(
        "diffusely_decreased_t1_marrow",
        "FINDINGS:\nDiffusely decreased T1 marrow signal, hypointense to the intervertebral "
        "discs on T1-weighted images.\nIMPRESSION:\nDiffuse low T1 marrow signal; an infiltrative "
        "process cannot be excluded.\n",
        "DIFFUSE",
        worrisome=("cannot-exclude-infiltration", "t1-low-vs-muscle-or-disc"),
        hedges=("cannot exclude",),
    ),
    Case(
        "marrow_replacement_is_diffuse",
        "FINDINGS:\nExtensive marrow replacement involving the sacrum and both iliac bones.\n"
        "IMPRESSION:\nMarrow replacement, concerning for myeloma or metastatic disease.\n",
        "DIFFUSE",
        levels=("sacrum", "iliac"),
        worrisome=("cannot-exclude-infiltration",),
    ),
    Case(
        "diffuse_homogeneous_low_t1",
        T3 + "FINDINGS:\nDiffusely and homogeneously decreased T1 marrow signal, isointense to "
        "skeletal muscle.\nIMPRESSION:\nDiffuse homogeneous marrow abnormality.\n",
        "DIFFUSE",
        worrisome=("diffuse-homogeneous", "t1-low-vs-muscle-or-disc"),
        field=3.0,
    ),
    Case(
        "several_levels_range_is_diffuse",
        "FINDINGS:\nHeterogeneous marrow signal from L1-L4.\nIMPRESSION:\nHeterogeneous "
        "marrow signal at L1 through L4.\n",
        "DIFFUSE",
        levels=("L1", "L2", "L3", "L4"),
    ),
    Case(
        "all_vertebral_bodies_is_diffuse",
        "FINDINGS:\nAbnormal marrow signal in all visualized vertebral bodies.\n"
        "IMPRESSION:\nAbnormal marrow signal, nonspecific.\n",
        "DIFFUSE",
        hedges=("nonspecific",),
    ),
    Case(
        "throughout_the_pelvis_diffuse",
        "EXAM: MRI PELVIS WITHOUT CONTRAST\nFINDINGS:\nHeterogeneous marrow signal throughout "
        "the pelvis, including the sacral ala and iliac bones.\nIMPRESSION:\nDiffuse "
        "heterogeneous pelvic marrow.\n",
        "DIFFUSE",
        levels=("sacral ala", "iliac", "pelvis"),
    ),
    # ------------------------------------------------------------------ focal
    Case(
        "single_focal_lesion_equivocal",
        IND + T15 + "FINDINGS:\nA 7 mm T1-hypointense lesion in the L3 vertebral body. "
        "No other focal lesion.\nIMPRESSION:\nSolitary 7 mm L3 lesion, indeterminate.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(7.0,),
        levels=("L3",),
        field=1.5,
    ),
    Case(
        "two_lesions_each_measured_focal_multiple",
        "FINDINGS:\nTwo T1-hypointense lesions at L2 (8 mm) and L4 (11 mm), hypointense to the "
        "intervertebral discs on T1.\nIMPRESSION:\nTwo focal lesions, L2 and L4, largest 11 mm.\n",
        "FOCAL_MULTIPLE",
        count=2,
        sizes=(8.0, 11.0),
        levels=("L2", "L4"),
        worrisome=("t1-low-vs-muscle-or-disc",),
    ),
    Case(
        "lesions_in_cm_separate_sentences",
        "FINDINGS:\nA 1.2 x 0.9 cm lesion in the right iliac bone. A 0.8 cm lesion in the "
        "L5 vertebral body.\nIMPRESSION:\nTwo focal marrow lesions measuring 1.2 cm and 0.8 cm.\n",
        "FOCAL_MULTIPLE",
        count=2,
        sizes=(8.0, 12.0),
        levels=("L5", "iliac"),
    ),
    # Was FOCAL_EQUIVOCAL. Conservative reading (team decision pending clinical sign-off): two
    # or more lesions, largest ("up to") >= 5 mm and no stated size < 5 mm -> FOCAL_MULTIPLE.
    Case(
        "multiple_lesions_up_to_8mm_focal_multiple_conservative",
        "FINDINGS:\nMultiple small T1-hypointense foci in the lumbar vertebral bodies, "
        "measuring up to 8 mm.\nIMPRESSION:\nMultiple small marrow lesions up to 8 mm.\n",
        "FOCAL_MULTIPLE",
        count=2,
        sizes=(8.0,),
    ),
    # The clinical reviewer's examples: only the largest size is stated, none below 5 mm.
    Case(
        "numerous_lesions_up_to_9mm_focal_multiple_conservative",
        "FINDINGS:\nNumerous focal marrow lesions at L1, L2, L4 and S1 measuring up to 9 mm.\n"
        "IMPRESSION:\nNumerous focal marrow lesions, largest 9 mm.\n",
        "FOCAL_MULTIPLE",
        count=4,
        sizes=(9.0,),
        levels=("L1", "L2", "L4", "S1"),
    ),
    Case(
        "multiple_lesions_throughout_largest_12mm_focal_multiple_conservative",
        "FINDINGS:\nMultiple focal lesions throughout the lumbar spine, largest 12 mm.\n"
        "IMPRESSION:\nMultiple focal lesions.\n",
        "FOCAL_MULTIPLE",
        count=2,
        sizes=(12.0,),
    ),
    # A stated size below 5 mm: not every lesion is >= 5 mm, stays FOCAL_EQUIVOCAL.
    Case(
        "lesions_up_to_9mm_others_under_5mm_equivocal",
        "FINDINGS:\nMultiple T1-hypointense lesions in the lumbar spine measuring up to 9 mm; "
        "the others are less than 5 mm.\nIMPRESSION:\nMultiple small lesions.\n",
        "FOCAL_EQUIVOCAL",
        count=2,
        sizes=(9.0,),
    ),
    # The haemangiomas' size is not a lesion size: the lesions are all < 5 mm.
    Case(
        "small_lesions_with_typical_haemangiomas_equivocal",
        "FINDINGS:\nMultiple tiny T1-hypointense foci, largest 4 mm; typical haemangiomas up "
        "to 15 mm.\nIMPRESSION:\nTiny nonspecific foci.\n",
        "FOCAL_EQUIVOCAL",
        count=2,
        sizes=(4.0,),
        hedges=("nonspecific",),
    ),
    # No size at all, but innumerable lesions throughout the spine: SPEC.md section 3 DIFFUSE
    # ("throughout", distribution words), not FOCAL_EQUIVOCAL.
    Case(
        "innumerable_lesions_throughout_spine_diffuse",
        "FINDINGS:\nInnumerable T1-hypointense lesions throughout the thoracolumbar spine.\n"
        "IMPRESSION:\nInnumerable marrow lesions throughout the spine.\n",
        "DIFFUSE",
        count=3,
    ),
    Case(
        "range_6_to_12_mm_focal_multiple",
        "FINDINGS:\nThree focal lesions in the sacrum and L5, ranging from 6 to 12 mm.\n"
        "IMPRESSION:\nThree focal lesions 6-12 mm.\n",
        "FOCAL_MULTIPLE",
        count=3,
        sizes=(6.0, 12.0),
        levels=("L5", "sacrum"),
    ),
    Case(
        "lesions_all_under_5mm_equivocal",
        "FINDINGS:\nTwo tiny T1-hypointense foci at L1 and L3, measuring 3 mm and 4 mm.\n"
        "IMPRESSION:\nTwo subcentimetre foci, each under 5 mm, nonspecific.\n",
        "FOCAL_EQUIVOCAL",
        count=2,
        sizes=(3.0, 4.0),
        levels=("L1", "L3"),
        hedges=("nonspecific",),
    ),
    Case(
        "two_lesions_one_small_equivocal",
        "FINDINGS:\nA 9 mm lesion at T12 and a 3 mm focus at L2.\nIMPRESSION:\nTwo focal "
        "lesions, one larger than 5 mm.\n",
        "FOCAL_EQUIVOCAL",
        count=2,
        sizes=(3.0, 9.0),
        levels=("T12", "L2"),
    ),
    Case(
        "indeterminate_marrow_is_equivocal",
        "FINDINGS:\nHeterogeneous marrow signal in the L2 vertebral body, indeterminate.\n"
        "IMPRESSION:\nIndeterminate marrow signal at L2.\n",
        "FOCAL_EQUIVOCAL",
        levels=("L2",),
    ),
    Case(
        "atypical_haemangioma_british",
        "FINDINGS:\nA 10 mm T1-hypointense lesion at L1, likely an atypical haemangioma.\n"
        "IMPRESSION:\nL1 lesion, likely atypical haemangioma; follow-up suggested.\n",
        "FOCAL_EQUIVOCAL",
        # SPEC.md section 3: a lesion attributed, even hedged, to a benign entity is not a focal
        # lesion for U-L (its count and size are not lesion measurements); at most FOCAL_EQUIVOCAL
        count=None,
        sizes=(),
        levels=(),
        benign=("benign-hedge",),
        hedges=("likely",),
    ),
    Case(
        "sharply_marginated_enhancing_lesion",
        "FINDINGS:\nA sharply marginated 14 mm lesion in the left iliac bone with avid "
        "enhancement and high signal on STIR.\nIMPRESSION:\nSolitary enhancing iliac lesion.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(14.0,),
        levels=("iliac",),
        worrisome=("enhancement", "fat-sat-high-signal", "sharp-margin"),
    ),
    Case(
        "non_enhancing_lesion",
        "FINDINGS:\nA 6 mm non-enhancing T1-hypointense focus at L4.\nIMPRESSION:\nSmall "
        "non-enhancing L4 focus.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(6.0,),
        levels=("L4",),
        negated=("enhancement",),
    ),
    Case(
        "possible_small_lesion",
        "FINDINGS:\nPossible 4 mm T1-hypointense focus at S1.\nIMPRESSION:\nPossible tiny S1 "
        "focus.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(4.0,),
        levels=("S1",),
        hedges=("possible",),
    ),
    Case(
        "numerous_lesions_sizes_unknown",
        "FINDINGS:\nNumerous T1-hypointense lesions in the pelvis and sacrum.\nIMPRESSION:\n"
        "Numerous marrow lesions, suspicious for myeloma.\n",
        "FOCAL_EQUIVOCAL",
        count=3,
        levels=("sacrum", "pelvis"),
        worrisome=("cannot-exclude-infiltration",),
    ),
    Case(
        "several_lesions_each_measured",
        "FINDINGS:\nSeveral lesions: L1 (6 mm), L3 (9 mm) and S1 (12 mm).\nIMPRESSION:\n"
        "Several focal lesions, each 6 mm or larger.\n",
        "FOCAL_MULTIPLE",
        count=3,
        sizes=(6.0, 9.0, 12.0),
        levels=("L1", "L3", "S1"),
    ),
    Case(
        "diffuse_with_multiple_measured_lesions",
        "FINDINGS:\nDiffusely heterogeneous marrow with two focal lesions at L2 and L3, "
        "measuring 7 mm and 10 mm.\nIMPRESSION:\nDiffuse marrow heterogeneity with two "
        "focal lesions.\n",
        "FOCAL_MULTIPLE",
        count=2,
        sizes=(7.0, 10.0),
        levels=("L2", "L3"),
    ),
    Case(
        "lytic_lesion_on_mri",
        "FINDINGS:\nA 15 mm lytic lesion in the right sacral ala.\nIMPRESSION:\nLytic sacral "
        "lesion.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(15.0,),
        levels=("sacral ala",),
    ),
    # ------------------------------------------------------------------ scope ends
    Case(
        "but_ends_negation_scope",
        "FINDINGS:\nNo focal lesion, but the marrow is diffusely heterogeneous.\n"
        "IMPRESSION:\nDiffusely heterogeneous marrow.\n",
        "DIFFUSE",
        negated=("focal-lesion",),
    ),
    Case(
        "semicolon_ends_negation_scope",
        "FINDINGS:\nNo fracture or focal lesion; mildly heterogeneous marrow signal.\n"
        "IMPRESSION:\nMild marrow heterogeneity.\n",
        "NONSPECIFIC",
        negated=("focal-lesion",),
        hedges=("mild",),
    ),
    Case(
        "however_ends_negation_scope",
        "FINDINGS:\nThere is no marrow-replacing lesion. However, an 8 mm T1-hypointense focus "
        "is present at L5.\nIMPRESSION:\n8 mm L5 focus.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(8.0,),
        levels=("L5",),
    ),
    Case(
        "normal_marrow_except_for_lesion",
        "FINDINGS:\nNormal marrow signal except for a 6 mm T1-hypointense lesion at L2.\n"
        "IMPRESSION:\nSolitary 6 mm L2 lesion.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(6.0,),
        levels=("L2",),
        negated=("marrow-signal",),  # "normal marrow signal" (SPEC trigger), except the lesion
    ),
    # ------------------------------------------------------------------ interval change
    Case(
        "no_new_lesion_is_pseudo_negation",
        CMP + "FINDINGS:\nNo change in the mildly heterogeneous marrow signal. No new focal "
        "lesion.\nIMPRESSION:\nStable mild marrow heterogeneity. No new lesion.\n",
        "NONSPECIFIC",
        negated=("new-lesion",),
        hedges=("mild",),
        interval="stable",
    ),
    Case(
        "no_interval_change_stable",
        CMP + "FINDINGS:\nHeterogeneous marrow signal with no interval change compared with "
        "the prior MRI.\nIMPRESSION:\nUnchanged heterogeneous marrow.\n",
        "NONSPECIFIC",
        interval="stable",
    ),
    Case(
        "not_significantly_changed",
        CMP + "FINDINGS:\nThe patchy marrow heterogeneity is not significantly changed.\n"
        "IMPRESSION:\nPatchy marrow heterogeneity, not significantly changed.\n",
        "NONSPECIFIC",
        interval="stable",
    ),
    Case(
        "no_longer_seen_is_resolved",
        CMP + "FINDINGS:\nThe previously described 7 mm lesion at L3 is no longer seen. "
        "Normal marrow signal.\nIMPRESSION:\nResolved L3 lesion.\n",
        "NEGATIVE",
        negated=("marrow-signal",),
        interval="resolved",
    ),
    Case(
        "new_lesion_since_prior",
        CMP + "FINDINGS:\nNew 9 mm T1-hypointense lesion at L4, not seen on the prior study. "
        "Stable mild marrow heterogeneity.\nIMPRESSION:\nNew L4 lesion.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(9.0,),
        levels=("L4",),
        worrisome=("new-lesion",),
        hedges=("mild",),
        interval="new-lesion",
    ),
    Case(
        "increased_in_size",
        CMP + "FINDINGS:\nThe T1-hypointense lesion at S1 has increased in size, now 12 mm "
        "(previously 8 mm).\nIMPRESSION:\nEnlarging S1 lesion.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(12.0,),  # the current size; "previously 8 mm" is the prior study's
        levels=("S1",),
        worrisome=("interval-increase",),
        interval="increased",
    ),
    Case(
        "now_diffuse_evolved",
        CMP + "FINDINGS:\nThe previously patchy marrow heterogeneity is now diffuse, involving "
        "all lumbar vertebral bodies.\nIMPRESSION:\nProgression to diffuse marrow abnormality.\n",
        "DIFFUSE",
        worrisome=("interval-increase",),
        interval="evolved-diffuse",
    ),
    Case(
        "decreased_in_size",
        CMP + "FINDINGS:\nThe 10 mm lesion at L2 has decreased in size, now 6 mm.\n"
        "IMPRESSION:\nDecreased L2 lesion.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(6.0,),  # "now 6 mm"
        levels=("L2",),
        interval="decreased",
    ),
    Case(
        "no_interval_increase_pseudo",
        CMP + "FINDINGS:\nHeterogeneous marrow signal without interval increase in extent.\n"
        "IMPRESSION:\nHeterogeneous marrow, no progression.\n",
        "NONSPECIFIC",
        negated=("interval-increase",),
        interval="stable",
    ),
    Case(
        "history_of_in_findings_is_historical",
        "FINDINGS:\nHistory of heterogeneous marrow signal on the outside study; today the "
        "marrow signal is normal.\nIMPRESSION:\nNormal marrow.\n",
        "NEGATIVE",
        negated=("marrow-signal",),
    ),
    # ------------------------------------------------------------------ worrisome / benign
    Case(
        "chemical_shift_low_drop_at_1_5T_worrisome",
        "TECHNIQUE: 1.5 T. Sagittal T1, STIR, in- and opposed-phase T1.\nFINDINGS:\nPatchy "
        "heterogeneous marrow signal. Signal drop of 12% on opposed-phase images.\n"
        "IMPRESSION:\nHeterogeneous marrow with insufficient signal drop.\n",
        "NONSPECIFIC",
        worrisome=("chemical-shift-drop",),
        field=1.5,
        drop=12.0,
    ),
    Case(
        "chemical_shift_benign_drop_at_3T",
        T3 + "FINDINGS:\nHeterogeneous marrow signal with 40% signal loss on opposed-phase "
        "imaging, consistent with red marrow.\nIMPRESSION:\nBenign red marrow.\n",
        "NONSPECIFIC",
        benign=("benign-hedge", "chemical-shift-drop"),
        field=3.0,
        drop=40.0,
    ),
    Case(
        "chemical_shift_22pct_unknown_field_conservative",
        "FINDINGS:\nMottled marrow signal. Opposed-phase images show a signal drop of 22%.\n"
        "IMPRESSION:\nMottled marrow.\n",
        "NONSPECIFIC",
        worrisome=("chemical-shift-drop",),
        drop=22.0,
    ),
    Case(
        "chemical_shift_22pct_at_1_5T_benign",
        "FINDINGS:\nMottled marrow signal. At 1.5 T, opposed-phase images show a signal drop "
        "of 22%.\nIMPRESSION:\nMottled marrow.\n",
        "NONSPECIFIC",
        benign=("chemical-shift-drop",),
        field=1.5,
        drop=22.0,
    ),
    Case(
        "chemical_shift_22pct_at_3T_worrisome",
        "FINDINGS:\nMottled marrow signal. On this 3.0 Tesla study, opposed-phase images show "
        "a signal drop of 22%.\nIMPRESSION:\nMottled marrow.\n",
        "NONSPECIFIC",
        worrisome=("chemical-shift-drop",),
        field=3.0,
        drop=22.0,
    ),
    Case(
        "no_signal_loss_on_opposed_phase",
        "FINDINGS:\nA 7 mm focus at L3 with no signal loss on opposed-phase imaging.\n"
        "IMPRESSION:\nL3 focus without signal loss; cannot exclude a neoplastic process.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(7.0,),
        levels=("L3",),
        worrisome=("cannot-exclude-infiltration", "chemical-shift-drop"),
        hedges=("cannot exclude",),
        drop=0.0,
    ),
    Case(
        "t1_lower_than_muscle_worrisome",
        "FINDINGS:\nHeterogeneous marrow with T1 signal lower than that of paraspinal muscle "
        "in the L1 vertebral body.\nIMPRESSION:\nAbnormal L1 marrow signal.\n",
        "NONSPECIFIC",
        levels=("L1",),
        worrisome=("t1-low-vs-muscle-or-disc",),
    ),
    Case(
        "t1_brighter_than_disc_and_muscle_benign",
        "FINDINGS:\nMildly heterogeneous marrow. On T1, the marrow is hyperintense relative to "
        "the intervertebral discs and muscle.\nIMPRESSION:\nMild heterogeneity, likely "
        "benign.\n",
        "NONSPECIFIC",
        benign=("t1-brighter-than-disc-and-muscle",),
        hedges=("mild",),
    ),
    Case(
        "complete_fat_suppression_benign",
        "FINDINGS:\nA 6 mm T1-hyperintense focus at L2 that suppresses completely on STIR.\n"
        "IMPRESSION:\nSmall fat-containing focus.\n",
        "FOCAL_EQUIVOCAL",
        count=1,
        sizes=(6.0,),
        levels=("L2",),
        benign=("complete-fat-suppression",),
    ),
    Case(
        "no_abnormal_enhancement_after_contrast",
        "TECHNIQUE: Sagittal T1 pre- and post-gadolinium.\nFINDINGS:\nMildly heterogeneous "
        "marrow signal. No abnormal enhancement on contrast-enhanced images.\nIMPRESSION:\n"
        "Mild marrow heterogeneity without enhancement.\n",
        "NONSPECIFIC",
        negated=("enhancement",),
        hedges=("mild",),
    ),
    Case(
        "stir_hyperintense_marrow",
        "FINDINGS:\nPatchy marrow signal abnormality at T11 and T12, hyperintense on STIR.\n"
        "IMPRESSION:\nPatchy STIR-hyperintense marrow at T11-T12.\n",
        "NONSPECIFIC",
        levels=("T11", "T12"),
        worrisome=("fat-sat-high-signal",),
    ),
    Case(
        "cannot_exclude_infiltrative_process",
        "FINDINGS:\nModerately heterogeneous marrow signal.\nIMPRESSION:\nHeterogeneous marrow. "
        "Infiltrative process cannot be excluded; recommend SPEP and serum free light chains.\n",
        "NONSPECIFIC",
        worrisome=("cannot-exclude-infiltration",),
        hedges=("cannot exclude",),
    ),
    Case(
        "no_evidence_of_metastatic_disease",
        "FINDINGS:\nMildly heterogeneous marrow. No findings suspicious for metastatic "
        "disease.\nIMPRESSION:\nNo evidence of marrow infiltration.\n",
        "NONSPECIFIC",
        negated=("cannot-exclude-infiltration", "diffuse-pattern"),
        hedges=("mild",),
    ),
    # ------------------------------------------------------------------ formats / sites
    Case(
        "field_strength_3_tesla_words",
        "TECHNIQUE: MRI of the sacrum on a 3.0 Tesla scanner.\nFINDINGS:\nMildly heterogeneous "
        "marrow signal in the sacrum.\nIMPRESSION:\nMild sacral marrow heterogeneity.\n",
        "NONSPECIFIC",
        levels=("sacrum",),
        hedges=("mild",),
        field=3.0,
    ),
    Case(
        "html_report_focal_multiple",
        "<div><p><b>Findings:</b></p><ul><li>L2: 9&nbsp;mm T1-hypointense lesion.</li>"
        "<li>L4: 12&nbsp;mm T1-hypointense lesion with enhancement.</li></ul><p><b>Impression:"
        "</b> Two focal lesions &gt;5 mm.</p></div>",
        "FOCAL_MULTIPLE",
        count=2,
        sizes=(9.0, 12.0),
        levels=("L2", "L4"),
        worrisome=("enhancement",),
        source="html",
    ),
    Case(
        "conclusion_only_diffuse_replacement",
        "Diffuse marrow infiltration of the lumbar spine and pelvis, suspicious for myeloma.",
        "DIFFUSE",
        levels=("pelvis",),
        worrisome=("cannot-exclude-infiltration",),
        source="conclusion",
    ),
    Case(
        "impression_heading_with_newline_and_numbered_list",
        "FINDINGS:\nSee impression.\n\nIMPRESSION:\n1. Mildly heterogeneous marrow signal.\n"
        "2. No focal lesion.\n3. Degenerative disc disease at L4-5.\n",
        "NONSPECIFIC",
        negated=("focal-lesion",),
        hedges=("mild",),
    ),
    Case(
        "findings_and_impression_repeat_lesions",
        "FINDINGS:\nAn 11 mm T1-hypointense lesion at L2. A 7 mm lesion at L4.\nIMPRESSION:\n"
        "1. 11 mm L2 lesion.\n2. 7 mm L4 lesion.\n",
        "FOCAL_MULTIPLE",
        count=2,
        sizes=(7.0, 11.0),
        levels=("L2", "L4"),
    ),
    Case(
        "full_length_lumbar_report_with_degenerative_levels",
        IND
        + T15
        + CMP
        + (
            "FINDINGS:\n"
            "Alignment: Normal lumbar lordosis. No spondylolisthesis.\n"
            "Vertebral bodies: Vertebral body heights are maintained. There is mildly "
            "heterogeneous marrow signal throughout the lumbar spine without a discrete focal "
            "lesion. On T1-weighted images the marrow remains brighter than the "
            "intervertebral discs and paraspinal muscles. No marrow-replacing lesion. No "
            "fracture.\n"
            "Conus: The conus medullaris terminates at L1 and is normal in signal and "
            "morphology.\n"
            "T12-L1: No disc herniation, spinal canal or foraminal stenosis.\n"
            "L1-L2: No disc herniation, spinal canal or foraminal stenosis.\n"
            "L2-L3: Mild disc desiccation. Minimal diffuse disc bulge without significant "
            "canal stenosis. Neural foramina are patent.\n"
            "L3-L4: Disc desiccation with a diffuse disc bulge and mild facet hypertrophy "
            "resulting in mild spinal canal narrowing and mild bilateral foraminal "
            "narrowing.\n"
            "L4-L5: Disc desiccation and loss of disc height. Broad-based disc bulge with a "
            "superimposed small central protrusion, mild facet arthropathy and ligamentum "
            "flavum thickening, resulting in moderate spinal canal stenosis and mild to "
            "moderate bilateral foraminal stenosis. Modic type 2 endplate changes.\n"
            "L5-S1: Mild disc bulge without canal stenosis. Mild right foraminal narrowing. "
            "The exiting right L5 nerve root is not compressed.\n"
            "Paraspinal soft tissues: Unremarkable. Visualized retroperitoneum is "
            "unremarkable.\n"
            "\n"
            "IMPRESSION:\n"
            "1. Mildly heterogeneous marrow signal throughout the lumbar spine without a "
            "focal lesion, likely red marrow reconversion. Correlation with CBC is "
            "suggested.\n"
            "2. Multilevel degenerative disc disease, most pronounced at L4-L5 with moderate "
            "spinal canal stenosis and mild to moderate bilateral foraminal stenosis.\n"
            "3. No change compared with MRI 2024-03-01.\n"
        ),
        "DIFFUSE",
        benign=("benign-hedge", "t1-brighter-than-disc-and-muscle"),
        negated=("focal-lesion",),
        hedges=("mild", "likely"),
        interval="stable",
        field=1.5,
    ),
)
