"""The whole patient-view pipeline through HTTP (real mapper, rules and cards)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
import responses
from flask.testing import FlaskClient

from tests.support.service import (
    FHIR,
    PATIENT_ID,
    empty_values,
    post_hook,
    request_without_prefetch,
)


def topics(response: Any) -> list[str]:
    return [card["source"]["topic"]["code"] for card in response.get_json()["cards"]]


def data_quality_detail(response: Any) -> str:
    [card] = [
        c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "data-quality"
    ]
    return str(card["detail"])


def test_example_request_gives_the_biopsy_card(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    response = post_hook(client, example_request)
    assert response.status_code == 200
    cards = response.get_json()["cards"]
    assert cards[0]["indicator"] == "warning"
    assert cards[0]["source"]["topic"]["code"] == "marrow-biopsy-indicated"
    assert "DiagnosticReport/mri-ls-1" in {
        i.get("reference") for i in cards[0]["extension"]["org.marrow-cds.evidence"]
    }


def test_response_hygiene(client: FlaskClient, example_request: dict[str, Any]) -> None:
    body = post_hook(client, example_request).get_json()
    assert empty_values(body) == []
    for card in body["cards"]:
        assert card["uuid"]
        assert len(card["summary"]) < 140
        if "suggestions" in card:
            assert card["selectionBehavior"] in ("at-most-one", "any")
            assert all(s["uuid"] for s in card["suggestions"])
    uuids = [c["uuid"] for c in body["cards"]] + [
        s["uuid"] for c in body["cards"] for s in c.get("suggestions", [])
    ]
    assert len(set(uuids)) == len(uuids)


def test_no_card_answers_an_empty_card_list(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    example_request["prefetch"]["imaging"] = None
    response = post_hook(client, example_request)
    assert response.status_code == 200
    assert response.get_json() == {"cards": []}


@pytest.mark.parametrize(
    ("mock_kwargs", "reason"),
    [
        # issue 10: clinical words on the card; the raw transport reason is in the log
        ({"body": requests.exceptions.ReadTimeout()}, "did not answer in time"),
        ({"status": 401}, "the EHR did not let the service read them"),
        ({"status": 500}, "answered with an error"),
    ],
    ids=["timeout", "401", "500"],
)
def test_lab_fetch_failure_gives_a_data_quality_card(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mock_kwargs: dict[str, Any],
    reason: str,
) -> None:
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    fhir.get(f"{FHIR}/Observation", **mock_kwargs)
    response = post_hook(client, body)
    assert response.status_code == 200
    assert "data-quality" in topics(response)
    assert reason in data_quality_detail(response)
    primary = response.get_json()["cards"][0]
    # No recommendation built on the missing labs: no haemoglobin evidence on the primary card.
    assert "Observation/hb-1" not in primary.get("detail", "")


def test_imaging_fetch_failure_gives_a_data_quality_card(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "imaging"}
    fhir.get(f"{FHIR}/DiagnosticReport", status=401)
    response = post_hook(client, body)
    assert response.status_code == 200
    assert "the EHR did not let the service read them" in data_quality_detail(response)
    assert "401" not in data_quality_detail(response)


def test_full_fallback_fetch_gives_the_same_cards_as_prefetch(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    prefetch = example_request["prefetch"]
    fhir.get(f"{FHIR}/Patient/{PATIENT_ID}", json=prefetch["patient"])
    fhir.get(f"{FHIR}/Observation", json=prefetch["labs"])
    fhir.get(f"{FHIR}/DiagnosticReport", json=prefetch["imaging"])
    fhir.get(f"{FHIR}/Condition", json=prefetch["conditions"])
    fhir.get(f"{FHIR}/ServiceRequest", json=prefetch["serviceRequests"])
    fhir.get(f"{FHIR}/DocumentReference", json=prefetch["imagingDocuments"])
    fetched = post_hook(client, request_without_prefetch(example_request)).get_json()
    sent = post_hook(client, copy.deepcopy(example_request)).get_json()

    def shape(body: dict[str, Any]) -> list[tuple[str, str]]:
        return [(c["indicator"], c["summary"]) for c in body["cards"]]

    assert shape(fetched) == shape(sent)
    from cds_hooks.services.patient_view import PATIENT_VIEW

    assert len(fhir.calls) == len(PATIENT_VIEW.prefetch)  # one query per template
