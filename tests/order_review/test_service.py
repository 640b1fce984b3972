"""marrow-order-select / marrow-order-sign through the HTTP layer (Flask test client, SQLite).

Draft orders are ServiceRequests as EHRs send them (status draft, intent order / proposal / plan);
the patient data comes as prefetch, exactly as for patient-view.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from tests.support.app import build_app

from .builders import CPT, LOINC, bundle, service_request
from .fhir_data import PATIENT_ID, first_line_panel, prefetch, uscore

SELECT = "/cds-services/marrow-order-select"
SIGN = "/cds-services/marrow-order-sign"
FHIR = "https://fhir.example.org/r4"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    with build_app(tmp_path, FHIR_ALLOWLIST=FHIR).test_client() as test_client:
        yield test_client


def hook_request(
    hook: str,
    drafts: dict[str, Any],
    *,
    selections: list[str] | None = None,
    pre: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "userId": "Practitioner/dr-1",
        "patientId": PATIENT_ID,
        "draftOrders": drafts,
    }
    if selections is not None:
        context["selections"] = selections
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if pre is not None:
        body["prefetch"] = pre
    body.update(extra)
    return body


def post(client: FlaskClient, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json=body)


def cards_of(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    cards: list[dict[str, Any]] = response.get_json()["cards"]
    return cards


def assert_card_hygiene(card: dict[str, Any]) -> None:
    """CARDS.md / CDS-HOOKS.md: uuid, summary < 140, topic, selectionBehavior, override reasons."""
    uuid.UUID(card["uuid"])
    assert 0 < len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    source = card["source"]
    assert source["label"].startswith("Marrow CDS")
    assert source["url"].startswith("http")
    assert source["topic"]["system"] == "urn:marrow-cds:card-topic"
    if card.get("suggestions"):
        assert card["selectionBehavior"] in ("any", "at-most-one")
        for suggestion in card["suggestions"]:
            uuid.UUID(suggestion["uuid"])
            assert suggestion["actions"]
        assert card["overrideReasons"]
        assert all(r["display"] for r in card["overrideReasons"])


def order_key(resource: dict[str, Any]) -> str | None:
    for coding in resource["code"]["coding"]:
        if coding.get("system") == "urn:marrow-cds:order":
            key: str = coding["code"]
            return key
    return None


BIOPSY = service_request(
    "bx-1",
    (CPT, "38222", "Bone marrow biopsy and aspiration"),
    text="Bone marrow aspiration and biopsy, posterior iliac crest",
)
MRI_WITH = service_request(
    "mri-1",
    (CPT, "72149", "MRI lumbar spine with contrast"),
    text="MRI L-spine w/ contrast",
    reasons=[{"text": "Heterogeneous marrow signal on prior MRI"}],
    priority="routine",
)
SURVEY = service_request(
    "ss-1", (CPT, "77075", "Skeletal survey, complete"), text="Skeletal survey"
)
FLC = service_request("flc-1", (CPT, "83521", None), text="Free light chains, serum")


# ------------------------------------------------------------------------------ each check


def test_biopsy_before_first_line_labs(client: FlaskClient) -> None:
    body = hook_request("order-sign", bundle(BIOPSY), pre=prefetch(labs=[]))
    (card,) = cards_of(post(client, SIGN, body))
    assert_card_hygiene(card)
    assert card["indicator"] == "warning"
    assert card["source"]["topic"]["code"] == "order-review"
    (suggestion,) = card["suggestions"]
    assert suggestion["isRecommended"] is True
    creates = [a["resource"] for a in suggestion["actions"] if a["type"] == "create"]
    assert [order_key(r) for r in creates] == [
        *["cbc-diff", "cmp", "spep-ife", "serum-flc"],
        *["b2m", "ldh", "quant-ig"],  # ordered with the panel (SPEC.md section 5)
    ]
    for resource in creates:
        assert resource["resourceType"] == "ServiceRequest"
        assert resource["status"] == "draft"
        assert resource["subject"] == {"reference": f"Patient/{PATIENT_ID}"}


def test_biopsy_with_a_current_first_line_panel_is_fine(client: FlaskClient) -> None:
    body = hook_request("order-sign", bundle(BIOPSY), pre=prefetch(labs=first_line_panel(20)))
    assert cards_of(post(client, SIGN, body)) == []


def test_biopsy_with_stale_labs_suggests_only_what_is_stale(client: FlaskClient) -> None:
    labs = [r for r in first_line_panel(20) if r["id"] not in ("kappa", "lambda")]
    labs += [r for r in first_line_panel(120) if r["id"] in ("kappa", "lambda")]
    body = hook_request("order-sign", bundle(BIOPSY), pre=prefetch(labs=labs))
    (card,) = cards_of(post(client, SIGN, body))
    creates = [a["resource"] for a in card["suggestions"][0]["actions"]]
    assert [order_key(r) for r in creates] == ["serum-flc"]
    assert "Free light chain kappa" in card["detail"]  # the stale result is shown
    assert "Observation/kappa" in [
        i.get("reference") for i in card["extension"]["org.marrow-cds.evidence"]
    ]


def test_contrast_only_mri_is_updated_to_without_and_with(client: FlaskClient) -> None:
    body = hook_request(
        "order-select", bundle(MRI_WITH), selections=["ServiceRequest/mri-1"], pre=prefetch()
    )
    (card,) = cards_of(post(client, SELECT, body))
    assert_card_hygiene(card)
    assert card["indicator"] == "warning"
    assert "pre-contrast" in card["summary"]
    (suggestion,) = card["suggestions"]
    (action,) = suggestion["actions"]
    assert action["type"] == "update"
    updated = action["resource"]
    # the whole draft, as drafted, with the without-and-with exam
    assert updated["id"] == "mri-1"
    assert updated["status"] == "draft"
    assert updated["intent"] == "order"
    assert updated["reasonCode"] == MRI_WITH["reasonCode"]
    assert updated["requester"] == MRI_WITH["requester"]
    codes = [(c["system"], c["code"]) for c in updated["code"]["coding"]]
    assert codes[0] == (CPT, "72158")  # drafted in CPT: CPT first
    assert (LOINC, "24967-2") in codes
    assert order_key(updated) == "mri-followup"


def test_cds_hooks_sandbox_pama_screen(client: FlaskClient) -> None:
    """The sandbox's PAMA screen: CPT-coded draft, intent plan, `reasonCode: []`."""
    study = {"system": CPT, "code": "72196", "display": "MRI pelvis with contrast"}
    drafts = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "ServiceRequest",
                    "id": "example-request-id",
                    "status": "draft",
                    "intent": "plan",
                    "code": {"coding": [study], "text": study["display"]},
                    "subject": {"reference": f"Patient/{PATIENT_ID}"},
                    "reasonCode": [],
                }
            }
        ],
    }
    body = hook_request(
        "order-select", drafts, selections=["ServiceRequest/example-request-id"], pre=prefetch()
    )
    (card,) = cards_of(post(client, SELECT, body))
    action = card["suggestions"][0]["actions"][0]
    assert action["type"] == "update"
    # the sandbox applies the first coding of an updated draft as its study
    assert action["resource"]["code"]["coding"][0]["code"] == "72197"
    assert action["resource"]["code"]["coding"][0]["display"]


