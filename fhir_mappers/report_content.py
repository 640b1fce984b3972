"""The report text an imaging report only points to: what must be fetched, and the reports with
that text in place (issue 17). Pure: the HTTP is done by cds_hooks.ehr.report_fetch.

EHRs keep the radiology report text where the mappers cannot see it in the prefetch: in a
Binary referenced by `presentedForm.url` / `DocumentReference.content.attachment.url`, in a PDF
or RTF document, or in `result` Observations (valueString). Two steps around the fetch:

1. `needs(documents, patient_id)`: for this patient's imaging reports that the rules could use
   (usable status; an MRI of a marrow region, CT / radiograph / PET, or an exam not yet known
   from the code), newest first and at most `MAX_REPORTS` of them, the Binary URLs to read and
   the `result` Observations missing from the data.
2. `resolve(documents, patient_id, binaries, observations, ...)`: copies of those reports with
   every attachment turned into text/plain (fetched bytes, FHIR Binary resources and inline
   PDF/RTF decoded by fhir_mappers.attachments) and the result Observations contained, placed
   before the documents (the first copy of a resource wins in select.py; a report without an
   id is completed in place); and, for each report
   whose full text could not be read (not fetched, a scan, an unreadable format) and which has
   no other full text, a reason in clinical words that the service turns into an imaging data gap
   (a data-quality card naming the report, no recommendation built without it).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fhir_mappers import imaging_codes as codes
from fhir_mappers.attachments import (
    HTML_TYPES,
    PLAIN_TYPES,
    READABLE_TYPES,
    Stop,
    decode_bytes,
    media_type,
    no_stop,
)
from fhir_mappers.fhir_id import FHIR_ID_PATTERN, is_fhir_id
from fhir_mappers.imaging import USABLE_STATUSES, recognise_exam
from fhir_mappers.report_documents import reference_of, report_views
from fhir_mappers.select import MAX_BUNDLE_DEPTH, patient_key
from logic.model import Modality

MAX_REPORTS = 10  # newest reports whose text is fetched per hook call
MAX_RESULTS_PER_REPORT = 20
FHIR_JSON = "application/fhir+json"
_OBSERVATION_REF = re.compile(rf"(^|/)Observation/{FHIR_ID_PATTERN}$")


@dataclass(frozen=True)
class BinaryNeed:
    url: str  # as written in the attachment: "Binary/1", an absolute URL
    content_type: str  # the attachment's own type ("" when not given): the Accept header


@dataclass(frozen=True)
class ResultNeed:
    report: str  # "DiagnosticReport/1"
    ids: tuple[str, ...]  # Observation ids not in the data


@dataclass(frozen=True)
class Needs:
    binaries: tuple[BinaryNeed, ...] = ()
    results: tuple[ResultNeed, ...] = ()
    # The reports found, handed back to `resolve` (one walk over the documents per call).
    reports: tuple[_Report, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Fetched:
    """One Binary read: the answer's bytes and Content-Type, or why it could not be read."""

    body: bytes | None = None
    content_type: str = ""
    missing: str | None = None  # clinical words: "this service was not given access to ..."


@dataclass
class Resolved:
    documents: list[Mapping[str, Any]]
    missing: list[str] = field(default_factory=list)  # one sentence per report not read
    copied: bool = False  # copies of reports were placed before the documents


@dataclass
class _Report:
    reference: str
    resource: Mapping[str, Any]  # as sent (DiagnosticReport or DocumentReference)
    view: Mapping[str, Any]  # DiagnosticReport-shaped
    date: str
    title: str


# --------------------------------------------------------------------------- finding reports


_REPORT_TYPES = frozenset({"DiagnosticReport", "DocumentReference"})


