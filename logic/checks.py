""" "Why not biopsy": the criteria checked and found normal or absent (SPEC.md section 5).

Shown on the cards that do not recommend a biopsy (R5 labs first, R6 e-consult, R7/R8
surveillance), so that a clinician sees what was looked at, with its evidence.
"""

from __future__ import annotations

from dataclasses import replace

from logic import flags as flag_rules
from logic import thresholds as t
from logic.context import (
    Facts,
    active,
    anaemia_causes,
    cancer_history,
    ckd_conditions,
    condition_evidence,
)
from logic.imaging import lytic_lesions, report_evidence, worrisome_features
from logic.labs import LABEL, below, evidence, outside_limits, who_anaemia_cutoff
from logic.model import (
    Analyte,
    Check,
    ConditionCategory,
    ConditionFact,
    DataDomain,
    Evidence,
    FeatureKind,
    Flag,
    ImagingReport,
    Tier,
)
from logic.panel import STATUS_WORDS, ItemState, Status
from logic.situation import Situation

NOT_CHECKED_CONDITIONS = "not checked: conditions could not be obtained"


def _flag_on(sit: Situation, state: ItemState) -> list[str]:
    references = {r.reference for r in state.results}
    return [f.id for f in sit.flags if any(e.reference in references for e in f.evidence)]


def _explained(sit: Situation, state: ItemState) -> str | None:
    """An abnormal value that a documented condition accounts for (no flag fired)."""
    for result in state.results:
        if result.analyte is Analyte.HAEMOGLOBIN:
            cutoff = who_anaemia_cutoff(sit.record.patient.sex)
            causes = anaemia_causes(sit.record)
            if below(result, cutoff) and causes:
                return f"below the WHO cut-off, explained by {causes[0].display}"
        renal = result.analyte in (Analyte.EGFR, Analyte.CREATININE_CLEARANCE)
        if renal and sit.facts.known_ckd and below(result, t.EGFR_LOW):
            return "below 60, known CKD"
    return None


def _outside(sit: Situation, state: ItemState) -> str | None:
    """Values outside their reference limits that meet no SPEC.md §5 criterion."""
    sex = sit.record.patient.sex
    found = []
    for result in state.results:
        where = outside_limits(result, sex)
        if where is not None:
            found.append(f"{LABEL[result.analyte]} {where}")
    if not found:
        return None
    return f"outside reference range, no SPEC.md section 5 criterion met: {'; '.join(found)}"


def _corrected_calcium_note(sit: Situation, state: ItemState) -> str | None:
    """Calcium item: say when no corrected calcium could be computed because no albumin was
    collected on the calcium's day (`logic.flags._calcium_results` pairs same-day only)."""
    labs = sit.facts.labs
    total = labs.latest(Analyte.CALCIUM_TOTAL)
    if Analyte.CALCIUM_TOTAL not in {r.analyte for r in state.results} or total is None:
        return None
    if labs.same_day(Analyte.ALBUMIN, total.effective) is not None:
        return None
    day = total.effective.date().isoformat()
    return f"corrected calcium not computed: no albumin from the calcium's collection day ({day})"


def panel_checks(sit: Situation) -> tuple[Check, ...]:
    checks = []
    for state in sit.panel.items:
        if not state.item.gating and state.status is not Status.CURRENT:
            continue
        proof = tuple(evidence(r) for r in state.results)
        if state.status is not Status.CURRENT:
            outcome = STATUS_WORDS[state.status]
            # stale results, or older results a not-evaluable one superseded (not in
            # state.results): matched by the analytes of the item's missing part
            references = {r.reference for r in state.results}
            missing = set(state.missing)
            stale = [
                s
                for s in sit.stale_abnormal
                if any(r.reference in references or r.analyte in missing for r in s.results)
            ]
            if stale:
                ids = ", ".join(s.flag.id for s in stale)
                older = "; ".join(dict.fromkeys(s.described() for s in stale))
                outcome += f", abnormal ({ids}: {older}): repeat to confirm"
        elif flagged := _flag_on(sit, state):
            outcome = f"abnormal ({', '.join(flagged)})"
        else:
            outcome = _explained(sit, state) or _outside(sit, state) or "normal"
        if (calcium := _corrected_calcium_note(sit, state)) is not None:
            outcome += f"; {calcium}"
        checks.append(Check(state.item.label, outcome, proof))
    return tuple(checks)


def _marrow_quote(index: ImagingReport) -> Evidence:
    for feature in index.features:
        target = feature.kind in (FeatureKind.MARROW_SIGNAL, FeatureKind.DIFFUSE_PATTERN)
        if target and not feature.negated:
            text = (feature.sentence or feature.span).text
            return report_evidence(index, index.image_class.value, text)
    return report_evidence(index, index.image_class.value)


def imaging_checks(sit: Situation) -> tuple[Check, ...]:
    index = sit.index
    if index is None:
        return ()
    checks = []
    if not worrisome_features(index):
        checks.append(Check("Worrisome MRI features (SPEC.md section 3)", "not present",
                            (_marrow_quote(index),)))  # fmt: skip
    if not sit.has("H-IMAGING"):
        same_region = [p for p in sit.facts.priors if p.region is index.region]
        if same_region:
            proof = tuple(report_evidence(p, p.image_class.value) for p in same_region)
            checks.append(Check("Progression compared with prior MRI", "not present", proof))
        else:
            checks.append(Check("Progression compared with prior MRI", "no prior MRI"))
    if not sit.has("U-B"):
        other = sit.record.other_imaging
        outcome = "not present" if other else "no radiograph, CT or PET report"
        if not lytic_lesions(other, sit.facts.as_of):
            proof = tuple(report_evidence(r, "no lytic lesion") for r in other)
            checks.append(Check("Lytic lesions on radiograph, CT or PET-CT", outcome, proof))
    return tuple(checks)


