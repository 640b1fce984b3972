"""The `marrow-order-select` and `marrow-order-sign` services (CARDS.md): draft orders -> cards.

The pipeline, one way: `context.draftOrders` -> `fhir_mappers.draft_orders.map_draft_orders`;
when a draft in scope is of a kind a check can concern, the patient record exactly as
patient-view gets it (`prefetch.gather` -> `fhir_mappers.map_patient_record`) ->
`logic.order_review.review_orders` -> cards with topic `order-review`.

- order-select: `context.selections` (references such as "ServiceRequest/abc") limits the review
  to the orders just chosen; the other drafts are context. order-sign reviews every draft.
- A Bundle of only unrelated orders: `cards: []`, and no patient data is fetched at all.
- Suggestions on drafts (CDS Hooks 2.0, Action): a contrast-only MRI is changed with an `update`
  action carrying the whole draft ServiceRequest (same id, status and intent, the reason and
  every other element as drafted) with the code of the without-and-with exam: the spec defines
  `update` for changing a resource in the current context and the order keeps the clinician's
  details. What the service guarantees is the suggestion (a valid `update` of the drafted
  resource, per CDS Hooks 2.0); whether a client applies it is the client's: the CDS Hooks
  sandbox's PAMA screen does not (it expects its own rating extension), so there the clinician
  changes the order by hand as the card says. A draft sent without an id cannot be updated: a
  `create` of the replacement is offered instead.
  Removal is a `delete` action with `resourceId` "ServiceRequest/<id>".
- Lab results that could not be fetched: the lab checks are not run and one `data-quality`
  card says so (the service cannot tell a missing result from one it could not fetch).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from cds_hooks.cards.assessment_cards import IssuedCard, issued_details, issued_rule_ids
from cds_hooks.cards.detail import (
    clinical_words,
    data_quality_detail,
    data_quality_summary,
    evidence_extension,
    evidence_table,
    published_sources,
    shorten,
)
from cds_hooks.cards.document import Block, Document, Paragraph, markdown
from cds_hooks.cards.parts import card_source, catalogue_link, new_uuid, override_reasons
from cds_hooks.cards.suggested_orders import create_action
from cds_hooks.errors import BadRequest, PayloadTooLarge
from cds_hooks.schemas import Action, Card, Suggestion
from cds_hooks.services.registry import HookCall, HookResult, Service
from fhir_mappers.draft_orders import map_draft_orders
from logic.model import DataDomain, DataGap, Evidence, ImagingReport, PatientRecord
from logic.order_catalogue import ORDER_KEY_SYSTEM
from logic.order_model import OrderCheck, OrderFinding, Replacement

SELECT_SERVICE_ID = "marrow-order-select"
SIGN_SERVICE_ID = "marrow-order-sign"
TOPIC = "order-review"
ANCHOR = "order-review"  # the rule catalogue's section on order review
#: Bounded work (issue 16, README "Limits"): a draft-order Bundle holds the orders of one signing
#: (a handful; an order set a few dozen). Mapping costs about 1 ms per entry, so this keeps it well
#: inside the call's deadline; a larger Bundle is a 413.
MAX_DRAFT_ORDER_ENTRIES = 500

# ------------------------------------------------------------------------------ request


def draft_orders_of(context: Mapping[str, Any]) -> Mapping[str, Any]:
    """`context.draftOrders`: required, a FHIR Bundle (400 otherwise)."""
    bundle = context.get("draftOrders")
    if bundle is None:
        raise BadRequest("context.draftOrders is required", expression="context.draftOrders")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BadRequest(
            "context.draftOrders must be a FHIR Bundle", expression="context.draftOrders"
        )
    if not isinstance(bundle.get("entry", []), list):
        raise BadRequest(
            "context.draftOrders.entry must be a list", expression="context.draftOrders.entry"
        )
    if len(bundle.get("entry", [])) > MAX_DRAFT_ORDER_ENTRIES:  # bounded work (issue 16)
        raise PayloadTooLarge(
            f"context.draftOrders has more than {MAX_DRAFT_ORDER_ENTRIES} entries",
            expression="context.draftOrders.entry",
        )
    return bundle


def selections_of(context: Mapping[str, Any]) -> tuple[str, ...]:
    """`context.selections` of order-select: required, a list of references (400 otherwise)."""
    selections = context.get("selections")
    if not isinstance(selections, list) or not all(
        isinstance(s, str) and s.strip() for s in selections
    ):
        raise BadRequest(
            "context.selections must be a list of references such as 'ServiceRequest/abc'",
            expression="context.selections",
        )
    return tuple(s.strip() for s in selections)


# ------------------------------------------------------------------------------ handler


def _patient_record(call: HookCall, patient_id: str) -> PatientRecord:
    """The same data as patient-view: its prefetch semantics, fallback fetch and mapper."""
    from cds_hooks.ehr.prefetch import gather
    from cds_hooks.services.patient_view import read_patient_record

    return read_patient_record(call, gather(call), patient_id)


def handle_order_review(call: HookCall) -> HookResult:
    from logic.order_review import lab_checks_not_done, needs_patient_record, review_orders

    bundle = draft_orders_of(call.context)
    selected = selections_of(call.context) if call.service.hook == "order-select" else None
    mapped = map_draft_orders(bundle, stop=call.stop)
    call.checkpoint("reviewing the draft orders")  # the call's deadline (deadline.py)
    drafts = mapped.orders
    if not needs_patient_record(drafts, selected):
        return HookResult(cards=[])
    patient_id = str(call.context["patientId"])
    record = _patient_record(call, patient_id)
    call.checkpoint("reviewing the orders")
    findings = review_orders(record, drafts, call.as_of, selected=selected)
    resources = mapped.resources
    issued = [
        issue_finding(
            finding,
            resources=resources,
            patient_id=patient_id,
            index_report=record.index_report,
            rules_url=call.rules_url,
        )
        for finding in findings
    ]
    if lab_checks_not_done(record, drafts, call.as_of, selected=selected):
        labs_gaps = [gap for gap in record.gaps if gap.domain is DataDomain.LABS]
        issued.append(_labs_not_checked(labs_gaps, rules_url=call.rules_url))
    return HookResult(
        cards=[item.card for item in issued],
        rule_ids=issued_rule_ids(issued),  # card uuid -> check id, recorded with the card
        gaps=record.gaps,
        details=issued_details(issued),
    )


# ------------------------------------------------------------------------------ cards


def render_finding(
    finding: OrderFinding,
    *,
    resources: Mapping[str, Mapping[str, Any]],
    patient_id: str,
    index_report: ImagingReport | None,
    rules_url: str,
) -> Card:
    """One card per finding: topic order-review, suggestions per CARDS.md."""
    return issue_finding(
        finding,
        resources=resources,
        patient_id=patient_id,
        index_report=index_report,
        rules_url=rules_url,
    ).card


def issue_finding(
    finding: OrderFinding,
    *,
    resources: Mapping[str, Mapping[str, Any]],
    patient_id: str,
    index_report: ImagingReport | None,
    rules_url: str,
) -> IssuedCard:
    """The card of one finding, issued under its check id, with its detail as typed blocks."""
    suggestions = _suggestions(
        finding, resources=resources, patient_id=patient_id, index_report=index_report
    )
    source = card_source(TOPIC, rules_url=rules_url, anchor=finding.check.value)
    detail = _detail(finding, resources)
    card = Card(
        uuid=new_uuid(),
        summary=shorten(clinical_words(finding.summary)),
        detail=markdown(detail),
        indicator=finding.indicator,
        source=source,
        suggestions=suggestions or None,
        selectionBehavior=_selection_behavior(finding) if suggestions else None,
        overrideReasons=override_reasons(),
        links=[catalogue_link(rules_url)],
        # CARDS.md: the FHIR references of the evidence and of the drafts reviewed
        extension=evidence_extension(
            [(item, ()) for item in finding.evidence]
            + [
                (Evidence(label="draft order reviewed", reference=ref), ())
                for ref in finding.drafts
                if ref
            ]
        ),
    )
    return IssuedCard(card, finding.check.value, detail)


def _selection_behavior(finding: OrderFinding) -> Literal["at-most-one", "any"]:
    # The skeletal-survey card offers alternatives (replace it, or add to it): at most one.
    return "at-most-one" if finding.check is OrderCheck.SKELETAL_SURVEY_ALONE else "any"


def _detail(finding: OrderFinding, resources: Mapping[str, Mapping[str, Any]]) -> Document:
    sections: list[Block] = [Paragraph(clinical_words(finding.detail))]
    table = evidence_table([(item, ()) for item in finding.evidence])
    if table:
        sections.append(table)
    # CARDS.md (2026-12-07): clinical words only; the draft's FHIR reference only when it has
    # no text; no link inside `detail` (the catalogue is in `links`)
    drafts = tuple(_draft_text(ref, resources) for ref in finding.drafts if ref)
    if drafts:
        sections.append(Paragraph(drafts, lead="Draft orders reviewed:"))
    published = published_sources(finding.citation) if finding.citation else ""
    if published:
        sections.append(Paragraph(published, lead="Source:"))
    return tuple(sections)


def _suggestions(
    finding: OrderFinding,
    *,
    resources: Mapping[str, Mapping[str, Any]],
    patient_id: str,
    index_report: ImagingReport | None,
) -> list[Suggestion]:
    creates = [
        create_action(order, patient_id=patient_id, index_report=index_report)
        for order in finding.add
    ]
    deletes = [_delete_action(ref, resources) for ref in finding.remove]
    suggestions: list[Suggestion] = []
    if finding.check is OrderCheck.SKELETAL_SURVEY_ALONE:
        if deletes:
            suggestions.append(
                Suggestion(
                    label=finding.suggestion_label,
                    uuid=new_uuid(),
                    isRecommended=True,
                    actions=[*deletes, *creates],
                )
            )
        suggestions.append(
            Suggestion(
                label="Add whole-body imaging, keep the skeletal survey",
                uuid=new_uuid(),
                isRecommended=None if deletes else True,
                actions=creates,
            )
        )
        return suggestions
    if finding.check is OrderCheck.DUPLICATE_CURRENT_LAB:
        return [
            Suggestion(
                label=f"Remove the repeat order: {_draft_text(ref, resources)}",
                uuid=new_uuid(),
                actions=[action],
            )
            for ref, action in zip(finding.remove, deletes, strict=True)
        ]
    actions = [*creates]
    actions.extend(
        _replace_action(r, resources=resources, patient_id=patient_id) for r in finding.replace
    )
    actions.extend(deletes)
    if actions:
        suggestions.append(
            Suggestion(
                label=finding.suggestion_label or "Apply",
                uuid=new_uuid(),
                isRecommended=True,
                actions=actions,
            )
        )
    return suggestions


def _draft_text(reference: str, resources: Mapping[str, Mapping[str, Any]]) -> str:
    code = resources.get(reference, {}).get("code")
    text = ""
    if isinstance(code, dict):
        raw_text = code.get("text")
        text = raw_text if isinstance(raw_text, str) else ""
        codings = code.get("coding")
        if not text and isinstance(codings, list):
            text = next(
                (
                    c["display"]
                    for c in codings
                    if isinstance(c, dict) and isinstance(c.get("display"), str)
                ),
                "",
            )
    return shorten(text or reference, 80)


def _delete_action(reference: str, resources: Mapping[str, Mapping[str, Any]]) -> Action:
    return Action(
        type="delete",
        description=f"Remove the draft order {_draft_text(reference, resources)}",
        resourceId=reference,
    )


def _replacement_code(replacement: Replacement) -> dict[str, Any]:
    coding = [
        {
            "system": code.system,
            "code": code.code,
            **({"display": code.display} if code.display else {}),
        }
        for code in replacement.codes
    ]
    coding.append(
        {"system": ORDER_KEY_SYSTEM, "code": replacement.order_key, "display": replacement.text}
    )
    return {"coding": coding, "text": replacement.text}


def _replace_action(
    replacement: Replacement,
    *,
    resources: Mapping[str, Mapping[str, Any]],
    patient_id: str,
) -> Action:
    """`update` of the draft with the replacement exam; `create` when the draft has no id."""
    original = resources.get(replacement.draft)
    if original is None:
        resource: dict[str, Any] = {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "proposal",
            "code": _replacement_code(replacement),
            "subject": {"reference": f"Patient/{patient_id}"},
        }
        return Action(
            type="create",
            description=f"Order {replacement.text}",
            resource=resource,
        )
    updated = copy.deepcopy(dict(original))
    updated["code"] = _replacement_code(replacement)
    return Action(
        type="update",
        description=(
            f"Change the draft order {_draft_text(replacement.draft, resources)} "
            f"to {replacement.text}"
        ),
        resource=updated,
    )


def _labs_not_checked_card(gaps: Sequence[DataGap], *, rules_url: str) -> Card:
    return _labs_not_checked(gaps, rules_url=rules_url).card


def _labs_not_checked(gaps: Sequence[DataGap], *, rules_url: str) -> IssuedCard:
    detail = data_quality_detail((), gaps, decided=False)
    card = Card(
        uuid=new_uuid(),
        summary=shorten(
            "Order review could not check the blood tests: "
            + data_quality_summary((), gaps).split(": ", 1)[-1]
        ),
        detail=markdown(detail),
        indicator="info",
        source=card_source("data-quality", rules_url=rules_url, anchor="data-quality"),
    )
    return IssuedCard(card, "data-quality", detail)


# ------------------------------------------------------------------------------ services


def _services() -> tuple[Service, ...]:
    from cds_hooks.services.patient_view import PATIENT_VIEW

    common = {
        "handler": handle_order_review,
        "prefetch": PATIENT_VIEW.prefetch,  # the same patient data as patient-view
        "required_context": ("userId", "patientId"),
        "usage_requirements": PATIENT_VIEW.usage_requirements,
    }
    return (
        Service(
            id=SELECT_SERVICE_ID,
            hook="order-select",
            title="Marrow work-up order review (order-select)",
            description=(
                "Reviews the work-up orders just selected for a patient with a marrow question: "
                "marrow biopsy before the first-line blood tests, contrast-only MRI of the spine "
                "or pelvis (no pre-contrast sequences), skeletal survey alone, repeat blood "
                "tests that already have a current result, and a follow-up MRI already ordered "
                "and not yet done."
            ),
            **common,  # type: ignore[arg-type]
        ),
        Service(
            id=SIGN_SERVICE_ID,
            hook="order-sign",
            title="Marrow work-up order review (order-sign)",
            description=(
                "Last check of all draft work-up orders before signing: marrow biopsy before the "
                "first-line blood tests, contrast-only MRI of the spine or pelvis, skeletal "
                "survey alone, repeat blood tests that already have a current result, and a "
                "follow-up MRI already ordered and not yet done."
            ),
            **common,  # type: ignore[arg-type]
        ),
    )


SERVICES: tuple[Service, ...] = _services()

__all__ = [
    "SELECT_SERVICE_ID",
    "SERVICES",
    "SIGN_SERVICE_ID",
    "draft_orders_of",
    "handle_order_review",
    "render_finding",
    "selections_of",
]
