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
At most RECENT + 2 x EXTREMES results per analyte are parsed, whatever the history length.

Results with status preliminary / registered / cancelled / entered-in-error are ignored
without a problem (SPEC.md section 2, "Observation status"); another or no status is a
problem. Resources of another patient are ignored (counted in one problem); resources whose
subject cannot be matched to this patient are not used (problem).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir_mappers.lab_codes import LAB_LOINC_CODES, LabCode, lab_code_of
from fhir_mappers.units import conversion
from logic.model import Analyte, MappingProblem

RECENT_PER_ANALYTE = 4
EXTREMES_PER_CRITERION = 2
MAX_BUNDLE_DEPTH = 3
MAX_LISTED_REFERENCES = 3

USED_STATUSES = frozenset({"final", "amended", "corrected"})
IGNORED_STATUSES = frozenset({"preliminary", "registered", "cancelled", "entered-in-error"})

# History criteria used only to decide what to keep (see module docstring).
# analyte -> (threshold, True when "value >= threshold" meets it, False for "value < threshold")
HISTORY_CRITERIA: dict[Analyte, tuple[float, bool]] = {
    Analyte.MONOCYTES_ABSOLUTE: (1.0, True),  # H-MONOCYTOSIS
    Analyte.EGFR: (60.0, False),  # SPEC.md section 2, known CKD
}

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


class _Collector:
    """One pass over the documents. Hot path: `_observation`."""

    def __init__(self, patient_id: str) -> None:
        self.pid = patient_key(patient_id)
        self.accepted = {f"Patient/{self.pid}", f"urn:uuid:{self.pid}"}
        self.rejected: set[str] = set()
        self.seen: set[str] = set()
        self.selection = Selection()
        self.candidates: dict[Analyte, list[LabCandidate]] = {}
        self.pending: list[tuple[str, str, Mapping[str, Any], Any]] = []  # unresolved urn refs
        self.patient_urls: set[str] = set()
        self.junk = 0
        self.other_patient: list[str] = []
        self.no_subject: list[str] = []
        self.bad_status: list[str] = []
        self.no_time: list[str] = []

    # -- subject -----------------------------------------------------------------------
    def _subject(self, resource: Mapping[str, Any]) -> str | None:
        """ "yes", "no", "unknown" (no usable reference) or "pending" (urn not yet resolved)."""
        subject = resource.get("subject")
        ref = subject.get("reference") if type(subject) is dict else None
        if type(ref) is not str:
            return "unknown"
        if ref in self.accepted:
            return "yes"
        if ref in self.rejected:
            return "no"
        if ref.startswith("urn:"):
            return "pending"
        match = _PATIENT_REF.search(ref)
        if match is not None and match.group(1) == self.pid:
            self.accepted.add(ref)
            return "yes"
        self.rejected.add(ref)
        return "no"

    def _admit(self, rtype: str, resource: Mapping[str, Any], full_url: object) -> bool:
        verdict = self._subject(resource)
        if verdict == "yes":
            return True
        if verdict == "pending":
            subject = resource["subject"]
            self.pending.append((rtype, subject["reference"], resource, full_url))
            return False
        ref = reference_of(rtype, resource, full_url)
        (self.other_patient if verdict == "no" else self.no_subject).append(ref)
        return False

    def _first_time(self, ref: str) -> bool:
        if ref.endswith("/(no id)"):
            return True
        if ref in self.seen:
            return False
        self.seen.add(ref)
        return True

    # -- walking -----------------------------------------------------------------------
    def document(self, doc: object, depth: int = 0) -> None:
        if type(doc) is not dict and not isinstance(doc, Mapping):
            self.junk += 1
            return
        rtype = doc.get("resourceType")
        if rtype == "Bundle" and depth < MAX_BUNDLE_DEPTH:
            entries = doc.get("entry")
            if entries is None:
                return
            if type(entries) is not list:
                self.junk += 1
                return
            for entry in entries:
                if type(entry) is not dict:
                    self.junk += 1
                    continue
                resource = entry.get("resource")
                if resource is None:
                    continue
                if type(resource) is not dict:
                    self.junk += 1
                    continue
                if resource.get("resourceType") == "Bundle":
                    self.document(resource, depth + 1)
                else:
                    self.resource(resource, entry.get("fullUrl"))
        elif rtype == "OperationOutcome" and depth == 0:
            self.selection.problems.append(
                MappingProblem(None, "an OperationOutcome was received in place of data")
            )
        else:
            self.resource(doc, None)

    def resource(self, resource: Mapping[str, Any], full_url: object) -> None:
        rtype = resource.get("resourceType")
        if rtype == "Observation":
            self._observation(resource, full_url)
        elif rtype == "Condition":
            if self._admit("Condition", resource, full_url):
                ref = reference_of("Condition", resource, full_url)
                if self._first_time(ref):
                    self.selection.conditions.append((ref, resource))
        elif rtype == "DiagnosticReport":
            if self._admit("DiagnosticReport", resource, full_url):
                ref = reference_of("DiagnosticReport", resource, full_url)
                if self._first_time(ref):
                    self.selection.reports.append(resource)
        elif rtype == "Patient":
            if resource.get("id") == self.pid:
                if isinstance(full_url, str):
                    self.accepted.add(full_url)
                    self.patient_urls.add(full_url)
                if self.selection.patient is None:
                    self.selection.patient = resource
        elif type(rtype) is not str:
            self.junk += 1

    def _observation(self, resource: Mapping[str, Any], full_url: object) -> None:
        found: list[tuple[LabCode, int | None]] = []
        code = resource.get("code")
        if type(code) is dict:
            codings = code.get("coding")
            if type(codings) is list:
                for coding in codings:
                    if type(coding) is dict:
                        k = coding.get("code")
                        if type(k) is str and k in LAB_LOINC_CODES:
                            row = lab_code_of(coding)
                            if row is not None:
                                found.append((row, None))
                                break
        components = resource.get("component")
        if type(components) is list:
            for index, component in enumerate(components):
                if type(component) is not dict:
                    continue
                ccode = component.get("code")
                ccodings = ccode.get("coding") if type(ccode) is dict else None
                if type(ccodings) is not list:
                    continue
                for coding in ccodings:
                    if type(coding) is dict:
                        k = coding.get("code")
                        if type(k) is str and k in LAB_LOINC_CODES:
                            row = lab_code_of(coding)
                            if row is not None:
                                found.append((row, index))
                                break
        if not found:
            return
        if not self._admit("Observation", resource, full_url):
            return
        self._add_lab(resource, full_url, found)

    def _add_lab(
        self,
        resource: Mapping[str, Any],
        full_url: object,
        found: list[tuple[LabCode, int | None]],
    ) -> None:
        ref = reference_of("Observation", resource, full_url)
        if not self._first_time(ref):
            return
        status = resource.get("status")
        if status not in USED_STATUSES:
            if status not in IGNORED_STATUSES:
                self.bad_status.append(ref)
            return
        key = _date_string(resource)
        if key is None:
            self.no_time.append(ref)
            return
        for row, index in found:
            self.candidates.setdefault(row.analyte, []).append(
                LabCandidate(key, resource, ref, row, index)
            )

    # -- finishing -----------------------------------------------------------------------
    def finish(self) -> Selection:
        for rtype, ref, resource, full_url in self.pending:
            if ref in self.accepted:
                self.resource(resource, full_url)  # subject now resolves to "yes"
            else:
                self.other_patient.append(reference_of(rtype, resource, full_url))
        self.pending.clear()
        sel = self.selection
        sel.labs = {a: select_labs(a, c) for a, c in self.candidates.items()}
        if self.junk:
            sel.problems.append(
                MappingProblem(
                    None, f"{self.junk} item(s) in the data are not FHIR resources: ignored"
                )
            )
        if self.other_patient:
            sel.problems.append(
                MappingProblem(
                    None,
                    f"{len(self.other_patient)} resource(s) are about another patient: ignored "
                    f"({_listed(self.other_patient)})",
                )
            )
        if self.no_subject:
            sel.problems.append(
                MappingProblem(
                    None,
                    f"{len(self.no_subject)} resource(s) have no subject reference to this "
                    f"patient: not used ({_listed(self.no_subject)})",
                    "error",
                )
            )
        if self.bad_status:
            sel.problems.append(
                MappingProblem(
                    None,
                    f"{len(self.bad_status)} lab result(s) have no or an unknown status (not "
                    f"final/amended/corrected): not used ({_listed(self.bad_status)})",
                    "error",
                )
            )
        if self.no_time:
            sel.problems.append(
                MappingProblem(
                    None,
                    f"{len(self.no_time)} lab result(s) have no effective time or issued date: "
                    f"not used ({_listed(self.no_time)})",
                    "error",
                )
            )
        return sel


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


