"""The flags of SPEC.md section 5: one small named predicate per flag.

Each predicate reads `Facts` (record, `as_of`, lab view) and returns a `Flag` with its
evidence, or None. Laboratory flags read the newest result of each analyte that the view
admits: in the normal view the newest *current* result (SPEC.md §2: within 90 days before
`as_of`, never after it); `logic.assess` also runs them on the stale view (newest result of
any age) to find stale abnormal results ("repeat to confirm"). A result that is not
evaluable is never read: it is neither normal nor abnormal.

The registry `FLAG_RULES` (id, tier, criterion, thresholds, source) is what the rule
catalogue and docs/rules.md are generated from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from logic import citations as cite
from logic import thresholds as t
from logic.analytes import LABEL
from logic.context import (
    Facts,
    KnownCause,
    add_months,
    cancer_history,
    chronic_low_egfr,
    ckd_conditions,
    condition_evidence,
    mgus,
)
from logic.imaging import escalation, lytic_lesions, report_evidence, worrisome_features
from logic.labs import (
    above,
    at_least,
    below,
    calcium_uln,
    computed_corrected_calcium,
    describe,
    evidence,
    flc_ratio,
    flc_ratio_range,
    haemoglobin_lln,
    high_limit,
    limit_text,
    low_limit,
    shown_value,
    value_at_least,
    who_anaemia_cutoff,
)
from logic.model import (
    Analyte,
    ConditionCategory,
    Evidence,
    FeatureKind,
    Finding,
    Flag,
    ImagingClass,
    LabResult,
    Tier,
)
from logic.units import format_value


@dataclass(frozen=True)
class Hit:
    """What a predicate found: the criterion met, in words, and its evidence."""

    detail: str
    evidence: tuple[Evidence, ...]
    known_mgus: bool = False  # `Flag.known_mgus`


Predicate = Callable[[Facts], Flag | None]


@dataclass(frozen=True)
class FlagRule:
    """One row of the SPEC.md §5 flag table, with the predicate that implements it."""

    id: str
    tier: Tier
    criterion: str
    thresholds: tuple[str, ...]
    sources: tuple[str, ...]
    predicate: Predicate
    lab_based: bool


_RULES: list[FlagRule] = []


def flag(
    flag_id: str,
    tier: Tier,
    criterion: str,
    thresholds: tuple[str, ...],
    sources: tuple[str, ...],
    *,
    lab_based: bool = False,
) -> Callable[[Callable[[Facts], Hit | None]], Predicate]:
    """Register a predicate as the implementation of flag `flag_id`."""

    def register(find: Callable[[Facts], Hit | None]) -> Predicate:
        def predicate(facts: Facts) -> Flag | None:
            hit = find(facts)
            if hit is None:
                return None
            return Flag(
                id=flag_id,
                tier=tier,
                criterion=hit.detail,
                evidence=hit.evidence,
                known_mgus=hit.known_mgus,
            )

        predicate.__name__ = find.__name__
        predicate.__doc__ = find.__doc__
        _RULES.append(FlagRule(flag_id, tier, criterion, thresholds, sources, predicate, lab_based))
        return predicate

    return register


def _lab_hit(parts: list[tuple[str, LabResult]]) -> Hit | None:
    if not parts:
        return None
    return Hit("; ".join(p[0] for p in parts), tuple(evidence(p[1]) for p in parts))


def _show(result: LabResult) -> str:
    """ "2.90 mmol/L (11.6 mg/dL as sent)": clinical precision, and what the lab sent."""
    assert result.value is not None
    return describe(result)


_SPEC5 = (cite.SPEC_5,)
_IMWG = (cite.IMWG_2014, cite.SPEC_5)


# ---------------------------------------------------------------- U: myeloma-defining events


@flag(
    "U-L",
    Tier.URGENT,
    f"more than one focal MRI lesion, each >={t.U_L_MIN_SIZE_MM:g} mm",
    (f">={t.U_L_MIN_LESIONS} focal lesions", f"each >={t.U_L_MIN_SIZE_MM:g} mm"),
    _IMWG,
)
def more_than_one_focal_lesion(facts: Facts) -> Hit | None:
    """U-L: more than one focal MRI lesion, each >=5 mm (IMWG 2014; SPEC.md §5).

    Met by an index report of class FOCAL_MULTIPLE (two or more focal lesions each >=5 mm,
    SPEC.md §3), or by a lesion count >=2 with every measured size >=5 mm.
    """
    index = facts.index
    if index is None:
        return None
    sizes = index.lesion_sizes_mm
    measured = (
        index.lesion_count is not None
        and index.lesion_count >= t.U_L_MIN_LESIONS
        and len(sizes) >= t.U_L_MIN_LESIONS
        and min(sizes) >= t.U_L_MIN_SIZE_MM
    )
    if index.image_class is not ImagingClass.FOCAL_MULTIPLE and not measured:
        return None
    quotes = [
        (f.sentence or f.span).text
        for f in index.features
        if f.kind is FeatureKind.FOCAL_LESION and not f.negated and not f.historical
    ]
    count = f"{index.lesion_count} focal lesions" if index.lesion_count else "multiple lesions"
    every_lesion_sized = index.lesion_count is not None and len(sizes) >= index.lesion_count
    if every_lesion_sized:
        size = f", sizes {', '.join(f'{s:g}' for s in sizes)} mm"
    elif sizes:
        # Only the largest size(s) stated: the mapper's conservative reading of "each >=5 mm"
        # (fhir_mappers/report_reader/classify.py), pending clinical sign-off; say so on the card.
        size = (
            f", largest {max(sizes):g} mm, other sizes not stated "
            "(read conservatively as each >=5 mm)"
        )
    else:
        size = ""
    label = f"{count}{size} (class {index.image_class.value})"
    return Hit(label, (report_evidence(index, label, quotes[0] if quotes else None),))


@flag(
    "U-Li",
    Tier.URGENT,
    f"involved/uninvolved serum free light chain ratio >={t.U_LI_RATIO:g} and involved FLC "
    f">={t.U_LI_INVOLVED_MG_L:g} mg/L",
    (f"ratio >={t.U_LI_RATIO:g}", f"involved FLC >={t.U_LI_INVOLVED_MG_L:g} mg/L"),
    _IMWG,
    lab_based=True,
)
def light_chain_ratio_100(facts: Facts) -> Hit | None:
    """U-Li: involved/uninvolved FLC ratio >=100 and involved FLC >=100 mg/L (IMWG 2014).

    Kappa-involved: kappa/lambda >=100 and kappa >=100 mg/L. Lambda-involved: lambda/kappa
    >=100 (kappa/lambda <=0.01) and lambda >=100 mg/L.
    """
    ratio = flc_ratio(facts.labs)
    if ratio is None or ratio.value is None or ratio.value <= 0:
        return None
    kappa = facts.labs.latest(Analyte.FLC_KAPPA)
    lam = facts.labs.latest(Analyte.FLC_LAMBDA)
    if (
        kappa is not None
        and at_least(ratio, t.U_LI_RATIO)
        and at_least(kappa, t.U_LI_INVOLVED_MG_L)
    ):
        detail = (
            f"kappa/lambda ratio {shown_value(ratio)} >= {t.U_LI_RATIO:g}, kappa {_show(kappa)}"
        )
        return Hit(detail, (evidence(ratio), evidence(kappa)))
    inverse = 1.0 / ratio.value
    lambda_involved = ratio.comparator not in (">", ">=") and value_at_least(inverse, t.U_LI_RATIO)
    if lam is not None and lambda_involved and at_least(lam, t.U_LI_INVOLVED_MG_L):
        shown = format_value(inverse, Analyte.FLC_RATIO, (t.U_LI_RATIO,))
        detail = f"lambda/kappa ratio {shown} >= {t.U_LI_RATIO:g}, lambda {_show(lam)}"
        return Hit(detail, (evidence(ratio), evidence(lam)))
    return None


def _calcium_results(facts: Facts) -> list[LabResult]:
    """Total calcium, lab-reported corrected calcium, and corrected calcium computed from the
    total calcium and an albumin of the same collection day (SPEC.md §4). An albumin of
    another day is never paired: albumin changes over days, and a stale low albumin would
    inflate the corrected value (no computed value then; the calcium check says so)."""
    total = facts.labs.latest(Analyte.CALCIUM_TOTAL)
    found = [r for r in (total, facts.labs.latest(Analyte.CALCIUM_ALBUMIN_CORRECTED)) if r]
    if total is None:
        return found
    albumin = facts.labs.same_day(Analyte.ALBUMIN, total.effective)
    if albumin is not None:
        computed = computed_corrected_calcium(total, albumin)
        if computed is not None:
            found.append(computed)
    return found


@flag(
    "U-C",
    Tier.URGENT,
    f"total or corrected calcium >{t.U_C_ABOVE_ULN_MMOL_L:g} mmol/L "
    f"({t.U_C_ABOVE_ULN_MMOL_L / t.CALCIUM_MG_DL_TO_MMOL_L:.3g} mg/dL) above the ULN, or "
    f">{t.U_C_ABSOLUTE_MMOL_L:g} mmol/L "
    f"({t.U_C_ABSOLUTE_MMOL_L / t.CALCIUM_MG_DL_TO_MMOL_L:.3g} mg/dL)",
    (
        f"> ULN + {t.U_C_ABOVE_ULN_MMOL_L:g} mmol/L",
        f"> {t.U_C_ABSOLUTE_MMOL_L:g} mmol/L",
        f"default ULN {t.CALCIUM_TOTAL_HIGH_MMOL_L:g} mmol/L",
    ),
    _IMWG,
    lab_based=True,
)
def hypercalcaemia_urgent(facts: Facts) -> Hit | None:
    """U-C: total or corrected calcium >0.25 mmol/L above the ULN, or >2.75 mmol/L
    (IMWG 2014; SPEC.md §5). Corrected calcium is the lab's, or computed (SPEC.md §4)."""
    parts: list[tuple[str, LabResult]] = []
    for result in _calcium_results(facts):
        uln = calcium_uln(result)
        if above(result, t.U_C_ABSOLUTE_MMOL_L):
            name = LABEL[result.analyte]
            parts.append((f"{name} {_show(result)} > {t.U_C_ABSOLUTE_MMOL_L:g} mmol/L", result))
        elif above(result, uln + t.U_C_ABOVE_ULN_MMOL_L):
            margin = f"upper limit {limit_text(result, uln)} + {t.U_C_ABOVE_ULN_MMOL_L:g}"
            parts.append((f"{LABEL[result.analyte]} {_show(result)} > {margin} mmol/L", result))
    return _lab_hit(parts)