def test_skeletal_survey_alone(client: FlaskClient) -> None:
    body = hook_request("order-sign", bundle(SURVEY), pre=prefetch())
    (card,) = cards_of(post(client, SIGN, body))
    assert_card_hygiene(card)
    assert card["indicator"] == "info"
    assert card["selectionBehavior"] == "at-most-one"
    replace, add = card["suggestions"]
    assert replace["isRecommended"] is True
    assert [a["type"] for a in replace["actions"]] == ["delete", "create"]
    assert replace["actions"][0]["resourceId"] == "ServiceRequest/ss-1"
    assert order_key(replace["actions"][1]["resource"]) == "whole-body-imaging"
    assert [a["type"] for a in add["actions"]] == ["create"]


def test_skeletal_survey_next_to_whole_body_ct_is_fine(client: FlaskClient) -> None:
    ct = service_request("wb-1", (LOINC, "46305-9", "CT whole body"), text="Whole-body low-dose CT")
    body = hook_request(
        "order-select", bundle(SURVEY, ct), selections=["ServiceRequest/ss-1"], pre=prefetch()
    )
    assert cards_of(post(client, SELECT, body)) == []


def test_duplicate_of_a_current_lab(client: FlaskClient) -> None:
    body = hook_request("order-sign", bundle(FLC), pre=prefetch(labs=first_line_panel(12)))
    (card,) = cards_of(post(client, SIGN, body))
    assert_card_hygiene(card)
    assert card["indicator"] == "info"
    drawn = (datetime.now(UTC) - timedelta(days=12)).date().isoformat()
    assert drawn in card["summary"]
    assert "14.2" in card["detail"]
    assert "Observation/kappa" in [
        i.get("reference") for i in card["extension"]["org.marrow-cds.evidence"]
    ]
    (suggestion,) = card["suggestions"]
    (action,) = suggestion["actions"]
    assert action == {
        "type": "delete",
        "description": action["description"],
        "resourceId": "ServiceRequest/flc-1",
    }


