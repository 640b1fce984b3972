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

from fhir_mappers import strict
from fhir_mappers.conditions import read_conditions
from fhir_mappers.imaging import read_imaging_reports
from fhir_mappers.labs import read_labs
from fhir_mappers.limits import Stop, WorkStopped, check, never
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


def map_patient_record(
    documents: Iterable[Mapping[str, Any]],
    patient_id: str,
    *,
    gaps: Sequence[DataGap] = (),
    stop: Stop = never,
    selection: Selection | None = None,
) -> PatientRecord:
    """Everything the rules may use about one patient. Never raises, except `WorkStopped` when
    `stop()` answers True (the call's deadline is spent: fhir_mappers.limits).

    `selection`: what `select_documents` answered for these same documents and patient (the
    service walks the data once for this, the report fetch and the placed orders); without it
    the documents are walked here."""
    pid = patient_key(patient_id) if isinstance(patient_id, str) else ""
    try:
        gap_list = tuple(g for g in gaps if isinstance(g, DataGap))
    except Exception:  # noqa: BLE001 - whatever was sent is iterated: anything may raise
        gap_list = ()
    try:
        return _map(documents, pid, gap_list, stop, selection)
    except WorkStopped:
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence: a bug must not become a 500
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


def select_documents(documents: object, patient_id: str) -> Selection | None:
    """The one walk over the documents (select.py): this patient's resources for
    `map_patient_record(..., selection=...)`, and the imaging reports and ServiceRequests met on
    the way (`Selection.report_resources`, `Selection.service_requests`). None when the walk
    failed (a bug): `map_patient_record` then walks again and reports it."""
    pid = patient_key(patient_id) if isinstance(patient_id, str) else ""
    try:
        return _select(documents, pid)
    except Exception:  # noqa: BLE001 - map_patient_record makes it a problem, never a 500
        return None


def _select(documents: object, pid: str) -> Selection:
    problems: list[MappingProblem] = []
    selection = collect(_documents(documents, problems), pid)
    if problems:
        selection.problems[:0] = problems
    return selection


def _map(
    documents: object,
    pid: str,
    gaps: tuple[DataGap, ...],
    stop: Stop,
    selection: Selection | None = None,
) -> PatientRecord:
    if selection is None:
        selection = _select(documents, pid)
    problems = list(selection.problems)
    check(stop)

    patient, found = read_patient(selection.patient, pid)
    problems.extend(found)
    gap_domains = {g.domain for g in gaps}
    if selection.patient is None and DataDomain.PATIENT not in gap_domains:
        problems.append(
            MappingProblem(f"Patient/{pid}", "no Patient resource in the data: sex and age unknown")
        )

    candidates = [c for analyte in selection.labs.values() for c in analyte]
    labs, found = read_labs(candidates, patient.sex)
    problems.extend(found)

    conditions, found = read_conditions(selection.conditions)
    problems.extend(found)
    check(stop)

    mri, other, found = _imaging(selection, stop)
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
    selection: Selection, stop: Stop
) -> tuple[tuple[ImagingReport, ...], tuple[ImagingReport, ...], list[MappingProblem]]:
    if not selection.reports:
        return (), (), []
    try:
        mri, other, found = read_imaging_reports(selection.reports, stop=stop)
    except WorkStopped:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in the imaging reader must not lose the labs
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


def _strict_problems(
    selection: Selection, labs: Sequence[LabResult], condition_refs: Sequence[str]
) -> list[MappingProblem]:
    """R4B check of each resource the record uses, on the elements that were read."""
    problems: list[MappingProblem] = []
    used = {lab.reference for lab in labs if not lab.derived_from}
    components: dict[str, tuple[Mapping[str, Any], list[int]]] = {}
    for candidates in selection.labs.values():
        for candidate in candidates:
            if candidate.reference in used:
                entry = components.setdefault(candidate.reference, (candidate.resource, []))
                if candidate.component is not None:
                    entry[1].append(candidate.component)
    memo: dict[bytes, tuple[str, ...]] = {}  # this record's subject is checked once
    for reference, (resource, parts) in components.items():
        message = strict.observation_problem(resource, parts, memo)
        if message:
            problems.append(MappingProblem(reference, message))
    wanted = set(condition_refs)
    for reference, resource in selection.conditions:
        if reference in wanted:
            wanted.discard(reference)
            message = strict.resource_problem("Condition", resource)
            if message:
                problems.append(MappingProblem(reference, message))
    if selection.patient is not None:
        message = strict.resource_problem("Patient", selection.patient)
        if message:
            problems.append(MappingProblem(f"Patient/{selection.patient.get('id')}", message))
    return problems


def warm_up() -> None:
    """Load the UCUM registry and the strict R4B models now (call once at service start)."""
    from fhir_mappers.units import warm_up as load_units

    load_units()
    strict.warm_up()
