"""Card detail follow-ups: the checks table names each value, lab values at clinical precision
with what the lab sent, R1 cites the palliative-care Condition, imaging-protocol advice only
where it changes something, and the data-quality card for R0 blocked by missing data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from cds_hooks.cards import detail
from cds_hooks.cards.assessment_cards import render_patient_view_cards
from cds_hooks.cards.document import markdown
from cds_hooks.cards.parts import rule_card
from cds_hooks.schemas import Card
from logic import assess
from logic.analytes import CANONICAL_UNIT
from logic.labs import evidence as lab_evidence
from logic.model import (
    Analyte,
    Assessment,
    Check,
    Contrast,
    DataDomain,
    DataGap,
    Evidence,
    FeatureKind,
    Flag,
    ImagingClass,
    ImagingFeature,
    ImagingReport,
    LabResult,
    Modality,
    PatientFacts,
    PatientRecord,
    Region,
    Sex,
    TextSpan,
    Tier,
)
from logic.plans import LIMITED_LIFE_EXPECTANCY
from logic.rules import CardSpec

from . import assessments as a


def render(assessment: Assessment, **kw: object) -> list[Card]:
    return render_patient_view_cards(
        assessment, patient_id=a.PATIENT_ID, as_of=a.AS_OF, rules_url=a.RULES_URL, **kw
    )


def checks_section(checks: tuple[Check, ...], spec: CardSpec | None = None) -> str | None:
    """The checks table as the card's Markdown."""
    table = detail.checks_section(checks, spec)
    return markdown((table,)) if table is not None else None


DAY = date(2026, 11, 2)
CBC = Check(
    label="CBC with differential",
    outcome="normal",
    evidence=(
        a.ev("Haemoglobin", "Observation/hb-9", "13.9", "g/dL", DAY),
        a.ev("Platelets", "Observation/plt-9", "240", "10*9/L", DAY),
        a.ev("White cell count", "Observation/wbc-9", "6.1", "10*9/L", DAY),
    ),
)


# ------------------------------------------------------------------ checks table


def _rows(section: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| Check ")
    ]


def test_every_row_of_the_checks_table_names_its_value() -> None:
    section = checks_section((CBC,), rule_card("R8")) or ""
    rows = _rows(section)
    assert [row[2] for row in rows] == ["Haemoglobin", "Platelets", "White cell count"]
    assert rows[0][:2] == ["CBC with differential", "normal"]
    assert rows[1][:2] == ["—", "—"]  # the check and its result are said once
    assert "| — | — | Platelets | 240 | ×10⁹/L | 2026-11-02 |" in section
    assert "Observation/plt-9" not in section  # FHIR references: in the card's extension


def test_a_check_without_evidence_has_one_row_and_no_invented_item() -> None:
    rows = _rows(checks_section((Check("Worrisome MRI features", "not present"),)) or "")
    assert rows == [["Worrisome MRI features", "not present", "—", "—", "—", "—"]]


def test_surveillance_card_shows_the_names_in_its_checks_table() -> None:
    base = a.r8()
    rec = base.recommendation
    assert rec is not None
    card = render(replace(base, recommendation=replace(rec, checks=(CBC,))))[0]
    assert "| — | — | Platelets | 240 |" in (card.detail or "")


def test_item_names_are_escaped() -> None:
    hostile = Check("Labs", "normal", (Evidence(label="<b>Hb</b> | x", value="13"),))
    section = checks_section((hostile,)) or ""
    assert "&lt;b&gt;Hb&lt;/b&gt; \\| x" in section


# ------------------------------------------------------------------ values at clinical precision


def _result(analyte: Analyte, value: float, as_sent: str) -> LabResult:
    return LabResult(
        analyte=analyte,
        reference=f"Observation/{analyte.value}",
        effective=datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
        value=value,
        unit=CANONICAL_UNIT[analyte],
        as_sent=as_sent,
    )


def test_checks_table_shows_clinical_precision_and_what_the_lab_sent() -> None:
    calcium = lab_evidence(_result(Analyte.CALCIUM_TOTAL, 11.6 * 0.2495, "11.6 mg/dL"))
    creatinine = lab_evidence(_result(Analyte.CREATININE, 72.489, "72.489 umol/L"))
    section = checks_section(
        (Check("Renal function and calcium", "normal", (calcium, creatinine)),)
    )
    assert "| Calcium, total | 2.89 (as sent: 11.6 mg/dL) | mmol/L |" in section
    assert "| Creatinine | 72 | µmol/L |" in section  # same unit: no echo, no float noise
    assert "72.489" not in section


def test_evidence_table_keeps_the_extra_decimal_at_a_threshold() -> None:
    calcium = lab_evidence(_result(Analyte.CALCIUM_TOTAL, 2.754, "2.754 mmol/L"))
    base = a.r2()
    rec = base.recommendation
    assert rec is not None
    flags = (Flag(id="U-C", tier=Tier.URGENT, criterion="calcium", evidence=(calcium,)),)
    card = render(replace(base, recommendation=replace(rec, flags=flags), flags=flags))[0]
    assert "| Calcium, total | 2.754 | mmol/L |" in (card.detail or "")
    assert card.extension is not None
    (item,) = [i for i in card.extension["org.marrow-cds.evidence"] if i.get("flags")]
    assert item["flags"] == ["U-C"]
    assert item["value"] == "2.754"


