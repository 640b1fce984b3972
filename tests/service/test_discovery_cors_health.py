"""Discovery, CORS, probes, issued-card records, and hooks surviving a database outage."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cds_hooks.storage.records import IssuedCardRow, patient_hash
from tests.support.service import PATIENT_ID, SERVICE_URL, post_hook


def test_discovery_lists_the_services_with_prefetch_templates(client: FlaskClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.get_json()["services"]}
    marrow = services["heterogeneous-marrow"]
    assert marrow["hook"] == "patient-view"
    assert marrow["title"]
    assert marrow["description"]
    assert set(marrow["prefetch"]) >= {"patient", "labs", "imaging", "conditions"}
    assert marrow["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    labs = marrow["prefetch"]["labs"]
    for code in ("718-7", "17861-6", "49765-1", "2160-0", "38483-4", "48378-4", "33944-0"):
        assert code in labs.split("code=")[1].split("&")[0].split(",")
    assert "26450-7" not in labs  # eosinophils %, SPEC.md section 4
    imaging = marrow["prefetch"]["imaging"]
    assert "LP29684-5" in imaging
    assert "v2-0074|RAD" in imaging
    assert "_sort=-date" in imaging
    assert "_count=" in imaging
    # Issue 12: orders already placed, narrow (follow-up MRI codes, active or on hold).
    orders = marrow["prefetch"]["serviceRequests"]
    assert orders.startswith("ServiceRequest?patient={{context.patientId}}&status=active,on-hold")
    codes = orders.split("code=")[1].split("&")[0].split(",")
    assert "urn:marrow-cds:order|mri-followup" in codes
    assert "24967-2" in codes
    assert "72158" in codes
    # Issue 17: imaging reports kept only as DocumentReference, by imaging document type.
    documents = marrow["prefetch"]["imagingDocuments"]
    assert documents.startswith("DocumentReference?patient={{context.patientId}}&")
    types = documents.split("type=")[1].split("&")[0].split(",")
    assert "http://loinc.org|18748-4" in types
    assert "http://loinc.org|24968-0" in types
    assert "status=current" in documents
    assert "_sort=-date" in documents


@pytest.mark.parametrize("path", ["/cds-services", SERVICE_URL, f"{SERVICE_URL}/feedback"])
def test_cors_preflight_allows_authorization_and_content_type(
    client: FlaskClient, path: str
) -> None:
    response = client.options(
        path,
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_cors_preflight_allows_private_network_access(client: FlaskClient) -> None:
    response = client.options(
        "/cds-services",
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert response.headers["Access-Control-Allow-Private-Network"] == "true"


def test_cors_header_on_actual_responses_including_errors(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    origin = {"Origin": "https://sandbox.cds-hooks.org"}
    assert client.get("/cds-services", headers=origin).headers["Access-Control-Allow-Origin"] == "*"
    bad = client.post(SERVICE_URL, data="{", content_type="application/json", headers=origin)
    assert bad.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_origin_list_echoes_only_listed_origins(make_app: Any) -> None:
    client = make_app(CORS_ORIGINS="https://sandbox.cds-hooks.org").test_client()
    ok = client.get("/cds-services", headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://sandbox.cds-hooks.org"
    assert "Origin" in ok.headers["Vary"]
    other = client.get("/cds-services", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_no_cors_on_probes(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"Origin": "https://x.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_healthz_and_readyz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "database": "reachable", "migrations": "at head"}
    database = client.get("/healthz/db")
    assert database.status_code == 200
    assert database.get_json()["migrations"] == "at head"


def test_readyz_is_503_when_migrations_are_not_applied(make_app: Any) -> None:
    """A reachable database behind the head: this release came before its migration (older
    pods can serve; this one stays out of the Service)."""
    client = make_app(MIGRATE_ON_START="0").test_client()
    for path in ("/readyz", "/healthz/db"):
        response = client.get(path)
        assert response.status_code == 503
        assert "head is" in response.get_json()["migrations"]


def one_card(monkeypatch: pytest.MonkeyPatch) -> None:
    import cds_hooks.cards.assessment_cards
    from cds_hooks.schemas import Card, Source

    card = Card(
        uuid="card-1",
        summary="s",
        indicator="info",
        source=Source(label="Marrow CDS", url="https://x.example/rules#R8"),
    )
    issued = [cds_hooks.cards.assessment_cards.IssuedCard(card, "R8")]
    monkeypatch.setattr(
        cds_hooks.cards.assessment_cards, "render_patient_view", lambda *a, **k: issued
    )


def test_database_down_hooks_still_answer_and_the_pod_stays_ready(
    make_app: Any,
    tmp_path: Any,
    example_request: dict[str, Any],
    mapper_calls: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    one_card(monkeypatch)
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/x.sqlite3")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")  # readiness: hooks are served, so the pod stays in service
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "database": "unavailable"}
    assert client.get("/healthz/db").status_code == 503  # monitoring sees the outage
    response = post_hook(client, example_request)
    assert response.status_code == 200
    assert response.get_json()["cards"][0]["uuid"] == "card-1"
    app.extensions["marrow_recorder"].drain()
    assert "issued cards not recorded" in capfd.readouterr().err


def test_issued_cards_are_recorded_with_a_keyed_patient_hash(
    app: Flask,
    client: FlaskClient,
    example_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    mapper_calls: list[Any],
) -> None:
    one_card(monkeypatch)
    response = post_hook(client, example_request)
    assert response.status_code == 200
    app.extensions["marrow_recorder"].drain()
    with Session(app.extensions["marrow_store"].engine) as session:
        [row] = session.scalars(select(IssuedCardRow)).all()
    assert row.card_uuid == "card-1"
    assert row.rule_id == "R8"
    assert row.service_id == "heterogeneous-marrow"
    assert row.hook_instance == example_request["hookInstance"]
    assert row.patient_hash == patient_hash(b"test-patient-hash-key-0123456789", PATIENT_ID)
    assert PATIENT_ID not in row.patient_hash