def test_feedback_on_an_order_review_card_is_stored(client: FlaskClient) -> None:
    body = hook_request("order-sign", bundle(MRI_WITH), pre=prefetch())
    (card,) = cards_of(post(client, SIGN, body))
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-11-23T09:40:00Z",
            }
        ]
    }
    response = client.post(f"{SIGN}/feedback", json=feedback)
    assert response.status_code == 200
    assert response.get_json()["stored"] == 1


# ------------------------------------------------------------------------------ scope


def test_selections_limit_the_review(client: FlaskClient) -> None:
    drafts = bundle(BIOPSY, MRI_WITH, SURVEY)
    select = hook_request(
        "order-select", drafts, selections=["ServiceRequest/mri-1"], pre=prefetch(labs=[])
    )
    (card,) = cards_of(post(client, SELECT, select))
    assert card["suggestions"][0]["actions"][0]["type"] == "update"
    sign = hook_request("order-sign", drafts, pre=prefetch(labs=[]))
    summaries = [c["summary"] for c in cards_of(post(client, SIGN, sign))]
    assert len(summaries) == 3


def test_nothing_is_said_twice(client: FlaskClient) -> None:
    second_survey = service_request("ss-2", (CPT, "77074", None), text="Bone survey, limited")
    drafts = bundle(MRI_WITH, copy.deepcopy(MRI_WITH), SURVEY, second_survey, FLC, FLC)
    body = hook_request("order-sign", drafts, pre=prefetch(labs=first_line_panel(5)))
    cards = cards_of(post(client, SIGN, body))
    topics = sorted(c["source"]["url"].rsplit("#", 1)[1] for c in cards)
    assert topics == ["contrast-only-mri", "duplicate-current-lab", "skeletal-survey-alone"]
    survey = next(c for c in cards if c["indicator"] == "info" and "survey" in c["summary"])
    deleted = [
        a["resourceId"] for a in survey["suggestions"][0]["actions"] if a["type"] == "delete"
    ]
    assert deleted == ["ServiceRequest/ss-1", "ServiceRequest/ss-2"]
    uuids = [c["uuid"] for c in cards] + [s["uuid"] for c in cards for s in c["suggestions"]]
    assert len(uuids) == len(set(uuids))


def test_only_unrelated_orders_no_card_and_no_fetch(client: FlaskClient) -> None:
    """US Core example orders (chest X-ray, basic metabolic panel): nothing to review. No
    prefetch and no fhirServer: any attempt to get patient data would answer 412."""
    xray, bmp = uscore("servicerequest-chest-xray.json"), uscore("servicerequest-bmp.json")
    for resource in (xray, bmp):
        resource["status"] = "draft"
    medication = {"resourceType": "MedicationRequest", "id": "m1", "status": "draft"}
    for url, hook in ((SIGN, "order-sign"), (SELECT, "order-select")):
        body = hook_request(
            hook,
            bundle(xray, bmp, medication),
            selections=["ServiceRequest/chest-xray"] if hook == "order-select" else None,
        )
        response = post(client, url, body)
        assert response.status_code == 200
        assert response.get_json() == {"cards": []}


