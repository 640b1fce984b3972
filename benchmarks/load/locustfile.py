"""Locust user: an EHR calling patient-view with a typical prefetch, signed like a real client.

Started by run_load.py, which passes through the environment:
- MARROW_LOAD_KEY: path of the client's private JWK (ES384); the server trusts its public half;
- MARROW_LOAD_OBSERVATIONS: lab Observations in the prefetch (default 150);
- MARROW_LOAD_FEEDBACK_EVERY: one feedback call per N hook calls (default 10; 0 = none);
- MARROW_LOAD_REQUEST: "typical" (default: the synthetic patient of patient_data.py) or the path of
  a hook request file, e.g. examples/patient-view-heterogeneous-marrow.json;
- MARROW_LOAD_RESULTS: a file that receives, at the end, one [status, milliseconds, start time,
  error] per patient-view call (status 0: no answer, e.g. a connection error or a client timeout,
  named by error).

A 503 (overload, or the call's deadline) is an answer, not a failure: the service sheds load on
purpose. run_load.py reports the 200-rate and the latency of the 200s from the results file.

Each call carries a fresh JWT (new jti, aud = the URL called) and a fresh hookInstance; no think
time: 50 users are 50 clients calling back to back (a closed loop at full load).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import ECKey
from locust import HttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/patient_data.py
import patient_data

SERVICE_PATH = "/cds-services/heterogeneous-marrow"
ISS = "https://load-test-ehr.example.org"
KEY = ECKey.import_key(json.loads(Path(os.environ["MARROW_LOAD_KEY"]).read_text()))
OBSERVATIONS = int(os.environ.get("MARROW_LOAD_OBSERVATIONS", "150"))
FEEDBACK_EVERY = int(os.environ.get("MARROW_LOAD_FEEDBACK_EVERY", "10"))
REQUEST = os.environ.get("MARROW_LOAD_REQUEST", "typical")
RESULTS = os.environ.get("MARROW_LOAD_RESULTS")
CLIENT_TIMEOUT_S = 30.0  # an answer slower than this counts as none (status 0)
# (status, ms, started at, error of a call without an answer) per patient-view call
_results: list[tuple[int, float, float, str]] = []


def typical_request() -> str:
    """A patient-view body with the four prefetch keys, serialised once; hookInstance is a
    placeholder replaced per call."""
    now = patient_data.now()
    body = {
        "hook": "patient-view",
        "hookInstance": "HOOK-INSTANCE",
        "context": {"userId": "Practitioner/load-1", "patientId": patient_data.PATIENT_ID},
        "prefetch": {
            "patient": patient_data.patient(),
            "labs": patient_data.searchset(patient_data.observations(OBSERVATIONS, now)),
            "imaging": patient_data.searchset([patient_data.mri_report(now)]),
            "conditions": patient_data.searchset(patient_data.conditions()),
        },
    }
    return json.dumps(body)


def file_request(path: str) -> str:
    """A hook request file, its hookInstance replaced per call."""
    body = json.loads(Path(path).read_text())
    body["hookInstance"] = "HOOK-INSTANCE"
    return json.dumps(body)


BODY = typical_request() if REQUEST == "typical" else file_request(REQUEST)


@events.quitting.add_listener
def _write_results(**_kwargs: object) -> None:
    if RESULTS:
        Path(RESULTS).write_text(json.dumps(_results))


def token(audience: str) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": audience, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    header = {"alg": "ES384", "kid": KEY.kid, "typ": "JWT"}
    return jwt.encode(header, claims, KEY, algorithms=["ES384"])


class Ehr(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.calls = 0
        self.card_uuids: list[str] = []

    def _headers(self, path: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token(self.host.rstrip('/') + path)}",
            "Content-Type": "application/json",
        }

    @task
    def patient_view(self) -> None:
        body = BODY.replace("HOOK-INSTANCE", str(uuid.uuid4()), 1)
        started = time.perf_counter()
        with self.client.post(
            SERVICE_PATH,
            data=body,
            headers=self._headers(SERVICE_PATH),
            name="patient-view",
            catch_response=True,
            timeout=CLIENT_TIMEOUT_S,
        ) as response:
            elapsed_ms = (time.perf_counter() - started) * 1000
            error = "" if response.error is None else type(response.error).__name__
            if response.error is not None:
                error += f": {str(response.error)[:200]}"
            _results.append(
                (response.status_code or 0, elapsed_ms, time.time() - elapsed_ms / 1000, error)
            )
            if response.status_code == 503 and response.headers.get("Retry-After"):
                response.success()  # load shed on purpose: an answer, counted apart
                return
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            cards = response.json().get("cards", [])
            if not cards:
                response.failure("no cards")
                return
            self.card_uuids = [c["uuid"] for c in cards if c.get("uuid")]
        self.calls += 1
        if FEEDBACK_EVERY and self.calls % FEEDBACK_EVERY == 0 and self.card_uuids:
            self._feedback(self.card_uuids[0])

    def _feedback(self, card_uuid: str) -> None:
        path = f"{SERVICE_PATH}/feedback"
        report = {
            "feedback": [
                {
                    "card": card_uuid,
                    "outcome": "overridden",
                    "outcomeTimestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
                }
            ]
        }
        with self.client.post(
            path,
            data=json.dumps(report),
            headers=self._headers(path),
            name="feedback",
            catch_response=True,
            timeout=CLIENT_TIMEOUT_S,
        ) as response:
            if response.status_code == 503 and response.headers.get("Retry-After"):
                response.success()  # load shed on purpose, as for patient-view