def history_checks(sit: Situation) -> tuple[Check, ...]:
    if sit.gap(DataDomain.CONDITIONS) is not None:
        return (
            Check("Cancer history", NOT_CHECKED_CONDITIONS),
            Check("Fever, night sweats, weight loss, bone pain", NOT_CHECKED_CONDITIONS),
        )
    checks = []
    if not cancer_history(sit.record):
        checks.append(Check("Cancer history", "not present"))
    if not sit.has("H-SYMPTOMS"):
        outcome = "not present"
        weight_loss = active(sit.record, ConditionCategory.WEIGHT_LOSS)
        if weight_loss:
            _, why = flag_rules.weight_loss_counts(sit.facts)
            outcome = (
                f"weight loss documented, not counted at {why} (H-SYMPTOMS: weight loss counts "
                f"above age {t.SYMPTOMS_WEIGHT_LOSS_AGE})"
            )
        proof = tuple(condition_evidence(c) for c in weight_loss)
        checks.append(Check("Fever, night sweats, weight loss, bone pain", outcome, proof))
    for condition in ckd_conditions(sit.record):
        checks.append(
            Check(
                "Documented CKD: U-R / H-RENAL not counted",
                "present",
                (condition_evidence(condition),),
            )
        )
    return tuple(checks)


# Flags a documented condition discounts (SPEC.md §2, §5), and the conditions that do.
_EXCUSED_BY = {
    "U-A": anaemia_causes,
    "H-ANAEMIA": anaemia_causes,
    "U-R": ckd_conditions,
    "H-RENAL": ckd_conditions,
}


def excused_flags(sit: Situation) -> tuple[tuple[Flag, tuple[ConditionFact, ...]], ...]:
    """Laboratory flags that the results meet but a documented condition discounts (a known
    cause of anaemia for U-A / H-ANAEMIA, documented CKD for U-R / H-RENAL), each with the
    conditions: what the flags would be on the same results without those conditions."""
    excusing = anaemia_causes(sit.record) + ckd_conditions(sit.record)
    if not excusing:
        return ()
    bare = replace(
        sit.record, conditions=tuple(c for c in sit.record.conditions if c not in excusing)
    )
    fired = {f.id for f in sit.flags}
    found = []
    for flag in flag_rules.evaluate(Facts.of(bare, sit.facts.as_of), labs_only=True):
        why = _EXCUSED_BY.get(flag.id)
        if flag.id not in fired and why is not None and why(sit.record):
            found.append((flag, why(sit.record)))
    return tuple(found)


def excused_phrase(sit: Situation) -> str | None:
    """ "abnormal results explained by documented Iron deficiency anaemia" or None."""
    causes = [c.display for _, conditions in excused_flags(sit) for c in conditions]
    if not causes:
        return None
    return f"abnormal results explained by documented {', '.join(dict.fromkeys(causes))}"


# The laboratory components of the myeloma-defining events (IMWG 2014, SPEC.md §5): U-A, U-C,
# U-R and U-Li; each satisfied when every analyte of one alternative is current and evaluable.
# U-L reads the index MRI (always present here); U-B has its own check (lytic lesions).
_MDE_COMPONENTS: tuple[tuple[str, tuple[tuple[Analyte, ...], ...]], ...] = (
    ("haemoglobin", ((Analyte.HAEMOGLOBIN,),)),
    ("calcium", ((Analyte.CALCIUM_TOTAL,), (Analyte.CALCIUM_ALBUMIN_CORRECTED,))),
    (
        "creatinine or eGFR",
        ((Analyte.CREATININE,), (Analyte.EGFR,), (Analyte.CREATININE_CLEARANCE,)),
    ),
    ("free light chains kappa and lambda", ((Analyte.FLC_KAPPA, Analyte.FLC_LAMBDA),)),
)


def myeloma_defining_events_check(sit: Situation) -> Check:
    """No U flag fired: "not present" only when every laboratory component was current and
    evaluable and nothing was discounted; otherwise "not assessed: <what is missing>" and/or
    "not counted: <finding> explained by documented <condition>"."""
    labs = sit.facts.labs
    parts = []
    if sit.gap(DataDomain.LABS) is not None:
        parts.append("not assessed: laboratory results could not be obtained")
    else:
        missing = [
            label
            for label, alternatives in _MDE_COMPONENTS
            if not any(all(labs.latest(a) for a in alt) for alt in alternatives)
        ]
        if missing:
            parts.append(f"not assessed: no current evaluable {', '.join(missing)}")
    proof: list[Evidence] = []
    for flag, conditions in excused_flags(sit):
        if flag.tier is Tier.URGENT:
            names = ", ".join(f"{c.display} ({c.code})" for c in conditions)
            parts.append(
                f"not counted: {flag.id} {flag.criterion}, explained by documented {names}"
            )
            proof += [*flag.evidence, *(condition_evidence(c) for c in conditions)]
    outcome = "; ".join(parts) or "not present"
    return Check("Myeloma-defining events (IMWG 2014)", outcome, tuple(proof))


def why_not_biopsy(sit: Situation) -> tuple[Check, ...]:
    """Every criterion checked and found normal or absent, with its evidence."""
    urgent = sit.tier(Tier.URGENT)
    checks: list[Check] = []
    if not urgent:
        checks.append(myeloma_defining_events_check(sit))
    checks += panel_checks(sit)
    checks += imaging_checks(sit)
    checks += history_checks(sit)
    return tuple(checks)
