"""Cards for the SPEC.md amendments of 2026-12-07 (sections 2 and 5): the card names a known
MGUS ("evaluate for progression of MGUS"), the documented cause that explains a finding (a low
ferritin, a known cause of cytopenia), the index MRI when a newer MRI of another region exists,
and a past haematological malignancy is referred to haematology. Clinical words only."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from cds_hooks.cards.assessment_cards import render_patient_view_cards
from cds_hooks.schemas import Card
from logic import assess
from logic.analytes import CANONICAL_UNIT
from logic.model import (
    Analyte,
    ConditionCategory,
    ConditionFact,
    FeatureKind,
    Finding,
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
)

AS_OF = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
RULES_URL = "https://cds.example.org/rules"
_ids = itertools.count(1)


def _lab(analyte: Analyte, value: float | None, finding: Finding | None = None) -> LabResult:
    return LabResult(
        analyte=analyte,
        reference=f"Observation/o{next(_ids)}",
        effective=AS_OF - timedelta(days=10),
        value=value,
        unit=CANONICAL_UNIT[analyte] if value is not None else "",
        finding=finding,
        as_sent=f"{value} {CANONICAL_UNIT[analyte]}" if value is not None else "",
    )


def _panel(**values: float) -> tuple[LabResult, ...]:
    normal = {
        Analyte.HAEMOGLOBIN: 14.0,
        Analyte.WBC: 6.0,
        Analyte.PLATELETS: 250.0,
        Analyte.NEUTROPHILS_ABSOLUTE: 3.5,
        Analyte.CREATININE: 80.0,
        Analyte.EGFR: 90.0,
        Analyte.CALCIUM_TOTAL: 2.35,
        Analyte.ALBUMIN: 4.2,
        Analyte.FLC_KAPPA: 12.0,
        Analyte.FLC_LAMBDA: 15.0,
        Analyte.FLC_RATIO: 0.8,
    }
    normal.update({Analyte(k.replace("_", "-")): v for k, v in values.items()})
    return (
        *(_lab(a, v) for a, v in normal.items()),
        _lab(Analyte.SPEP_IFE, None, Finding.NEGATIVE),
    )


def _mri(
    image_class: ImagingClass, days_ago: int, region: Region = Region.LUMBAR_SPINE
) -> ImagingReport:
    sentence = "Heterogeneous marrow signal."
    span = TextSpan(0, len(sentence), sentence)
    return ImagingReport(
        reference=f"DiagnosticReport/mri-{next(_ids)}",
        effective=AS_OF - timedelta(days=days_ago),
        modality=Modality.MR,
        region=region,
        title=f"MRI {region.value.replace('-', ' ')}",
        status="final",
        text=sentence,
        image_class=image_class,
        features=(ImagingFeature(FeatureKind.MARROW_SIGNAL, span, span),)
        if image_class is not ImagingClass.NEGATIVE
        else (),
    )


def _condition(category: ConditionCategory, code: str, display: str) -> ConditionFact:
    return ConditionFact(
        category=category,
        reference=f"Condition/c{next(_ids)}",
        code=code,
        display=display,
        active=True,
        recorded=date(2025, 1, 1),
    )


def _cards(
    *,
    labs: tuple[LabResult, ...] | None = None,
    mris: tuple[ImagingReport, ...] | None = None,
    conditions: tuple[ConditionFact, ...] = (),
) -> list[Card]:
    record = PatientRecord(
        patient=PatientFacts("Patient/p1", Sex.FEMALE, date(1960, 3, 1)),
        labs=_panel() if labs is None else labs,
        mri_reports=(_mri(ImagingClass.NONSPECIFIC, 30),) if mris is None else mris,
        conditions=conditions,
    )
    return render_patient_view_cards(
        assess(record, AS_OF), patient_id="p1", as_of=AS_OF, rules_url=RULES_URL
    )


def _clinical_words_only(card: Card) -> None:
    text = f"{card.summary}\n{card.detail}"
    for internal in ("ConditionCategory", "MGUS =", "FERRITIN", "exempt", "KnownCause"):
        assert internal not in text
    assert len(card.summary) < 140


def test_mgus_card_says_evaluate_for_progression_of_mgus() -> None:
    mgus = _condition(ConditionCategory.MGUS, "ICD-10-CM D47.2", "Monoclonal gammopathy")
    card, *_ = _cards(conditions=(mgus,))
    assert card.indicator == "warning"
    assert card.summary == (
        "Haematology referral and bone marrow biopsy: known MGUS, evaluate for progression"
    )
    assert "evaluate for progression of MGUS" in card.detail
    assert "Kyle et al., Leukemia 2010;24:1121-7" in card.detail
    _clinical_words_only(card)


def test_low_ferritin_is_named_as_the_cause_on_the_surveillance_card() -> None:
    labs = (*_panel(haemoglobin=11.0), _lab(Analyte.FERRITIN, 8.0))
    card, *_ = _cards(labs=labs)
    assert card.indicator == "info"
    assert "explained by iron deficiency (ferritin 8 µg/L, below 15 µg/L" in card.detail
    assert "Ferritin (iron deficiency)" in card.detail  # its row in the checks table
    _clinical_words_only(card)


def test_known_cause_of_cytopenia_is_named_on_the_surveillance_card() -> None:
    itp = _condition(
        ConditionCategory.THROMBOCYTOPENIA_CAUSE, "ICD-10-CM D69.3", "Immune thrombocytopenia"
    )
    card, *_ = _cards(labs=_panel(platelets=110.0), conditions=(itp,))
    assert "Platelets low, explained by Immune thrombocytopenia" in card.detail
    _clinical_words_only(card)


def test_the_card_names_the_index_mri_when_a_newer_mri_covers_another_region() -> None:
    lumbar = _mri(ImagingClass.NONSPECIFIC, 60)
    pelvis = _mri(ImagingClass.NEGATIVE, 5, Region.PELVIS)
    card, *_ = _cards(mris=(pelvis, lumbar))
    assert "Index MRI: MRI lumbar spine of" in card.detail
    assert lumbar.reference not in card.detail  # FHIR references: in the extension
    assert card.extension is not None
    assert lumbar.reference in {
        i.get("reference") for i in card.extension["org.marrow-cds.evidence"]
    }
    assert "A newer MRI replaces an older one only for the regions it covers" in card.detail
    _clinical_words_only(card)


def test_past_haematological_malignancy_card_refers_to_haematology() -> None:
    past = _condition(
        ConditionCategory.HAEM_MALIGNANCY_HISTORY, "ICD-10-CM Z85.6", "History of leukaemia"
    )
    card, *_ = _cards(conditions=(past,))
    assert card.summary.startswith("Past blood cancer and marrow change")
    assert "haematology referral" in card.summary
    assert card.suggestions is not None
    codes = [
        coding["code"]
        for suggestion in card.suggestions
        for action in suggestion.actions or []
        for coding in (action.resource or {}).get("code", {}).get("coding", [])
    ]
    assert "hematology-referral" in codes
    assert "oncology-referral" not in codes


def test_surveillance_summary_does_not_call_explained_results_normal() -> None:
    labs = (*_panel(haemoglobin=11.0), _lab(Analyte.FERRITIN, 8.0))
    card, *_ = _cards(labs=labs)
    assert "abnormal blood tests explained" in card.summary
    assert ", normal blood tests" not in card.summary
    card, *_ = _cards()
    assert "normal blood tests" in card.summary