def test_reviewable_drafts_without_any_data_is_412(client: FlaskClient) -> None:
    response = post(client, SIGN, hook_request("order-sign", bundle(BIOPSY)))
    assert response.status_code == 412
    assert response.get_json()["resourceType"] == "OperationOutcome"


@responses.activate
def test_labs_that_cannot_be_fetched_are_not_called_missing(client: FlaskClient) -> None:
    responses.add(responses.GET, f"{FHIR}/Observation", status=503)
    pre = prefetch()
    del pre["labs"]  # not fulfilled: fetched from fhirServer, which fails
    body = hook_request(
        "order-sign",
        bundle(BIOPSY),
        pre=pre,
        fhirServer=FHIR,
        fhirAuthorization={
            "access_token": "secret-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/Observation.read",
            "subject": "marrow-cds",
        },
    )
    (card,) = cards_of(post(client, SIGN, body))
    assert card["source"]["topic"]["code"] == "data-quality"
    assert "blood tests" in card["summary"]
    assert responses.calls
    assert responses.calls[0].request.headers["Authorization"] == ("Bearer secret-token")


@responses.activate
def test_labs_not_fetched_do_not_matter_for_an_mri_draft(client: FlaskClient) -> None:
    responses.add(responses.GET, f"{FHIR}/Observation", status=503)
    pre = prefetch()
    del pre["labs"]
    body = hook_request("order-sign", bundle(MRI_WITH), pre=pre, fhirServer=FHIR)
    (card,) = cards_of(post(client, SIGN, body))
    assert card["source"]["topic"]["code"] == "order-review"


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("url", "hook", "context_change", "expression"),
    [
        (SIGN, "order-sign", {"draftOrders": None}, "context.draftOrders"),
        (SIGN, "order-sign", {"draftOrders": [BIOPSY]}, "context.draftOrders"),
        (
            SIGN,
            "order-sign",
            {"draftOrders": {"resourceType": "Bundle", "entry": {}}},
            "context.draftOrders.entry",
        ),
        (SELECT, "order-select", {"selections": None}, "context.selections"),
        (SELECT, "order-select", {"selections": "ServiceRequest/bx-1"}, "context.selections"),
        (SELECT, "order-select", {"selections": [1]}, "context.selections"),
    ],
    ids=[
        "no-draft-orders",
        "draft-orders-list",
        "entry-not-list",
        "no-selections",
        "selections-string",
        "selections-not-strings",
    ],
)
def test_bad_context_is_400(
    client: FlaskClient, url: str, hook: str, context_change: dict[str, Any], expression: str
) -> None:
    body = hook_request(hook, bundle(BIOPSY), selections=["ServiceRequest/bx-1"], pre=prefetch())
    for key, value in context_change.items():
        if value is None:
            body["context"].pop(key, None)
        else:
            body["context"][key] = value
    response = post(client, url, body)
    assert response.status_code == 400
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == [expression]


def test_wrong_hook_for_the_service_is_400(client: FlaskClient) -> None:
    body = hook_request("order-sign", bundle(BIOPSY), pre=prefetch())
    assert post(client, SELECT, body).status_code == 400


def test_discovery_lists_both_services_with_the_patient_view_prefetch(client: FlaskClient) -> None:
    services = {s["id"]: s for s in client.get("/cds-services").get_json()["services"]}
    patient_view = services["heterogeneous-marrow"]
    assert services["marrow-order-select"]["hook"] == "order-select"
    assert services["marrow-order-sign"]["hook"] == "order-sign"
    for sid in ("marrow-order-select", "marrow-order-sign"):
        assert services[sid]["prefetch"] == patient_view["prefetch"]
