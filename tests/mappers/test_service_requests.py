"""ServiceRequests already in the chart -> PlacedOrder (fhir_mappers.service_requests, issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fhir_mappers.service_requests import (
    follow_up_mri_codes,
    read_placed_orders,
    with_placed_orders,
)
from logic.model import Contrast, PatientFacts, PatientRecord, Region

CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
KEY = "urn:marrow-cds:order"
PID = "p-12"


def service_request(
    sid: str,
    codings: list[dict[str, str]],
    *,
    status: str = "active",
    authored: str | None = "2026-05-02T10:15:00+02:00",
    subject: str = f"Patient/{PID}",
    text: str | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": sid,
        "status": status,
        "intent": "order",
        "code": {"coding": codings},
        "subject": {"reference": subject},
    }
    if text:
        resource["code"]["text"] = text
    if authored is not None:
        resource["authoredOn"] = authored
    return resource


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": f"https://ehr.example.org/fhir/ServiceRequest/{r['id']}", "resource": r}
            for r in resources
        ],
    }


def test_cpt_lumbar_mri_is_a_follow_up_mri_order() -> None:
    sr = service_request(
        "sr-1", [{"system": CPT, "code": "72158", "display": "MRI lumbar spine w/o & w contrast"}]
    )
    (order,), problems = read_placed_orders([searchset(sr)], PID)
    assert problems == ()
    assert order.reference == "ServiceRequest/sr-1"
    assert order.status == "active"
    assert order.follow_up_mri
    assert order.region is Region.LUMBAR_SPINE
    assert order.site == "lumbar"
    assert order.contrast is Contrast.WITHOUT_AND_WITH
    assert order.authored == datetime(2026, 5, 2, 8, 15, tzinfo=UTC)
    assert order.recognised_by == "CPT 72158"


def test_our_order_key_takes_the_site_from_its_other_codings() -> None:
    sr = service_request(
        "sr-2",
        [
            {"system": KEY, "code": "mri-followup", "display": "MRI pelvis"},
            {"system": LOINC, "code": "30674-6", "display": "MR Pelvis WO and W contrast"},
        ],
    )
    (order,), _ = read_placed_orders([sr], PID)
    assert order.follow_up_mri
    assert order.region is Region.PELVIS
    assert order.site == "pelvis"


def test_order_key_alone_is_a_follow_up_mri_of_unstated_site() -> None:
    sr = service_request("sr-3", [{"system": KEY, "code": "mri-followup"}])
    (order,), _ = read_placed_orders([sr], f"Patient/{PID}")
    assert order.follow_up_mri
    assert order.region is None
    assert order.site is None


def test_local_code_named_in_text_is_recognised() -> None:
    sr = service_request(
        "sr-4",
        [{"system": "urn:oid:1.2.3.4", "code": "RAD123"}],
        text="MRI sacrum without and with contrast",
    )
    (order,), _ = read_placed_orders([sr], PID)
    assert order.follow_up_mri
    assert order.region is Region.SACRUM


def test_a_lab_order_is_kept_but_is_not_a_follow_up_mri() -> None:
    sr = service_request("sr-5", [{"system": LOINC, "code": "48378-4"}], text="Serum FLC")
    (order,), _ = read_placed_orders([sr], PID)
    assert not order.follow_up_mri
    assert order.region is None


def test_brain_mri_and_unrelated_orders_are_not_kept() -> None:
    brain = service_request("sr-6", [{"system": CPT, "code": "70553", "display": "MRI brain"}])
    chest = service_request("sr-7", [{"system": CPT, "code": "71046", "display": "XR chest"}])
    assert read_placed_orders([searchset(brain, chest)], PID) == ((), ())


def test_other_patients_orders_are_ignored_and_duplicates_read_once() -> None:
    mine = service_request("sr-8", [{"system": CPT, "code": "72148"}])
    theirs = service_request("sr-9", [{"system": CPT, "code": "72148"}], subject="Patient/other")
    absolute = service_request(
        "sr-10", [{"system": CPT, "code": "72197"}], subject=f"https://ehr/fhir/Patient/{PID}"
    )
    orders, _ = read_placed_orders([searchset(mine, theirs, absolute), searchset(mine)], PID)
    assert [o.reference for o in orders] == ["ServiceRequest/sr-8", "ServiceRequest/sr-10"]


def test_missing_or_zoneless_authored_date_is_reported() -> None:
    no_date = service_request("sr-11", [{"system": CPT, "code": "72158"}], authored=None)
    zoneless = service_request(
        "sr-12", [{"system": CPT, "code": "72158"}], authored="2026-05-02T10:15:00"
    )
    orders, problems = read_placed_orders([no_date, zoneless], PID)
    assert orders[0].authored is None
    assert orders[1].authored == datetime(2026, 5, 2, 10, 15, tzinfo=UTC)
    messages = {p.reference: p.message for p in problems}
    assert "cannot be counted as placed after the index MRI" in messages["ServiceRequest/sr-11"]
    assert "UTC assumed" in messages["ServiceRequest/sr-12"]


def test_odd_input_never_raises() -> None:
    junk: list[Any] = [
        None,
        "text",
        {"resourceType": "Bundle", "entry": "nope"},
        {"resourceType": "Bundle", "entry": [1, {"resource": None}]},
        {"resourceType": "ServiceRequest"},
        {"resourceType": "ServiceRequest", "id": "x", "subject": {"reference": 7}},
        {"resourceType": "ServiceRequest", "id": "y", "subject": {"reference": f"Patient/{PID}"}},
    ]
    assert read_placed_orders(junk, PID) == ((), ())
    assert read_placed_orders("not a list", PID) == ((), ())  # type: ignore[arg-type]


def test_with_placed_orders_adds_orders_and_problems_to_the_record() -> None:
    record = PatientRecord(patient=PatientFacts(reference=f"Patient/{PID}"))
    sr = service_request("sr-13", [{"system": CPT, "code": "72158"}], authored=None)
    updated = with_placed_orders(record, [sr], PID)
    assert [o.reference for o in updated.orders] == ["ServiceRequest/sr-13"]
    assert updated.problems
    assert updated.problems[0].reference == "ServiceRequest/sr-13"
    assert with_placed_orders(record, [], PID) is record


def test_query_codes_are_the_recognised_ones() -> None:
    codes = follow_up_mri_codes()
    assert codes[0] == f"{KEY}|mri-followup"
    assert {"24967-2", "36391-1", "30674-6", "72158", "72197"} <= set(codes)
    assert all("|" not in c for c in codes[1:])  # any system: CPT comes under several URIs