@flag(
    "U-R",
    Tier.URGENT,
    f"creatinine >{t.U_R_CREATININE_UMOL_L:g} umol/L "
    f"({t.U_R_CREATININE_UMOL_L / t.CREATININE_MG_DL_TO_UMOL_L:.3g} mg/dL) or eGFR/CrCl "
    f"<{t.U_R_EGFR:g}; not counted with known CKD (an active N18.* Condition, or eGFR "
    f"<{t.EGFR_LOW:g} on two results more than {t.CKD_EGFR_APART_MONTHS} months apart)",
    (f"creatinine >{t.U_R_CREATININE_UMOL_L:g} umol/L", f"eGFR/CrCl <{t.U_R_EGFR:g}"),
    _IMWG,
    lab_based=True,
)
def renal_insufficiency_urgent(facts: Facts) -> Hit | None:
    """U-R: creatinine >177 umol/L or eGFR/CrCl <40 (IMWG 2014; SPEC.md §5).

    Not counted with documented non-myeloma CKD: known CKD as SPEC.md §2 defines it for every
    rule that mentions CKD, an active N18.* Condition or eGFR <60 on two results more than 3
    months apart (`Facts.ckd_causes`).
    """
    if facts.ckd_causes:
        return None
    parts: list[tuple[str, LabResult]] = []
    creatinine = facts.labs.latest(Analyte.CREATININE)
    if creatinine is not None and above(creatinine, t.U_R_CREATININE_UMOL_L):
        limit = f"{t.U_R_CREATININE_UMOL_L:g} µmol/L"
        parts.append((f"Creatinine {_show(creatinine)} > {limit}", creatinine))
    for analyte in (Analyte.EGFR, Analyte.CREATININE_CLEARANCE):
        result = facts.labs.latest(analyte)
        if result is not None and below(result, t.U_R_EGFR):
            parts.append((f"{LABEL[analyte]} {_show(result)} < {t.U_R_EGFR:g}", result))
    return _lab_hit(parts)


