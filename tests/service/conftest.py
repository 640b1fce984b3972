"""Fixtures of the service tests: an app on a tmp_path SQLite database, its test client, the
bundled example request, a FHIR server mocked with ``responses``, and helpers."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from cds_hooks import create_app
from cds_hooks.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "patient-view-heterogeneous-marrow.json"

FHIR = "https://ehr.example.org/fhir"
TOKEN = "secret-access-token-7f3a9c"
PATIENT_ID = "example-marrow-1"
SERVICE_URL = "/cds-services/heterogeneous-marrow"


def base_env(tmp_path: Path) -> dict[str, str]:
    return {
        "MARROW_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'service.sqlite3'}",
        "MARROW_CDS_PATIENT_HASH_KEY": "test-patient-hash-key-0123456789",
        "MARROW_CDS_FHIR_ALLOWLIST": f"{FHIR},http://127.0.0.1:8099/fhir",
        "MARROW_CDS_REQUIRE_JWT": "0",
        "MARROW_CDS_LOG_LEVEL": "INFO",
    }


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def factory(**env: str) -> Flask:
        settings = Settings.from_env(
            {**base_env(tmp_path), **env}, instance_path=tmp_path / "instance"
        )
        app = create_app(settings)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["marrow_recorder"].close()
        app.extensions["marrow_fhir"].close()
        app.extensions["marrow_store"].engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def example_request() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


@pytest.fixture
def fhir() -> Iterator[responses.RequestsMock]:
    """The EHR's FHIR server; any URL not registered raises (so nothing unexpected is called)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


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
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    issue = body["issue"][0]
    assert issue["severity"] == "error"
    assert issue["diagnostics"]
    if code is not None:
        assert issue["code"] == code
    return body


@pytest.fixture
def mapper_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Spy on what the shell hands to the mapper (documents, gaps); the real mapper still runs.
    The rules are replaced by a stub that returns R0 with the gaps, so these tests check the
    shell alone (the real rules are exercised in test_pipeline.py)."""
    import fhir_mappers
    import logic
    from logic.model import Assessment, PatientRecord

    calls: list[Any] = []
    real = fhir_mappers.map_patient_record

    def spy(documents: Any, patient_id: str, *, gaps: Any = (), **kwargs: Any) -> PatientRecord:
        documents = list(documents)
        calls.append({"documents": documents, "gaps": tuple(gaps), "patient_id": patient_id})
        return real(documents, patient_id, gaps=gaps, **kwargs)  # kwargs: the deadline's stop

    def stub_assess(record: PatientRecord, as_of: Any, **_: Any) -> Assessment:
        return Assessment(rule_id="R0", reason="stub", gaps=record.gaps)

    monkeypatch.setattr(fhir_mappers, "map_patient_record", spy)
    monkeypatch.setattr(logic, "assess", stub_assess, raising=False)
    return calls