def _walk(
    documents: Sequence[Any], types: frozenset[str], depth: int = 0
) -> list[Mapping[str, Any]]:
    """The resources of `types` in the documents (Bundles unwrapped), in order. A few dict
    look-ups per resource: a request may carry 10,000 Observations (select.py)."""
    found: list[Mapping[str, Any]] = []
    for doc in documents:
        if type(doc) is not dict and not isinstance(doc, Mapping):
            continue
        rtype = doc.get("resourceType")
        if rtype == "Bundle" and depth < MAX_BUNDLE_DEPTH:
            entries = doc.get("entry")
            if type(entries) is list:
                inner = []
                for entry in entries:
                    resource = entry.get("resource") if type(entry) is dict else None
                    if type(resource) is dict:
                        kind = resource.get("resourceType")
                        if kind in types:
                            found.append(resource)
                        elif kind == "Bundle":
                            inner.append(resource)
                if inner:
                    found.extend(_walk(inner, types, depth + 1))
        elif rtype in types:
            found.append(doc)
    return found


def _about(resource: Mapping[str, Any], pid: str) -> bool:
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(ref, str):
        return False
    if ref == f"urn:uuid:{pid}":
        return True
    if not is_fhir_id(pid):  # not a FHIR id: the general pattern, compiled here
        return re.search(rf"(^|/)Patient/{re.escape(pid)}(/_history/[^/]*)?$", ref) is not None
    return _refers_to(ref, f"Patient/{pid}")


def _refers_to(ref: str, target: str) -> bool:
    """`ref` is `target` ("Patient/<id>", the id without "/"), after "/" or alone, optionally
    with "/_history/<version>", at the end (or before a final newline, as a regex `$` allows):
    the pattern ``(^|/)<target>(/_history/[^/]*)?$`` without compiling one per patient (an
    audit sees every patient once)."""
    for text in (ref, ref[:-1]) if ref.endswith("\n") else (ref,):
        head, history, version = text.rpartition("/_history/")
        for candidate in (text, head) if history and "/" not in version else (text,):
            if candidate.endswith(target):
                before = candidate[: len(candidate) - len(target)]
                if not before or before.endswith("/"):
                    return True
    return False


def _date(view: Mapping[str, Any]) -> str:
    period = view.get("effectivePeriod")
    for value in (
        view.get("effectiveDateTime"),
        period.get("start") if isinstance(period, Mapping) else None,
        period.get("end") if isinstance(period, Mapping) else None,
        view.get("issued"),
    ):
        if isinstance(value, str) and value:
            return value
    return ""


def _usable_imaging(view: Mapping[str, Any]) -> str | None:
    """The exam's title when the rules could use this report, else None."""
    exam = recognise_exam(view)
    status = view.get("status")
    if not exam.is_imaging or not isinstance(status, str) or status.lower() not in USABLE_STATUSES:
        return None
    mri = exam.modality is Modality.MR
    if mri and exam.region is not None and exam.region not in codes.MARROW_REGIONS:
        return None  # an MRI of another region
    if not mri and exam.modality is not None and exam.modality not in codes.LYTIC_MODALITIES:
        return None  # ultrasound, mammography ...
    return exam.title or "imaging"


def _reports(
    documents: Sequence[Any], patient_id: str, met: Sequence[Mapping[str, Any]] | None = None
) -> list[_Report]:
    pid = patient_key(patient_id)
    resources: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    for resource in _walk(documents, _REPORT_TYPES) if met is None else met:
        if not _about(resource, pid):
            continue
        reference = reference_of(resource, len(resources))
        if reference in seen:
            continue  # the same report twice (prefetch and search)
        seen.add(reference)
        resources.append(resource)
    originals = {reference_of(r, n): r for n, r in enumerate(resources)}
    found: list[_Report] = []
    for reference, view in report_views(resources):  # a report sent as both counts once
        title = _usable_imaging(view)
        if title is None:
            continue
        original = originals[reference]
        resource = view if original.get("resourceType") == "DiagnosticReport" else original
        found.append(_Report(reference, resource, view, _date(view), title))
    found.sort(key=lambda r: r.date, reverse=True)
    return found[:MAX_REPORTS]


def _forms(report: _Report) -> list[Mapping[str, Any]]:
    forms = report.view.get("presentedForm")
    return [f for f in forms if isinstance(f, Mapping)] if isinstance(forms, list) else []


def _fetchable_url(form: Mapping[str, Any]) -> str | None:
    url = form.get("url")
    data = form.get("data")
    if isinstance(data, str) and data.strip():
        return None
    if not isinstance(url, str) or not url.strip() or url.startswith("#"):
        return None
    return url.strip()