@flag(
    "U-A",
    Tier.URGENT,
    f"haemoglobin <{t.U_A_HB_G_DL:g} g/dL or >{t.U_A_BELOW_LLN_G_DL:g} g/dL below the LLN; not "
    "counted with a documented non-myeloma cause",
    (f"Hb <{t.U_A_HB_G_DL:g} g/dL", f"Hb < LLN - {t.U_A_BELOW_LLN_G_DL:g} g/dL"),
    _IMWG,
    lab_based=True,
)
def anaemia_urgent(facts: Facts) -> Hit | None:
    """U-A: Hb <10 g/dL or >2 g/dL below the LLN (IMWG 2014; SPEC.md §5).

    LLN: the lab's lower limit, else the WHO cut-off for the patient's sex (SPEC.md §4).
    Not counted with a known cause of anaemia (SPEC.md §2): an active documented cause, or a
    current ferritin below 15 ug/L (`Facts.anaemia_causes`).
    """
    if facts.anaemia_causes:
        return None
    hb = facts.labs.latest(Analyte.HAEMOGLOBIN)
    if hb is None:
        return None
    if below(hb, t.U_A_HB_G_DL):
        return _lab_hit([(f"haemoglobin {_show(hb)} < {t.U_A_HB_G_DL:g} g/dL", hb)])
    lln = haemoglobin_lln(hb, facts.record.patient.sex)
    if below(hb, lln - t.U_A_BELOW_LLN_G_DL):
        detail = f"haemoglobin {_show(hb)} more than {t.U_A_BELOW_LLN_G_DL:g} g/dL below"
        return _lab_hit([(f"{detail} the lower limit {limit_text(hb, lln)} g/dL", hb)])
    return None


@flag(
    "U-B",
    Tier.URGENT,
    "one or more lytic lesions on radiograph, CT or PET-CT",
    (">=1 lytic lesion",),
    _IMWG,
)
def lytic_bone_lesion(facts: Facts) -> Hit | None:
    """U-B: one or more lytic lesions on radiograph, CT or PET-CT (IMWG 2014; SPEC.md §5).

    Read from the record's other imaging (not MRI), any date up to `as_of`.
    """
    found = lytic_lesions(facts.record.other_imaging, facts.as_of)
    if not found:
        return None
    return Hit(f"{len(found)} lytic lesion finding(s)", tuple(f.evidence for f in found))


