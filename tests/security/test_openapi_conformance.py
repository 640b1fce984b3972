"""The OpenAPI 3.1 document (/openapi.json) against the running app, with schemathesis.

Every operation of the document is called with generated requests, valid and invalid (bounded
examples, so the run stays short); discovery, service and feedback calls carry a fresh valid
client JWT for the URL called, so the whole request handling is exercised, not just the 401.
Checks: no 5xx, documented status codes and content types only, every response body matches its
schema. No FHIR server is allowlisted, so nothing is ever fetched from the network.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cds_hooks.openapi import openapi_document

from .app_kit import BASE, bearer, make_app
from .jwt_kit import Client, new_ec_key

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SIGNER = Client(new_ec_key("ec-schemathesis"))


# Loaded from the code, not from the app: schemathesis' lazy fixture loader does not work with
# pytest 9. test_served_document_is_the_same checks that /openapi.json serves this very document.
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture
def app(tmp_path, monkeypatch):
    return make_app(tmp_path, monkeypatch, client=SIGNER)


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
    assert services and all(f"{p}/feedback" in paths for p in services)
    for path, item in paths.items():
        for operation in item.values():
            protected = path.startswith("/cds-services")
            assert bool(operation["security"]) is protected, path
            assert ("401" in operation["responses"]) is protected, path
