"""Client JWTs through the real server: `marrow-cds serve` (gunicorn, 2 worker processes).

The `aud` a client signs is the URL it calls, here http://127.0.0.1:<port>/...: the server must
derive the same URL from what gunicorn hands it. A token replayed on a new connection (possibly
another worker process) is refused through the shared database.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.support.hooks import FEEDBACK_PATH, SERVICE_PATH, feedback, patient_view
from tests.support.jwt import Client, jwks_of, new_ec_key

from .server_kit import start_server

pytestmark = pytest.mark.slow


def test_tokens_through_gunicorn(tmp_path):
    signer = Client(new_ec_key("ec-served"), jku=None)
    issuers = tmp_path / "trusted-issuers.json"
    issuers.write_text(json.dumps({"issuers": [{"iss": signer.iss, "jwks": jwks_of(signer.key)}]}))
    server = start_server(
        tmp_path,
        {
            "MARROW_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
            "MARROW_CDS_PATIENT_HASH_KEY": "served-test-hash-key-0123456789",
            "MARROW_CDS_TRUSTED_ISSUERS": str(issuers),
            "MARROW_CDS_LOG_LEVEL": "WARNING",
        },
    )
    try:

        def call(method: str, path: str, token: str | None, body=None) -> requests.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            with requests.Session() as session:  # a new connection each time
                return session.request(
                    method, server.base_url + path, json=body, headers=headers, timeout=(2, 30)
                )

        discovery_token = signer.sign(server.base_url + "/cds-services")
        assert call("GET", "/cds-services", discovery_token).status_code == 200
        replays = [call("GET", "/cds-services", discovery_token) for _ in range(4)]
        assert [r.status_code for r in replays] == [401] * 4
        assert all(r.content == b"" for r in replays)

        hook = call(
            "POST", SERVICE_PATH, signer.sign(server.base_url + SERVICE_PATH), patient_view()
        )
        assert hook.status_code == 200
        card = hook.json()["cards"][0]["uuid"]
        ack = call(
            "POST", FEEDBACK_PATH, signer.sign(server.base_url + FEEDBACK_PATH), feedback(card)
        )
        assert ack.status_code == 200

        assert call("GET", "/cds-services", None).status_code == 401
        wrong_aud = signer.sign(f"http://127.0.0.1:1/cds-services?{uuid.uuid4()}")
        assert call("GET", "/cds-services", wrong_aud).status_code == 401
        assert call("GET", "/readyz", None).status_code == 200
    finally:
        server.stop()
