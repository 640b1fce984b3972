"""Helpers of the tests that post hook requests to the app (service, conformance, ...): the
bundled example request, the mocked FHIR server's base URL and data, posting a hook, checking an
OperationOutcome. The fixtures built on them are in tests/conftest.py."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import responses
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "patient-view-heterogeneous-marrow.json"

FHIR = "https://ehr.example.org/fhir"
TOKEN = "secret-access-token-7f3a9c"
PATIENT_ID = "example-marrow-1"
SERVICE_URL = "/cds-services/heterogeneous-marrow"


#: Settings of the service tests (short `MARROW_CDS_*` names, as `build_app` takes them): the
#: mocked FHIR server and a loopback one allowed, request logs at INFO.
SERVICE_ENV = {"FHIR_ALLOWLIST": f"{FHIR},http://127.0.0.1:8099/fhir", "LOG_LEVEL": "INFO"}


def request_without_prefetch(example: dict[str, Any], *, token: bool = True) -> dict[str, Any]:
    body = copy.deepcopy(example)
    body.pop("prefetch")
    body["fhirServer"] = FHIR
    if token:
        body["fhirAuthorization"] = {
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "marrow-cds",
        }
    return body


def register_fhir_data(mock: responses.RequestsMock, example: dict[str, Any]) -> None:
    """Serve the example's prefetch data from the mocked FHIR server (query strings ignored)."""
    prefetch = example["prefetch"]
    mock.get(f"{FHIR}/Patient/{PATIENT_ID}", json=prefetch["patient"])
    mock.get(f"{FHIR}/Observation", json=prefetch["labs"])
    mock.get(f"{FHIR}/DiagnosticReport", json=prefetch["imaging"])
    mock.get(f"{FHIR}/Condition", json=prefetch["conditions"])
    mock.get(f"{FHIR}/ServiceRequest", json=prefetch["serviceRequests"])
    mock.get(f"{FHIR}/DocumentReference", json=prefetch["imagingDocuments"])


def prefetch_paths() -> list[str]:
    """The fallback query path of every prefetch template of the patient-view service, sorted
    (one query per template: a test that counts them follows the templates)."""
    from cds_hooks.services.patient_view import PATIENT_VIEW

    return sorted(
        "/fhir/" + template.query.split("?")[0].replace("{{context.patientId}}", PATIENT_ID)
        for template in PATIENT_VIEW.prefetch.values()
    )


def document_types(prefetch: dict[str, Any]) -> list[str]:
    """The resource types of the documents a prefetch hands to the mapper, sorted."""
    return sorted(v["resourceType"] for v in prefetch.values() if isinstance(v, dict))


def post_hook(client: FlaskClient, body: Any, url: str = SERVICE_URL, **kwargs: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **kwargs)


def empty_values(value: Any, path: str = "$") -> list[str]:
    """Paths of every None, "", [] or {} in a JSON value, except the top-level ``cards``."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}"
            if item is None or item == "" or item == [] or item == {}:
                if child != "$.cards":
                    found.append(child)
            else:
                found.extend(empty_values(item, child))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if item is None or item == "" or item == [] or item == {}:
                found.append(f"{path}[{i}]")
            else:
                found.extend(empty_values(item, f"{path}[{i}]"))
    return found


def assert_operation_outcome(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    issue = body["issue"][0]
    assert issue["severity"] == "error"
    assert issue["diagnostics"]
    if code is not None:
        assert issue["code"] == code
    return body
