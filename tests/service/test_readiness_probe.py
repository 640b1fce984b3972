"""Readiness means "can serve hooks" (security review: readiness on the database took every pod
out of service in a database outage, although hooks answer without it)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cds_hooks import health


def test_database_that_does_not_answer_cannot_hold_readyz(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    calls: list[int] = []

    def hanging_revision(engine: Any) -> str:
        calls.append(1)
        release.wait(timeout=30)
        raise health.SQLAlchemyError("gone")

    monkeypatch.setattr(health, "DB_CHECK_WAIT_S", 0.05)
    monkeypatch.setattr(health, "current_revision", hanging_revision)
    client = make_app().test_client()
    try:
        for _ in range(3):
            response = client.get("/readyz")
            assert response.status_code == 200
            assert response.get_json() == {"status": "ready", "database": "unavailable"}
        assert client.get("/healthz/db").status_code == 503
        assert len(calls) == 1  # the check still running is waited on, not started again
    finally:
        release.set()


def test_deployment_readiness_probe_is_readyz_and_liveness_never_the_database() -> None:
    from pathlib import Path

    import yaml

    deployment = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "deploy/k8s/deployment.yaml").read_text()
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["readinessProbe"]["timeoutSeconds"] > health.DB_CHECK_WAIT_S
    for probe in ("livenessProbe", "startupProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] != "/healthz/db"
