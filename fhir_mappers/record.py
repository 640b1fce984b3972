"""The record assembler: FHIR documents -> one PatientRecord for the rules.

    map_patient_record(documents, patient_id, *, gaps=()) -> PatientRecord

`documents` are what the EHR prefetched or the service fetched: single resources and/or
Bundles (entry[].resource is unwrapped, resources are de-duplicated by resourceType/id, the first
copy wins). Steps:
  1. select.py walks the raw JSON once and keeps this patient's lab Observations (bounded per
     analyte), Conditions, DiagnosticReports and the Patient;
  2. labs.py, conditions.py, patient.py read them with tolerant readers; imaging.py (the
     imaging engineer's module) reads the DiagnosticReports;
  3. each resource actually used is checked against strict FHIR R4B (fhir.resources.R4B), on
     the elements that were read: what R4B rejects is still used where its meaning is clear, and
     the rejection is recorded as a MappingProblem.
It never raises: anything wrong in the data becomes a MappingProblem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fhir_mappers.conditions import read_conditions
from fhir_mappers.labs import read_labs
from fhir_mappers.patient import read_patient
from fhir_mappers.select import Selection, collect, patient_key
from logic.model import (
    DataDomain,
    DataGap,
    ImagingReport,
    LabResult,
    MappingProblem,
    PatientFacts,
    PatientRecord,
)

# Elements of an Observation the lab reader uses: only these are checked against R4B.
OBSERVATION_ELEMENTS = (
    "resourceType",
    "id",
    "status",
    "code",
    "subject",
    "effectiveDateTime",
    "effectivePeriod",
    "effectiveInstant",
    "issued",
    "valueQuantity",
    "valueString",
    "valueCodeableConcept",
    "valueRatio",
    "valueInteger",
    "dataAbsentReason",
    "interpretation",
    "referenceRange",
    "component",
)
MAX_VALIDATION_ERRORS = 3


def map_patient_record(
    documents: Iterable[Mapping[str, Any]],
    patient_id: str,
    *,
    gaps: Sequence[DataGap] = (),
) -> PatientRecord:
    """Everything the rules may use about one patient. Never raises."""
    pid = patient_key(patient_id) if isinstance(patient_id, str) else ""
    try:
        gap_list = tuple(g for g in gaps if isinstance(g, DataGap))
    except Exception:
        gap_list = ()
    try:
        return _map(documents, pid, gap_list)
    except Exception as exc:  # last line of defence: a bug must not become a 500
        return PatientRecord(
            patient=PatientFacts(reference=f"Patient/{pid}"),
            problems=(
                MappingProblem(
                    None, f"the record could not be mapped ({type(exc).__name__})", "error"
                ),
            ),
            gaps=gap_list,
        )


def _documents(documents: object, problems: list[MappingProblem]) -> Iterable[object]:
    if isinstance(documents, Mapping):
        return (documents,)
    if isinstance(documents, str | bytes) or not isinstance(documents, Iterable):
        problems.append(MappingProblem(None, "the data is not a list of FHIR resources", "error"))
        return ()
    return documents


def _map(documents: object, pid: str, gaps: tuple[DataGap, ...]) -> PatientRecord:
    problems: list[MappingProblem] = []
    selection = collect(_documents(documents, problems), pid)
    problems.extend(selection.problems)

    patient, found = read_patient(selection.patient, pid)
    problems.extend(found)
    gap_domains = {g.domain for g in gaps}
    if selection.patient is None and DataDomain.PATIENT not in gap_domains:
        problems.append(
            MappingProblem(f"Patient/{pid}", "no Patient resource in the data: sex and age unknown")
        )

    candidates = [c for analyte in selection.labs.values() for c in analyte]
    labs, found = read_labs(candidates)
    problems.extend(found)

    conditions, found = read_conditions(selection.conditions)
    problems.extend(found)

    mri, other, found = _imaging(selection)
    problems.extend(found)

    problems.extend(_strict_problems(selection, labs, [c.reference for c in conditions]))
    return PatientRecord(
        patient=patient,
        labs=tuple(labs),
        mri_reports=mri,
        other_imaging=other,
        conditions=tuple(conditions),
        problems=tuple(dict.fromkeys(problems)),
        gaps=gaps,
    )


def _imaging(
    selection: Selection,
) -> tuple[tuple[ImagingReport, ...], tuple[ImagingReport, ...], list[MappingProblem]]:
    if not selection.reports:
        return (), (), []
    try:
        from fhir_mappers.imaging import read_imaging_reports
    except ImportError:  # TODO(before final commit): imaging.py lands with issue 3 part 2
        return (), (), [MappingProblem(None, "imaging reader not available yet", "error")]
    try:
        mri, other, found = read_imaging_reports(selection.reports)
    except Exception as exc:
        return (
            (),
            (),
            [
                MappingProblem(
                    None, f"imaging reports could not be read ({type(exc).__name__})", "error"
                )
            ],
        )
    return tuple(mri), tuple(other), list(found)


# ------------------------------------------------------------------ strict R4B check


def _r4b_messages(resource_type: str, data: Mapping[str, Any]) -> list[str]:
    from pydantic import ValidationError

    if resource_type == "Observation":
        from fhir.resources.R4B.observation import Observation as Model
    elif resource_type == "Condition":
        from fhir.resources.R4B.condition import Condition as Model  # type: ignore[assignment]
    else:
        from fhir.resources.R4B.patient import Patient as Model  # type: ignore[assignment]
    try:
        Model.model_validate(dict(data))
    except ValidationError as exc:
        messages = []
        for error in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in error.get("loc", ()))
            messages.append(f"{where or resource_type}: {error.get('msg', 'invalid')}")
        return messages
    except Exception as exc:
        return [f"{type(exc).__name__}"]
    return []


def _strict_problem(
    reference: str, resource_type: str, data: Mapping[str, Any]
) -> list[MappingProblem]:
    messages = _r4b_messages(resource_type, data)
    if not messages:
        return []
    shown = "; ".join(m[:160] for m in messages[:MAX_VALIDATION_ERRORS])
    more = len(messages) - MAX_VALIDATION_ERRORS
    if more > 0:
        shown += f" (and {more} more)"
    return [MappingProblem(reference, f"not valid FHIR R4B, read where clear: {shown}")]


def _strict_problems(
    selection: Selection, labs: Sequence[LabResult], condition_refs: Sequence[str]
) -> list[MappingProblem]:
    """R4B check of each resource the record uses, on the elements that were read."""
    problems: list[MappingProblem] = []
    used = {lab.reference for lab in labs if not lab.derived_from}
    done: set[str] = set()
    for candidates in selection.labs.values():
        for candidate in candidates:
            if candidate.reference not in used or candidate.reference in done:
                continue
            done.add(candidate.reference)
            pruned = {
                k: candidate.resource[k] for k in OBSERVATION_ELEMENTS if k in candidate.resource
            }
            problems.extend(_strict_problem(candidate.reference, "Observation", pruned))
    wanted = set(condition_refs)
    for reference, resource in selection.conditions:
        if reference in wanted and reference not in done:
            done.add(reference)
            problems.extend(_strict_problem(reference, "Condition", resource))
    if selection.patient is not None:
        patient = selection.patient
        problems.extend(_strict_problem(f"Patient/{patient.get('id')}", "Patient", patient))
    return problems


def warm_up() -> None:
    """Load the UCUM registry and the strict R4B models now (call once at service start)."""
    from fhir_mappers.units import warm_up as load_units

    load_units()
    _r4b_messages("Observation", {"resourceType": "Observation"})
    _r4b_messages("Condition", {"resourceType": "Condition"})
    _r4b_messages("Patient", {"resourceType": "Patient"})
