"""Small factories for plain-data test records (no FHIR, no Flask).

Lab results are built the way `fhir_mappers` produces them: the value in the canonical unit
of `CANONICAL_UNIT`, with `as_sent` holding what the lab sent. The `*_mg_dl`, `*_g_l`, ...
helpers convert with the SPEC.md section 4 factors, as the mappers do.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from logic.analytes import CANONICAL_UNIT
from logic.model import (
    Analyte,
    ConditionCategory,
    ConditionFact,
    Contrast,
    DataDomain,
    DataGap,
    FeatureKind,
    Finding,
    ImagingClass,
    ImagingFeature,
    ImagingReport,
    IntervalChange,
    LabResult,
    MappingProblem,
    Modality,
    PatientFacts,
    PatientRecord,
    Region,
    Sex,
    TextSpan,
)

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def when(days_ago: float) -> datetime:
    return AS_OF - timedelta(days=days_ago)


def lab(
    analyte: Analyte,
    value: float | None,
    *,
    days_ago: float = 10,
    low: float | None = None,
    high: float | None = None,
    comparator: str | None = None,
    finding: Finding | None = None,
    evaluable: bool = True,
    as_sent: str = "",
    reference: str | None = None,
) -> LabResult:
    unit = CANONICAL_UNIT[analyte]
    return LabResult(
        analyte=analyte,
        reference=reference or f"Observation/{next(_ids)}",
        effective=when(days_ago),
        value=value if evaluable else None,
        unit=unit,
        comparator=comparator,
        low=low,
        high=high,
        finding=finding,
        evaluable=evaluable,
        as_sent=as_sent or (f"{value} {unit}" if value is not None else ""),
    )


# ---------------------------------------------------------------- converted as the mappers do


def calcium_mg_dl(value: float, **kw: object) -> LabResult:
    """Total calcium sent in mg/dL: x 0.2495 = mmol/L (SPEC.md section 4)."""
    return lab(Analyte.CALCIUM_TOTAL, value * 0.2495, as_sent=f"{value} mg/dL", **kw)  # type: ignore[arg-type]


def hb_g_l(value: float, **kw: object) -> LabResult:
    """Haemoglobin sent in g/L: / 10 = g/dL."""
    return lab(Analyte.HAEMOGLOBIN, value / 10, as_sent=f"{value} g/L", **kw)  # type: ignore[arg-type]


def hb_mmol_l(value: float, **kw: object) -> LabResult:
    """Haemoglobin sent in mmol/L: x 1.611 = g/dL."""
    return lab(Analyte.HAEMOGLOBIN, value * 1.611, as_sent=f"{value} mmol/L", **kw)  # type: ignore[arg-type]


def creatinine_mg_dl(value: float, **kw: object) -> LabResult:
    """Creatinine sent in mg/dL: x 88.42 = umol/L."""
    return lab(Analyte.CREATININE, value * 88.42, as_sent=f"{value} mg/dL", **kw)  # type: ignore[arg-type]


def flc_mg_dl(analyte: Analyte, value: float, **kw: object) -> LabResult:
    """Free light chain sent in mg/dL: x 10 = mg/L."""
    return lab(analyte, value * 10, as_sent=f"{value} mg/dL", **kw)  # type: ignore[arg-type]


def per_ul(analyte: Analyte, value: float, **kw: object) -> LabResult:
    """A count sent per uL: / 1000 = 10*9/L."""
    return lab(analyte, value / 1000, as_sent=f"{value} /uL", **kw)  # type: ignore[arg-type]


def m_protein_g_l(value: float, **kw: object) -> LabResult:
    """M-spike sent in g/L: / 10 = g/dL."""
    return lab(Analyte.M_PROTEIN, value / 10, as_sent=f"{value} g/L", **kw)  # type: ignore[arg-type]


def albumin_g_l(value: float, **kw: object) -> LabResult:
    return lab(Analyte.ALBUMIN, value / 10, as_sent=f"{value} g/L", **kw)  # type: ignore[arg-type]


def spep(finding: Finding, **kw: object) -> LabResult:
    return lab(Analyte.SPEP_IFE, None, finding=finding, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- a normal first-line panel


def normal_panel(days_ago: float = 10) -> tuple[LabResult, ...]:
    """Every first-line analyte current and normal (plus B2M, LDH, immunoglobulins)."""
    d = {"days_ago": days_ago}
    return (
        lab(Analyte.HAEMOGLOBIN, 14.0, **d),
        lab(Analyte.WBC, 6.0, low=4.0, high=11.0, **d),
        lab(Analyte.PLATELETS, 250.0, low=150.0, high=400.0, **d),
        lab(Analyte.NEUTROPHILS_ABSOLUTE, 3.5, low=1.8, high=7.5, **d),
        lab(Analyte.MONOCYTES_ABSOLUTE, 0.5, **d),
        lab(Analyte.MONOCYTES_PERCENT, 7.0, **d),
        lab(Analyte.CREATININE, 80.0, high=106.0, **d),
        lab(Analyte.EGFR, 90.0, **d),
        lab(Analyte.CALCIUM_TOTAL, 2.35, low=2.1, high=2.6, **d),
        lab(Analyte.ALBUMIN, 4.2, **d),
        spep(Finding.NEGATIVE, **d),
        lab(Analyte.FLC_KAPPA, 12.0, **d),
        lab(Analyte.FLC_LAMBDA, 15.0, **d),
        lab(Analyte.FLC_RATIO, 0.8, **d),
        lab(Analyte.BETA2_MICROGLOBULIN, 1.8, **d),
        lab(Analyte.LDH, 180.0, high=250.0, **d),
        lab(Analyte.IGG, 1000.0, low=700.0, **d),
        lab(Analyte.IGA, 200.0, low=70.0, **d),
        lab(Analyte.IGM, 100.0, low=40.0, **d),
    )


def with_labs(base: tuple[LabResult, ...], *new: LabResult) -> tuple[LabResult, ...]:
    """`base` with every analyte of `new` replaced by the new results."""
    replaced = {r.analyte for r in new}
    return tuple(r for r in base if r.analyte not in replaced) + new


def without(base: tuple[LabResult, ...], *analytes: Analyte) -> tuple[LabResult, ...]:
    return tuple(r for r in base if r.analyte not in analytes)


# ---------------------------------------------------------------- imaging


def feature(
    kind: FeatureKind,
    text: str = "",
    *,
    negated: bool = False,
    historical: bool = False,
    value: float | None = None,
) -> ImagingFeature:
    phrase = text or kind.value
    span = TextSpan(0, len(phrase), phrase)
    return ImagingFeature(
        kind=kind, span=span, sentence=span, negated=negated, historical=historical, value=value
    )


def mri(
    image_class: ImagingClass = ImagingClass.NONSPECIFIC,
    *,
    days_ago: float = 5,
    features: tuple[ImagingFeature, ...] = (),
    lesion_count: int | None = None,
    sizes: tuple[float, ...] = (),
    interval_change: IntervalChange | None = None,
    contrast: Contrast = Contrast.WITHOUT,
    region: Region = Region.LUMBAR_SPINE,
    chemical_shift_done: bool = True,
    signal_drop_pct: float | None = None,
    field_strength_t: float | None = None,
) -> ImagingReport:
    text = " ".join(f.span.text for f in features) or "Heterogeneous marrow signal."
    if not features and image_class is not ImagingClass.NEGATIVE:
        features = (feature(FeatureKind.MARROW_SIGNAL, "Heterogeneous marrow signal."),)
    return ImagingReport(
        reference=f"DiagnosticReport/{next(_ids)}",
        effective=when(days_ago),
        modality=Modality.MR,
        region=region,
        title="MR Lumbar spine",
        status="final",
        text=text,
        image_class=image_class,
        contrast=contrast,
        features=features,
        lesion_count=lesion_count,
        lesion_sizes_mm=sizes,
        interval_change=interval_change,
        chemical_shift_done=chemical_shift_done,
        signal_drop_pct=signal_drop_pct,
        field_strength_t=field_strength_t,
    )


def other(modality: Modality, *features: ImagingFeature, days_ago: float = 20) -> ImagingReport:
    return ImagingReport(
        reference=f"DiagnosticReport/{next(_ids)}",
        effective=when(days_ago),
        modality=modality,
        region=Region.WHOLE_BODY,
        title=f"{modality.value} skeletal survey" if modality is Modality.XR else "CT body",
        status="final",
        text=" ".join(f.span.text for f in features),
        image_class=ImagingClass.NEGATIVE,
        features=features,
    )


# ---------------------------------------------------------------- conditions and records


def condition(
    category: ConditionCategory, code: str = "ICD-10-CM X00", display: str = "", active: bool = True
) -> ConditionFact:
    return ConditionFact(
        category=category,
        reference=f"Condition/{next(_ids)}",
        code=code,
        display=display or category.value,
        active=active,
        recorded=date(2025, 1, 1),
    )


def record(
    *,
    sex: Sex = Sex.FEMALE,
    labs: tuple[LabResult, ...] | None = None,
    mris: tuple[ImagingReport, ...] | None = None,
    other_imaging: tuple[ImagingReport, ...] = (),
    conditions: tuple[ConditionFact, ...] = (),
    gaps: tuple[DataDomain, ...] = (),
    problems: tuple[MappingProblem, ...] = (),
    birth_date: date = date(1960, 3, 1),
) -> PatientRecord:
    return PatientRecord(
        patient=PatientFacts(reference="Patient/p1", sex=sex, birth_date=birth_date),
        labs=normal_panel() if labs is None else labs,
        mri_reports=(mri(),) if mris is None else mris,
        other_imaging=other_imaging,
        conditions=conditions,
        problems=problems,
        gaps=tuple(DataGap(domain, "FHIR server timed out") for domain in gaps),
    )


def with_record(base: PatientRecord, **changes: object) -> PatientRecord:
    return replace(base, **changes)  # type: ignore[arg-type]