# ---------------------------------------------------------------- H: biopsy indicated


@flag(
    "H-ANAEMIA",
    Tier.HIGH,
    "haemoglobin below the WHO cut-off (the lab's own lower limit is not used) with no "
    f"documented cause (a documented condition, or a current ferritin below "
    f"{t.FERRITIN_IRON_DEFICIENCY_UG_L:g} ug/L)",
    (
        f"male <{t.HB_WHO_CUTOFF_MALE_G_DL:g} g/dL",
        f"female <{t.HB_WHO_CUTOFF_FEMALE_G_DL:g} g/dL",
        f"unknown sex <{t.HB_WHO_CUTOFF_UNKNOWN_SEX_G_DL:g} g/dL",
    ),
    (cite.WHO_ANAEMIA, cite.ANN_DIAGN_PATHOL_2019, cite.SPEC_5),
    lab_based=True,
)
def anaemia_unexplained(facts: Facts) -> Hit | None:
    """H-ANAEMIA: Hb below the WHO cut-off, 13.0 g/dL male / 12.0 female / 12.0 unknown sex,
    with no documented cause (WHO 2011; SPEC.md §4, §5): no active documented cause and no
    current ferritin below 15 ug/L (iron deficiency in an apparently healthy adult: WHO
    guideline on ferritin, 2020; `Facts.anaemia_causes`). The lab's LLN is not used."""
    if facts.anaemia_causes:
        return None
    hb = facts.labs.latest(Analyte.HAEMOGLOBIN)
    sex = facts.record.patient.sex
    cutoff = who_anaemia_cutoff(sex)
    if hb is None or not below(hb, cutoff):
        return None
    return _lab_hit([(f"haemoglobin {_show(hb)} < {cutoff:g} g/dL (WHO, {sex.value})", hb)])


@flag(
    "H-MPROTEIN",
    Tier.HIGH,
    f"M-spike >{t.M_PROTEIN_HIGH_G_DL:g}, serum immunofixation monoclonal, urine studies "
    "positive, or a known MGUS "
    "(evaluate for progression of MGUS)",
    (
        f"M-spike >{t.M_PROTEIN_HIGH_G_DL:g} g/dL",
        f"urine M-protein >{t.URINE_M_PROTEIN_HIGH_MG_24H:g} mg/24 h",
        "active MGUS Condition",
    ),
    (cite.SPEC_2, cite.SPEC_5),
    lab_based=True,
)
def monoclonal_protein(facts: Facts) -> Hit | None:
    """H-MPROTEIN: serum M-spike >0, serum IFE/SPEP monoclonal, or urine M-protein positive
    (SPEC.md §5). A value sent as "<X" is below detection, not a spike. An active MGUS
    (D47.2; SNOMED 277577000 (verify)) is a known clonal marker and counts too (SPEC.md §2):
    the criterion says to evaluate it for progression; the card's note cites IMWG, Kyle et al.,
    Leukemia 2010;24:1121-7 (`logic.plans.mgus_notes`)."""
    known = mgus(facts.record)
    hit = _lab_hit(_monoclonal_results(facts))
    if not known:
        return hit
    names = "; ".join(f"{c.display} ({c.code})" for c in known)
    detail = f"known MGUS, {names}: evaluate for progression of MGUS"
    proof = tuple(condition_evidence(c) for c in known)
    if hit is None:
        return Hit(detail, proof, known_mgus=True)
    return Hit(f"{hit.detail}; {detail}", hit.evidence + proof, known_mgus=True)


def _monoclonal_results(facts: Facts) -> list[tuple[str, LabResult]]:
    parts: list[tuple[str, LabResult]] = []
    spike = facts.labs.latest(Analyte.M_PROTEIN)
    if spike is not None and above(spike, t.M_PROTEIN_HIGH_G_DL):
        parts.append((f"M-spike {_show(spike)}", spike))
    spep = facts.labs.latest(Analyte.SPEP_IFE)
    if spep is not None and spep.finding is Finding.POSITIVE:
        parts.append(("serum electrophoresis/immunofixation monoclonal", spep))
    urine = facts.labs.latest(Analyte.URINE_M_PROTEIN_24H)
    if urine is not None and (
        above(urine, t.URINE_M_PROTEIN_HIGH_MG_24H) or urine.finding is Finding.POSITIVE
    ):
        parts.append(("urine M-protein positive", urine))
    return parts


