"""One end-to-end test per rule R0-R8 through the HTTP layer.

POST /cds-services/heterogeneous-marrow with a realistic patient-view request (Patient, lab
Observations with LOINC codes and the units labs send, an MRI lumbar spine DiagnosticReport
with report text, ICD-10-CM Conditions) on an app with a temporary SQLite database; the real
mappers, logic and card renderer run. Each test asserts the card topic, indicator, order keys
and the evidence the card shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from logic.context import add_months
from tests.support import fhir_requests as f
from tests.support.app import trial_app
from tests.support.fhir_requests import DIFFUSE_BENIGN, NEGATIVE, NONSPECIFIC, hb, panel

SERVICE_URL = "/cds-services/heterogeneous-marrow"
TOPIC_SYSTEM = "urn:marrow-cds:card-topic"
ORDER_SYSTEM = "urn:marrow-cds:order"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from trial_app(tmp_path_factory.mktemp("e2e-rules"))


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def call(client: FlaskClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(SERVICE_URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    payload = response.get_json()
    assert _empty_values(payload) == []
    return payload["cards"]


def _empty_values(value: Any, path: str = "$") -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}"
            if item is None or item == "" or item == [] or item == {}:
                if child != "$.cards":
                    found.append(child)
            else:
                found.extend(_empty_values(item, child))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found.extend(_empty_values(item, f"{path}[{n}]"))
    return found


def primary(cards: list[dict[str, Any]]) -> dict[str, Any]:
    secondary = {"imaging-protocol", "data-quality"}
    main = [c for c in cards if c["source"]["topic"]["code"] not in secondary]
    assert len(main) == 1, [c["summary"] for c in cards]
    assert len(cards) - 1 <= 2
    return main[0]


def service_requests(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_key: dict[str, dict[str, Any]] = {}
    for suggestion in card.get("suggestions", []):
        assert suggestion["uuid"]
        for action in suggestion["actions"]:
            assert action["type"] == "create"
            resource = action["resource"]
            assert resource["resourceType"] == "ServiceRequest"
            assert resource["status"] == "draft"
            assert resource["subject"] == {"reference": f"Patient/{f.PATIENT_ID}"}
            (key,) = [c["code"] for c in resource["code"]["coding"] if c["system"] == ORDER_SYSTEM]
            by_key[key] = resource
    return by_key


def assert_card(card: dict[str, Any], *, rule: str, topic: str, indicator: str) -> None:
    assert card["source"]["topic"] == {
        "system": TOPIC_SYSTEM,
        "code": topic,
        "display": card["source"]["topic"]["display"],
    }
    assert card["indicator"] == indicator
    assert card["source"]["url"] == f"https://cds.example.org/rules#{rule}"
    assert card["source"]["label"].startswith("Marrow CDS rules ")
    assert len(card["summary"]) < 140
    assert card["uuid"]
    assert card["source"]["label"].endswith(f", Rule {rule}")  # CARDS.md: the rule id is here


def evidence(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's machine-readable evidence (CARDS.md `org.marrow-cds.evidence`)."""
    return card.get("extension", {}).get("org.marrow-cds.evidence", [])


def assert_evidence_row(card: dict[str, Any], reference: str, *cells: str) -> None:
    """The reference is in the card's evidence extension, its item's row (value, unit, date)
    in the clinician's detail."""
    items = [i for i in evidence(card) if i.get("reference") == reference]
    assert items, f"no evidence item for {reference}"
    names = {i["code"] for i in items}
    rows = [
        line
        for line in card["detail"].splitlines()
        if line.startswith("|") and any(f"| {name} |" in line for name in names)
    ]
    assert rows, f"no evidence row for {reference} ({names})"
    assert any(
        all(f"| {cell} |" in row or f"| {cell} (" in row for cell in cells) for row in rows
    ), rows


def lab_date(days_ago: float = 12) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).date().isoformat()


def around(months: int) -> tuple[date, date]:
    today = datetime.now(UTC).date()
    return today + timedelta(days=30 * months - 5), today + timedelta(days=31 * months + 5)


# ------------------------------------------------------------------------------ R0


def test_r0_negative_mri_gives_no_card(client):
    body = f.patient_view(labs=panel(), reports=[f.mri_report(*NEGATIVE)])
    assert call(client, body) == []


def test_r0_patient_already_under_haematology_care_gives_no_card(client):
    myeloma = f.condition("cond-mm", "C90.00", "Multiple myeloma not having achieved remission")
    body = f.patient_view(
        labs=panel(hb=hb(9.0)), reports=[f.mri_report(*NONSPECIFIC)], conditions=[myeloma]
    )
    assert call(client, body) == []


# ------------------------------------------------------------------------------ R1