def _cheap_value(candidate: LabCandidate) -> float | None:
    """The canonical value from valueQuantity when that is cheap and unambiguous."""
    source: Any = candidate.resource
    if candidate.component is not None:
        source = source["component"][candidate.component]
    quantity = source.get("valueQuantity")
    if type(quantity) is not dict:
        return None
    value = quantity.get("value")
    if type(value) not in (int, float) or quantity.get("comparator") is not None:
        return None
    code = quantity.get("code")
    text = quantity.get("unit")
    if quantity.get("system") not in (None, "http://unitsofmeasure.org"):
        code = None
    how = conversion(
        candidate.lab_code.analyte,
        code if type(code) is str else None,
        text if type(text) is str else None,
    )
    if how.factor is None:
        return None
    result = float(value) * how.factor  # type: ignore[arg-type]
    return result if result == result else None  # NaN never meets a threshold


def select_labs(analyte: Analyte, candidates: list[LabCandidate]) -> list[LabCandidate]:
    """The bounded selection of the module docstring, newest first."""
    ordered = sorted(candidates, key=_sort_key, reverse=True)
    chosen = ordered[:RECENT_PER_ANALYTE]
    criterion = HISTORY_CRITERIA.get(analyte)
    if criterion is not None and len(ordered) > RECENT_PER_ANALYTE:
        threshold, at_least = criterion
        meeting = []
        for candidate in ordered:
            value = _cheap_value(candidate)
            if value is not None and (value >= threshold if at_least else value < threshold):
                meeting.append(candidate)
        extremes = meeting[:EXTREMES_PER_CRITERION] + meeting[-EXTREMES_PER_CRITERION:]
        kept = {id(c) for c in chosen}
        for candidate in extremes:
            if id(candidate) not in kept:
                kept.add(id(candidate))
                chosen.append(candidate)
        chosen.sort(key=_sort_key, reverse=True)
    return chosen


def _sort_key(candidate: LabCandidate) -> str:
    return candidate.sort_key


def collect(documents: Iterable[object], patient_id: str) -> Selection:
    """Walk the documents once and return what the mappers need for this patient."""
    collector = _Collector(patient_id)
    for doc in documents:
        collector.document(doc)
    return collector.finish()
