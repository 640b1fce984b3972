"""ServiceRequests already in the chart -> `PlacedOrder`s (SPEC.md section 5, follow-up status).

    read_placed_orders(documents, patient_id) -> (orders, problems)
    with_placed_orders(record, documents, patient_id) -> PatientRecord

`documents` are what the EHR prefetched or the service fetched (single resources and Bundles,
nested up to three levels), the same list `map_patient_record` reads. Only ServiceRequests of
this patient are read (subject "Patient/<id>", an absolute URL ending in it, or
"urn:uuid:<id>"); resources are de-duplicated by id, the first copy wins. Each order is
recognised as order review recognises a draft (`fhir_mappers.draft_orders.recognise`: the
`urn:marrow-cds:order` key, the SPEC.md section 6/7 MR spine / sacrum / pelvis LOINC and CPT
codes, the code text), and kept when it is an imaging or laboratory order of the work-up.

`follow_up_mri` marks an order with key `mri-followup` or an MR spine / sacrum / pelvis code
or text. `authored` is authoredOn; a time without a zone is read as UTC (a problem says so);
a follow-up MRI order without a readable authoredOn is kept (it is never counted as placed
after the index MRI) and reported.

Pure: no Flask, no requests, no clock. Never raises on odd input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Final

from fhir_mappers.draft_orders import map_draft_order, mri_order_codes, recognise
from fhir_mappers.fhir_time import parse_datetime
from fhir_mappers.select import patient_key
from logic.model import MappingProblem, PatientRecord, PlacedOrder, Region
from logic.order_catalogue import ORDER_KEY_SYSTEM
from logic.order_model import DraftKind, MriSite

FOLLOW_UP_KEY: Final = "mri-followup"
MAX_DEPTH: Final = 3

_REGION_OF_SITE: Final[dict[MriSite, Region]] = {
    MriSite.LUMBAR: Region.LUMBAR_SPINE,
    MriSite.SACRUM: Region.SACRUM,
    MriSite.PELVIS: Region.PELVIS,
    MriSite.THORACIC: Region.SPINE,
    MriSite.CERVICAL: Region.SPINE,
    MriSite.SPINE: Region.SPINE,
}


def follow_up_mri_codes() -> tuple[str, ...]:
    """The codes a follow-up MRI order is recognised by, for a narrow ServiceRequest query:
    the order key (with its system) and the MR spine / sacrum / pelvis LOINC and CPT codes
    (without a system: EHRs send CPT under several system URIs)."""
    return (f"{ORDER_KEY_SYSTEM}|{FOLLOW_UP_KEY}", *(code for _, code in mri_order_codes()))


def _service_requests(documents: Iterable[object]) -> Iterable[Mapping[str, Any]]:
    stack: list[tuple[object, int]] = [(doc, 0) for doc in reversed(list(documents))]
    while stack:
        doc, depth = stack.pop()
        if not isinstance(doc, Mapping):
            continue
        rtype = doc.get("resourceType")
        if rtype == "ServiceRequest":
            yield doc
        elif rtype == "Bundle" and depth < MAX_DEPTH:
            entries = doc.get("entry")
            if isinstance(entries, list):
                for entry in reversed(entries):
                    if type(entry) is dict:
                        resource = entry.get("resource")
                        if type(resource) is dict and resource.get("resourceType") in (
                            "ServiceRequest",
                            "Bundle",
                        ):
                            stack.append((resource, depth + 1))


def _about_patient(resource: Mapping[str, Any], pid: str) -> bool:
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    if not isinstance(ref, str) or not pid:
        return False
    if ref == f"urn:uuid:{pid}":
        return True
    return "Patient/" in ref and patient_key(ref) == pid


def _site_and_region(
    resource: Mapping[str, Any], site: MriSite | None
) -> tuple[MriSite | None, Region | None]:
    """The MRI site; for an order recognised by our order key, from its other codings or
    text (our suggestions carry the LOINC and CPT code of the index region beside the key)."""
    if site is None:
        draft = map_draft_order(resource)
        others = tuple(c for c in draft.codes if c.system != ORDER_KEY_SYSTEM)
        text = draft.text
        concept = resource.get("code")
        if isinstance(concept, Mapping) and isinstance(concept.get("text"), str):
            text = concept["text"]
        site = recognise(others, text).site
    return site, (_REGION_OF_SITE.get(site) if site is not None else None)


def read_placed_orders(
    documents: Iterable[object],
    patient_id: str,
    *,
    service_requests: Iterable[Mapping[str, Any]] | None = None,
) -> tuple[tuple[PlacedOrder, ...], tuple[MappingProblem, ...]]:
    """The imaging and laboratory orders of this patient, and what could not be read.

    `service_requests`: every ServiceRequest of the documents in document order, as the
    mapper's walk met them (`fhir_mappers.select.Selection.service_requests`); without it the
    documents are walked here."""
    pid = patient_key(patient_id) if isinstance(patient_id, str) else ""
    if service_requests is None:
        try:
            items = list(documents) if not isinstance(documents, str | bytes | Mapping) else []
            if isinstance(documents, Mapping):
                items = [documents]
        except Exception:  # noqa: BLE001 - whatever was sent is iterated: anything may raise
            return (), (MappingProblem(None, "orders: the data is not a list of FHIR resources"),)
        service_requests = _service_requests(items)
    return _placed_orders(service_requests, pid)


def _placed_orders(
    service_requests: Iterable[Mapping[str, Any]], pid: str
) -> tuple[tuple[PlacedOrder, ...], tuple[MappingProblem, ...]]:
    orders: list[PlacedOrder] = []
    problems: list[MappingProblem] = []
    seen: set[str] = set()
    for resource in service_requests:
        if not _about_patient(resource, pid):
            continue
        try:
            order, found = _read(resource)
        except Exception as exc:  # noqa: BLE001 - never raise: the order is reported, not lost silently
            rid = resource.get("id")
            reference = f"ServiceRequest/{rid}" if isinstance(rid, str) else None
            problems.append(
                MappingProblem(reference, f"order could not be read ({type(exc).__name__})")
            )
            continue
        if order is None:
            continue
        if order.reference in seen:
            continue
        seen.add(order.reference)
        orders.append(order)
        problems.extend(found)
    return tuple(orders), tuple(problems)


def _read(resource: Mapping[str, Any]) -> tuple[PlacedOrder | None, list[MappingProblem]]:
    draft = map_draft_order(resource)
    if draft.kind is DraftKind.OTHER or not draft.reference:
        return None, []
    follow_up = draft.order_key == FOLLOW_UP_KEY or draft.kind is DraftKind.MRI_MARROW_REGION
    problems: list[MappingProblem] = []
    authored, problem = parse_datetime(resource.get("authoredOn"))
    if follow_up and authored is None:
        problems.append(
            MappingProblem(
                draft.reference,
                "follow-up MRI order without a readable authoredOn: it cannot be counted as "
                "placed after the index MRI",
            )
        )
    elif follow_up and problem is not None:
        problems.append(MappingProblem(draft.reference, f"authoredOn: {problem}"))
    site, region = (None, None)
    if follow_up:
        site, region = _site_and_region(resource, draft.site)
    return (
        PlacedOrder(
            reference=draft.reference,
            status=draft.status,
            authored=authored,
            text=draft.text,
            follow_up_mri=follow_up,
            region=region,
            site=site.value if site is not None else None,
            contrast=draft.contrast,
            intent=draft.intent,
            recognised_by=draft.recognised_by,
        ),
        problems,
    )


def with_placed_orders(
    record: PatientRecord,
    documents: Iterable[object],
    patient_id: str,
    *,
    service_requests: Iterable[Mapping[str, Any]] | None = None,
) -> PatientRecord:
    """`record` with the orders already placed (and their reading problems) added
    (`service_requests`: as `read_placed_orders`)."""
    orders, problems = read_placed_orders(documents, patient_id, service_requests=service_requests)
    if not orders and not problems:
        return record
    return replace(
        record,
        orders=orders,
        problems=tuple(dict.fromkeys((*record.problems, *problems))),
    )