def _result_ids(report: _Report) -> list[str]:
    if report.resource.get("resourceType") != "DiagnosticReport":
        return []
    results = report.resource.get("result")
    ids = []
    for ref in results if isinstance(results, list) else []:
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if isinstance(target, str) and _OBSERVATION_REF.search(target):
            ids.append(target.rsplit("/", 1)[1])
        elif isinstance(target, str) and target.startswith("#"):
            ids.append(target[1:])
    return ids[:MAX_RESULTS_PER_REPORT]


def _observations(documents: Sequence[Any], wanted: set[str]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    if not wanted:
        return found
    for resource in _walk(documents, frozenset({"Observation"})):
        if resource.get("id") in wanted:
            found.setdefault(resource["id"], resource)
    return found


def _contained_ids(resource: Mapping[str, Any]) -> set[str]:
    contained = resource.get("contained")
    return {
        r["id"]
        for r in (contained if isinstance(contained, list) else [])
        if isinstance(r, Mapping) and isinstance(r.get("id"), str)
    }


# --------------------------------------------------------------------------- step 1


def needs(
    documents: Sequence[Any],
    patient_id: str,
    *,
    met: Sequence[Mapping[str, Any]] | None = None,
) -> Needs:
    """What to fetch so that this patient's imaging reports can be read (module docstring).

    `met`: the DiagnosticReports and DocumentReferences of the documents, of any patient, in
    the order `_walk` finds them (the mapper's walk meets them: `Selection.report_resources`);
    without it the documents are walked here."""
    reports = _reports(documents, patient_id, met)
    binaries: dict[str, BinaryNeed] = {}
    wanted: dict[str, list[str]] = {}
    for report in reports:
        forms = _forms(report)
        for form in forms:
            url = _fetchable_url(form)
            if url is not None and url not in binaries:
                kind, _ = media_type(form.get("contentType"))
                binaries[url] = BinaryNeed(url, kind if kind in READABLE_TYPES else "")
        if not forms:
            ids = [i for i in _result_ids(report) if i not in _contained_ids(report.resource)]
            if ids:
                wanted[report.reference] = ids
    present = _observations(documents, {i for ids in wanted.values() for i in ids})
    results = tuple(
        ResultNeed(ref, tuple(i for i in ids if i not in present))
        for ref, ids in wanted.items()
        if any(i not in present for i in ids)
    )
    return Needs(tuple(binaries.values()), results, tuple(reports))


# --------------------------------------------------------------------------- step 2


def fetched_document(body: bytes, content_type: str, fallback_type: str) -> Fetched:
    """A Binary read's answer: a FHIR Binary resource (base64 `data`) or the raw bytes."""
    kind, _ = media_type(content_type)
    looks_json = kind in ("application/fhir+json", "application/json") or (
        not kind and body[:1] == b"{"
    )
    if looks_json and kind not in READABLE_TYPES:
        import orjson

        try:
            resource = orjson.loads(body)
        except orjson.JSONDecodeError:
            return Fetched(missing="the EHR sent the report document in a form that is not valid")
        if isinstance(resource, dict) and resource.get("resourceType") == "Binary":
            data = resource.get("data")
            if not isinstance(data, str) or not data.strip():
                return Fetched(missing="the report document the EHR sent is empty")
            try:
                raw = base64.b64decode(re.sub(r"\s+", "", data), validate=True)
            except (binascii.Error, ValueError):
                return Fetched(missing="the report document the EHR sent is damaged")
            return Fetched(raw, str(resource.get("contentType") or fallback_type))
        return Fetched(missing="the EHR answered with something other than the report document")
    if not kind or kind in ("application/octet-stream", "binary/octet-stream"):
        content_type = fallback_type
    return Fetched(body, content_type)


def resolve(
    documents: Sequence[Mapping[str, Any]],
    patient_id: str,
    binaries: Mapping[str, Fetched],
    observations: Sequence[Mapping[str, Any]] = (),
    result_failures: Mapping[str, str] = {},  # read only
    *,
    unfetched: str | None = None,
    stop: Stop = no_stop,
    found: Needs | None = None,
) -> Resolved:
    """The documents with the reports' text in place, and what could not be read (module
    docstring). `unfetched`: why nothing was fetched at all (no FHIR server, offline ...);
    `found`: what `needs` answered for the same documents (its reports are reused)."""
    reports = list(found.reports) if found is not None else _reports(documents, patient_id)
    wanted = {i for r in reports for i in _result_ids(r)}
    pool = _observations(documents, wanted)
    for observation in observations:
        if isinstance(observation, Mapping) and observation.get("id") in wanted:
            pool.setdefault(observation["id"], observation)
    copies: list[Mapping[str, Any]] = []
    missing: list[str] = []
    for report in reports:
        copy, texts, why = _resolve_report(report, binaries, unfetched, stop)
        ids = _result_ids(report)
        if ids:
            inside = _contained_ids(report.resource)
            extra = [pool[i] for i in ids if i in pool and i not in inside]
            if extra:
                copy = {**copy, "contained": [*_list(copy.get("contained")), *extra]}
                texts += sum(1 for o in extra if isinstance(o.get("valueString"), str))
            failure = result_failures.get(report.reference)
            if failure is not None and why is None:
                why = failure
        if copy is not report.resource:
            original = report.resource
            if isinstance(original.get("id"), str) and original["id"].strip():
                copies.append(copy)  # read first: the first copy of a resource wins
            elif isinstance(original, dict):
                # No id, so no way to tell the copy from the original downstream: the text
                # is put in place in this call's own data instead.
                original.update(copy)
        if why is not None and texts == 0:
            missing.append(
                f"the text of the {report.title} report of {report.date[:10] or 'unknown date'} "
                f"({report.reference}) could not be read: {why}"
            )
    if copies:
        return Resolved([*copies, *documents], missing, copied=True)
    return Resolved(list(documents), missing)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _resolve_report(
    report: _Report, binaries: Mapping[str, Fetched], unfetched: str | None, stop: Stop
) -> tuple[Mapping[str, Any], int, str | None]:
    """(copy with text/plain attachments, how many full texts it has, why one was not read)."""
    texts = 0
    why: str | None = None
    changed = False

    def text_form(form: Any) -> Any:
        nonlocal texts, why, changed
        if not isinstance(form, Mapping):
            return form
        kind, _ = media_type(form.get("contentType"))
        url = _fetchable_url(form)
        raw: bytes | None = None
        content_type = str(form.get("contentType") or "")
        if url is not None:
            fetched = binaries.get(url)
            if fetched is None or fetched.body is None:
                why = why or (fetched.missing if fetched else unfetched) or _NOT_FETCHED
                return form
            raw, content_type = fetched.body, fetched.content_type or content_type
        elif kind in PLAIN_TYPES | HTML_TYPES:
            texts += 1 if form.get("data") else 0
            return form
        elif isinstance(form.get("data"), str) and form["data"].strip():
            try:
                raw = base64.b64decode(re.sub(r"\s+", "", form["data"]), validate=True)
            except (binascii.Error, ValueError):
                return form  # the mapper reports the bad base64
        else:
            return form
        decoded = decode_bytes(raw, content_type, stop=stop)
        if decoded.text is None or not decoded.text.strip():
            why = why or decoded.missing or "the report document holds no text"
            if url is None:
                return form  # inline: the mapper reads it and reports the problem
            return {**form, "contentType": content_type}
        texts += 1
        changed = True
        resolved = {k: v for k, v in form.items() if k not in ("data", "size", "hash")}
        resolved["contentType"] = "text/plain; charset=utf-8"
        resolved["data"] = base64.b64encode(decoded.text.encode()).decode("ascii")
        return resolved

    resource = report.resource
    if resource.get("resourceType") == "DocumentReference":
        content = [
            {**c, "attachment": text_form(c.get("attachment"))} if isinstance(c, Mapping) else c
            for c in _list(resource.get("content"))
        ]
        copy: Mapping[str, Any] = {**resource, "content": content} if changed else resource
    else:
        forms = _list(report.view.get("presentedForm"))
        new_forms = [text_form(f) for f in forms]
        copy = {**resource, "presentedForm": new_forms} if changed else resource
    return copy, texts, why


_NOT_FETCHED = "the service could not fetch it from the EHR"
