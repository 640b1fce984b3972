"""JWT verification through HTTP: which endpoints need a token, and a bare 401 for every failure.

The failure modes themselves are covered one by one in test_token_verifier.py; here each reaches
the client as the same bare 401 (empty body, WWW-Authenticate: Bearer), with the reason logged.
"""

from __future__ import annotations

import json
import time

import pytest
import responses

from tests.support.app import BASE, bearer, captured_logs, jwt_app, write_issuers
from tests.support.hooks import FEEDBACK_PATH, SERVICE_PATH, feedback
from tests.support.jwt import JWKS_URL, Client, jwks_of, new_ec_key, new_rsa_key, unsigned

DISCOVERY = "/cds-services"


@pytest.fixture(scope="module")
def signer() -> Client:
    return Client(new_ec_key("ec-http-1"))


@pytest.fixture
def app(tmp_path, monkeypatch, signer):
    return jwt_app(tmp_path, monkeypatch, client=signer)


@pytest.fixture
def http(app):
    return app.test_client()


def assert_bare_401(response) -> None:
    assert response.status_code == 401
    assert response.get_data() == b""
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# ------------------------------------------------------------------------------ accepted


def test_discovery_with_a_valid_token(http, signer):
    response = http.get(DISCOVERY, headers=bearer(signer.sign(BASE + DISCOVERY)))
    assert response.status_code == 200
    assert response.get_json()["services"]


def test_feedback_with_a_valid_token(http, signer):
    token = signer.sign(BASE + FEEDBACK_PATH)
    response = http.post(FEEDBACK_PATH, json=feedback(), headers=bearer(token))
    assert response.status_code == 200, response.get_data()


def test_aud_is_the_public_base_url_behind_a_proxy(tmp_path, monkeypatch, signer):
    public = "https://cds.hospital.example/marrow"
    app = jwt_app(tmp_path, monkeypatch, client=signer, PUBLIC_BASE_URL=public)
    http = app.test_client()
    ok = http.get(DISCOVERY, headers=bearer(signer.sign(public + DISCOVERY)))
    assert ok.status_code == 200
    # the URL as the server saw it is not what the client called: refused
    assert_bare_401(http.get(DISCOVERY, headers=bearer(signer.sign(BASE + DISCOVERY))))


def test_rsa_issuer_with_keys_fetched_by_jku(tmp_path, monkeypatch):
    """An issuer configured by jwks_url only; its JWKS is fetched once and cached."""
    rsa = Client(new_rsa_key("rsa-http-1"), iss="https://ehr-rsa.example.org")
    issuers = write_issuers(tmp_path / "issuers.json", {"iss": rsa.iss, "jwks_url": JWKS_URL})
    app = jwt_app(tmp_path, monkeypatch, TRUSTED_ISSUERS=str(issuers))
    http = app.test_client()
    with responses.RequestsMock() as mock:
        mock.get(JWKS_URL, json=jwks_of(rsa.key))
        for _ in range(2):
            assert (
                http.get(DISCOVERY, headers=bearer(rsa.sign(BASE + DISCOVERY))).status_code == 200
            )
        assert len(mock.calls) == 1


# ------------------------------------------------------------------------------ refused


def _none_alg(c: Client) -> str:
    return unsigned(c.header(alg="none"), c.claims(BASE + DISCOVERY))


FAILURES = {
    "no-header": lambda c: None,
    "not-bearer": lambda c: "Basic dXNlcjpwYXNz",
    "none-alg": _none_alg,
    "hs256": lambda c: unsigned(c.header(alg="HS256"), c.claims(BASE + DISCOVERY), b"x" * 32),
    "missing-kid": lambda c: c.sign(BASE + DISCOVERY, header={"kid": None}),
    "unknown-iss": lambda c: Client(c.key, iss="https://evil.example").sign(BASE + DISCOVERY),
    "jku-not-listed": lambda c: Client(c.key, jku="https://evil.example/jwks").sign(
        BASE + DISCOVERY
    ),
    "expired": lambda c: c.sign(
        BASE + DISCOVERY, iat=int(time.time()) - 900, exp=int(time.time()) - 600
    ),
    "iat-in-future": lambda c: c.sign(
        BASE + DISCOVERY, iat=int(time.time()) + 900, exp=int(time.time()) + 1200
    ),
    "wrong-aud": lambda c: c.sign("https://other.example/cds-services"),
    "garbage": lambda c: "not.a.jwt",
}


@pytest.mark.parametrize("make_token", FAILURES.values(), ids=FAILURES.keys())
def test_every_failure_is_a_bare_401(http, signer, make_token):
    token = make_token(signer)
    if token is None:
        headers = {}
    elif token.startswith("Basic "):
        headers = {"Authorization": token}
    else:
        headers = bearer(token)
    assert_bare_401(http.get(DISCOVERY, headers=headers))


