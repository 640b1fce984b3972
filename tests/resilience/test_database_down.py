"""Database unavailable (SQLite): hooks answer, feedback is refused with a 503 and nothing is
written, the replay check keeps working per process; when the database comes back everything
acknowledged is there. (tests/postgres has the same story with a real server stopped and
restarted under the running app.)

The database file lives in a directory that does not exist yet: every connection attempt fails,
as with a database host that is down. "Coming back" is creating the directory and migrating.
"""

from __future__ import annotations

from sqlalchemy import select

from cds_hooks.storage import migrations
from cds_hooks.storage.records import FeedbackRow
from tests.support.app import BASE, bearer, jwt_app
from tests.support.hooks import FEEDBACK_PATH, SERVICE_PATH, feedback, patient_view
from tests.support.jwt import Client, new_ec_key

SIGNER = Client(new_ec_key("ec-db-down"))


def test_hooks_answer_and_feedback_is_refused_while_the_database_is_down(tmp_path, monkeypatch):
    db_dir = tmp_path / "not-yet"
    app = jwt_app(
        tmp_path, monkeypatch, client=SIGNER, database=f"sqlite:///{db_dir / 'marrow.sqlite3'}"
    )
    http = app.test_client()

    def signed(path: str) -> dict[str, str]:
        return bearer(SIGNER.sign(BASE + path))

    hook = http.post(SERVICE_PATH, json=patient_view(), headers=signed(SERVICE_PATH))
    assert hook.status_code == 200
    assert hook.get_json()["cards"]

    refused = http.post(FEEDBACK_PATH, json=feedback(), headers=signed(FEEDBACK_PATH))
    assert refused.status_code == 503
    assert refused.get_json()["resourceType"] == "OperationOutcome"
    assert refused.headers.get("Retry-After")
    assert http.get("/readyz").get_json() == {"status": "ready", "database": "unavailable"}
    assert http.get("/healthz/db").status_code == 503
    assert http.get("/healthz").status_code == 200

    # the jti check falls back to this process: a replay is still refused
    token = SIGNER.sign(BASE + "/cds-services")
    assert http.get("/cds-services", headers=bearer(token)).status_code == 200
    assert http.get("/cds-services", headers=bearer(token)).status_code == 401

    # the database comes back
    db_dir.mkdir()
    engine = app.extensions["marrow_store"].engine
    migrations.upgrade(engine)
    assert http.get("/healthz/db").status_code == 200
    report = feedback()
    accepted = http.post(FEEDBACK_PATH, json=report, headers=signed(FEEDBACK_PATH))
    assert accepted.status_code == 200
    with engine.connect() as conn:
        stored = list(conn.scalars(select(FeedbackRow.card_uuid)))
    assert stored == [report["feedback"][0]["card"]]  # the refused report left nothing behind
    # ... and a jti seen during the outage is still refused after it
    assert http.get("/cds-services", headers=bearer(token)).status_code == 401
