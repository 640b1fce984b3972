"""Plain-data builders for order-review tests: lab results, MRI reports, records, drafts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from logic.analytes import CANONICAL_UNIT
from logic.model import (
    Analyte,
    ConditionCategory,
    ConditionFact,
    Finding,
    ImagingClass,
    ImagingReport,
    LabResult,
    Modality,
    PatientFacts,
    PatientRecord,
    Region,
    Sex,
)
from tests.support.fhir import fhir_bundle

AS_OF = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"

# A normal, current first-line panel (canonical units) and what else the work-up orders.
NORMAL_VALUES: dict[Analyte, float] = {
    Analyte.HAEMOGLOBIN: 13.9,
    Analyte.WBC: 6.1,
    Analyte.PLATELETS: 240.0,
    Analyte.NEUTROPHILS_ABSOLUTE: 3.4,
    Analyte.CREATININE: 80.0,
    Analyte.EGFR: 88.0,
    Analyte.CALCIUM_TOTAL: 2.35,
    Analyte.ALBUMIN: 4.1,
    Analyte.FLC_KAPPA: 12.0,
    Analyte.FLC_LAMBDA: 14.0,
    Analyte.IGG: 1100.0,
    Analyte.IGA: 210.0,
    Analyte.IGM: 90.0,
    Analyte.BETA2_MICROGLOBULIN: 1.9,
    Analyte.LDH: 180.0,
}


def lab(analyte: Analyte, days_ago: float, value: float | None = None, **kw: Any) -> LabResult:
    if analyte is Analyte.SPEP_IFE:
        return LabResult(
            analyte=analyte,
            reference=kw.pop("reference", f"Observation/{analyte.value}-{int(days_ago)}"),
            effective=AS_OF - timedelta(days=days_ago),
            finding=kw.pop("finding", Finding.NEGATIVE),
            **kw,
        )
    return LabResult(
        analyte=analyte,
        reference=kw.pop("reference", f"Observation/{analyte.value}-{int(days_ago)}"),
        effective=AS_OF - timedelta(days=days_ago),
        value=NORMAL_VALUES[analyte] if value is None else value,
        unit=kw.pop("unit", CANONICAL_UNIT[analyte]),
        **kw,
    )


def panel(days_ago: float, *, without: tuple[Analyte, ...] = ()) -> tuple[LabResult, ...]:
    """The full first-line panel plus IgG/IgA/IgM, B2M and LDH, all `days_ago`."""
    analytes = [*NORMAL_VALUES, Analyte.SPEP_IFE]
    return tuple(lab(a, days_ago) for a in analytes if a not in without)


def mri_report(
    image_class: ImagingClass = ImagingClass.NONSPECIFIC, days_ago: float = 20
) -> ImagingReport:
    return ImagingReport(
        reference="DiagnosticReport/mri-1",
        effective=AS_OF - timedelta(days=days_ago),
        modality=Modality.MR,
        region=Region.LUMBAR_SPINE,
        title="MR Lumbar spine WO contrast",
        status="final",
        text="Heterogeneous marrow signal throughout the lumbar spine.",
        image_class=image_class,
    )


def record(
    *,
    labs: tuple[LabResult, ...] = (),
    mri: ImagingReport | None = None,
    conditions: tuple[ConditionFact, ...] = (),
    **kw: Any,
) -> PatientRecord:
    return PatientRecord(
        patient=PatientFacts(reference="Patient/p1", sex=Sex.FEMALE),
        labs=labs,
        mri_reports=(mri,) if mri is not None else (),
        conditions=conditions,
        **kw,
    )


MYELOMA = ConditionFact(
    category=ConditionCategory.MYELOMA,
    reference="Condition/mm",
    code="ICD-10-CM C90.00",
    display="Multiple myeloma not having achieved remission",
    active=True,
)


def service_request(
    rid: str,
    *codings: tuple[str, str, str | None],
    text: str | None = None,
    status: str = "draft",
    intent: str = "order",
    reasons: list[dict[str, Any]] | None = None,
    priority: str | None = None,
    patient: str = "p1",
) -> dict[str, Any]:
    """A draft ServiceRequest as EHRs send it in draftOrders."""
    code: dict[str, Any] = {
        "coding": [{"system": s, "code": c, **({"display": d} if d else {})} for s, c, d in codings]
    }
    if text:
        code["text"] = text
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": status,
        "intent": intent,
        "code": code,
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": "2026-11-23T08:55:00Z",
        "requester": {"reference": "Practitioner/dr-1"},
    }
    if reasons is not None:
        resource["reasonCode"] = reasons
    if priority:
        resource["priority"] = priority
    return resource


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A collection Bundle of bare entries (draft orders, prefetch)."""
    return fhir_bundle(resources, bundle_type="collection")