@flag(
    "H-FLC",
    Tier.HIGH,
    f"serum free light chain kappa/lambda ratio <{t.H_FLC_RATIO_LOW:g} or >{t.H_FLC_RATIO_HIGH:g}",
    (f"ratio <{t.H_FLC_RATIO_LOW:g}", f"ratio >{t.H_FLC_RATIO_HIGH:g}"),
    _SPEC5,
    lab_based=True,
)
def light_chain_ratio_abnormal(facts: Facts) -> Hit | None:
    """H-FLC: kappa/lambda ratio <0.125 or >8 (SPEC.md §5); ratio as reported, else
    computed from kappa and lambda (SPEC.md §4)."""
    ratio = flc_ratio(facts.labs)
    if ratio is None:
        return None
    if below(ratio, t.H_FLC_RATIO_LOW):
        return _lab_hit([(f"kappa/lambda ratio {_show(ratio)} < {t.H_FLC_RATIO_LOW:g}", ratio)])
    if above(ratio, t.H_FLC_RATIO_HIGH):
        return _lab_hit([(f"kappa/lambda ratio {_show(ratio)} > {t.H_FLC_RATIO_HIGH:g}", ratio)])
    return None


@flag(
    "H-CALCIUM",
    Tier.HIGH,
    "total/corrected calcium above the ULN, or ionized calcium above the ionized ULN",
    (
        f"total/corrected default ULN {t.CALCIUM_TOTAL_HIGH_MMOL_L:g} mmol/L",
        f"ionized default ULN {t.CALCIUM_IONIZED_HIGH_MMOL_L:g} mmol/L",
    ),
    _SPEC5,
    lab_based=True,
)
def hypercalcaemia(facts: Facts) -> Hit | None:
    """H-CALCIUM: total/corrected calcium >ULN, or ionized calcium >ionized ULN (SPEC.md §5).
    Ionized calcium is never compared with total-calcium limits (SPEC.md §4)."""
    parts: list[tuple[str, LabResult]] = []
    for result in _calcium_results(facts):
        uln = calcium_uln(result)
        if above(result, uln):
            limit = f"upper limit {limit_text(result, uln)} mmol/L"
            parts.append((f"{LABEL[result.analyte]} {_show(result)} > {limit}", result))
    ionized = facts.labs.latest(Analyte.CALCIUM_IONIZED)
    if ionized is not None:
        uln = high_limit(ionized, t.CALCIUM_IONIZED_HIGH_MMOL_L)
        if above(ionized, uln):
            limit = f"upper limit {limit_text(ionized, uln)} mmol/L"
            parts.append((f"Calcium, ionized {_show(ionized)} > {limit}", ionized))
    return _lab_hit(parts)


@flag(
    "H-RENAL",
    Tier.HIGH,
    f"eGFR <{t.EGFR_LOW:g} or creatinine above the ULN, without known CKD",
    (f"eGFR/CrCl <{t.EGFR_LOW:g}", f"creatinine default ULN {t.CREATININE_HIGH_MG_DL:g} mg/dL"),
    _SPEC5,
    lab_based=True,
)
def renal_impairment(facts: Facts) -> Hit | None:
    """H-RENAL: eGFR (or CrCl) <60, or creatinine >ULN (lab's, else 1.2 mg/dL), without
    known CKD: an active N18.* Condition or eGFR <60 on two results >3 months apart
    (SPEC.md §2, §5; `Facts.ckd_causes`)."""
    if facts.ckd_causes:
        return None
    parts: list[tuple[str, LabResult]] = []
    for analyte in (Analyte.EGFR, Analyte.CREATININE_CLEARANCE):
        result = facts.labs.latest(analyte)
        if result is not None and below(result, t.EGFR_LOW):
            parts.append((f"{LABEL[analyte]} {_show(result)} < {t.EGFR_LOW:g}", result))
    creatinine = facts.labs.latest(Analyte.CREATININE)
    if creatinine is not None:
        uln = high_limit(creatinine, t.CREATININE_HIGH_UMOL_L)
        if above(creatinine, uln):
            limit = f"upper limit {limit_text(creatinine, uln)} µmol/L"
            parts.append((f"Creatinine {_show(creatinine)} > {limit}", creatinine))
    return _lab_hit(parts)


@flag(
    "H-IMMUNOPARESIS",
    Tier.HIGH,
    "any of IgG, IgA, IgM below the lab's lower limit",
    ("lab LLN (no default)",),
    _SPEC5,
    lab_based=True,
)
def immunoparesis(facts: Facts) -> Hit | None:
    """H-IMMUNOPARESIS: IgG, IgA or IgM below the lab's LLN (SPEC.md §5). SPEC.md §4 gives
    no default limit, so a result without a reference range is not judged."""
    parts: list[tuple[str, LabResult]] = []
    for analyte in (Analyte.IGG, Analyte.IGA, Analyte.IGM):
        result = facts.labs.latest(analyte)
        if result is not None and result.low is not None and below(result, result.low):
            limit = f"lower limit {limit_text(result, result.low)}"
            parts.append((f"{LABEL[analyte]} {_show(result)} < {limit}", result))
    return _lab_hit(parts)


