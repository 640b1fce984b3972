"""Fixtures every tier shares.

- `make_app(**env)`: the real app (tests.support.app.build_app) on a SQLite file in tmp_path, with
  the service tests' settings (tests.support.service.SERVICE_ENV); `app` and `client` are the
  default one and its test client.
- `example_request`: the bundled patient-view example; `fhir`: the EHR's FHIR server mocked with
  ``responses``; `mapper_calls`: a spy on what the shell hands to the mapper.
- Every app made by tests.support.app is closed after each test (autouse).
- Every test starts with no remembered report reading (autouse): a test that changes the reader
  (a fault injected, a switch turned) must not get an earlier test's reading of the same text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from fhir_mappers.imaging import forget_readings
from tests.support.app import build_app, close_apps
from tests.support.service import EXAMPLE, SERVICE_ENV


@pytest.fixture(autouse=True)
def _no_remembered_readings() -> None:
    forget_readings()


@pytest.fixture(autouse=True)
def _close_apps() -> Iterator[None]:
    yield
    close_apps()


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    def factory(**env: str) -> Flask:
        return build_app(tmp_path, **{**SERVICE_ENV, **env})

    return factory


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def example_request() -> dict[str, Any]:
    example: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return example


@pytest.fixture
def fhir() -> Iterator[responses.RequestsMock]:
    """The EHR's FHIR server; any URL not registered raises (so nothing unexpected is called)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


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


#: pytest-timeout for tests that start real servers (Medplum on Node, PostgreSQL, gunicorn) or read
#: the whole corpus: the first one pays for the server's start, minutes on a loaded machine.
SLOW_TEST_TIMEOUT_S = 600
SLOW_MARKERS = ("e2e", "postgres", "slow")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None and any(
            item.get_closest_marker(name) for name in SLOW_MARKERS
        ):
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT_S))