def test_service_and_feedback_need_a_token(http):
    assert_bare_401(http.post(SERVICE_PATH, json={"hook": "patient-view"}))
    assert_bare_401(http.post(FEEDBACK_PATH, json=feedback()))


def test_unknown_service_is_not_revealed_without_a_token(http):
    assert_bare_401(http.post("/cds-services/no-such-service", json={}))


def test_replayed_token_is_refused(http, signer):
    token = signer.sign(BASE + DISCOVERY)
    assert http.get(DISCOVERY, headers=bearer(token)).status_code == 200
    assert_bare_401(http.get(DISCOVERY, headers=bearer(token)))


def test_replay_is_refused_across_two_workers_sharing_the_database(tmp_path, monkeypatch, signer):
    """Two app instances (two gunicorn workers) on one database file."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    worker_1 = jwt_app(tmp_path, monkeypatch, client=signer, database=database).test_client()
    worker_2 = jwt_app(tmp_path, monkeypatch, client=signer, database=database).test_client()
    token = signer.sign(BASE + FEEDBACK_PATH)
    assert worker_1.post(FEEDBACK_PATH, json=feedback(), headers=bearer(token)).status_code == 200
    assert_bare_401(worker_2.post(FEEDBACK_PATH, json=feedback(), headers=bearer(token)))


def test_tenant_not_on_the_issuers_list_is_refused(tmp_path, monkeypatch, signer):
    entry = {"iss": signer.iss, "jwks": jwks_of(signer.key), "tenants": ["hospital-a"]}
    issuers = write_issuers(tmp_path / "issuers.json", entry)
    http = jwt_app(tmp_path, monkeypatch, TRUSTED_ISSUERS=str(issuers)).test_client()

    def as_tenant(tenant: str) -> Client:
        return Client(signer.key, jku=None, extra_claims={"tenant": tenant})

    ok = http.get(DISCOVERY, headers=bearer(as_tenant("hospital-a").sign(BASE + DISCOVERY)))
    assert ok.status_code == 200
    refused = http.get(DISCOVERY, headers=bearer(as_tenant("hospital-b").sign(BASE + DISCOVERY)))
    assert_bare_401(refused)


@responses.activate
def test_key_rotation_through_http(tmp_path, monkeypatch, signer):
    """The issuer publishes a new key: the first token signed with it triggers one refetch."""
    rotated = Client(new_ec_key("ec-http-rotated"))
    responses.get(JWKS_URL, json=jwks_of(signer.key, rotated.key))
    http = jwt_app(tmp_path, monkeypatch, client=signer).test_client()  # old key inline only
    assert http.get(DISCOVERY, headers=bearer(signer.sign(BASE + DISCOVERY))).status_code == 200
    assert len(responses.calls) == 0  # inline key: nothing fetched
    assert http.get(DISCOVERY, headers=bearer(rotated.sign(BASE + DISCOVERY))).status_code == 200
    assert len(responses.calls) == 1


def test_nobody_is_trusted_by_default(tmp_path, monkeypatch, signer):
    monkeypatch.delenv("MARROW_CDS_TRUSTED_ISSUERS", raising=False)
    http = jwt_app(tmp_path, monkeypatch).test_client()
    assert_bare_401(http.get(DISCOVERY, headers=bearer(signer.sign(BASE + DISCOVERY))))


def test_require_jwt_0_turns_verification_off(tmp_path, monkeypatch):
    http = jwt_app(tmp_path, monkeypatch, REQUIRE_JWT="0").test_client()
    assert http.get(DISCOVERY).status_code == 200


# ------------------------------------------------------------------------------ open endpoints


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_token(http, path):
    assert http.get(path).status_code == 200


def test_openapi_document_needs_no_token(http):
    assert http.get("/openapi.json").status_code == 200


@pytest.mark.parametrize("path", [DISCOVERY, SERVICE_PATH, FEEDBACK_PATH])
def test_cors_preflight_needs_no_token(http, path):
    response = http.options(
        path,
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_a_401_still_carries_cors_headers_for_the_browser(http):
    response = http.get(DISCOVERY, headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert_bare_401(response)
    assert response.headers.get("Access-Control-Allow-Origin")


# ------------------------------------------------------------------------------ logging


def test_refusal_is_logged_with_its_reason_and_never_the_token(http, signer):
    token = Client(signer.key, iss="https://evil.example").sign(BASE + DISCOVERY)
    with captured_logs() as logs:
        assert_bare_401(http.get(DISCOVERY, headers=bearer(token)))
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert any("unknown_issuer" in line["message"] for line in lines)
    text = logs.getvalue()
    for part in token.split("."):
        assert part not in text