@flag(
    "H-CYTOPENIA",
    Tier.HIGH,
    f"unexplained platelets <{t.PLATELETS_LOW:g}, WBC <{t.WBC_LOW:.1f} or neutrophils "
    f"<{t.NEUTROPHILS_LOW:g} x10^9/L (lab LLN preferred); "
    "a cell line with a known cause is not counted",
    (
        f"platelets <{t.PLATELETS_LOW:g}",
        f"WBC <{t.WBC_LOW:g}",
        f"neutrophils <{t.NEUTROPHILS_LOW:g} x10^9/L",
        f"Duffy-null explains neutrophils {t.DUFFY_NULL_NEUTROPHILS_LOW:g}-"
        f"{t.DUFFY_NULL_NEUTROPHILS_HIGH:g} only",
    ),
    (cite.SPEC_2, cite.SPEC_5),
    lab_based=True,
)
def cytopenia(facts: Facts) -> Hit | None:
    """H-CYTOPENIA: platelets, WBC or absolute neutrophils below the lab's LLN, else below
    150 / 4.0 / 1.8 x10^9/L (SPEC.md §5), without a known cause of that cytopenia (SPEC.md
    §2, `Facts.cytopenia_causes`): ITP (D69.3) or D69.6 for platelets; hypersplenism (D73.1)
    or cirrhosis (K74.6) for platelets and WBC; neutropenia (D70.*) for neutrophils and WBC;
    a documented Duffy-null phenotype (D72.819 (verify); Merz et al., JAMA 2023;329:2088-9)
    for neutrophils of 1.0-1.8 only. A
    count with a known cause is not counted; when another count fires, the criterion names
    the explained one."""
    parts: list[tuple[str, LabResult]] = []
    explained: list[str] = []
    for result, causes in low_counts(facts):
        if causes:
            why = ", ".join(dict.fromkeys(c.named for c in causes))
            explained.append(f"{LABEL[result.analyte]} {_show(result)} explained by {why}")
        else:
            lln = low_limit(result, _CYTOPENIA_LIMITS[result.analyte])
            limit = f"lower limit {limit_text(result, lln)}"
            parts.append((f"{LABEL[result.analyte]} {_show(result)} < {limit}", result))
    hit = _lab_hit(parts)
    if hit is None or not explained:
        return hit
    return Hit(f"{hit.detail} (not counted: {'; '.join(explained)})", hit.evidence)


_CYTOPENIA_LIMITS = {
    Analyte.PLATELETS: t.PLATELETS_LOW,
    Analyte.WBC: t.WBC_LOW,
    Analyte.NEUTROPHILS_ABSOLUTE: t.NEUTROPHILS_LOW,
}


def low_counts(facts: Facts) -> list[tuple[LabResult, tuple[KnownCause, ...]]]:
    """Platelets, WBC and absolute neutrophils below their LLN (the lab's, else SPEC.md §4),
    each with its known causes (empty: unexplained)."""
    found = []
    for analyte, default in _CYTOPENIA_LIMITS.items():
        result = facts.labs.latest(analyte)
        if result is not None and below(result, low_limit(result, default)):
            found.append((result, facts.cytopenia_causes(result)))
    return found


@flag(
    "H-MONOCYTOSIS",
    Tier.HIGH,
    f"absolute monocytes >={t.MONOCYTES_HIGH:.1f} x10^9/L on two results at least "
    f"{t.MONOCYTOSIS_APART_MONTHS} months apart",
    (f">={t.MONOCYTES_HIGH:g} x10^9/L", f"two results >={t.MONOCYTOSIS_APART_MONTHS} months apart"),
    _SPEC5,
    lab_based=True,
)
def persistent_monocytosis(facts: Facts) -> Hit | None:
    """H-MONOCYTOSIS: absolute monocytes >=1.0 x10^9/L on the latest result and on an earlier
    one at least 3 months before it (SPEC.md §5). A percentage is never an absolute count."""
    latest = facts.labs.latest(Analyte.MONOCYTES_ABSOLUTE)
    if latest is None or not at_least(latest, t.MONOCYTES_HIGH):
        return None
    for older in facts.labs.history(Analyte.MONOCYTES_ABSOLUTE):
        apart = add_months(older.effective.date(), t.MONOCYTOSIS_APART_MONTHS)
        if apart <= latest.effective.date() and at_least(older, t.MONOCYTES_HIGH):
            detail = f"monocytes {_show(latest)} and {_show(older)} >=3 months apart"
            return Hit(detail, (evidence(latest), evidence(older)))
    return None


_SYMPTOMS_ANY_AGE = (
    ConditionCategory.FEVER,
    ConditionCategory.NIGHT_SWEATS,
    ConditionCategory.BONE_PAIN,
    ConditionCategory.PATHOLOGICAL_FRACTURE,
)


def weight_loss_counts(facts: Facts) -> tuple[bool, str]:
    """Weight loss counts only above age 50 (SPEC.md §5 "age >50 with unexplained weight
    loss"); with the age unknown it counts (the cautious reading). Returns (counts, why)."""
    age = facts.record.patient.age_at(facts.as_of.date())
    if age is None:
        return True, "age unknown"
    return age > t.SYMPTOMS_WEIGHT_LOSS_AGE, f"age {age}"


