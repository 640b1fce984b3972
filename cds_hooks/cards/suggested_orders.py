"""Suggested orders as FHIR R4 ServiceRequest JSON and CDS Hooks `create` actions (CARDS.md).

Each ServiceRequest is a draft proposal for the patient: status `draft`, intent `proposal`, the
`urn:marrow-cds:order` key (SPEC.md section 7) plus the standard codings of the order catalogue,
`occurrencePeriod` for scheduled follow-up, `priority`, `reasonReference` to the index MRI
report and the order's note. Optional elements are left out rather than sent empty.
"""

from __future__ import annotations

from typing import Any, Final

from cds_hooks.cards.detail import REGION_WORDS, clinical_words
from cds_hooks.schemas import Action
from fhir_mappers.fhir_id import is_fhir_id
from logic.model import ImagingReport, OrderSuggestion, Region
from logic.order_catalogue import ORDER_KEY_SYSTEM, codings_for, order_definition

_PRIORITY_WORDS: Final = {"routine": "routine", "urgent": "urgent", "stat": "immediately (stat)"}


def patient_reference(patient_id: str) -> str:
    """ "Patient/<id>" from a bare id or a "Patient/<id>" reference; ValueError if not a FHIR id."""
    bare = patient_id.removeprefix("Patient/")
    if not is_fhir_id(bare):
        raise ValueError("patient id is not a valid FHIR id")
    return f"Patient/{bare}"


def order_label(order: OrderSuggestion, region: Region | None = None) -> str:
    """What the order is called on a button and in ServiceRequest.code.text."""
    label = order_definition(order.key).label
    if order.key == "mri-followup" and region is not None and REGION_WORDS.get(region):
        label = f"MRI {REGION_WORDS[region]}, without and with contrast"
    return label


def service_request(
    order: OrderSuggestion, *, patient_id: str, index_report: ImagingReport | None
) -> dict[str, Any]:
    """The FHIR R4 ServiceRequest (JSON) for one suggested order."""
    region = index_report.region if index_report is not None else None
    label = order_label(order, region)
    coding: list[dict[str, str]] = [
        {"system": ORDER_KEY_SYSTEM, "code": order.key, "display": label}
    ]
    coding.extend(
        {"system": c.system, "code": c.code, "display": c.display}
        for c in codings_for(order.key, region)
    )
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "priority": order.priority,
        "code": {"coding": coding, "text": label},
        "subject": {"reference": patient_reference(patient_id)},
    }
    period: dict[str, str] = {}
    if order.start is not None:
        period["start"] = order.start.isoformat()
    if order.end is not None:
        period["end"] = order.end.isoformat()
    if period:
        resource["occurrencePeriod"] = period
    if index_report is not None and index_report.reference:
        reason: dict[str, str] = {"reference": index_report.reference}
        if index_report.title:
            reason["display"] = index_report.title
        resource["reasonReference"] = [reason]
    if order.note and order.note.strip():
        # the clinician reads the note: flag ids in words (issue 10, CARDS.md)
        resource["note"] = [{"text": clinical_words(order.note.strip())}]
    return resource


def action_description(order: OrderSuggestion, region: Region | None = None) -> str:
    """One line a clinician reads before accepting: what, how urgent, when."""
    label = order_label(order, region)
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        label = label[0].lower() + label[1:]
    text = f"Order {label}"
    if order.priority != "routine":
        text += f", {_PRIORITY_WORDS[order.priority]}"
    if order.start is not None and order.end is not None and order.end > order.start:
        text += f", between {order.start.isoformat()} and {order.end.isoformat()}"
    elif order.start is not None and order.end is not None:
        text += f", due {order.start.isoformat()}"
    elif order.start is not None:
        text += f", from {order.start.isoformat()}"
    if order.note and order.note.strip():
        text += f" ({clinical_words(order.note.strip())})"
    return text


def create_action(
    order: OrderSuggestion, *, patient_id: str, index_report: ImagingReport | None
) -> Action:
    """The CDS Hooks `create` action proposing one ServiceRequest."""
    region = index_report.region if index_report is not None else None
    return Action(
        type="create",
        description=action_description(order, region),
        resource=service_request(order, patient_id=patient_id, index_report=index_report),
    )
