"""CDS-HOOKS.md, sections "Security", "Published timing", "The CDS Hooks sandbox" and
"Real-world FHIR shapes": one test per applicable line."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey

from cds_hooks.ehr.allowlist import parse_allowlist
from cds_hooks.settings import SettingsError
from logic.model import DataDomain
from tests.support.service import FHIR, PATIENT_ID, post_hook, request_without_prefetch

SERVICE = "/cds-services/heterogeneous-marrow"
ISS = "https://sandbox.cds-hooks.org"
JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"


@pytest.fixture
def key() -> ECKey:
    return ECKey.generate_key("P-384", parameters={"kid": "k-1", "alg": "ES384"})


@pytest.fixture
def secured(make_app: Any, key: ECKey, tmp_path: Path) -> Flask:
    issuers = tmp_path / "issuers.json"
    issuers.write_text(
        json.dumps(
            {
                "issuers": [
                    {"iss": ISS, "jwks_url": JKU, "jwks": {"keys": [key.as_dict(private=False)]}}
                ]
            }
        )
    )
    app: Flask = make_app(
        REQUIRE_JWT="1",
        TRUSTED_ISSUERS=str(issuers),
        PUBLIC_BASE_URL="http://localhost",  # the test client's URL: the `aud`
    )
    return app


def token(
    key: ECKey, aud: str, *, alg: str = "ES384", jti: str | None = None, **claims: Any
) -> str:
    now = int(time.time())
    body = {
        "iss": ISS,
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": jti or str(uuid.uuid4()),
        **claims,
    }
    return jwt.encode(
        {"alg": alg, "typ": "JWT", "kid": "k-1", "jku": JKU}, body, key, algorithms=[alg]
    )


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def call(client: FlaskClient, body: Any, jwt_token: str | None, url: str = SERVICE) -> Any:
    headers = {"Authorization": f"Bearer {jwt_token}"} if jwt_token else {}
    return post_hook(client, body, url, headers=headers)


# ------------------------------------------------------------------------------ Security


def test_every_call_carries_authorization_bearer_jwt_with_alg_kid_typ_and_claims(
    secured: Flask, key: ECKey, example_request: dict[str, Any]
) -> None:
    client = secured.test_client()
    assert (
        call(client, example_request, token(key, f"http://localhost{SERVICE}")).status_code == 200
    )
    assert call(client, example_request, None).status_code == 401
    discovery = client.get(
        "/cds-services",
        headers={"Authorization": f"Bearer {token(key, 'http://localhost/cds-services')}"},
    )
    assert discovery.status_code == 200


def test_aud_is_the_exact_url_called(
    secured: Flask, key: ECKey, example_request: dict[str, Any]
) -> None:
    wrong = token(key, "http://localhost/cds-services/marrow-order-sign")
    assert call(secured.test_client(), example_request, wrong).status_code == 401


def test_asymmetric_algorithms_only_reject_none_and_hs(
    secured: Flask, example_request: dict[str, Any]
) -> None:
    now = int(time.time())
    claims = {
        "iss": ISS,
        "aud": f"http://localhost{SERVICE}",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    none_token = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k-1'})}.{b64(claims)}."
    client = secured.test_client()
    assert call(client, example_request, none_token).status_code == 401
    from joserfc.jwk import OctKey

    hs = jwt.encode(
        {"alg": "HS384", "typ": "JWT", "kid": "k-1"},
        claims,
        OctKey.import_key("x" * 64),
        algorithms=["HS384"],
    )
    assert call(client, example_request, hs).status_code == 401


def test_reject_replayed_jti(secured: Flask, key: ECKey, example_request: dict[str, Any]) -> None:
    client = secured.test_client()
    once = token(key, f"http://localhost{SERVICE}", jti="replayed-1")
    assert call(client, example_request, once).status_code == 200
    assert call(client, example_request, once).status_code == 401


def test_answer_a_bad_token_with_a_bare_401(
    secured: Flask, example_request: dict[str, Any]
) -> None:
    response = call(secured.test_client(), example_request, "not-a-jwt")
    assert response.status_code == 401
    assert response.get_data() == b""


@pytest.mark.parametrize("path", ["/cds-services", SERVICE, f"{SERVICE}/feedback"])
def test_cors_preflight_allows_authorization_and_content_type_on_all_endpoints(
    secured: Flask, path: str
) -> None:
    response = secured.test_client().options(
        path,
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code in (200, 204)  # no JWT needed for a preflight
    headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in headers
    assert "content-type" in headers
    assert response.headers["Access-Control-Allow-Origin"]


def test_https_for_anything_carrying_real_data() -> None:
    with pytest.raises(SettingsError):
        parse_allowlist(["http://ehr.example.org/fhir"])
    assert parse_allowlist(["https://ehr.example.org/fhir", "http://127.0.0.1:8080/fhir"])


# ------------------------------------------------------------------------------ Timing


def test_ehr_windows_of_2_s_fetch_budget_bounds_a_slow_fhir_server(
    make_app: Any,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    client = make_app(FETCH_BUDGET_SECONDS="0.2").test_client()

    def slow(_request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(1.0)
        return 200, {}, json.dumps(example_request["prefetch"]["labs"])

    fhir.add_callback(responses.GET, f"{FHIR}/Observation", callback=slow)
    body = request_without_prefetch(example_request)
    body["prefetch"] = {k: v for k, v in example_request["prefetch"].items() if k != "labs"}
    assert post_hook(client, body).status_code == 200
    assert {g.domain: g.reason for g in mapper_calls[0]["gaps"]} == {
        DataDomain.LABS: "FHIR server timed out"
    }


# ------------------------------------------------------------------------------ Sandbox


def test_sandbox_reads_discovery_an_empty_list_counts_as_failure(client: FlaskClient) -> None:
    assert client.get("/cds-services").get_json()["services"]


def test_sandbox_leaves_out_a_prefetch_it_cannot_fill_and_sends_fhirserver_without_token(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    del example_request["prefetch"]["labs"]
    fhir.get(
        f"{FHIR}/Observation",
        json=request_without_prefetch.__globals__["copy"].deepcopy(
            {"resourceType": "Bundle", "type": "searchset"}
        ),
    )
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 1
    assert "Authorization" not in fhir.calls[0].request.headers


def test_sandbox_sends_feedback_only_when_card_and_suggestion_have_a_uuid(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    for card in post_hook(client, example_request).get_json()["cards"]:
        assert card["uuid"]
        assert all(s["uuid"] for s in card.get("suggestions", []))


def test_sandbox_pama_order_select_draft_servicerequest_with_empty_reasoncode(
    client: FlaskClient,
) -> None:
    draft = {
        "resourceType": "ServiceRequest",
        "id": "pama-1",
        "status": "draft",
        "intent": "plan",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "code": {
            "coding": [
                {
                    "system": "http://www.ama-assn.org/go/cpt",
                    "code": "72148",
                    "display": "MRI lumbar spine without contrast",
                }
            ]
        },
        "reasonCode": [],
    }
    services = client.get("/cds-services").get_json()["services"]
    keys = next(s for s in services if s["id"] == "marrow-order-select").get("prefetch", {})
    body = {
        "hook": "order-select",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/1",
            "patientId": PATIENT_ID,
            "selections": ["ServiceRequest/pama-1"],
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": draft}],
            },
        },
        "prefetch": dict.fromkeys(keys),  # the EHR has none of the prefetch data
    }
    response = post_hook(client, body, "/cds-services/marrow-order-select")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert isinstance(response.get_json()["cards"], list)


# ------------------------------------------------------------------------------ Real-world


def test_calcium_and_creatinine_blood_and_serum_codes_are_all_prefetched(
    client: FlaskClient,
) -> None:
    labs = next(
        s
        for s in client.get("/cds-services").get_json()["services"]
        if s["id"] == "heterogeneous-marrow"
    )["prefetch"]["labs"]
    codes = labs.split("code=")[1].split("&")[0].split(",")
    assert {"49765-1", "38483-4", "17861-6", "2160-0"} <= set(codes)


def test_imaging_report_category_lp29684_5_and_v2_0074_rad_are_both_prefetched(
    client: FlaskClient,
) -> None:
    imaging = next(
        s
        for s in client.get("/cds-services").get_json()["services"]
        if s["id"] == "heterogeneous-marrow"
    )["prefetch"]["imaging"]
    assert "http://loinc.org|LP29684-5" in imaging
    assert "http://terminology.hl7.org/CodeSystem/v2-0074|RAD" in imaging


def test_datetime_with_time_but_no_zone_does_not_vanish_silently(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    haemoglobin = example_request["prefetch"]["labs"]["entry"][0]["resource"]
    assert haemoglobin["id"] == "hb-1"
    haemoglobin["effectiveDateTime"] = "2026-11-02T08:40:00"  # no time zone
    response = post_hook(client, example_request)
    assert response.status_code == 200
    text = json.dumps(response.get_json())
    assert "Observation/hb-1" in text


def test_services_should_respond_on_the_order_of_500_ms_fetch_budget_defaults(
    tmp_path: Path,
) -> None:
    # Speed itself is measured by benchmarks/request_handling.py (no timed assertions here);
    # what a test can check is that no default lets a call wait beyond the 2 s EHR window.
    from cds_hooks.settings import Settings

    settings = Settings.from_env(
        {"MARROW_CDS_PATIENT_HASH_KEY": "k" * 32, "MARROW_CDS_REQUIRE_JWT": "0"},
        instance_path=tmp_path,
    )
    assert settings.fetch_budget_s <= 2.0
    assert settings.connect_timeout_s <= settings.fetch_budget_s
    assert settings.read_timeout_s <= settings.fetch_budget_s


def test_sandbox_renders_detail_markdown_and_raw_html_so_report_text_cannot_inject_html(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    report = example_request["prefetch"]["imaging"]["entry"][0]["resource"]
    report["conclusion"] = (
        "Diffusely heterogeneous bone marrow signal <script>alert(1)</script> "
        '<img src=x onerror="alert(2)"> with T1 signal lower than disc.'
    )
    response = post_hook(client, example_request)
    assert response.status_code == 200
    details = " ".join(c.get("detail", "") for c in response.get_json()["cards"])
    assert "<script" not in details
    assert "<img" not in details


def test_sandbox_default_fhir_server_is_dstu2_such_data_does_not_break_the_service(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    # DSTU2 shapes: DiagnosticReport.category a single CodeableConcept, Condition.clinicalStatus
    # a plain code, Patient.gender as in R4.
    report = example_request["prefetch"]["imaging"]["entry"][0]["resource"]
    report["category"] = {"coding": [{"system": "http://hl7.org/fhir/v2/0074", "code": "RAD"}]}
    for entry in example_request["prefetch"]["conditions"]["entry"]:
        entry["resource"]["clinicalStatus"] = "active"
    response = post_hook(client, example_request)
    assert response.status_code == 200
    assert isinstance(response.get_json()["cards"], list)
