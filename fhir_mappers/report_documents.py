"""Imaging reports that arrive as DocumentReference, read like DiagnosticReports (issue 17).

US Core's clinical notes guidance exposes report text through DiagnosticReport *and*
DocumentReference; some EHRs keep an imaging report only as a DocumentReference (type LOINC
18748-4 "Diagnostic imaging study" or the exam's own code, category clinical-note) whose
`content[].attachment` holds the text inline or by `url` to a Binary.

`report_views(resources)` gives every DiagnosticReport as sent and every DocumentReference as a
DiagnosticReport-shaped *view*, so that imaging.py applies the same rules to both:

- status: `docStatus` when `status` is current (final, amended, preliminary, entered-in-error);
  a current document without `docStatus` is the released document (final); `status` superseded
  or entered-in-error is not usable;
- category, code: `category`, `type` (recognised by the same SPEC.md section 6 rules);
- effectivePeriod: `context.period` (when the exam was done); issued: `date` (when it was filed);
- identifier: `masterIdentifier` and `identifier`; presentedForm: `content[].attachment`.

A report present as both counts once: a DocumentReference is dropped when it points to the same
Binary as a DiagnosticReport, shares an identifier with one, or names it in `context.related`.
If that DiagnosticReport carries no presentedForm of its own, it is read with the
DocumentReference's attachments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# DocumentReference.status current + docStatus -> the DiagnosticReport status it stands for.
_DOC_STATUS = {
    "final": "final",
    "amended": "amended",
    "corrected": "corrected",  # not an R4 docStatus, but seen; same meaning as for reports
    "appended": "appended",
    "preliminary": "preliminary",
    "entered-in-error": "entered-in-error",
}


def document_status(document: Mapping[str, Any]) -> str:
    status = document.get("status")
    if status != "current":
        return status if isinstance(status, str) else ""
    doc_status = document.get("docStatus")
    if doc_status is None:
        return "final"
    return _DOC_STATUS.get(doc_status, doc_status) if isinstance(doc_status, str) else ""


def document_view(document: Mapping[str, Any]) -> dict[str, Any]:
    """A DocumentReference as the DiagnosticReport fields imaging.py reads."""
    view: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "status": document_status(document),
    }
    for name in ("id", "subject", "category", "contained"):
        if name in document:
            view[name] = document[name]
    if "type" in document:
        view["code"] = document["type"]
    context = document.get("context")
    period = context.get("period") if isinstance(context, Mapping) else None
    if isinstance(period, Mapping):
        view["effectivePeriod"] = period
    if document.get("date") is not None:
        view["issued"] = document["date"]
    identifiers = _list(document.get("identifier"))
    if isinstance(document.get("masterIdentifier"), Mapping):
        identifiers = [document["masterIdentifier"], *identifiers]
    if identifiers:
        view["identifier"] = identifiers
    forms = [c.get("attachment") for c in _list(document.get("content")) if isinstance(c, Mapping)]
    view["presentedForm"] = [f for f in forms if f is not None]
    return view


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def binary_key(url: Any) -> str | None:
    """ "Binary/123" for any URL of a Binary (relative, absolute, /_history/n); None otherwise."""
    if not isinstance(url, str) or "Binary/" not in url:
        return None
    tail = url.split("Binary/", 1)[1].split("/_history", 1)[0].split("?", 1)[0].strip("/")
    return f"Binary/{tail}" if tail else None


def _identifier_keys(resource: Mapping[str, Any]) -> set[str]:
    keys = set()
    identifiers = _list(resource.get("identifier"))
    if isinstance(resource.get("masterIdentifier"), Mapping):
        identifiers.append(resource["masterIdentifier"])
    for identifier in identifiers:
        if isinstance(identifier, Mapping) and isinstance(identifier.get("value"), str):
            keys.add(f"id:{identifier.get('system') or ''}|{identifier['value']}")
    return keys


def _binary_keys(forms: Sequence[Any]) -> set[str]:
    keys = set()
    for form in forms:
        key = binary_key(form.get("url")) if isinstance(form, Mapping) else None
        if key is not None:
            keys.add(key)
    return keys


def _related_reports(document: Mapping[str, Any]) -> set[str]:
    context = document.get("context")
    related = _list(context.get("related")) if isinstance(context, Mapping) else []
    found = set()
    for item in related:
        ref = item.get("reference") if isinstance(item, Mapping) else None
        if isinstance(ref, str) and "DiagnosticReport/" in ref:
            rid = ref.split("DiagnosticReport/", 1)[1].split("/", 1)[0]
            found.add(f"DiagnosticReport/{rid}")
    return found


def reference_of(resource: Mapping[str, Any], n: int) -> str:
    rtype = resource.get("resourceType")
    rid = resource.get("id")
    if isinstance(rid, str) and rid.strip():
        return f"{rtype}/{rid.strip()}"
    return f"{rtype}/#{n}"  # no id: position in the input, for the problem list


def report_views(resources: Sequence[Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(reference, DiagnosticReport-shaped resource) for every report, each report once.

    DiagnosticReports are returned as sent (or, when a DocumentReference of the same report
    brings the attachments they lack, with those attachments as presentedForm); a
    DocumentReference that duplicates a DiagnosticReport is left out."""
    reports: list[tuple[str, Mapping[str, Any]]] = []
    documents: list[tuple[str, Mapping[str, Any]]] = []
    for n, resource in enumerate(resources):
        if not isinstance(resource, Mapping):
            continue
        rtype = resource.get("resourceType")
        if rtype == "DiagnosticReport":
            reports.append((reference_of(resource, n), resource))
        elif rtype == "DocumentReference":
            documents.append((reference_of(resource, n), resource))
    if not documents:
        return reports
    owner: dict[str, int] = {}  # Binary / identifier / reference key -> index in `reports`
    for i, (reference, report) in enumerate(reports):
        owner.setdefault(reference, i)
        for key in _binary_keys(_list(report.get("presentedForm"))) | _identifier_keys(report):
            owner.setdefault(key, i)
    merged: dict[int, list[Any]] = {}
    views: list[tuple[str, Mapping[str, Any]]] = []
    for reference, document in documents:
        view = document_view(document)
        forms = view["presentedForm"]
        keys = _binary_keys(forms) | _identifier_keys(document) | _related_reports(document)
        same = sorted(owner[k] for k in keys if k in owner)
        if same:
            merged.setdefault(same[0], []).extend(forms)
            continue
        views.append((reference, view))
    for i, forms in merged.items():
        reference, report = reports[i]
        if forms and not _list(report.get("presentedForm")):
            reports[i] = (reference, {**report, "presentedForm": forms})
    return reports + views
