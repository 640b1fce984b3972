"""The logs of a full run carry no token, no patient name and no identifier.

One app, JWT verification on, and everything a busy clinic day sends: discovery, a patient-view
call whose labs are fetched from the EHR's FHIR server with a bearer token, one whose fetch
fails, feedback with a clinician's free-text comment naming the patient, a refused token, a
malformed request carrying patient data, an unknown service. Every log line the service writes
(JSON, as in production) is captured and searched.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import responses

from tests.support.app import BASE, bearer, captured_logs, jwt_app
from tests.support.hooks import (
    FAMILY,
    FEEDBACK_PATH,
    GIVEN,
    MRN,
    PATIENT_ID,
    SERVICE_PATH,
    SSN,
    bundle,
    feedback,
    labs,
    mri_report,
    patient,
    patient_view,
)
from tests.support.jwt import Client, new_ec_key

FHIR = "https://fhir.hospital.example/r4"
ACCESS_TOKEN = "fhir-access-token-Zq81x0"
SIGNER = Client(new_ec_key("ec-logs"))


def request_with_fetch() -> dict:
    body = patient_view(with_prefetch=False, fhir_server=FHIR, access_token=ACCESS_TOKEN)
    body["prefetch"] = {
        "patient": patient(),
        "imaging": bundle([mri_report(datetime.now(UTC))]),
        "conditions": bundle([]),
    }
    return body


def test_a_full_run_logs_no_token_name_or_identifier(tmp_path, monkeypatch):
    app = jwt_app(tmp_path, monkeypatch, client=SIGNER, FHIR_ALLOWLIST=FHIR, LOG_LEVEL="DEBUG")
    http = app.test_client()
    tokens: list[str] = []

    def signed(path: str) -> dict[str, str]:
        tokens.append(SIGNER.sign(BASE + path))
        return bearer(tokens[-1])

    comment = f"Spoke with {GIVEN} {FAMILY} ({MRN}): she declines the biopsy"
    with (
        captured_logs() as logs,
        responses.RequestsMock(assert_all_requests_are_fired=False) as fhir,
    ):
        fhir.add(
            responses.GET,
            re.compile(re.escape(FHIR) + r"/Observation\b.*"),
            json=bundle(labs(datetime.now(UTC))),
        )
        assert http.get("/cds-services", headers=signed("/cds-services")).status_code == 200
        ok = http.post(SERVICE_PATH, json=request_with_fetch(), headers=signed(SERVICE_PATH))
        assert ok.status_code == 200
        assert any(
            c.request.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}" for c in fhir.calls
        )

        fhir.replace(
            responses.GET,
            re.compile(re.escape(FHIR) + r"/Observation\b.*"),
            status=500,
            body=f"stack trace mentioning {FAMILY}",
        )
        failed = http.post(SERVICE_PATH, json=request_with_fetch(), headers=signed(SERVICE_PATH))
        assert failed.status_code == 200

        card = ok.get_json()["cards"][0]["uuid"]
        report = feedback(card, comment=comment)
        assert (
            http.post(FEEDBACK_PATH, json=report, headers=signed(FEEDBACK_PATH)).status_code == 200
        )

        stranger = Client(SIGNER.key, iss="https://evil.example").sign(BASE + SERVICE_PATH)
        tokens.append(stranger)
        assert (
            http.post(SERVICE_PATH, json=patient_view(), headers=bearer(stranger)).status_code
            == 401
        )

        bad = patient_view()
        bad["context"]["patientId"] = f"{FAMILY}/{SSN}"
        assert http.post(SERVICE_PATH, json=bad, headers=signed(SERVICE_PATH)).status_code == 400
        bad_feedback = feedback(comment=comment)
        bad_feedback["feedback"][0]["outcomeTimestamp"] = f"{GIVEN} {MRN}"
        assert (
            http.post(FEEDBACK_PATH, json=bad_feedback, headers=signed(FEEDBACK_PATH)).status_code
            == 400
        )
        assert (
            http.post(
                "/cds-services/no-such", json={}, headers=signed("/cds-services/no-such")
            ).status_code
            == 404
        )

    text = logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert sum(1 for line in lines if line["message"] == "request") >= 8  # the capture works
    assert any("JWT rejected" in line["message"] for line in lines)
    assert "heterogeneous-marrow" in text  # positive control: what may be logged is there

    secrets = [ACCESS_TOKEN, GIVEN, FAMILY, MRN, SSN, PATIENT_ID, comment]
    for token in tokens:
        secrets.extend(token.split("."))
    leaked = [s for s in secrets if s in text]
    assert leaked == []