# ------------------------------------------------------------------ R1 cites the Condition


def test_r1_card_cites_the_palliative_condition_with_reference_and_date() -> None:
    base = a.r1()
    rec = base.recommendation
    assert rec is not None
    palliative = replace(a.PALLIATIVE, value="ICD-10-CM Z51.5")
    check = Check(LIMITED_LIFE_EXPECTANCY, "present", (palliative,))
    detail = render(replace(base, recommendation=replace(rec, checks=(check,))))[0].detail or ""
    assert "**Limited life expectancy** (why goals of care first)" in detail
    row = next(line for line in detail.splitlines() if "| Palliative care |" in line)
    assert "| Palliative care | ICD-10-CM Z51.5 |" in row
    assert row.endswith("| 2026-09-01 |")
    card = render(replace(base, recommendation=replace(rec, checks=(check,))))[0]
    assert card.extension is not None
    assert any(
        i.get("reference") == "Condition/cond-3" and i.get("date") == "2026-09-01"
        for i in card.extension["org.marrow-cds.evidence"]
    )
    assert "Also checked" not in detail


# ------------------------------------------------------------------ imaging-protocol advice


def _mri(image_class: ImagingClass, *, contrast: Contrast = Contrast.WITHOUT) -> ImagingReport:
    sentence = "Mildly heterogeneous marrow signal, likely red marrow reconversion."
    span = TextSpan(start=0, end=len(sentence), text=sentence)
    return ImagingReport(
        reference="DiagnosticReport/mri-1",
        effective=datetime(2026, 11, 10, tzinfo=UTC),
        modality=Modality.MR,
        region=Region.LUMBAR_SPINE,
        title="MR Lumbar spine",
        status="final",
        text=sentence,
        image_class=image_class,
        contrast=contrast,
        features=(
            ImagingFeature(kind=FeatureKind.MARROW_SIGNAL, span=span, sentence=span),
            ImagingFeature(kind=FeatureKind.BENIGN_HEDGE, span=span, sentence=span, hedged=True),
        ),
    )


def _cards_for(index: ImagingReport) -> list[Card]:
    hb = _result(Analyte.HAEMOGLOBIN, 10.6, "10.6 g/dL")  # H-ANAEMIA (female): R4
    record = PatientRecord(
        patient=PatientFacts(reference="Patient/p1", sex=Sex.FEMALE),
        labs=(hb,),
        mri_reports=(index,),
    )
    assessment = assess(record, a.AS_OF)
    assert assessment.rule_id == "R4"
    return render(assessment)


def test_biopsy_card_on_a_benign_looking_mri_comes_alone() -> None:
    cards = _cards_for(_mri(ImagingClass.NONSPECIFIC))
    assert [c.source.topic.code for c in cards if c.source.topic] == ["marrow-biopsy-indicated"]


def test_contrast_only_mri_still_gets_its_imaging_protocol_card() -> None:
    cards = _cards_for(_mri(ImagingClass.NONSPECIFIC, contrast=Contrast.WITH))
    topics = [c.source.topic.code for c in cards if c.source.topic]
    assert topics == ["marrow-biopsy-indicated", "imaging-protocol"]
    assert "pre-contrast" in (cards[1].detail or "")
    assert "chemical-shift" not in (cards[1].detail or "").lower()


# ------------------------------------------------------------------ R0 blocked by missing data

TIMED_OUT = "FHIR server timed out"


def _record(*, mris: tuple[ImagingReport, ...], gaps: tuple[DataDomain, ...]) -> PatientRecord:
    return PatientRecord(
        patient=PatientFacts(reference="Patient/p1", sex=Sex.FEMALE),
        mri_reports=mris,
        gaps=tuple(DataGap(domain, TIMED_OUT) for domain in gaps),
    )


def test_imaging_not_obtained_gives_exactly_one_data_quality_card() -> None:
    assessment = assess(_record(mris=(), gaps=(DataDomain.IMAGING,)), a.AS_OF)
    assert assessment.rule_id == "R0"
    assert assessment.blocked_by
    (card,) = render(assessment)
    assert card.source.topic is not None
    assert card.source.topic.code == "data-quality"
    assert card.indicator == "info"
    assert "imaging reports could not be fetched" in card.summary
    assert "did not answer in time" in (card.detail or "")  # raw reason: in the log
    assert not card.suggestions  # nothing is recommended on missing data


def test_no_index_mri_with_a_labs_gap_gives_no_card() -> None:
    assessment = assess(_record(mris=(), gaps=(DataDomain.LABS,)), a.AS_OF)
    assert assessment.rule_id == "R0"
    assert assessment.blocked_by == ()
    assert render(assessment) == []


def test_labs_not_obtained_and_no_other_rule_gives_one_data_quality_card() -> None:
    index = _mri(ImagingClass.NONSPECIFIC)
    assessment = assess(_record(mris=(index,), gaps=(DataDomain.LABS,)), a.AS_OF)
    assert assessment.rule_id == "R0"
    assert [gap.domain for gap in assessment.blocked_by] == [DataDomain.LABS]
    (card,) = render(assessment)
    assert card.source.topic is not None
    assert card.source.topic.code == "data-quality"
    assert "lab results could not be fetched" in card.summary
    assert not card.suggestions
