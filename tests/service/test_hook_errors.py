"""POST /cds-services/<id>: every client error is a 4xx with an OperationOutcome, never HTML."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cds_hooks.services import registry as services
from tests.support.service import SERVICE_URL, assert_operation_outcome, post_hook


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post(
        SERVICE_URL, data=b'{"hook": "patient-view",', content_type="application/json"
    )
    body = assert_operation_outcome(response, 400, "invalid")
    assert "malformed JSON" in body["issue"][0]["diagnostics"]


def test_json_that_is_not_an_object_is_400(client: FlaskClient) -> None:
    assert_operation_outcome(post_hook(client, ["patient-view"]), 400, "invalid")


def test_empty_body_is_400(client: FlaskClient) -> None:
    response = client.post(SERVICE_URL, data=b"", content_type="application/json")
    assert_operation_outcome(response, 400)


@pytest.mark.parametrize("missing", ["hook", "hookInstance", "context"])
def test_missing_required_member_is_400(
    client: FlaskClient, example_request: dict[str, Any], missing: str
) -> None:
    del example_request[missing]
    body = assert_operation_outcome(post_hook(client, example_request), 400, "invalid")
    assert missing in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("missing", ["patientId", "userId"])
def test_missing_patient_view_context_is_400(
    client: FlaskClient, example_request: dict[str, Any], missing: str
) -> None:
    del example_request["context"][missing]
    body = assert_operation_outcome(post_hook(client, example_request), 400)
    assert body["issue"][0]["expression"] == [f"context.{missing}"]


def test_patient_id_that_is_not_a_fhir_id_is_400(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    example_request["context"]["patientId"] = "../Patient/1?_format=xml"
    assert_operation_outcome(post_hook(client, example_request), 400)


def test_hook_not_matching_the_service_is_400(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    example_request["hook"] = "order-sign"
    body = assert_operation_outcome(post_hook(client, example_request), 400, "invalid")
    assert "patient-view" in body["issue"][0]["diagnostics"]


def test_unknown_service_is_404(client: FlaskClient, example_request: dict[str, Any]) -> None:
    assert_operation_outcome(
        post_hook(client, example_request, "/cds-services/nope"), 404, "not-found"
    )


def test_unknown_feedback_service_is_404(client: FlaskClient) -> None:
    response = post_hook(client, {"feedback": []}, "/cds-services/nope/feedback")
    assert_operation_outcome(response, 404, "not-found")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_media_type_is_415(
    client: FlaskClient, example_request: dict[str, Any], content_type: str | None
) -> None:
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post(SERVICE_URL, data=json.dumps(example_request), **kwargs)
    assert_operation_outcome(response, 415, "not-supported")


def test_json_with_charset_is_accepted(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    response = client.post(
        SERVICE_URL,
        data=json.dumps(example_request),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_body_over_the_limit_is_413(make_app: Any, example_request: dict[str, Any]) -> None:
    client = make_app(MAX_BODY_BYTES="2048").test_client()
    body = assert_operation_outcome(post_hook(client, example_request), 413, "too-costly")
    assert "2048" in body["issue"][0]["diagnostics"]


def test_body_over_the_limit_without_content_length_is_413(
    make_app: Any, example_request: dict[str, Any]
) -> None:
    client = make_app(MAX_BODY_BYTES="2048").test_client()
    data = json.dumps(example_request).encode()
    response = client.post(
        SERVICE_URL,
        input_stream=__import__("io").BytesIO(data),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets it
    )
    assert_operation_outcome(response, 413)


def test_unknown_extension_content_is_tolerated(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    example_request["extension"] = {"com.example.anything": {"deep": [1, {"x": None}]}}
    example_request["unknownTopLevel"] = True
    assert post_hook(client, example_request).status_code == 200


def test_non_bearer_fhir_authorization_is_400(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    example_request["fhirAuthorization"] = {
        "access_token": "x",
        "token_type": "MAC",
        "expires_in": 30,
        "scope": "s",
        "subject": "s",
    }
    body = assert_operation_outcome(post_hook(client, example_request), 400)
    assert "x" not in body["issue"][0]["diagnostics"].split(":")[-1].split()


def test_wrong_method_is_405_operation_outcome(client: FlaskClient) -> None:
    response = client.get(SERVICE_URL)
    assert_operation_outcome(response, 405)
    assert "POST" in response.headers["Allow"]


def test_unknown_path_is_404_operation_outcome(client: FlaskClient) -> None:
    assert_operation_outcome(client.get("/nothing-here"), 404)


def test_unexpected_exception_is_500_operation_outcome_without_details(
    app: Flask,
    client: FlaskClient,
    example_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(call: services.HookCall) -> services.HookResult:
        raise RuntimeError("patient Margaret Example broke it")

    service = services.get_service("heterogeneous-marrow")
    assert service is not None
    monkeypatch.setitem(
        services.registry(),
        "heterogeneous-marrow",
        services.Service(**{**service.__dict__, "handler": broken}),
    )
    response = post_hook(client, example_request)
    body = assert_operation_outcome(response, 500, "exception")
    assert "Margaret" not in json.dumps(body)


@pytest.mark.parametrize("value", [None, "", 42, ["p"]])
def test_patient_id_that_is_empty_or_not_a_string_is_400(
    client: FlaskClient, example_request: dict[str, Any], value: Any
) -> None:
    example_request["context"]["patientId"] = value
    body = assert_operation_outcome(post_hook(client, example_request), 400)
    assert body["issue"][0]["expression"] == ["context.patientId"]
