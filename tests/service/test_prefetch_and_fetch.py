"""Prefetch semantics and the fallback fetch from fhirServer (mocked with ``responses``)."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import pytest
import requests
import responses
from flask.testing import FlaskClient

from cds_hooks.ehr.prefetch import REASON_NO_SERVER
from logic.model import DataDomain
from tests.support.service import (
    FHIR,
    PATIENT_ID,
    TOKEN,
    assert_operation_outcome,
    document_types,
    post_hook,
    prefetch_paths,
    register_fhir_data,
    request_without_prefetch,
)


def gaps_of(calls: list[Any]) -> dict[DataDomain, str]:
    assert len(calls) == 1
    return {gap.domain: gap.reason for gap in calls[0]["gaps"]}


def types_of(calls: list[Any]) -> list[str]:
    return sorted(d["resourceType"] for d in calls[0]["documents"])


def test_full_prefetch_is_used_without_contacting_the_server(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 0
    assert gaps_of(mapper_calls) == {}
    assert types_of(mapper_calls) == document_types(example_request["prefetch"])


def test_absent_prefetch_key_is_fetched_with_the_bearer_token(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    fhir.get(f"{FHIR}/Observation", json=example_request["prefetch"]["labs"])
    assert post_hook(client, body).status_code == 200
    assert len(fhir.calls) == 1
    call = fhir.calls[0]
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert f"patient={PATIENT_ID}" in call.request.url
    assert "718-7" in call.request.url
    assert "_sort=-date" in call.request.url
    assert gaps_of(mapper_calls) == {}
    assert types_of(mapper_calls) == document_types(example_request["prefetch"])


def test_no_prefetch_fetches_every_query_concurrently_from_fhir_server(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    register_fhir_data(fhir, example_request)
    assert post_hook(client, request_without_prefetch(example_request)).status_code == 200
    paths = sorted(c.request.path_url.split("?")[0] for c in fhir.calls)
    assert paths == prefetch_paths()
    assert {
        "/fhir/Condition",
        "/fhir/DiagnosticReport",
        "/fhir/Observation",
        f"/fhir/Patient/{PATIENT_ID}",
        "/fhir/ServiceRequest",
    } <= set(paths)
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in fhir.calls)
    assert gaps_of(mapper_calls) == {}


def test_fhir_server_without_fhir_authorization_is_fetched_without_a_token(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    register_fhir_data(fhir, example_request)
    body = request_without_prefetch(example_request, token=False)
    assert post_hook(client, body).status_code == 200
    assert len(fhir.calls) == len(prefetch_paths())
    assert all("Authorization" not in c.request.headers for c in fhir.calls)


def test_null_prefetch_means_no_data_and_is_not_fetched(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["conditions"] = None
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 0
    assert gaps_of(mapper_calls) == {}
    assert types_of(mapper_calls) == document_types(example_request["prefetch"])
    assert "Condition" not in str(mapper_calls[0]["documents"])


def test_operation_outcome_prefetch_is_fetched_instead(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    labs = example_request["prefetch"]["labs"]
    example_request["prefetch"]["labs"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout", "diagnostics": "prefetch timed out"}],
    }
    example_request["fhirAuthorization"] = request_without_prefetch(example_request)[
        "fhirAuthorization"
    ]
    fhir.get(f"{FHIR}/Observation", json=labs)
    assert post_hook(client, example_request).status_code == 200
    assert [c.request.path_url.split("?")[0] for c in fhir.calls] == ["/fhir/Observation"]
    assert gaps_of(mapper_calls) == {}
    assert "OperationOutcome" not in types_of(mapper_calls)


def page(n: int, next_url: str | None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": f"p{n}",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
                    "subject": {"reference": f"Patient/{PATIENT_ID}"},
                    "effectiveDateTime": "2026-11-01T08:00:00Z",
                    "valueQuantity": {
                        "value": 13.5,
                        "unit": "g/dL",
                        "system": "http://unitsofmeasure.org",
                        "code": "g/dL",
                    },
                }
            }
        ],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def test_prefetch_bundle_with_next_link_is_followed_on_fhir_server(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["labs"] = page(1, f"{FHIR}/Observation?page=2")
    fhir.get(f"{FHIR}/Observation?page=2", json=page(2, f"{FHIR}/Observation?page=3"))
    fhir.get(f"{FHIR}/Observation?page=3", json=page(3, None))
    assert post_hook(client, example_request).status_code == 200
    assert [c.request.url.split("?")[1] for c in fhir.calls] == ["page=2", "page=3"]
    ids = [
        e["resource"]["id"]
        for d in mapper_calls[0]["documents"]
        if d.get("resourceType") == "Bundle"
        for e in d.get("entry", [])
        if e["resource"]["resourceType"] == "Observation"
    ]
    assert {"p1", "p2", "p3"} <= set(ids)
    assert gaps_of(mapper_calls) == {}


def test_fetched_bundle_pagination_is_followed(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    fhir.get(f"{FHIR}/Observation?page=2", json=page(2, None))
    fhir.get(f"{FHIR}/Observation", json=page(1, f"{FHIR}/Observation?page=2"))
    assert post_hook(client, body).status_code == 200
    assert len(fhir.calls) == 2
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in fhir.calls)
    assert gaps_of(mapper_calls) == {}


def test_next_link_to_another_server_is_not_followed(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["labs"] = page(1, "https://attacker.example.com/Observation?p=2")
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 0
    assert DataDomain.LABS in gaps_of(mapper_calls)


def test_pagination_loop_stops(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["labs"] = page(1, f"{FHIR}/Observation?page=2")
    fhir.get(f"{FHIR}/Observation?page=2", json=page(2, f"{FHIR}/Observation?page=2"))
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 1
    # issue 10: what is known is said (the pages read); "looped" is in the log
    assert gaps_of(mapper_calls)[DataDomain.LABS] == (
        "only the first 2 pages of results could be read: later pages are missing"
    )


def test_a_continuation_page_that_fails_says_the_first_page_was_read(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    """Issue 10: the prefetch's first page was read and its `next` link answers 404: the card
    says what is known, not "could not be obtained", and no HTTP status (that is in the log)."""
    example_request["prefetch"]["labs"] = page(1, f"{FHIR}/Observation?page=2")
    fhir.get(f"{FHIR}/Observation?page=2", status=404)
    response = post_hook(client, example_request)
    assert response.status_code == 200
    reason = gaps_of(mapper_calls)[DataDomain.LABS]
    assert reason == "only the first page of results could be read: later pages are missing"
    details = " ".join(c.get("detail", "") for c in response.get_json()["cards"])
    assert "404" not in details


def test_page_cap(
    make_app: Any,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    client = make_app(FETCH_MAX_PAGES="2").test_client()
    example_request["prefetch"]["labs"] = page(1, f"{FHIR}/Observation?page=2")
    for n in range(2, 6):
        fhir.get(f"{FHIR}/Observation?page={n}", json=page(n, f"{FHIR}/Observation?page={n + 1}"))
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 2
    assert "pages" in gaps_of(mapper_calls)[DataDomain.LABS]


@pytest.mark.parametrize(
    ("mock_kwargs", "reason"),
    [
        ({"body": requests.exceptions.ReadTimeout("read timed out")}, "FHIR server timed out"),
        ({"body": requests.exceptions.ConnectTimeout("connect")}, "FHIR server timed out"),
        ({"status": 401, "json": {"resourceType": "OperationOutcome"}}, "FHIR server answered 401"),
        ({"status": 403}, "FHIR server answered 403"),
        ({"status": 500, "body": "<html>oops</html>"}, "FHIR server answered 500"),
        ({"status": 200, "body": "{not json"}, "FHIR server sent invalid JSON"),
        (
            {"body": requests.exceptions.ConnectionError("refused")},
            "FHIR server could not be reached",
        ),
    ],
    ids=["read-timeout", "connect-timeout", "401", "403", "500", "invalid-json", "refused"],
)
def test_fetch_failure_becomes_a_data_gap(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
    mock_kwargs: dict[str, Any],
    reason: str,
) -> None:
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    fhir.get(f"{FHIR}/Observation", **mock_kwargs)
    response = post_hook(client, body)
    assert response.status_code == 200
    assert gaps_of(mapper_calls) == {DataDomain.LABS: reason}


def test_every_fetch_failing_still_answers_200(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    for path in (f"Patient/{PATIENT_ID}", "Observation", "DiagnosticReport", "Condition"):
        fhir.get(f"{FHIR}/{path}", status=401)
    response = post_hook(client, request_without_prefetch(example_request))
    assert response.status_code == 200
    # every domain the service fetches (the report-text domain is about reading, not fetching)
    assert set(gaps_of(mapper_calls)) == set(DataDomain) - {DataDomain.REPORT_TEXT}


def test_unlisted_fhir_server_is_never_contacted_and_412_without_prefetch(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    body = request_without_prefetch(example_request)
    body["fhirServer"] = "https://ehr.example.org.evil.com/fhir"
    fhir.get("https://ehr.example.org.evil.com/fhir/Observation", json={})
    response = post_hook(client, body)
    assert_operation_outcome(response, 412, "incomplete")
    assert len(fhir.calls) == 0


@pytest.mark.parametrize(
    "server",
    [
        "https://ehr.example.org.evil.com/fhir",
        "https://ehr.example.org/fhirx",
        "https://user@ehr.example.org/fhir",
        "http://ehr.example.org/fhir",
        "https://ehr.example.org:8443/fhir",
        "https://ehr.example.org/fhir/../admin",
    ],
)
def test_lookalike_fhir_servers_are_not_contacted(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
    server: str,
) -> None:
    example_request["fhirServer"] = server
    example_request["fhirAuthorization"] = request_without_prefetch(example_request)[
        "fhirAuthorization"
    ]
    del example_request["prefetch"]["labs"]
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 0
    assert "allowlist" in gaps_of(mapper_calls)[DataDomain.LABS]


def test_no_prefetch_and_no_fhir_server_is_412(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    body = copy.deepcopy(example_request)
    del body["prefetch"]
    del body["fhirServer"]
    out = assert_operation_outcome(post_hook(client, body), 412, "incomplete")
    assert "no fhirServer" in out["issue"][0]["diagnostics"]


def test_only_operation_outcomes_and_no_fhir_server_is_412(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    del example_request["fhirServer"]
    failed = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "x"}]}
    example_request["prefetch"] = {k: failed for k in example_request["prefetch"]}
    assert_operation_outcome(post_hook(client, example_request), 412)


def test_partial_prefetch_without_fhir_server_answers_with_gaps(
    client: FlaskClient, example_request: dict[str, Any], mapper_calls: list[Any]
) -> None:
    del example_request["fhirServer"]
    del example_request["prefetch"]["labs"]
    assert post_hook(client, example_request).status_code == 200
    assert gaps_of(mapper_calls) == {DataDomain.LABS: REASON_NO_SERVER}


def test_redirect_outside_fhir_server_is_not_followed_and_token_not_sent(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    fhir.get(
        f"{FHIR}/Observation",
        status=302,
        headers={"Location": "https://collector.example.com/steal"},
    )
    fhir.get("https://collector.example.com/steal", json={})
    assert post_hook(client, body).status_code == 200
    assert [c.request.url.split("?")[0] for c in fhir.calls] == [f"{FHIR}/Observation"]
    assert DataDomain.LABS in gaps_of(mapper_calls)


def test_redirect_within_fhir_server_is_followed(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    fhir.get(f"{FHIR}/Observation", status=307, headers={"Location": f"{FHIR}/v2/Observation"})
    fhir.get(f"{FHIR}/v2/Observation", json=example_request["prefetch"]["labs"])
    assert post_hook(client, body).status_code == 200
    assert len(fhir.calls) == 2
    assert gaps_of(mapper_calls) == {}


def test_oversized_fhir_answer_becomes_a_gap(
    make_app: Any,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    client = make_app(FETCH_MAX_BYTES="1000").test_client()
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    fhir.get(f"{FHIR}/Observation", body=json.dumps(example_request["prefetch"]["labs"]))
    assert post_hook(client, body).status_code == 200
    assert "exceeded" in gaps_of(mapper_calls)[DataDomain.LABS]


def test_prefetch_template_values_are_percent_encoded(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    body = request_without_prefetch(example_request)
    body["context"]["patientId"] = "a.b-1"
    register_fhir_data(fhir, example_request)
    fhir.get(f"{FHIR}/Patient/a.b-1", json={"resourceType": "Patient", "id": "a.b-1"})
    assert post_hook(client, body).status_code == 200
    assert any(c.request.url.startswith(f"{FHIR}/Patient/a.b-1") for c in fhir.calls)


def test_relative_next_link_is_resolved_against_the_fhir_server(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["labs"] = page(1, "Observation?page=2")
    fhir.get(f"{FHIR}/Observation?page=2", json=page(2, None))
    assert post_hook(client, example_request).status_code == 200
    assert [c.request.url for c in fhir.calls] == [f"{FHIR}/Observation?page=2"]
    assert gaps_of(mapper_calls) == {}


def test_fallback_queries_are_issued_concurrently(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    # Each mocked answer waits until all the queries are in flight: issued one after the
    # other, the barrier would break and every query would become a data gap.
    from cds_hooks.services.patient_view import PATIENT_VIEW

    barrier = threading.Barrier(len(prefetch_paths()), timeout=1.5)
    prefetch = example_request["prefetch"]

    def answer(document: dict[str, Any]) -> Any:
        def callback(_request: Any) -> tuple[int, dict[str, str], str]:
            barrier.wait()
            return 200, {}, json.dumps(document)

        return callback

    for key, template in PATIENT_VIEW.prefetch.items():
        path = template.query.split("?")[0].replace("{{context.patientId}}", PATIENT_ID)
        fhir.add_callback(responses.GET, f"{FHIR}/{path}", answer(prefetch[key]))
    assert post_hook(client, request_without_prefetch(example_request)).status_code == 200
    assert len(fhir.calls) == len(prefetch_paths())
    assert gaps_of(mapper_calls) == {}