@flag(
    "H-SYMPTOMS",
    Tier.HIGH,
    "fever or night sweats (any age), unexplained weight loss at age "
    f">{t.SYMPTOMS_WEIGHT_LOSS_AGE} (age unknown: "
    "counted), new bone pain or pathological fracture",
    ("active Condition", f"weight loss: age >{t.SYMPTOMS_WEIGHT_LOSS_AGE}"),
    _SPEC5,
)
def constitutional_symptoms(facts: Facts) -> Hit | None:
    """H-SYMPTOMS (SPEC.md §5: "fever, night sweats, weight loss; age >50 with unexplained
    weight loss; new bone pain or pathological fracture"). The team's reading: an active
    Condition of fever or night sweats at any age; weight loss only when the patient is older
    than 50 at `as_of` (age unknown: counted, the cautious reading); new bone pain or a
    pathological fracture at any age. Whether bone pain is *new*, and weight loss
    *unexplained*, is the mappers' coding choice."""
    active = [c for c in facts.record.conditions if c.active]
    found = [c for c in active if c.category in _SYMPTOMS_ANY_AGE]
    labels = [c.category.value for c in found]
    weight_loss = [c for c in active if c.category is ConditionCategory.WEIGHT_LOSS]
    if weight_loss:
        counts, why = weight_loss_counts(facts)
        if counts:
            found += weight_loss
            labels.append(f"weight loss ({why})")
    if not found:
        return None
    detail = ", ".join(sorted(set(labels)))
    return Hit(detail, tuple(condition_evidence(c) for c in found))


@flag(
    "H-CANCER",
    Tier.HIGH,
    "history of a non-haematological malignancy: active (C00-C80 except C79.5) or personal "
    "history (Z85.*); or a past haematological malignancy (Z85.6, Z85.7*, an inactive or "
    "resolved C81-C96), referred to haematology",
    ("any",),
    (cite.SPEC_2, cite.SPEC_5),
)
def cancer_history_present(facts: Facts) -> Hit | None:
    """H-CANCER: cancer history as SPEC.md §2 defines it (active non-haematological
    malignancy C00-C80 except C79.5, or Z85.*), including a past haematological malignancy
    (Z85.6, Z85.7*, an inactive or resolved C81-C96): its R3 card refers to haematology."""
    found = cancer_history(facts.record)
    if not found:
        return None
    detail = "; ".join(f"{c.display} ({c.code})" for c in found)
    return Hit(detail, tuple(condition_evidence(c) for c in found))


@flag(
    "H-IMAGING",
    Tier.HIGH,
    "any worrisome imaging feature (SPEC.md §3), including interval progression on the "
    "imaging history",
    (
        f"chemical-shift drop <{t.CHEMICAL_SHIFT_DROP_1_5T_PCT:g}% at 1.5 T",
        f"<{t.CHEMICAL_SHIFT_DROP_3T_PCT:g}% at 3 T or unknown field",
    ),
    (cite.SPEC_3, cite.SPEC_5),
)
def worrisome_imaging(facts: Facts) -> Hit | None:
    """H-IMAGING: any worrisome feature of SPEC.md §3 on the index MRI, or escalation from the
    imaging history (new lesion, growth, evolution to diffuse: SPEC.md §5)."""
    index = facts.index
    if index is None:
        return None
    found = worrisome_features(index) + escalation(index, facts.priors)
    if not found:
        return None
    labels = list(dict.fromkeys(f.label for f in found))
    return Hit("; ".join(labels), tuple(f.evidence for f in found))


# ---------------------------------------------------------------- I: intermediate


def renal_range_reason(facts: Facts) -> str | None:
    """Why the renal FLC ratio range applies (SPEC.md §4, I-FLC "renal range if eGFR <60"),
    or None. The latest current value first: the newer of the current eGFR and creatinine
    clearance decides (<60: renal; >=60: not renal). With neither current, known CKD (an active
    N18.* Condition, or eGFR <60 on two results >3 months apart: SPEC.md §2) applies it."""
    measured = [
        r
        for r in (
            facts.labs.latest(Analyte.EGFR),
            facts.labs.latest(Analyte.CREATININE_CLEARANCE),
        )
        if r is not None and r.value is not None
    ]
    if measured:
        newest = max(measured, key=lambda r: r.effective)
        if below(newest, t.EGFR_LOW):
            return f"{LABEL[newest.analyte]} {_show(newest)} < {t.EGFR_LOW:g}"
        return None
    documented = ckd_conditions(facts.record)
    if documented:
        return f"known CKD, {documented[0].display} ({documented[0].code})"
    chronic = chronic_low_egfr(facts.labs)
    if chronic is not None:
        newer, older = chronic
        days = f"{older.effective.date().isoformat()} and {newer.effective.date().isoformat()}"
        return f"known CKD, eGFR <{t.EGFR_LOW:g} on {days}"
    return None


