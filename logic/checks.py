""" "Why not biopsy": the criteria checked and found normal or absent (SPEC.md section 5).

Shown on the cards that do not recommend a biopsy (R5 labs first, R6 e-consult, R7/R8
surveillance), so that a clinician sees what was looked at, with its evidence.
"""

from __future__ import annotations

from dataclasses import replace

from logic import flags as flag_rules
from logic import thresholds as t
from logic.analytes import LABEL
from logic.context import (
    KnownCause,
    active,
    cancer_history,
    condition_evidence,
)
from logic.imaging import lytic_lesions, report_evidence, worrisome_features
from logic.labs import below, evidence, outside_limits, who_anaemia_cutoff
from logic.model import (
    Analyte,
    Check,
    ConditionCategory,
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


def _explained(sit: Situation, state: ItemState) -> tuple[str | None, tuple[Evidence, ...]]:
    """Abnormal values that a known cause accounts for (no flag fired): a documented cause
    of anaemia or a current ferritin below 15 ug/L, a known cause of that cytopenia, known
    CKD (SPEC.md §2); with the evidence of the causes (the Condition, the ferritin)."""
    facts = sit.facts
    found: list[str] = []
    proof: list[Evidence] = []
    for result in state.results:
        if result.analyte is Analyte.HAEMOGLOBIN:
            cutoff = who_anaemia_cutoff(sit.record.patient.sex)
            causes = facts.anaemia_causes
            if below(result, cutoff) and causes:
                found.append(f"below the WHO cut-off, explained by {causes[0].name}")
                proof.append(causes[0].evidence)
        renal = result.analyte in (Analyte.EGFR, Analyte.CREATININE_CLEARANCE)
        if renal and facts.ckd_causes and below(result, t.EGFR_LOW):
            found.append("below 60, known CKD")
    for result, causes in flag_rules.low_counts(facts):
        if causes and any(r.reference == result.reference for r in state.results):
            names = ", ".join(dict.fromkeys(c.name for c in causes))
            found.append(f"{LABEL[result.analyte]} low, explained by {names}")
            proof += [c.evidence for c in causes]
    return "; ".join(dict.fromkeys(found)) or None, tuple(dict.fromkeys(proof))


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
            explained, causes = _explained(sit, state)
            outcome = explained or _outside(sit, state) or "normal"
            proof += causes
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
    for cause in sit.facts.ckd_causes:
        checks.append(Check("Known CKD: U-R / H-RENAL not counted", "present", (cause.evidence,)))
    return tuple(checks)


def _cytopenia_causes(sit: Situation) -> tuple[KnownCause, ...]:
    return tuple(c for _, causes in flag_rules.low_counts(sit.facts) for c in causes)


def excused_flags(sit: Situation) -> tuple[tuple[Flag, tuple[KnownCause, ...]], ...]:
    """Laboratory flags that the results meet but a known cause discounts (SPEC.md §2: a
    known cause of anaemia for U-A / H-ANAEMIA, known CKD for U-R / H-RENAL, a known cause
    of the cytopenia for H-CYTOPENIA), each with its causes: the flags the same results
    raise with the exemptions switched off (`Facts.exempt`)."""
    facts = sit.facts
    causes_of = {
        "U-A": facts.anaemia_causes,
        "H-ANAEMIA": facts.anaemia_causes,
        "U-R": facts.ckd_causes,
        "H-RENAL": facts.ckd_causes,
        "H-CYTOPENIA": _cytopenia_causes(sit),
    }
    if not any(causes_of.values()):
        return ()
    fired = {f.id for f in sit.flags}
    found = []
    for flag in flag_rules.evaluate(replace(facts, exempt=False), labs_only=True):
        causes = causes_of.get(flag.id, ())
        if flag.id not in fired and causes:
            found.append((flag, tuple(dict.fromkeys(causes))))
    return tuple(found)


def excused_notes(sit: Situation) -> tuple[str, ...]:
    """The flags a known cause discounted, for the cards that carry no "why not biopsy"
    checks (R1-R4): SPEC.md §2 "the card names it"."""
    return tuple(
        f"Not counted: {flag.criterion} ({flag.id}), explained by "
        f"{', '.join(dict.fromkeys(c.phrase for c in causes))}."
        for flag, causes in excused_flags(sit)
    )


def excused_phrase(sit: Situation) -> str | None:
    """ "abnormal results explained by documented Iron deficiency anaemia" (a Condition) or
    "... explained by iron deficiency (ferritin 8 µg/L, ...)" (a result), or None."""
    causes = [c.phrase for _, known in excused_flags(sit) for c in known]
    if not causes:
        return None
    return f"abnormal results explained by {', '.join(dict.fromkeys(causes))}"


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
    for flag, causes in excused_flags(sit):
        if flag.tier is Tier.URGENT:
            names = ", ".join(
                f"documented {c.named}" if c.code else c.name for c in dict.fromkeys(causes)
            )
            parts.append(f"not counted: {flag.id} {flag.criterion}, explained by {names}")
            proof += [*flag.evidence, *(c.evidence for c in causes)]
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
