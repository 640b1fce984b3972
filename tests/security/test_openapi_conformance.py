"""The OpenAPI 3.1 document (/openapi.json) against the running app, with schemathesis.

Every operation of the document is called with generated requests, valid and invalid (bounded
examples, so the run stays short); discovery, service and feedback calls carry a fresh valid
client JWT for the URL called, so the whole request handling is exercised, not just the 401.
Every check schemathesis has is enabled (``CHECKS.get_all()``: no 5xx, documented status codes,
content types and headers, response schemas, negative data rejected, positive data accepted,
missing required headers, unsupported methods and their Allow header, ignored auth, and the
stateful ones, which find no links here); only ``max_response_time`` is not, being a timing
assertion (speed targets live in the benchmarks). No FHIR server is allowlisted, so nothing is
ever fetched from the network.

One setting: a schema-valid hook request may be answered 412 (README, CDS Hooks: no prefetch and
no usable fhirServer). Whether a fhirServer may be used depends on the deployment's allowlist,
which no schema can state, so ``positive_data_acceptance`` also accepts the documented 412.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.config._checks import (
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
    PositiveDataAcceptanceConfig,
)

from cds_hooks.openapi import openapi_document
from tests.support.app import BASE, bearer, jwt_app
from tests.support.jwt import Client, new_ec_key

load_all_checks()
CHECKS = list(REGISTERED_CHECKS.get_all())
SIGNER = Client(new_ec_key("ec-schemathesis"))


# Loaded from the code, not from the app: schemathesis' lazy fixture loader does not work with
# pytest 9. test_served_document_is_the_same checks that /openapi.json serves this very document.
schema = schemathesis.openapi.from_dict(openapi_document())
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=[*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "412"]
)


@pytest.fixture
def app(tmp_path, monkeypatch):
    return jwt_app(tmp_path, monkeypatch, client=SIGNER)


@schema.parametrize()
@settings(
    max_examples=12,
    derandomize=True,  # the same examples on every CI run: no flaky failures
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_response_matches_the_document(case, app):
    headers = {}
    if case.path.startswith("/cds-services"):
        headers = bearer(SIGNER.sign(BASE + case.formatted_path))
    case.operation.schema.app = app  # the checks that send probes (ignored_auth...) reach it too
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


def test_served_document_is_the_same(app):
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == openapi_document()


def test_document_is_openapi_3_1_and_covers_every_endpoint():
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    for path in ("/cds-services", "/healthz", "/readyz", "/openapi.json"):
        assert path in paths
    services = [p for p in paths if p.startswith("/cds-services/") and "/feedback" not in p]
    assert services
    assert all(f"{p}/feedback" in paths for p in services)
    for path, item in paths.items():
        for operation in item.values():
            protected = path.startswith("/cds-services")
            assert bool(operation["security"]) is protected, path
            assert ("401" in operation["responses"]) is protected, path


def test_every_check_is_enabled():
    names = {check.__name__ for check in CHECKS}
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "ignored_auth",
    } <= names
    assert all(getattr(schema.config.checks, name).enabled for name in names)


def test_every_status_the_service_gives_is_documented():
    """412, 413, 415 and 503 (overload, deadline) on every hook; 503 with Retry-After; 401 with
    WWW-Authenticate on every protected operation."""
    paths = openapi_document()["paths"]
    hooks = [p for p in paths if p.startswith("/cds-services/") and "/feedback" not in p]
    for path in hooks:
        responses = paths[path]["post"]["responses"]
        assert {"200", "400", "401", "412", "413", "415", "503"} <= set(responses), path
        assert "MARROW_CDS_HOOK_DEADLINE_SECONDS" in responses["503"]["description"]
    for path, item in paths.items():
        for operation in item.values():
            responses = operation["responses"]
            if "503" in responses and path.startswith("/cds-services"):
                assert responses["503"]["headers"]["Retry-After"]["required"] is True, path
            if "401" in responses:
                assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
    description = openapi_document()["info"]["description"]
    for limit in ("MARROW_CDS_HOOK_DEADLINE_SECONDS", "MARROW_CDS_EVALUATION_SLOTS", "503"):
        assert limit in description
