"""Bad input is refused with a clear 4xx and an OperationOutcome, never a 500.

Oversized, deeply nested, wrongly typed and non-UTF-8 bodies on the service and feedback
endpoints; and, for contrast, a good call whose answer matches the OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest

from cds_hooks.openapi import openapi_document
from tests.support.app import jwt_app
from tests.support.hooks import FEEDBACK_PATH, SERVICE_PATH, feedback, patient_view

MAX_BODY = 64 * 1024
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def http(tmp_path, monkeypatch):
    app = jwt_app(tmp_path, monkeypatch, REQUIRE_JWT="0", MAX_BODY_BYTES=str(MAX_BODY))
    return app.test_client()


def assert_outcome(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data()[:300]
    assert response.mimetype == "application/json"
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"
    assert outcome["issue"][0]["diagnostics"]
    return outcome


PLACEHOLDER = "NESTED-HERE"


def nested_json(body: dict[str, Any], depth: int) -> str:
    """`body` as JSON text with every PLACEHOLDER string replaced by an object `depth` deep
    (built as text: json.dumps itself would hit Python's recursion limit)."""
    deep = '{"a":' * depth + '"x"' + "}" * depth
    return json.dumps(body).replace(f'"{PLACEHOLDER}"', deep)


# ------------------------------------------------------------------------------ size


@pytest.mark.parametrize("path", [SERVICE_PATH, FEEDBACK_PATH])
def test_body_over_the_limit_is_413(http, path):
    body = json.dumps({"padding": "x" * (MAX_BODY + 1)})
    assert_outcome(http.post(path, data=body, headers=JSON), 413)


# ------------------------------------------------------------------------------ nesting


def test_nesting_beyond_the_parser_limit_is_400(http):
    body = "[" * 5000 + "]" * 5000
    assert_outcome(http.post(SERVICE_PATH, data=body, headers=JSON), 400)


@pytest.mark.parametrize("depth", [200, 1000])
def test_deeply_nested_prefetch_resource_is_not_a_500(http, depth):
    """Parsable but absurd: a Patient 1,000 objects deep; answered, or refused with a 4xx."""
    body = patient_view()
    body["prefetch"]["patient"]["extension"] = [PLACEHOLDER]
    body["prefetch"]["labs"]["entry"].append({"resource": PLACEHOLDER})
    response = http.post(SERVICE_PATH, data=nested_json(body, depth), headers=JSON)
    assert response.status_code < 500, response.get_data()[:300]


def test_deeply_nested_feedback_is_400(http):
    report = feedback()
    report["feedback"][0]["overrideReason"]["reason"] = PLACEHOLDER
    response = http.post(FEEDBACK_PATH, data=nested_json(report, 1000), headers=JSON)
    assert_outcome(response, 400)


# ------------------------------------------------------------------------------ types


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target = body
    *parents, last = path.split(".")
    for name in parents:
        target = target[name]
    target[last] = value
    return body


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("hook", 42),
        ("hookInstance", None),
        ("context", ["userId", "patientId"]),
        ("context.patientId", {"reference": "Patient/1"}),
        ("context.patientId", "../../etc/passwd"),
        ("prefetch", ["patient"]),
        ("fhirServer", 7),
        ("fhirAuthorization", "Bearer abc"),
        ("extension", "not-an-object"),
    ],
)
def test_wrongly_typed_hook_request_is_400(http, member, value):
    outcome = assert_outcome(
        http.post(SERVICE_PATH, json=_with(patient_view(), member, value)), 400
    )
    assert "Patient/1" not in json.dumps(outcome)  # input values are not echoed back


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("feedback", {"card": "x"}),
        ("feedback", []),
        ("feedback.0.outcome", 1),
        ("feedback.0.outcome", "ignored"),
        ("feedback.0.card", None),
        ("feedback.0.outcomeTimestamp", "yesterday"),
        ("feedback.0.outcomeTimestamp", "2026-11-23T10:00:00"),  # no offset
        ("feedback.0.overrideReason", "because"),
    ],
)
def test_wrongly_typed_feedback_is_400(http, member, value):
    report = feedback()
    if member.startswith("feedback.0."):
        report["feedback"][0][member.removeprefix("feedback.0.")] = value
    else:
        report[member] = value
    assert_outcome(http.post(FEEDBACK_PATH, json=report), 400)


@pytest.mark.parametrize(
    "body", ["[]", '"text"', "42", "null", ""], ids=["array", "string", "number", "null", "empty"]
)
def test_a_body_that_is_not_an_object_is_400(http, body):
    assert_outcome(http.post(SERVICE_PATH, data=body, headers=JSON), 400)


# ------------------------------------------------------------------------------ encoding


@pytest.mark.parametrize(
    "raw",
    [
        b'{"hook": "patient-view", "hookInstance": "caf\xe9", "context": {}}',  # Latin-1
        json.dumps({"hook": "patient-view"}).encode("utf-16"),
        b'{"hook": "patient-view", "hookInstance": "\\ud800", "context": {}}',  # lone surrogate
        b'{"hook": "patient-view", "hookInstance": NaN, "context": {}}',
        b"\xff\xfe\x00\x00garbage",
    ],
    ids=["latin-1", "utf-16", "lone-surrogate", "nan", "binary"],
)
@pytest.mark.parametrize("path", [SERVICE_PATH, FEEDBACK_PATH])
def test_non_utf8_or_non_json_bytes_are_400(http, path, raw):
    assert_outcome(http.post(path, data=raw, headers=JSON), 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_media_type_is_415(http, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.post(SERVICE_PATH, data=json.dumps(patient_view()), headers=headers)
    assert_outcome(response, 415)


# ------------------------------------------------------------------------------ good input


def _schema(name: str) -> jsonschema_rs.Draft202012Validator:
    document = openapi_document()
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(root)


def test_a_good_call_answers_cards_that_match_the_document(http):
    response = http.post(SERVICE_PATH, json=patient_view())
    assert response.status_code == 200
    body = response.get_json()
    assert body["cards"]
    _schema("HookResponse").validate(body)


def test_error_bodies_match_the_document(http):
    response = http.post(SERVICE_PATH, data="{", headers=JSON)
    _schema("OperationOutcome").validate(assert_outcome(response, 400))
