"""Cheap pre-selection on the raw JSON, before anything is parsed or validated.

A patient-view request may carry 10,000 Observations; the service must answer in well under a
second (CDS-HOOKS.md, "Published timing"). So this module touches every resource once with a
few dict look-ups (resourceType, code.coding[].code against a frozenset, subject, status, the
date string) and keeps only what the rules can use. Everything else is skipped unparsed.

Bounded lab selection (per analyte; `select_labs`)
--------------------------------------------------
The rules (SPEC.md sections 2 and 5) look at
  * the current result of each analyte (within 90 days of `as_of`). `as_of` is not known here,
    so the newest results stand in for it: the newest `RECENT_PER_ANALYTE` are kept. This also
    gives the same-day kappa and lambda pair for a computed FLC ratio;
  * two history criteria over *all* results: H-MONOCYTOSIS (absolute monocytes >= 1.0 x10^9/L on
    two results at least 3 months apart) and known CKD (eGFR < 60 on two results more than 3
    months apart). Two results exist that meet a threshold and are at least 3 months apart
    exactly when the newest and the oldest result that meet it are, so for those two analytes
    the `EXTREMES_PER_CRITERION` newest and oldest results meeting the threshold are kept as
    well. The threshold is read cheaply from valueQuantity with the cached unit conversion;
    results whose value cannot be read that way (text values, unknown units) compete only
    for the recent slots. The thresholds here decide only what is *kept*; the rules decide.
At most RECENT + 2 x EXTREMES results per analyte are read, whatever the history length.
"Newest" is decided on the raw date string (effectiveDateTime, else effectivePeriod end/start,
effectiveInstant, issued): ISO strings sort by time to within the hours a zone offset can move
them, which is enough to choose what to keep; the readers then parse the times exactly.

Measured (lab Observations of 22 mixed codes over 10 years, 15 of them SPEC.md analytes; one
warm process, 2 shared cores, GC paused while timing): the whole mapping took 2.2-2.5 ms at
1,000 Observations (orjson.loads + orjson.dumps of the same body: 3.0-3.2 ms) and 25-26 ms at
10,000 (floor 80 ms). This walk is 1-2.5 us per Observation (memory-bound at 10,000).

Results with status preliminary / registered / cancelled / entered-in-error are ignored
without a problem (SPEC.md section 2, "Observation status"); another or no status is a
problem. Resources are de-duplicated by resourceType/id (the first copy wins). The subject may
be "Patient/{id}", an absolute URL ending in it (with or without /_history/n), "urn:uuid:{id}",
or the fullUrl of this patient's Patient entry (transaction Bundles). Resources of another
patient are ignored (counted in one problem); resources with no subject reference are not used
(problem).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from fhir_mappers.lab_codes import LAB_CODES, LAB_LOINC_CODES, LOINC_SYSTEMS, LabCode, lab_code_of
from fhir_mappers.units import UCUM_SYSTEMS, conversion
from logic import thresholds as t
from logic.model import Analyte, MappingProblem

RECENT_PER_ANALYTE = 3
EXTREMES_PER_CRITERION = 1
MAX_BUNDLE_DEPTH = 3
MAX_LISTED_REFERENCES = 3

USED_STATUSES = frozenset({"final", "amended", "corrected"})
IGNORED_STATUSES = frozenset({"preliminary", "registered", "cancelled", "entered-in-error"})

# History criteria used only to decide what to keep (see module docstring).
# analyte -> (threshold, True when "value >= threshold" meets it, False for "value < threshold")
HISTORY_CRITERIA: dict[Analyte, tuple[float, bool]] = {
    Analyte.MONOCYTES_ABSOLUTE: (t.MONOCYTES_HIGH, True),  # H-MONOCYTOSIS
    Analyte.EGFR: (t.EGFR_LOW, False),  # SPEC.md section 2, known CKD
}

_REPORT_TYPES = frozenset({"DiagnosticReport", "DocumentReference"})

_PATIENT_REF = re.compile(r"(?:^|/)Patient/([^/]+)(?:/_history/[^/]*)?$")


@dataclass(frozen=True)
class LabCandidate:
    """One recognised lab value: an Observation, or one component of a panel Observation."""

    sort_key: str  # the raw effective date string, for newest-first ordering
    resource: Mapping[str, Any]
    reference: str
    lab_code: LabCode
    component: int | None = None  # index into component[]; None = the Observation itself


@dataclass
class Selection:
    patient: Mapping[str, Any] | None = None
    labs: dict[Analyte, list[LabCandidate]] = field(default_factory=dict)
    conditions: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    reports: list[Mapping[str, Any]] = field(default_factory=list)
    problems: list[MappingProblem] = field(default_factory=list)
    # What the other readers of the same documents need, met on the same walk (one walk over a
    # 1,000-Observation request instead of three): every DiagnosticReport and DocumentReference
    # of any patient in the order of `report_content`'s own walk (None when a Bundle inside a
    # Bundle may make the orders differ: that walk is then done again), and every
    # ServiceRequest of any patient in document order (`service_requests`' walk).
    report_resources: list[Mapping[str, Any]] | None = field(default_factory=list)
    service_requests: list[Mapping[str, Any]] = field(default_factory=list)


def patient_key(patient_id: str) -> str:
    """The bare logical id: "Patient/123" and "123" both give "123"."""
    text = patient_id.strip() if isinstance(patient_id, str) else ""
    match = _PATIENT_REF.search(text)
    return match.group(1) if match else text


def reference_of(resource_type: str, resource: Mapping[str, Any], full_url: object) -> str:
    rid = resource.get("id")
    if isinstance(rid, str) and rid:
        return f"{resource_type}/{rid}"
    if isinstance(full_url, str) and full_url:
        return full_url
    return f"{resource_type}/(no id)"


def _listed(refs: list[str]) -> str:
    shown = ", ".join(refs[:MAX_LISTED_REFERENCES])
    more = len(refs) - MAX_LISTED_REFERENCES
    return shown + (f" and {more} more" if more > 0 else "")


# A lab candidate while walking: (date string, resource, component index or None, LabCode,
# the entry's fullUrl).
_Raw = tuple[str, Mapping[str, Any], int | None, LabCode, object]  # ..., fullUrl


_NO_PARTS: list[tuple[int, LabCode]] = []


def _component_hits(components: list[Any]) -> list[tuple[int, LabCode]]:
    hits: list[tuple[int, LabCode]] = []
    for index, component in enumerate(components):
        if type(component) is not dict:
            continue
        ccode = component.get("code")
        codings = ccode.get("coding") if type(ccode) is dict else None
        if type(codings) is not list:
            continue
        for coding in codings:
            if type(coding) is dict:
                k = coding.get("code")
                if type(k) is str and k in LAB_LOINC_CODES:
                    row = lab_code_of(coding)
                    if row is not None:
                        hits.append((index, row))
                        break
    return hits


def _date_string(resource: Mapping[str, Any]) -> str | None:
    """effectiveDateTime, else effectivePeriod end/start, effectiveInstant, issued (raw)."""
    value = resource.get("effectiveDateTime")
    if type(value) is str and value:
        return value
    period = resource.get("effectivePeriod")
    if type(period) is dict:
        for part in ("end", "start"):
            value = period.get(part)
            if type(value) is str and value:
                return value
    for name in ("effectiveInstant", "issued"):
        value = resource.get(name)
        if type(value) is str and value:
            return value
    return None


class _Collector:
    """One pass over the documents. The hot path is the Observation loop in `_entries`."""

    def __init__(self, patient_id: str) -> None:
        self.pid = patient_key(patient_id)
        self.accepted = {f"Patient/{self.pid}", f"urn:uuid:{self.pid}"}
        self.rejected: set[str] = set()
        self.seen: set[str] = set()  # "Condition/1", "DiagnosticReport/2"
        self.seen_observations: set[str] = set()  # Observation ids
        self.selection = Selection()
        self.raw: dict[Analyte, list[_Raw]] = {}
        self.pending: list[tuple[str, Mapping[str, Any], object]] = []  # urn subjects
        self.junk = 0
        self.too_deep = 0  # Bundles nested deeper than MAX_BUNDLE_DEPTH
        self.other_patient: list[str] = []
        self.no_subject: list[str] = []
        self.bad_status: list[str] = []
        self.no_time: list[str] = []
        self.met_reports: list[Mapping[str, Any]] = []  # Selection.report_resources
        self.nested = False  # a Bundle was met inside a Bundle

    # -- subject -----------------------------------------------------------------------
    def _subject_is_patient(
        self, rtype: str, resource: Mapping[str, Any], full_url: object
    ) -> bool:
        """Slow path of the subject check: anything but an exact known reference."""
        subject = resource.get("subject")
        ref = subject.get("reference") if isinstance(subject, Mapping) else None
        if type(ref) is not str:
            self.no_subject.append(reference_of(rtype, resource, full_url))
            return False
        if ref in self.accepted:
            return True
        if ref not in self.rejected:
            if ref.startswith("urn:"):
                self.pending.append((rtype, resource, full_url))
                return False
            match = _PATIENT_REF.search(ref)
            if match is not None and match.group(1) == self.pid:
                self.accepted.add(ref)
                return True
            self.rejected.add(ref)
        self.other_patient.append(reference_of(rtype, resource, full_url))
        return False

    # -- walking -----------------------------------------------------------------------
    def document(self, doc: object, depth: int = 0) -> None:
        if not isinstance(doc, Mapping):
            self.junk += 1
            return
        if doc.get("resourceType") == "Bundle" and depth < MAX_BUNDLE_DEPTH:
            entries = doc.get("entry")
            if type(entries) is list:
                self._entries(entries, depth)
            elif entries is not None:
                self.junk += 1
        elif doc.get("resourceType") == "Bundle":
            self.too_deep += 1  # nested deeper than MAX_BUNDLE_DEPTH: not walked (bounded work)
        elif doc.get("resourceType") == "OperationOutcome" and depth == 0:
            self.selection.problems.append(
                MappingProblem(None, "an OperationOutcome was received in place of data")
            )
        else:
            self.resource(doc, None, depth)

    # One loop, on purpose (complexity 24, over the project's 12): this is the hot path, every
    # Observation of a 10,000-Observation request passes here. Split by meaning (its lab codes,
    # whether it may be used, its bucket: two function calls more per Observation), the walk
    # measured 3-9% slower than this loop (interleaved A/B of `collect` at 1,000 and 10,000
    # Observations, benchmarks/patient_data.py bodies; identical selections), a loss the request
    # benchmark cannot resolve on a shared machine but does not need to pay.
    def _entries(self, entries: list[Any], depth: int) -> None:  # noqa: C901 - hot path, above
        table = LAB_CODES
        accepted = self.accepted
        seen = self.seen_observations
        raw = self.raw
        for entry in entries:
            if type(entry) is not dict:
                self.junk += 1
                continue
            resource = entry.get("resource")
            if type(resource) is not dict:
                if resource is not None:
                    self.junk += 1
                continue
            if resource.get("resourceType") != "Observation":
                self.resource(resource, entry.get("fullUrl"), depth + 1)
                continue
            # Hot path: one Observation, raw JSON, a few dict look-ups.
            hit: LabCode | None = None
            code = resource.get("code")
            if type(code) is dict:
                codings = code.get("coding")
                if type(codings) is list:
                    for coding in codings:
                        if type(coding) is dict:
                            k = coding.get("code")
                            if type(k) is str:
                                row = table.get(k)
                                if row is not None:
                                    system = coding.get("system")
                                    if system is None or (
                                        type(system) is str and system in LOINC_SYSTEMS
                                    ):
                                        hit = row
                                        break
            components = resource.get("component")
            parts = _component_hits(components) if type(components) is list else _NO_PARTS
            if hit is None and not parts:
                continue
            subject = resource.get("subject")
            ref = subject.get("reference") if type(subject) is dict else None
            if (type(ref) is not str or ref not in accepted) and not self._subject_is_patient(
                "Observation", resource, entry.get("fullUrl")
            ):
                continue
            rid = resource.get("id")
            if type(rid) is str:
                if rid in seen:
                    continue
                seen.add(rid)
            status = resource.get("status")
            if type(status) is not str or status not in USED_STATUSES:
                if type(status) is not str or status not in IGNORED_STATUSES:
                    self.bad_status.append(
                        reference_of("Observation", resource, entry.get("fullUrl"))
                    )
                continue
            key = resource.get("effectiveDateTime")
            if type(key) is not str or not key:
                key = _date_string(resource)
                if key is None:
                    self.no_time.append(reference_of("Observation", resource, entry.get("fullUrl")))
                    continue
            if hit is not None:
                bucket = raw.get(hit.analyte)
                if bucket is None:
                    bucket = raw[hit.analyte] = []
                bucket.append((key, resource, None, hit, entry.get("fullUrl")))
            for index, part in parts:
                raw.setdefault(part.analyte, []).append(
                    (key, resource, index, part, entry.get("fullUrl"))
                )

    def resource(self, resource: Mapping[str, Any], full_url: object, depth: int = 0) -> None:
        """A resource met on the walk (not an Observation of a Bundle's entries)."""
        rtype = resource.get("resourceType")
        if rtype == "ServiceRequest":
            self.selection.service_requests.append(resource)
            return
        if rtype in _REPORT_TYPES:
            self.met_reports.append(resource)
        elif rtype == "Bundle":
            self.nested = True
        self._use(resource, rtype, full_url, depth)

    def _use(
        self, resource: Mapping[str, Any], rtype: object, full_url: object, depth: int
    ) -> None:
        if rtype == "Observation":
            self._entries([{"resource": resource, "fullUrl": full_url}], depth)
        elif rtype in ("Condition", "DiagnosticReport", "DocumentReference"):  # reports: issue 17
            if self._subject_is_patient(rtype, resource, full_url):
                ref = reference_of(rtype, resource, full_url)
                if ref.endswith("/(no id)") or ref not in self.seen:
                    self.seen.add(ref)
                    if rtype == "Condition":
                        self.selection.conditions.append((ref, resource))
                    else:
                        self.selection.reports.append(resource)
        elif rtype == "Patient":
            if resource.get("id") == self.pid:
                if isinstance(full_url, str):
                    self.accepted.add(full_url)
                if self.selection.patient is None:
                    self.selection.patient = resource
        elif rtype == "Bundle":
            self.document(resource, depth)  # (`document` stops at MAX_BUNDLE_DEPTH)
        elif type(rtype) is not str:
            self.junk += 1

    # -- finishing -----------------------------------------------------------------------
    def finish(self) -> Selection:
        pending, self.pending = self.pending, []
        for rtype, resource, full_url in pending:
            subject = resource.get("subject")
            ref = subject.get("reference") if isinstance(subject, Mapping) else None
            if ref in self.accepted:
                self._use(resource, rtype, full_url, 0)  # the subject now resolves
            else:
                self.other_patient.append(reference_of(rtype, resource, full_url))
        sel = self.selection
        sel.report_resources = None if self.nested else self.met_reports
        sel.labs = {analyte: select_labs(analyte, raw) for analyte, raw in self.raw.items()}
        self._summarise(sel.problems)
        return sel

    def _summarise(self, problems: list[MappingProblem]) -> None:
        if self.too_deep:
            problems.append(
                MappingProblem(
                    None,
                    f"{self.too_deep} Bundle(s) nested more than {MAX_BUNDLE_DEPTH} levels deep: "
                    "not read",
                )
            )
        if self.junk:
            problems.append(
                MappingProblem(
                    None, f"{self.junk} item(s) in the data are not FHIR resources: ignored"
                )
            )
        if self.other_patient:
            problems.append(
                MappingProblem(
                    None,
                    f"{len(self.other_patient)} resource(s) are about another patient: ignored "
                    f"({_listed(self.other_patient)})",
                )
            )
        if self.no_subject:
            problems.append(
                MappingProblem(
                    None,
                    f"{len(self.no_subject)} resource(s) have no subject reference to this "
                    f"patient: not used ({_listed(self.no_subject)})",
                    "error",
                )
            )
        if self.bad_status:
            problems.append(
                MappingProblem(
                    None,
                    f"{len(self.bad_status)} lab result(s) have no or an unknown status (not "
                    f"final/amended/corrected): not used ({_listed(self.bad_status)})",
                    "error",
                )
            )
        if self.no_time:
            problems.append(
                MappingProblem(
                    None,
                    f"{len(self.no_time)} lab result(s) have no effective time or issued date: "
                    f"not used ({_listed(self.no_time)})",
                    "error",
                )
            )


def _cheap_value(raw: _Raw) -> float | None:
    """The canonical value from valueQuantity when that is cheap and unambiguous."""
    source: Any = raw[1] if raw[2] is None else raw[1]["component"][raw[2]]
    quantity = source.get("valueQuantity")
    if type(quantity) is not dict or quantity.get("comparator") is not None:
        return None
    value = quantity.get("value")
    if type(value) is not int and type(value) is not float:
        return None
    code = quantity.get("code")
    text = quantity.get("unit")
    system = quantity.get("system")
    if system is not None and (type(system) is not str or system not in UCUM_SYSTEMS):
        code = None
    how = conversion(
        raw[3].analyte,
        code if type(code) is str else None,
        text if type(text) is str else None,
    )
    if how.factor is None:
        return None
    result = float(value) * how.factor
    return result if math.isfinite(result) else None


# The raw date string of a candidate (its first item), as a C-level key: a 1,000-Observation
# call sorts some 1,000 candidates by it.
_date_key: Callable[[_Raw], str] = itemgetter(0)


def select_labs(analyte: Analyte, raws: list[_Raw]) -> list[LabCandidate]:
    """The bounded selection of the module docstring, newest first."""
    raws.sort(key=_date_key, reverse=True)
    chosen = raws[:RECENT_PER_ANALYTE]
    criterion = HISTORY_CRITERIA.get(analyte)
    if criterion is not None and len(raws) > RECENT_PER_ANALYTE:
        threshold, at_least = criterion
        meeting = []
        for raw in raws:
            value = _cheap_value(raw)
            if value is not None and (value >= threshold if at_least else value < threshold):
                meeting.append(raw)
        kept = {id(raw) for raw in chosen}
        for raw in meeting[:EXTREMES_PER_CRITERION] + meeting[-EXTREMES_PER_CRITERION:]:
            if id(raw) not in kept:
                kept.add(id(raw))
                chosen.append(raw)
        chosen.sort(key=_date_key, reverse=True)
    return [
        LabCandidate(key, resource, reference_of("Observation", resource, url), row, index)
        for key, resource, index, row, url in chosen
    ]


def collect(documents: Iterable[object], patient_id: str) -> Selection:
    """Walk the documents once and return what the mappers need for this patient."""
    collector = _Collector(patient_id)
    for doc in documents:
        collector.document(doc)
    return collector.finish()
