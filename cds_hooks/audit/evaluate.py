"""One patient of the export through the hook's own code path, and one partition of patients.

`evaluate_patient` builds the patient-view request an EHR would send for the patient (every
prefetch key of the service fulfilled from the export: the Patient, the Observations, the
DiagnosticReports, the DocumentReferences, the Conditions, the ServiceRequests) and runs the
service's own handler on it (``cds_hooks.services.patient_view.handle_patient_view``: prefetch ->
``cds_hooks.ehr.report_fetch.read_report_documents`` -> ``fhir_mappers.map_patient_record`` ->
``logic.assess`` -> ``cds_hooks.cards.assessment_cards.render_patient_view_cards``), exactly as
``marrow-cds evaluate`` does, with one difference: report text kept in a Binary is read from the
export's Binary resources by `ExportBinaries`, a stand-in for the FHIR client that answers the
handler's Binary reads (and ``Observation?_id=`` reads) from the patient's own resources, as the
EHR's FHIR server would. A Binary the export does not have is answered "not found", as the
server would: the report is a data-quality gap on the card, and a ``missing-binary`` problem
naming the report's file and line here. Nothing else is implemented twice.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import unquote

import orjson

from cds_hooks.ehr.fhir_client import CallBudget, DocumentOutcome, FetchOutcome, FhirClient
from cds_hooks.services.registry import HookCall, HookResult
from fhir_mappers.report_documents import binary_key
from logic.rules import RULE_BY_ID

from ..errors import FhirFetchError, FhirServerError, MarrowError
from ..hooks import parse_hook_request
from .export import Entry, Problem, parse_entries, patient_groups

# The FHIR server address the handler is given: never contacted (ExportBinaries answers).
EXPORT_SERVER = "https://bulk-export.marrow-cds.invalid/fhir"
AUDIT_USER = "Practitioner/marrow-cds-audit"
# The reason on the data-quality card when a resource type is not in the export at all.
NOT_EXPORTED = "the Bulk Data export does not include this type of resource"
_NAMESPACE = uuid.UUID("6c1f3a52-5b0e-4c43-9a55-8f6a2d1e0b18")

# Prefetch key -> resource type, read from the service's own templates (a key added to the
# service later is fulfilled from the export as long as its query names a type we read).
TEMPLATE_TYPE_SEPARATORS = ("?", "/")


@lru_cache(maxsize=64)  # the service's own templates: a handful of strings
def _template_type(query: str) -> str:
    head = query
    for separator in TEMPLATE_TYPE_SEPARATORS:
        head = head.split(separator, 1)[0]
    return head


class ExportBinaries:
    """Answers the handler's reads of report documents from the patient's export resources
    (the interface of ``FhirClient`` that ``read_report_documents`` uses)."""

    def __init__(self, binaries: Mapping[str, Mapping[str, Any]], observations: Sequence[Any]):
        self.binaries = binaries
        self.observations = {
            o.get("id"): o for o in observations if isinstance(o, dict) and o.get("id")
        }
        self.settings = SimpleNamespace(fetch_budget_s=3600.0)
        self.missing: list[str] = []  # Binary keys asked for and not in the export

    def server_allowed(self, fhir_server: str | None) -> bool:
        return fhir_server == EXPORT_SERVER

    def new_budget(self, budget_s: float | None = None) -> CallBudget:
        return CallBudget(float("inf"), 1 << 62)

    def fetch_documents(
        self, fhir_server: str, tasks: Sequence[Any], *, token: Any, budget: Any = None
    ) -> list[DocumentOutcome]:
        outcomes = []
        for task in tasks:
            key = binary_key(task.key)
            binary = self.binaries.get(key) if key is not None else None
            if binary is None:
                self.missing.append(key or str(task.key))
                outcomes.append(DocumentOutcome(task.key, error=FhirServerError(404)))
                continue
            outcomes.append(
                DocumentOutcome(
                    task.key, body=orjson.dumps(binary), content_type="application/fhir+json"
                )
            )
        return outcomes

    def fetch_all(
        self, fhir_server: str, tasks: Sequence[Any], *, token: Any, **_: Any
    ) -> list[FetchOutcome]:
        outcomes = []
        for task in tasks:
            if "_id=" not in task.url:  # a prefetch key left out: its type is not exported
                outcomes.append(FetchOutcome(task.key, error=FhirFetchError(NOT_EXPORTED)))
                continue
            ids = unquote(task.url.split("_id=", 1)[1]).split(",")
            found = [self.observations[i] for i in ids if i in self.observations]
            bundle = {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(found),
                "entry": [{"resource": r} for r in found],
            }
            outcomes.append(FetchOutcome(task.key, documents=[bundle], pages=1))
        return outcomes


@dataclass
class PatientData:
    """One patient's resources from the export (with where each came from)."""

    patient_id: str
    entries: list[Entry]
    files: Sequence[str]  # file index -> name

    def of_type(self, rtype: str) -> list[Entry]:
        return list(self._by_type.get(rtype, ()))

    @cached_property
    def _by_type(self) -> dict[object, list[Entry]]:
        """The entries by resource type, in export order (one pass, not one per type)."""
        grouped: dict[object, list[Entry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.resource.get("resourceType"), []).append(entry)
        return grouped

    def where(self, entry: Entry) -> tuple[str, int]:
        return self.files[entry.file], entry.line


def _bundle(resources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def hook_instance(patient_id: str) -> str:
    """``str(uuid.uuid5(_NAMESPACE, patient_id))`` (the request's hookInstance, the same for the
    same patient on every run), without building a ``uuid.UUID``: the SHA-1 name hash, its
    version (5) and variant (RFC 4122) bits set as ``uuid.UUID(..., version=5)`` sets them."""
    name = _NAMESPACE.bytes + patient_id.encode()
    digest = bytearray(hashlib.sha1(name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def hook_request(
    data: PatientData, exported_types: Collection[str] | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """The patient-view request the EHR would send for this patient, and the export's problems
    with the patient's data (no Patient resource, the same Patient twice).

    A prefetch key whose resource type the export does not hold at all (``exported_types``) is
    left out, as an EHR leaves out what it cannot prefetch: the handler then asks for it
    (`ExportBinaries.fetch_all`), is told it is not in the export, and the card says what could
    not be checked, as for any data not obtained. A type the export holds but this patient has
    none of is an empty Bundle: "no such data"."""
    from cds_hooks.cli.evaluate_offline import service_for_hook

    problems: list[Problem] = []
    service = service_for_hook("patient-view")
    patients = data.of_type("Patient")
    if not patients:
        file, line = data.where(data.entries[0])
        problems.append(
            Problem(
                "no-patient-resource",
                file,
                line,
                f"Patient/{data.patient_id} is referred to but not in the export: evaluated "
                "with sex and age unknown",
                data.patient_id,
            )
        )
    for extra in patients[1:]:
        file, line = data.where(extra)
        problems.append(
            Problem(
                "duplicate-resource",
                file,
                line,
                f"Patient/{data.patient_id} appears more than once: the first one is used",
                data.patient_id,
            )
        )
    prefetch: dict[str, Any] = {}
    for key, template in service.prefetch.items():
        rtype = _template_type(template.query)
        if exported_types is not None and rtype not in exported_types:
            continue
        if rtype == "Patient":
            prefetch[key] = patients[0].resource if patients else None
        else:
            prefetch[key] = _bundle([e.resource for e in data.of_type(rtype)])
    body = {
        "hook": "patient-view",
        "hookInstance": hook_instance(data.patient_id),
        "fhirServer": EXPORT_SERVER,
        "context": {"userId": AUDIT_USER, "patientId": data.patient_id},
        "prefetch": prefetch,
    }
    return body, problems


def run_hook(
    body: dict[str, Any], binaries: ExportBinaries, as_of: datetime, rules_url: str
) -> HookResult:
    """The service's patient-view handler on ``body`` (the HTTP endpoint's validation first)."""
    from cds_hooks.cli.evaluate_offline import service_for_hook

    service = service_for_hook("patient-view")
    request = parse_hook_request(service, body)
    call = HookCall(
        service=service,
        request=request,
        prefetch=body["prefetch"],
        as_of=as_of,
        rules_url=rules_url,
        fhir=cast(FhirClient, binaries),
    )
    return service.handler(call)


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 within the first month)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def _problem_kind(reference: str | None) -> str:
    rtype = reference.split("/", 1)[0] if isinstance(reference, str) and "/" in reference else ""
    return f"data:{rtype or 'record'}"


@dataclass
class PatientOutcome:
    result: dict[str, Any] | None  # the results.ndjson line; None: no spine/sacrum/pelvis MRI
    problems: list[Problem]  # the export's problems with this patient's data
    index: Any = None  # the index ImagingReport (for the review sample)


def evaluate_patient(
    data: PatientData,
    as_of: datetime,
    rules_url: str,
    exported_types: Collection[str] | None = None,
) -> PatientOutcome:
    """The audit line of one patient (module docstring). Never raises: a failure is a problem."""
    from logic.context import Facts

    body, problems = hook_request(data, exported_types)
    reports_at: dict[str, tuple[str, int, str]] = {}
    binaries: dict[str, Mapping[str, Any]] = {}
    for entry in data.entries:
        resource = entry.resource
        rtype = resource.get("resourceType")
        if rtype == "Binary" and isinstance(resource.get("id"), str):
            binaries.setdefault(f"Binary/{resource['id']}", resource)
        elif rtype in ("DiagnosticReport", "DocumentReference"):
            from .export import binary_refs

            for key in binary_refs(resource):
                reports_at.setdefault(key, (*data.where(entry), f"{rtype}/{resource.get('id')}"))
    client = ExportBinaries(binaries, [e.resource for e in data.of_type("Observation")])
    try:
        result = run_hook(body, client, as_of, rules_url)
    except MarrowError as error:
        file, line = data.where(data.entries[0])
        problems.append(
            Problem("not-evaluable", file, line, error.diagnostics[:300], data.patient_id)
        )
        return PatientOutcome(None, problems)
    except Exception as error:  # noqa: BLE001 - per-patient boundary: a bug must not end the audit; said, per patient
        file, line = data.where(data.entries[0])
        problems.append(
            Problem("evaluation-failed", file, line, f"{type(error).__name__}", data.patient_id)
        )
        return PatientOutcome(None, problems)
    for key in dict.fromkeys(client.missing):
        where = data.where(data.entries[0])
        file, line, report = reports_at.get(key, (where[0], where[1], "a report"))
        problems.append(
            Problem(
                "missing-binary",
                file,
                line,
                f"{report} refers to {key}, which is not in the export",
                data.patient_id,
            )
        )
    record, assessment = result.record, result.assessment
    if record is None or not record.mri_reports:
        return PatientOutcome(None, problems)
    recommendation = assessment.recommendation if assessment is not None else None
    # the rules' own index MRI when they recommended (Facts.of(record, as_of).index, as
    # chosen in logic.situation), else chosen here the same way
    index = (
        recommendation.index_report if recommendation is not None else Facts.of(record, as_of).index
    )
    cards = [
        card.source.topic.code
        for card in result.cards
        if card.source is not None and card.source.topic is not None
    ]
    decision = assessment.rule_id if assessment is not None else result.rule_id
    rules = [decision] if decision and decision != "R0" else []
    rules += [r for r in result.rule_ids.values() if r in RULE_BY_ID and r not in rules]
    follow_up = None
    if recommendation is not None and recommendation.follow_up is not None:
        status = recommendation.follow_up
        follow_up = {
            "state": str(status.state.value),
            "due": status.due.isoformat(),
            "months_overdue": months_between(status.due, as_of.date()) if status.overdue else None,
        }
    line_problems = [p.as_json() for p in problems]
    if assessment is not None:
        line_problems += [
            {"kind": _problem_kind(p.reference), "message": p.message}
            | ({"reference": p.reference} if p.reference else {})
            for p in assessment.problems
        ]
        line_problems += [
            {"kind": f"gap:{gap.domain.value}", "message": gap.reason} for gap in assessment.gaps
        ]
    audit_line = {
        "patient": data.patient_id,
        "report": index.reference if index is not None else None,
        "class": index.image_class.value if index is not None else None,
        "decision": decision,
        "rules": rules,
        "cards": cards,
        "problems": [{k: v for k, v in p.items() if k != "patient"} for p in line_problems],
        "follow_up": follow_up,
    }
    return PatientOutcome(audit_line, problems, index)


# --------------------------------------------------------------------------- a partition

_warm = False


def warm_up() -> None:
    """Everything a patient's evaluation loads on first use, loaded now, then the start-up heap
    frozen out of the cyclic GC's walks (``cds_hooks.freeze_startup_heap``): the UCUM registry
    and the strict R4B validators (``fhir_mappers.warm_up``), the hook service and its handler's
    modules. Called in the parent before the workers fork (they share it, copy-on-write, and
    none of them pays for it again) and by ``evaluate_partition`` (Dask workers: once per
    process)."""
    global _warm
    if _warm:
        return
    import fhir_mappers
    from cds_hooks import freeze_startup_heap
    from cds_hooks.cli.evaluate_offline import service_for_hook

    fhir_mappers.warm_up()
    service_for_hook("patient-view")
    freeze_startup_heap()
    _warm = True


def _patients(path: Path) -> Iterator[tuple[str, list[Entry]]]:
    """(patient id, resources) of a partition, in patient id order within each part; each
    patient's resources parsed when it comes (`export.read_partition_lines`) and let go after."""
    for groups in patient_groups(path):
        for patient_id in sorted(groups):
            yield patient_id, parse_entries(groups.pop(patient_id))


def sample_score(seed: int, patient: str) -> int:
    """The fixed-seed random order of the review sample (the same on every machine)."""
    digest = hashlib.sha256(f"{seed}:{patient}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass
class PartitionResult:
    lines: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_counts: Counter[str] = field(default_factory=Counter)
    patients: int = 0
    reports: int = 0  # imaging reports read (DiagnosticReport and DocumentReference)
    # class -> [(score, patient, report reference, class, highlighted HTML)], the k lowest scores
    samples: dict[str, list[tuple[int, str, str, str]]] = field(default_factory=dict)


def evaluate_partition(
    path: Path | str,
    files: Sequence[str],
    as_of: datetime,
    rules_url: str,
    sample_size: int = 5,
    seed: int = 18,
    exported_types: Collection[str] | None = None,
) -> PartitionResult:
    """Every patient of one partition, in patient id order (the same order on any engine)."""
    from cds_hooks.cli.read_report import highlighted

    warm_up()  # once per process: nothing when the parent warmed up before forking
    out = PartitionResult()
    candidates: dict[str, list[tuple[int, str, Any]]] = {}
    for patient_id, entries in _patients(Path(path)):
        data = PatientData(patient_id, entries, files)
        out.patients += 1
        out.reports += len(data.of_type("DiagnosticReport")) + len(
            data.of_type("DocumentReference")
        )
        outcome = evaluate_patient(data, as_of, rules_url, exported_types)
        for problem in outcome.problems:
            out.problem_counts[problem.kind] += 1
            out.problems.append(problem)
        if outcome.result is None:
            continue
        out.lines.append(outcome.result)
        if outcome.index is not None and outcome.result["class"]:
            kept = candidates.setdefault(outcome.result["class"], [])
            kept.append((sample_score(seed, patient_id), patient_id, outcome.index))
            kept.sort(key=lambda item: item[0])
            del kept[sample_size:]
    for image_class, kept in candidates.items():
        out.samples[image_class] = [
            (score, report.reference, image_class, highlighted(report))
            for score, _patient, report in kept
        ]
    return out
