"""Order review: a follow-up MRI drafted while an identical one is already ordered and not done
is a duplicate (info card, `delete` of the draft), like the duplicate-lab check (issue 12,
SPEC.md section 5 follow-up status)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_mappers.draft_orders import map_draft_order
from logic.model import Contrast, PlacedOrder, Region
from logic.order_model import DraftOrder, OrderCheck
from logic.order_review import review_orders
from tests.support.app import build_app

from .builders import AS_OF, CPT, LOINC, mri_report, panel, record, service_request
from .fhir_data import PATIENT_ID, first_line_panel, prefetch, searchset

KEY = "urn:marrow-cds:order"


def placed(
    authored: datetime | None = AS_OF - timedelta(days=5),
    status: str = "active",
    *,
    site: str | None = "lumbar",
    region: Region | None = Region.LUMBAR_SPINE,
    contrast: Contrast = Contrast.WITHOUT_AND_WITH,
    reference: str = "ServiceRequest/placed-1",
) -> PlacedOrder:
    return PlacedOrder(
        reference=reference,
        status=status,
        authored=authored,
        text="MRI lumbar spine without and with contrast",
        follow_up_mri=True,
        region=region,
        site=site,
        contrast=contrast,
        intent="order",
    )


def draft(rid: str, *codings: tuple[str, str, str | None], **kw: Any) -> DraftOrder:
    return map_draft_order(service_request(rid, *codings, **kw))


LUMBAR_WWO = draft("d-1", (CPT, "72158", "MRI lumbar spine w/o & w contrast"))
LUMBAR_WO = draft("d-2", (CPT, "72148", "MRI lumbar spine without contrast"))
PELVIS_WWO = draft("d-3", (CPT, "72197", "MRI pelvis w/o & w contrast"))
OUR_KEY = draft("d-4", (KEY, "mri-followup", "MRI lumbar spine, without and with contrast"))


def review(drafts: tuple[DraftOrder, ...], *orders: PlacedOrder) -> list[Any]:
    # index MRI 200 days old (NONSPECIFIC, lumbar), current normal labs
    rec = record(labs=panel(10), mri=mri_report(days_ago=200), orders=orders)
    return [
        f
        for f in review_orders(rec, drafts, AS_OF)
        if f.check is OrderCheck.DUPLICATE_FOLLOW_UP_MRI
    ]


def test_identical_mri_already_ordered_is_a_duplicate_with_a_delete() -> None:
    (finding,) = review((LUMBAR_WWO,), placed())
    assert finding.indicator == "info"
    assert finding.drafts == ("ServiceRequest/d-1",)
    assert finding.remove == ("ServiceRequest/d-1",)
    assert str((AS_OF - timedelta(days=5)).date()) in finding.summary
    assert len(finding.summary) < 140
    assert "ServiceRequest/placed-1" in finding.detail
    assert [e.reference for e in finding.evidence][:1] == ["ServiceRequest/placed-1"]


def test_our_order_key_matches_the_mri_of_the_index_region() -> None:
    assert review((OUR_KEY,), placed()) != []
    assert review((OUR_KEY,), placed(site=None, region=None)) != []


@pytest.mark.parametrize(
    ("drafted", "order"),
    [
        pytest.param(PELVIS_WWO, placed(), id="another-site"),
        pytest.param(LUMBAR_WO, placed(), id="another-contrast"),
        pytest.param(LUMBAR_WWO, placed(status="completed"), id="completed"),
        pytest.param(LUMBAR_WWO, placed(status="revoked"), id="revoked"),
        pytest.param(LUMBAR_WWO, placed(AS_OF - timedelta(days=300)), id="before-the-index-mri"),
        pytest.param(LUMBAR_WWO, placed(None), id="no-authored-date"),
        pytest.param(LUMBAR_WWO, placed(reference="ServiceRequest/d-1"), id="the-draft-itself"),
    ],
)
def test_not_a_duplicate(drafted: DraftOrder, order: PlacedOrder) -> None:
    assert review((drafted,), order) == []


def test_on_hold_counts() -> None:
    assert review((LUMBAR_WWO,), placed(status="on-hold")) != []


def test_a_draft_for_another_question_is_not_reviewed() -> None:
    other = draft(
        "d-5",
        (CPT, "72158", "MRI lumbar spine w/o & w contrast"),
        reasons=[{"text": "Suspected discitis"}],
    )
    assert review((other,), placed()) == []


# ------------------------------------------------------------------------------ through HTTP

SIGN = "/cds-services/marrow-order-sign"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    with build_app(tmp_path).test_client() as test_client:
        yield test_client


def stored_order(authored_days_ago: float, status: str = "active") -> dict[str, Any]:
    resource = service_request(
        "sr-followup",
        (CPT, "72158", "MRI lumbar spine w/o & w contrast"),
        text="MRI lumbar spine without and with contrast",
        status=status,
        patient=PATIENT_ID,
    )
    when = datetime.now(UTC) - timedelta(days=authored_days_ago)
    resource["authoredOn"] = when.isoformat(timespec="seconds")
    return resource


def sign(client: FlaskClient, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pre = prefetch(labs=first_line_panel(10))  # index MRI 14 days old (fhir_data.mri_report)
    pre["serviceRequests"] = searchset(orders)
    drafted = service_request(
        "mri-draft",
        (LOINC, "24967-2", "MR Lumbar spine WO and W contrast"),
        text="MRI lumbar spine without and with contrast",
        patient=PATIENT_ID,
    )
    body = {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/dr-1",
            "patientId": PATIENT_ID,
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": drafted}],
            },
        },
        "prefetch": pre,
    }
    response = client.post(SIGN, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    cards: list[dict[str, Any]] = response.get_json()["cards"]
    return cards


def test_order_sign_offers_to_delete_the_duplicate_mri(client: FlaskClient) -> None:
    (card,) = sign(client, [stored_order(3)])
    assert card["indicator"] == "info"
    assert card["source"]["topic"]["code"] == "order-review"
    assert card["source"]["url"].endswith("#duplicate-follow-up-mri")
    assert "not yet done" in card["summary"]
    assert len(card["summary"]) < 140
    assert "ServiceRequest/sr-followup" in [
        i.get("reference") for i in card["extension"]["org.marrow-cds.evidence"]
    ]
    (suggestion,) = card["suggestions"]
    assert suggestion["label"] == "Remove the duplicate MRI order"
    (action,) = suggestion["actions"]
    assert action == {
        "type": "delete",
        "description": action["description"],
        "resourceId": "ServiceRequest/mri-draft",
    }


def test_order_sign_is_silent_when_the_stored_order_is_completed(client: FlaskClient) -> None:
    assert sign(client, [stored_order(3, status="completed")]) == []


def test_order_sign_is_silent_when_the_order_predates_the_index_mri(client: FlaskClient) -> None:
    assert sign(client, [stored_order(30)]) == []  # the MRI is 14 days old
