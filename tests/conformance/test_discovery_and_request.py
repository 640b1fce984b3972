"""CDS-HOOKS.md, sections "Discovery" and "Request": one test per applicable line.

Each test is named after the line it checks (CDS Hooks 2.0.1).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from flask.testing import FlaskClient

from logic.model import DataDomain
from tests.support.service import (
    FHIR,
    TOKEN,
    assert_operation_outcome,
    post_hook,
    register_fhir_data,
    request_without_prefetch,
)

SERVICE = "/cds-services/heterogeneous-marrow"
TOKEN_PATTERN = re.compile(r"\{\{([^}]*)\}\}")
USER_TOKENS = {
    "userPractitionerId",
    "userPractitionerRoleId",
    "userPatientId",
    "userRelatedPersonId",
}
# Search parameters of our templates and their kind (FHIR R4 search parameter registry).
PARAMETER_KIND = {
    "patient": "reference",
    "code": "token",
    "category": "token",
    "type": "token",  # DocumentReference.type (imaging documents, issue 17)
    "status": "token",
    "date": "date",
    "_count": "count",
    "_sort": "sort",
}


def discovered(client: FlaskClient) -> list[dict[str, Any]]:
    response = client.get("/cds-services")
    assert response.status_code == 200
    return list(response.get_json()["services"])


# ------------------------------------------------------------------------------ Discovery


def test_get_cds_services_returns_200_with_services_each_with_hook_description_id_title(
    client: FlaskClient,
) -> None:
    services = discovered(client)
    assert services
    for service in services:
        assert {"hook", "description", "id", "title"} <= set(service)
        assert set(service) <= {
            "hook",
            "description",
            "id",
            "title",
            "prefetch",
            "usageRequirements",
        }
        assert all(isinstance(service[k], str) and service[k] for k in service if k != "prefetch")
        assert all(isinstance(v, str) for v in service.get("prefetch", {}).values())
    assert {s["id"] for s in services} >= {"heterogeneous-marrow"}


def test_service_endpoint_is_base_cds_services_id_and_feedback_is_id_feedback(
    client: FlaskClient,
) -> None:
    for service in discovered(client):
        # An empty JSON object reaches the service (400: no hook), not a 404 or 405.
        assert_operation_outcome(post_hook(client, {}, f"/cds-services/{service['id']}"), 400)
        feedback = post_hook(client, {"feedback": []}, f"/cds-services/{service['id']}/feedback")
        assert_operation_outcome(feedback, 400)


def test_prefetch_tokens_are_top_level_primitive_context_fields_or_user_ids(
    client: FlaskClient,
) -> None:
    primitive_context = {
        "patient-view": {"userId", "patientId", "encounterId"},
        "order-select": {"userId", "patientId", "encounterId"},
        "order-sign": {"userId", "patientId", "encounterId"},
    }
    for service in discovered(client):
        for template in service.get("prefetch", {}).values():
            for token in TOKEN_PATTERN.findall(template):
                token = token.strip()
                if token.startswith("context."):
                    assert token.removeprefix("context.") in primitive_context[service["hook"]]
                else:
                    assert token in USER_TOKENS


def test_prefetch_templates_use_only_instance_reads_token_searches_dates_count_and_sort(
    client: FlaskClient,
) -> None:
    for service in discovered(client):
        for template in service.get("prefetch", {}).values():
            path, _, query = template.partition("?")
            segments = path.split("/")
            if not query:  # instance read: Type/{{id}}
                assert len(segments) == 2
                assert segments[0][0].isupper()
                continue
            assert len(segments) == 1
            assert segments[0][0].isupper()
            for name, value in parse_qsl(query, keep_blank_values=True):
                base, _, modifier = name.partition(":")
                assert base in PARAMETER_KIND, name
                assert modifier in ("", "in"), name
                if PARAMETER_KIND[base] == "reference":
                    assert TOKEN_PATTERN.fullmatch(value), value
                if PARAMETER_KIND[base] == "date":
                    assert value[:2] in ("eq", "lt", "gt", "ge", "le"), value


# ------------------------------------------------------------------------------ Request


@pytest.mark.parametrize("missing", ["hook", "hookInstance", "context"])
def test_post_json_with_hook_hookinstance_and_context_required(
    client: FlaskClient, example_request: dict[str, Any], missing: str
) -> None:
    del example_request[missing]
    assert_operation_outcome(post_hook(client, example_request), 400)


def test_optional_fhirserver_fhirauthorization_prefetch_and_extension_accepted(
    client: FlaskClient, example_request: dict[str, Any], mapper_calls: list[Any]
) -> None:
    example_request["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 30,
        "scope": "patient/Observation.read",
        "subject": "marrow-cds",
        "patient": "example-marrow-1",
    }
    example_request["extension"] = {"org.example.unknown": {"anything": [1, "two", None]}}
    assert post_hook(client, example_request).status_code == 200


def test_extension_is_an_object_and_unknown_content_is_tolerated(
    client: FlaskClient, example_request: dict[str, Any], mapper_calls: list[Any]
) -> None:
    example_request["extension"] = {"com.vendor.x": {"nested": {"deep": True}}}
    example_request["context"]["com.vendor.extra"] = "tolerated"
    assert post_hook(client, example_request).status_code == 200


@pytest.mark.parametrize("missing", ["userId", "patientId"])
def test_patient_view_context_has_userid_and_patientid(
    client: FlaskClient, example_request: dict[str, Any], missing: str
) -> None:
    del example_request["context"][missing]
    assert_operation_outcome(post_hook(client, example_request), 400)


def test_patient_view_context_encounterid_is_optional(
    client: FlaskClient, example_request: dict[str, Any], mapper_calls: list[Any]
) -> None:
    assert post_hook(client, example_request).status_code == 200
    example_request["context"]["encounterId"] = "enc-1"
    assert post_hook(client, example_request).status_code == 200


def test_prefetch_key_that_is_absent_was_not_fulfilled(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    del example_request["prefetch"]["conditions"]
    fhir.get(f"{FHIR}/Condition", json=example_request["prefetch"]["labs"] | {"entry": []})
    assert post_hook(client, example_request).status_code == 200
    assert [urlsplit(c.request.url).path for c in fhir.calls] == ["/fhir/Condition"]


def test_prefetch_null_means_no_data(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["conditions"] = None
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 0
    assert mapper_calls[0]["gaps"] == ()


def test_prefetch_operationoutcome_means_the_prefetch_failed(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["labs"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception"}],
    }
    fhir.get(f"{FHIR}/Observation", status=503)
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 1
    assert [g.domain for g in mapper_calls[0]["gaps"]] == [DataDomain.LABS]


def test_prefetch_bundle_may_carry_a_next_link(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["labs"]["link"].append(
        {"relation": "next", "url": f"{FHIR}/Observation?_page=2"}
    )
    fhir.get(f"{FHIR}/Observation?_page=2", json={"resourceType": "Bundle", "type": "searchset"})
    assert post_hook(client, example_request).status_code == 200
    assert [c.request.url for c in fhir.calls] == [f"{FHIR}/Observation?_page=2"]


def test_missing_data_is_fetched_from_fhirserver_with_authorization_bearer_access_token(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    register_fhir_data(fhir, example_request)
    assert post_hook(client, request_without_prefetch(example_request)).status_code == 200
    assert len(fhir.calls) == len(discovered(client)[0]["prefetch"])  # one query per template
    assert {c.request.headers["Authorization"] for c in fhir.calls} == {f"Bearer {TOKEN}"}


def test_token_is_short_lived_never_log_or_store_it(
    app: Any,
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    capfd: pytest.CaptureFixture[str],
) -> None:
    register_fhir_data(fhir, example_request)
    assert post_hook(client, request_without_prefetch(example_request)).status_code == 200
    app.extensions["marrow_recorder"].drain()
    assert TOKEN not in capfd.readouterr().err
    database = Path(app.extensions["marrow_store"].engine.url.database)
    for path in database.parent.glob(database.name + "*"):  # with -wal / -shm files
        assert TOKEN.encode() not in path.read_bytes()


def test_required_data_obtainable_neither_way_is_412_precondition_failed(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    del example_request["prefetch"]
    del example_request["fhirServer"]
    assert_operation_outcome(post_hook(client, example_request), 412)