def test_r1_palliative_care_and_anaemia_asks_for_goals_of_care(client):
    palliative = f.condition("cond-pall", "Z51.5", "Encounter for palliative care")
    body = f.patient_view(
        labs=panel(hb=hb(11.0)),
        reports=[f.mri_report(*NONSPECIFIC)],
        conditions=[f.HYPERTENSION, palliative],
    )
    card = primary(call(client, body))
    assert_card(card, rule="R1", topic="goals-of-care", indicator="warning")
    assert set(service_requests(card)) == {"hematology-referral"}
    assert "goals of care" in card["summary"]
    assert "haemoglobin 11" in card["summary"]
    assert_evidence_row(card, "Observation/hb", "11.0", "g/dL", lab_date())
    assert "palliative care" in card["detail"]


# ------------------------------------------------------------------------------ R2


def test_r2_hypercalcaemia_and_severe_anaemia_is_an_urgent_work_up(client):
    calcium = f.lab(
        "ca",
        "17861-6",
        "Calcium [Mass/volume] in Serum or Plasma",
        12.1,
        "mg/dL",
        low=8.6,
        high=10.3,
    )
    body = f.patient_view(labs=panel(hb=hb(9.2), ca=calcium), reports=[f.mri_report(*NONSPECIFIC)])
    card = primary(call(client, body))
    assert_card(card, rule="R2", topic="myeloma-defining-event", indicator="critical")
    assert card["summary"].startswith("Urgent haematology referral")
    assert "calcium 12.1 mg/dL" in card["summary"]
    assert "haemoglobin 9.2 g/dL" in card["summary"]
    orders = service_requests(card)
    assert {"hematology-referral", "bone-marrow-biopsy", "whole-body-imaging"} <= set(orders)
    assert orders["hematology-referral"]["priority"] == "urgent"
    assert orders["bone-marrow-biopsy"]["priority"] in ("urgent", "stat")
    assert (
        orders["bone-marrow-biopsy"]["reasonReference"][0]["reference"] == "DiagnosticReport/mri-1"
    )
    detail = card["detail"]
    assert {"U-C", "U-A"} <= {f for i in evidence(card) for f in i.get("flags", [])}
    assert "calcium high enough to define a myeloma event" in detail
    # calcium converted to mmol/L, shown with what the lab sent
    assert_evidence_row(card, "Observation/ca", "mmol/L", lab_date())
    assert "as sent: 12.1 mg/dL" in detail
    assert_evidence_row(card, "Observation/hb", "9.2", "g/dL", lab_date())
    assert "> Mildly heterogeneous marrow signal" in detail
    assert card["selectionBehavior"] == "any"
    assert [s.get("isRecommended") for s in card["suggestions"]].count(True) == 1
    assert {c["code"] for c in card["overrideReasons"]} >= {"already-done", "patient-declined"}


# ------------------------------------------------------------------------------ R3


def test_r3_history_of_breast_cancer_asks_for_staging(client):
    history = f.condition(
        "cond-bc", "Z85.3", "Personal history of malignant neoplasm of breast", status="resolved"
    )
    body = f.patient_view(
        labs=panel(), reports=[f.mri_report(*NONSPECIFIC)], conditions=[f.HYPERTENSION, history]
    )
    card = primary(call(client, body))
    assert_card(card, rule="R3", topic="cancer-history-staging", indicator="warning")
    assert "Cancer history" in card["summary"]
    assert "history of cancer" in card["detail"]
    assert any(
        i.get("reference") == "Condition/cond-bc" and "H-CANCER" in i.get("flags", [])
        for i in evidence(card)
    )
    orders = service_requests(card)
    assert {"oncology-referral", "whole-body-imaging"} <= set(orders)
    assert "occurrencePeriod" not in orders["whole-body-imaging"]  # staging now, not scheduled


# ------------------------------------------------------------------------------ R4


def test_r4_unexplained_anaemia_asks_for_referral_and_biopsy(client):
    body = f.patient_view(labs=panel(hb=hb(11.1)), reports=[f.mri_report(*NONSPECIFIC)])
    card = primary(call(client, body))
    assert_card(card, rule="R4", topic="marrow-biopsy-indicated", indicator="warning")
    assert card["summary"] == ("Haematology referral and bone marrow biopsy: haemoglobin 11.1 g/dL")
    orders = service_requests(card)
    assert {"hematology-referral", "bone-marrow-biopsy", "flow-cytometry"} <= set(orders)
    assert orders["bone-marrow-biopsy"]["priority"] == "routine"
    codes = {(c["system"], c["code"]) for c in orders["bone-marrow-biopsy"]["code"]["coding"]}
    assert ("http://www.ama-assn.org/go/cpt", "38222") in codes
    assert_evidence_row(card, "Observation/hb", "11.1", "g/dL", lab_date())
    assert "unexplained anaemia" in card["detail"]