@flag(
    "I-FLC",
    Tier.INTERMEDIATE,
    "kappa/lambda ratio outside the normal range (renal range if eGFR or creatinine clearance "
    f"<{t.EGFR_LOW:g}, or known CKD) but within {t.H_FLC_RATIO_LOW:g}-{t.H_FLC_RATIO_HIGH:g}",
    (
        f"normal {t.FLC_RATIO_LOW:g}-{t.FLC_RATIO_HIGH:g}",
        f"renal {t.FLC_RATIO_RENAL_LOW:g}-{t.FLC_RATIO_RENAL_HIGH:g} (eGFR <{t.EGFR_LOW:g})",
    ),
    _SPEC5,
    lab_based=True,
)
def light_chain_ratio_borderline(facts: Facts) -> Hit | None:
    """I-FLC: ratio outside its normal range (lab's, else 0.26-1.65; 0.37-3.10 with renal
    impairment: `renal_range_reason`) but within 0.125-8 inclusive (SPEC.md §4, §5)."""
    ratio = flc_ratio(facts.labs)
    if ratio is None or ratio.value is None:
        return None
    if below(ratio, t.H_FLC_RATIO_LOW) or above(ratio, t.H_FLC_RATIO_HIGH):
        return None
    why_renal = renal_range_reason(facts)
    low, high, renal = flc_ratio_range(ratio, why_renal is not None)
    if not (below(ratio, low) or above(ratio, high)):
        return None
    span = f"{limit_text(ratio, low)}-{limit_text(ratio, high)}"
    span += f" (renal range: {why_renal})" if renal else ""
    return _lab_hit([(f"kappa/lambda ratio {shown_value(ratio)} outside {span}", ratio)])


@flag(
    "I-MONOCYTE",
    Tier.INTERMEDIATE,
    f"one absolute monocyte count >={t.MONOCYTES_HIGH:.1f}, or {t.MONOCYTES_BORDERLINE_LOW:g}-"
    f"{t.MONOCYTES_HIGH - 0.01:.2f} x10^9/L with monocytes >={t.MONOCYTES_PERCENT_HIGH:g}%",
    (
        f">={t.MONOCYTES_HIGH:g} x10^9/L",
        f"{t.MONOCYTES_BORDERLINE_LOW:g}-{t.MONOCYTES_HIGH - 0.01:.2f} x10^9/L with "
        f">={t.MONOCYTES_PERCENT_HIGH:g}%",
    ),
    _SPEC5,
    lab_based=True,
)
def monocytes_raised(facts: Facts) -> Hit | None:
    """I-MONOCYTE: one absolute monocyte count >=1.0 x10^9/L, or 0.5-0.99 with monocytes
    >=10% (SPEC.md §5) on the same blood count (a percentage collected the same day as the
    absolute count). A percentage alone never counts as an absolute count."""
    absolute = facts.labs.latest(Analyte.MONOCYTES_ABSOLUTE)
    if absolute is None:
        return None
    if at_least(absolute, t.MONOCYTES_HIGH):
        return _lab_hit([(f"monocytes {_show(absolute)} >= {t.MONOCYTES_HIGH:g}", absolute)])
    # the percentage of the same blood count: collected on the absolute count's day
    percent = facts.labs.same_day(Analyte.MONOCYTES_PERCENT, absolute.effective)
    if (
        at_least(absolute, t.MONOCYTES_BORDERLINE_LOW)
        and percent is not None
        and at_least(percent, t.MONOCYTES_PERCENT_HIGH)
    ):
        detail = f"monocytes {_show(absolute)} with {_show(percent)}"
        return Hit(detail, (evidence(absolute), evidence(percent)))
    return None


@flag(
    "I-FOCAL",
    Tier.INTERMEDIATE,
    "index MRI class FOCAL_EQUIVOCAL (one focal lesion, lesions all "
    f"<{t.U_L_MIN_SIZE_MM:g} mm, or indeterminate)",
    ("class FOCAL_EQUIVOCAL",),
    (cite.SPEC_3, cite.SPEC_5),
)
def focal_equivocal(facts: Facts) -> Hit | None:
    """I-FOCAL: index report class FOCAL_EQUIVOCAL (SPEC.md §3, §5)."""
    index = facts.index
    if index is None or index.image_class is not ImagingClass.FOCAL_EQUIVOCAL:
        return None
    quotes = [
        (f.sentence or f.span).text
        for f in index.features
        if f.kind is FeatureKind.FOCAL_LESION and not f.negated and not f.historical
    ]
    label = "equivocal focal finding"
    return Hit(label, (report_evidence(index, label, quotes[0] if quotes else None),))


FLAG_RULES: tuple[FlagRule, ...] = tuple(_RULES)
FLAG_IDS: tuple[str, ...] = tuple(r.id for r in FLAG_RULES)


def evaluate(facts: Facts, *, labs_only: bool = False) -> tuple[Flag, ...]:
    """Every flag that fires on `facts`, in SPEC.md §5 order."""
    found = []
    for rule in FLAG_RULES:
        if labs_only and not rule.lab_based:
            continue
        result = rule.predicate(facts)
        if result is not None:
            found.append(result)
    return tuple(found)
