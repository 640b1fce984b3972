"""Hand-built Assessments, one per rule R1-R8, as the logic would return them (plain data)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from logic.model import (
    Advisory,
    Assessment,
    Check,
    DataDomain,
    DataGap,
    Evidence,
    FeatureKind,
    Flag,
    ImagingClass,
    ImagingFeature,
    ImagingReport,
    MappingProblem,
    Modality,
    OrderSet,
    OrderSuggestion,
    Recommendation,
    Region,
    TextSpan,
    Tier,
)

AS_OF = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
RULES_URL = "https://cds.example.org/rules"
PATIENT_ID = "pat-42"
MRI_REF = "DiagnosticReport/mri-7"

# +3 and +6 months from AS_OF (as the logic schedules follow-up)
IN_3_MONTHS = date(2027, 2, 23)
IN_6_MONTHS = date(2027, 5, 23)

HOSTILE_SENTENCE = (
    "Heterogeneous marrow signal <img src=x onerror=alert(1)> at L3 <script>alert('x')</script> "
    "| *not bold* [link](http://evil.example)"
)


def mri_report(image_class: ImagingClass, sentence: str) -> ImagingReport:
    text = f"FINDINGS: {sentence} IMPRESSION: see above."
    start = text.index(sentence)
    span = TextSpan(start=start, end=start + len(sentence), text=sentence)
    return ImagingReport(
        reference=MRI_REF,
        effective=datetime(2026, 11, 10, 14, 5, tzinfo=UTC),
        modality=Modality.MR,
        region=Region.LUMBAR_SPINE,
        title="MR Lumbar spine WO contrast",
        status="final",
        text=text,
        image_class=image_class,
        code="30679-5",
        features=(
            ImagingFeature(kind=FeatureKind.MARROW_SIGNAL, span=span, sentence=span),
            ImagingFeature(
                kind=FeatureKind.FOCAL_LESION,
                span=TextSpan(start=0, end=8, text="FINDINGS"),
                sentence=TextSpan(start=0, end=8, text="No focal lesion is seen."),
                negated=True,
            ),
        ),
    )


def ev(label: str, ref: str, value: str | None, unit: str | None, day: date) -> Evidence:
    return Evidence(label=label, reference=ref, value=value, unit=unit, date=day)


HB_LOW = ev("Haemoglobin", "Observation/hb-1", "9.1", "g/dL", date(2026, 11, 18))
HB_MILD = ev("Haemoglobin", "Observation/hb-2", "11.2", "g/dL", date(2026, 11, 18))
CALCIUM_HIGH = ev("Calcium", "Observation/ca-1", "2.9", "mmol/L", date(2026, 11, 18))
M_SPIKE = ev("M-protein", "Observation/mp-1", "0.8", "g/dL", date(2026, 11, 12))
FLC_RATIO = ev("FLC ratio", "Observation/flc-1", "2.1", "1", date(2026, 11, 12))
LYTIC = Evidence(
    label="CT chest",
    reference="DiagnosticReport/ct-3",
    date=date(2026, 11, 1),
    quote="A 12 mm lytic lesion in the right iliac bone.",
)
CANCER = Evidence(
    label="Malignant neoplasm of breast (history)",
    reference="Condition/cond-9",
    date=date(2019, 5, 2),
)
PALLIATIVE = Evidence(label="Palliative care", reference="Condition/cond-3", date=date(2026, 9, 1))


def first_line_orders(priority: str = "routine") -> tuple[OrderSuggestion, ...]:
    keys = ("cbc-diff", "cmp", "spep-ife", "serum-flc", "quant-ig", "b2m", "ldh")
    return tuple(OrderSuggestion(key=k, priority=priority) for k in keys)  # type: ignore[arg-type]


BIOPSY_BUNDLE = (
    OrderSuggestion(key="bone-marrow-biopsy"),
    OrderSuggestion(key="flow-cytometry"),
    OrderSuggestion(key="cytogenetics-fish", note="FISH panel when a plasma-cell disorder"),
)

NORMAL_CHECKS = (
    Check(
        label="Calcium",
        outcome="normal",
        evidence=(ev("Calcium", "Observation/ca-9", "2.35", "mmol/L", date(2026, 11, 2)),),
    ),
    Check(
        label="Free light chain ratio",
        outcome="normal",
        evidence=(ev("FLC ratio", "Observation/flc-9", "1.1", "1", date(2026, 11, 2)),),
    ),
    Check(
        label="Platelets",
        outcome="normal",
        evidence=(ev("Platelets", "Observation/plt-9", "240", "10*9/L", date(2026, 11, 2)),),
    ),
    Check(label="Worrisome MRI features", outcome="not present"),
)

IMWG = "Rajkumar SV et al. Lancet Oncol 2014;15:e538-48 (IMWG criteria)"
SPEC5 = "Marrow CDS clinical specification, section 5"


def assessment(rule_id: str, rec: Recommendation, **extra: object) -> Assessment:
    flags = rec.flags
    return Assessment(
        rule_id=rule_id,
        reason=f"{rule_id}: {rec.decision}",
        recommendation=rec,
        flags=flags,
        **extra,  # type: ignore[arg-type]
    )


def r1() -> Assessment:
    report = mri_report(ImagingClass.DIFFUSE, "Diffusely heterogeneous marrow signal.")
    rec = Recommendation(
        rule_id="R1",
        decision="Discuss goals of care; marrow biopsy only if it would change management.",
        flags=(
            Flag(
                id="H-ANAEMIA", tier=Tier.HIGH, criterion="Hb below 12.0 g/dL", evidence=(HB_MILD,)
            ),
        ),
        order_sets=(
            OrderSet(
                label="Haematology referral (if it would change management)",
                orders=(OrderSuggestion(key="hematology-referral"),),
            ),
        ),
        citations=(SPEC5,),
        notes=("Limited life expectancy: palliative care documented (Condition/cond-3).",),
        index_report=report,
    )
    return assessment("R1", rec)


def r2(sentence: str = "Heterogeneous marrow signal at L2 to L5.") -> Assessment:
    report = mri_report(ImagingClass.DIFFUSE, sentence)
    urgent = OrderSet(
        label="Urgent haematology work-up",
        recommended=True,
        orders=(
            OrderSuggestion(key="hematology-referral", priority="urgent"),
            OrderSuggestion(key="bone-marrow-biopsy", priority="urgent"),
            OrderSuggestion(key="flow-cytometry", priority="urgent"),
            OrderSuggestion(key="cytogenetics-fish", priority="urgent"),
            OrderSuggestion(key="whole-body-imaging", priority="urgent"),
        ),
    )
    stat_labs = OrderSet(
        label="Missing first-line labs (STAT)",
        orders=(
            OrderSuggestion(key="spep-ife", priority="stat"),
            OrderSuggestion(key="serum-flc", priority="stat"),
        ),
    )
    rec = Recommendation(
        rule_id="R2",
        decision="Urgent haematology referral for a myeloma-defining event.",
        flags=(
            Flag(
                id="U-C",
                tier=Tier.URGENT,
                criterion="Calcium above 2.75 mmol/L",
                evidence=(CALCIUM_HIGH,),
            ),
            Flag(id="U-B", tier=Tier.URGENT, criterion="Lytic lesion on CT", evidence=(LYTIC,)),
        ),
        order_sets=(urgent, stat_labs),
        citations=(IMWG, SPEC5),
        index_report=report,
    )
    return assessment("R2", rec)


def r3() -> Assessment:
    report = mri_report(ImagingClass.NONSPECIFIC, "Mildly heterogeneous marrow signal.")
    rec = Recommendation(
        rule_id="R3",
        decision="Oncology or haematology referral and staging imaging, then targeted biopsy.",
        flags=(
            Flag(id="H-CANCER", tier=Tier.HIGH, criterion="History of cancer", evidence=(CANCER,)),
        ),
        order_sets=(
            OrderSet(
                label="Staging and referral",
                recommended=True,
                orders=(
                    OrderSuggestion(key="oncology-referral"),
                    OrderSuggestion(key="whole-body-imaging"),
                ),
            ),
        ),
        citations=(SPEC5,),
        index_report=report,
    )
    return assessment("R3", rec)


def r4() -> Assessment:
    report = mri_report(ImagingClass.DIFFUSE, "Diffusely heterogeneous marrow signal.")
    rec = Recommendation(
        rule_id="R4",
        decision="Haematology referral and bone marrow aspirate and biopsy (not urgent).",
        flags=(
            Flag(
                id="H-ANAEMIA",
                tier=Tier.HIGH,
                criterion="Haemoglobin below 12.0 g/dL (female), no documented cause",
                evidence=(HB_MILD,),
            ),
            Flag(
                id="H-MPROTEIN",
                tier=Tier.HIGH,
                criterion="Serum M-protein above 0",
                evidence=(M_SPIKE,),
            ),
        ),
        order_sets=(
            OrderSet(
                label="Haematology referral and marrow biopsy",
                recommended=True,
                orders=(OrderSuggestion(key="hematology-referral"), *BIOPSY_BUNDLE),
            ),
            OrderSet(
                label="Clonal marker: urine studies and whole-body imaging",
                orders=(
                    OrderSuggestion(key="upep-ife-24h"),
                    OrderSuggestion(key="whole-body-imaging"),
                ),
            ),
        ),
        citations=(SPEC5,),
        index_report=report,
    )
    return assessment("R4", rec)


def r5() -> Assessment:
    report = mri_report(ImagingClass.NONSPECIFIC, "Patchy heterogeneous marrow signal.")
    rec = Recommendation(
        rule_id="R5",
        decision="Order the first-line panel, MRI in 3-6 months, re-evaluate with the results.",
        order_sets=(
            OrderSet(
                label="First-line blood tests",
                recommended=True,
                orders=(
                    OrderSuggestion(
                        key="cbc-diff", note="repeat to confirm", repeat_to_confirm=True
                    ),
                    *first_line_orders()[1:],
                ),
            ),
            OrderSet(
                label="Follow-up MRI in 3-6 months",
                orders=(OrderSuggestion(key="mri-followup", start=IN_3_MONTHS, end=IN_6_MONTHS),),
            ),
        ),
        citations=(SPEC5,),
        notes=("Haemoglobin of 2026-05-01 was low and is older than 90 days: repeat to confirm.",),
        index_report=report,
    )
    return assessment("R5", rec)


def r6() -> Assessment:
    report = mri_report(ImagingClass.NONSPECIFIC, "Slightly heterogeneous marrow signal.")
    rec = Recommendation(
        rule_id="R6",
        decision="Haematology e-consult; 24-hour urine studies for the free light chain ratio.",
        flags=(
            Flag(
                id="I-FLC",
                tier=Tier.INTERMEDIATE,
                criterion="FLC ratio outside 0.26-1.65 but within 0.125-8",
                evidence=(FLC_RATIO,),
            ),
        ),
        order_sets=(
            OrderSet(
                label="Haematology e-consult and urine studies",
                recommended=True,
                orders=(
                    OrderSuggestion(key="hematology-referral", note="e-consult"),
                    OrderSuggestion(key="upep-ife-24h"),
                ),
            ),
        ),
        citations=(SPEC5,),
        index_report=report,
    )
    return assessment("R6", rec)


def _surveillance(rule_id: str, image_class: ImagingClass, sentence: str) -> Assessment:
    report = mri_report(image_class, sentence)
    labs = tuple(
        OrderSuggestion(key=o.key, start=IN_3_MONTHS, end=IN_6_MONTHS)
        for o in first_line_orders()[:4]
    )
    rec = Recommendation(
        rule_id=rule_id,
        decision=(
            "Defer biopsy: repeat labs at 3 months and MRI in 3-6 months."
            if rule_id == "R7"
            else "Follow up: MRI in 3-6 months and labs every 3-6 months."
        ),
        order_sets=(
            OrderSet(
                label="Surveillance: MRI in 3-6 months",
                recommended=True,
                orders=(OrderSuggestion(key="mri-followup", start=IN_3_MONTHS, end=IN_6_MONTHS),),
            ),
            OrderSet(label="Surveillance: labs in 3-6 months", orders=labs),
        ),
        checks=NORMAL_CHECKS,
        citations=(SPEC5,),
        notes=("MRI appearance alone does not prove the change is benign.",),
        index_report=report,
    )
    return assessment(rule_id, rec)


def r7() -> Assessment:
    return _surveillance("R7", ImagingClass.DIFFUSE, "Diffusely heterogeneous marrow signal.")


def r8(sentence: str = "Mildly heterogeneous marrow signal, likely red marrow.") -> Assessment:
    return _surveillance("R8", ImagingClass.NONSPECIFIC, sentence)


BY_RULE = {"R1": r1, "R2": r2, "R3": r3, "R4": r4, "R5": r5, "R6": r6, "R7": r7, "R8": r8}

ADVISORY = Advisory(
    code="pre-contrast-missing",
    summary="MRI without pre-contrast sequences: marrow signal cannot be judged",
    detail="Contrast-only MRI: ask for T1 sequences without contrast before judging marrow.",
    evidence=(
        Evidence(label="MR Lumbar spine W contrast", reference=MRI_REF, date=date(2026, 11, 10)),
    ),
)
PROBLEM = MappingProblem(
    reference="Observation/hb-x",
    message="unit 'g/L?' is not a UCUM unit: value not evaluable",
    severity="error",
)
WARNING = MappingProblem(
    reference="Observation/ca-7", message="effectiveDateTime has no time zone: UTC assumed"
)
GAP = DataGap(domain=DataDomain.LABS, reason="FHIR server timed out")


def r4_with_secondary() -> Assessment:
    base = r4()
    return Assessment(
        rule_id=base.rule_id,
        reason=base.reason,
        recommendation=base.recommendation,
        advisories=(ADVISORY,),
        problems=(PROBLEM, WARNING),
        gaps=(GAP,),
        flags=base.flags,
    )