# ------------------------------------------------------------------------------ R5


def test_r5_no_labs_asks_for_the_first_line_panel(client):
    body = f.patient_view(labs=[], reports=[f.mri_report(*NONSPECIFIC)])
    card = primary(call(client, body))
    assert_card(card, rule="R5", topic="initial-lab-workup", indicator="warning")
    assert "first-line blood tests" in card["summary"]
    orders = service_requests(card)
    assert {"cbc-diff", "cmp", "spep-ife", "serum-flc"} <= set(orders)
    assert "> Mildly heterogeneous marrow signal" in card["detail"]
    assert_evidence_row(card, "DiagnosticReport/mri-1", "nonspecific heterogeneity")


# ------------------------------------------------------------------------------ R6


def test_r6_slightly_abnormal_light_chain_ratio_asks_for_an_econsult(client):
    kappa = f.lab(
        "kappa",
        "36916-5",
        "Kappa light chains.free [Mass/volume] in Serum",
        31.0,
        "mg/L",
        low=3.3,
        high=19.4,
    )
    body = f.patient_view(labs=panel(kappa=kappa), reports=[f.mri_report(*NONSPECIFIC)])
    card = primary(call(client, body))
    assert_card(card, rule="R6", topic="hematology-econsult", indicator="info")
    assert "free light chain" in card["summary"]
    assert "free light chain" in card["detail"]
    assert any(
        i.get("reference") == "Observation/kappa" and "I-FLC" in i.get("flags", [])
        for i in evidence(card)
    )
    assert "upep-ife-24h" in service_requests(card)


# ------------------------------------------------------------------------------ R7


def test_r7_diffuse_benign_looking_marrow_with_normal_labs_defers_biopsy(client):
    body = f.patient_view(labs=panel(), reports=[f.mri_report(*DIFFUSE_BENIGN)])
    card = primary(call(client, body))
    assert_card(card, rule="R7", topic="surveillance", indicator="info")
    assert "no biopsy now" in card["summary"]
    orders = service_requests(card)
    assert "bone-marrow-biopsy" not in orders
    mri = orders["mri-followup"]
    # counted from the MRI (9 days ago), never from today (follow-up status)
    mri_day = date.fromisoformat(lab_date(9))
    assert date.fromisoformat(mri["occurrencePeriod"]["start"]) == add_months(mri_day, 3)
    assert date.fromisoformat(mri["occurrencePeriod"]["end"]) == add_months(mri_day, 6)
    assert {("http://loinc.org", "24967-2")} <= {
        (c["system"], c["code"]) for c in mri["code"]["coding"]
    }
    detail = card["detail"]
    assert "**Checked and normal**" in detail
    assert_evidence_row(card, "Observation/plt", "245", lab_date())
    assert "> Diffusely heterogeneous marrow signal throughout" in detail


# ------------------------------------------------------------------------------ R8


def test_r8_nonspecific_marrow_with_normal_labs_is_followed_with_mri(client):
    body = f.patient_view(labs=panel(), reports=[f.mri_report(*NONSPECIFIC)])
    card = primary(call(client, body))
    assert_card(card, rule="R8", topic="surveillance", indicator="info")
    assert "repeat MRI in 3-6 months" in card["summary"]
    orders = service_requests(card)
    mri = orders["mri-followup"]
    # counted from the MRI (9 days ago), never from today (follow-up status)
    mri_day = date.fromisoformat(lab_date(9))
    assert date.fromisoformat(mri["occurrencePeriod"]["start"]) == add_months(mri_day, 3)
    assert date.fromisoformat(mri["occurrencePeriod"]["end"]) == add_months(mri_day, 6)
    assert mri["reasonReference"][0]["reference"] == "DiagnosticReport/mri-1"
    detail = card["detail"]
    assert "**Checked and normal**" in detail
    assert_evidence_row(card, "Observation/hb", "13.4", "g/dL", lab_date())
    assert "> Mildly heterogeneous marrow signal" in detail


# ------------------------------------------------------------------------------ data quality


def test_value_in_an_unknown_unit_is_reported_not_assumed(client):
    odd = f.lab("hb", "718-7", "Hemoglobin [Mass/volume] in Blood", 11.0, "gm/dl?")
    body = f.patient_view(labs=panel(hb=odd), reports=[f.mri_report(*NONSPECIFIC)])
    cards = call(client, body)
    main = primary(cards)
    assert main["source"]["topic"]["code"] != "surveillance"  # a missing Hb never clears
    quality = [c for c in cards if c["source"]["topic"]["code"] == "data-quality"]
    assert len(quality) == 1
    assert quality[0]["indicator"] == "info"
    assert "Observation/hb" in {i.get("reference") for i in evidence(quality[0])}
