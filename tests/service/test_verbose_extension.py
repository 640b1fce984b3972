"""Verbose output on request (SPEC.md section 2): silent by default, an info card when asked."""

from __future__ import annotations

import copy
from typing import Any

from flask.testing import FlaskClient

from cds_hooks.services.patient_view import VERBOSE_EXTENSION
from tests.support.service import post_hook

MYELOMA = {
    "resourceType": "Condition",
    "id": "cond-myeloma",
    "clinicalStatus": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active",
            }
        ]
    },
    "verificationStatus": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "confirmed",
            }
        ]
    },
    "code": {
        "coding": [
            {
                "system": "http://hl7.org/fhir/sid/icd-10-cm",
                "code": "C90.00",
                "display": "Multiple myeloma not having achieved remission",
            }
        ]
    },
    "subject": {"reference": "Patient/example-marrow-1"},
}


def _under_haematology(example_request: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(example_request)
    conditions = body["prefetch"]["conditions"]
    conditions["entry"].append({"resource": MYELOMA})
    return body


def test_known_myeloma_is_silent_by_default(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    response = post_hook(client, _under_haematology(example_request))
    assert response.status_code == 200
    assert response.get_json()["cards"] == []


def test_known_myeloma_says_why_when_verbose_output_is_asked_for(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    body = _under_haematology(example_request)
    body["extension"] = {VERBOSE_EXTENSION: True, "com.example.other": {"kept": "tolerated"}}
    response = post_hook(client, body)
    assert response.status_code == 200
    (card,) = response.get_json()["cards"]
    assert card["indicator"] == "info"
    assert "specialist care" in card["summary"]
    assert "#R0" in card["source"]["url"]


def test_verbose_must_be_exactly_true(client: FlaskClient, example_request: dict[str, Any]) -> None:
    body = _under_haematology(example_request)
    body["extension"] = {VERBOSE_EXTENSION: "yes"}
    assert post_hook(client, body).get_json()["cards"] == []
