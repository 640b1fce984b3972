"""Marrow CDS against a real PostgreSQL server (conftest.py starts it on loopback).

Two app instances on one database stand for two gunicorn workers (or two replicas): feedback
and the JWT replay cache must behave as one service. The last test stops the server under the
running app: hooks keep answering, feedback is refused with a 503 and nothing partial is written,
and once the server is back every feedback acknowledged before is there.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from cds_hooks.security.jti_replay import ReplayStore
from cds_hooks.storage import migrations
from cds_hooks.storage.records import FeedbackRow, IssuedCardRow, JwtReplayRow, make_engine
from tests.support.app import BASE, bearer, jwt_app
from tests.support.hooks import FEEDBACK_PATH, SERVICE_PATH, feedback, patient_view
from tests.support.jwt import Client, new_ec_key

pytestmark = pytest.mark.postgres

DISCOVERY = "/cds-services"


@pytest.fixture(scope="module")
def signer() -> Client:
    return Client(new_ec_key("ec-postgres"))


@pytest.fixture
def two_workers(tmp_path, monkeypatch, database_url, signer):
    """Two app instances sharing the PostgreSQL database (the first one migrates it). Enough
    evaluation slots for the concurrency tests here: they test the store, not admission."""
    monkeypatch.setenv("MARROW_CDS_EVALUATION_SLOTS", "16")
    worker_1 = jwt_app(tmp_path, monkeypatch, client=signer, database=database_url)
    worker_2 = jwt_app(tmp_path, monkeypatch, client=signer, database=database_url)
    return worker_1.test_client(), worker_2.test_client()


def count(database_url: str, model) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(model)))
    finally:
        engine.dispose()


def test_migrations_apply_and_readyz_says_ready(database_url, tmp_path, monkeypatch, signer):
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"feedback", "issued_card", "jwt_replay", "alembic_version"} <= tables
    migrations.upgrade(engine)  # idempotent: a second run (another replica) changes nothing
    engine.dispose()
    app = jwt_app(tmp_path, monkeypatch, client=signer, database=database_url)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"


def test_replicas_starting_at_once_migrate_one_after_the_other(database_url):
    """Several containers whose entrypoint runs `marrow-cds db upgrade` at the same moment: an
    advisory lock serialises them (without it they race to create the same tables)."""
    errors: list[str] = []
    barrier = threading.Barrier(3)

    def migrate() -> None:
        engine = make_engine(database_url)
        try:
            barrier.wait(timeout=30)
            migrations.upgrade(engine)
        except Exception as exc:  # noqa: BLE001 - thread boundary: every error is collected and asserted on
            errors.append(type(exc).__name__)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    engine = make_engine(database_url)
    try:
        assert migrations.current_revision(engine) == migrations.head_revision()
    finally:
        engine.dispose()


def test_feedback_from_two_workers_is_stored_once(two_workers, database_url, signer):
    worker_1, worker_2 = two_workers
    report = feedback()
    other = feedback()
    for worker, body in ((worker_1, report), (worker_2, report), (worker_2, other)):
        answer = worker.post(
            FEEDBACK_PATH, json=body, headers=bearer(signer.sign(BASE + FEEDBACK_PATH))
        )
        assert answer.status_code == 200, answer.get_data()
    assert count(database_url, FeedbackRow) == 2  # the repeated report is stored once


def test_the_same_report_sent_concurrently_to_two_workers_is_stored_once(
    two_workers, database_url, signer
):
    """An EHR retrying: 8 copies of one report at once on two workers, all acknowledged, one
    row (ON CONFLICT DO NOTHING on the dedupe key)."""
    worker_1, worker_2 = two_workers
    report = feedback()
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def post(worker) -> None:
        headers = bearer(signer.sign(BASE + FEEDBACK_PATH))
        barrier.wait(timeout=30)
        statuses.append(worker.post(FEEDBACK_PATH, json=report, headers=headers).status_code)

    threads = [
        threading.Thread(target=post, args=(worker_1 if i % 2 else worker_2,)) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 8
    assert count(database_url, FeedbackRow) == 1


def test_replayed_jti_is_refused_by_the_other_worker(two_workers, signer):
    worker_1, worker_2 = two_workers
    token = signer.sign(BASE + DISCOVERY)
    assert worker_1.get(DISCOVERY, headers=bearer(token)).status_code == 200
    replay = worker_2.get(DISCOVERY, headers=bearer(token))
    assert replay.status_code == 401
    assert replay.get_data() == b""


def test_concurrent_replays_across_workers_let_exactly_one_through(two_workers, signer):
    """The same token sent 16 times at once to two workers: ON CONFLICT lets one win."""
    worker_1, worker_2 = two_workers
    token = signer.sign(BASE + DISCOVERY)
    statuses: list[int] = []
    barrier = threading.Barrier(16)

    def call(worker) -> None:
        barrier.wait(timeout=30)
        statuses.append(worker.get(DISCOVERY, headers=bearer(token)).status_code)

    threads = [
        threading.Thread(target=call, args=(worker_1 if i % 2 else worker_2,)) for i in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] + [401] * 15


def test_expired_jtis_are_purged_on_postgres(database_url):
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine)
        store = ReplayStore(engine)
        iss = "https://ehr.example.org"
        assert store.first_use(iss, "old", datetime.now(UTC) - timedelta(minutes=1))
        assert store.first_use(iss, "new", datetime.now(UTC) + timedelta(hours=1))
        assert not store.first_use(iss, "new", datetime.now(UTC) + timedelta(hours=1))
        assert store.purge_expired() == 1
    finally:
        engine.dispose()
    assert count(database_url, JwtReplayRow) == 1


def test_database_outage_hooks_answer_feedback_503_then_nothing_lost(
    postgres, database_url, tmp_path, monkeypatch, signer
):
    app = jwt_app(tmp_path, monkeypatch, client=signer, database=database_url)
    http = app.test_client()

    def post_feedback(body):
        return http.post(
            FEEDBACK_PATH, json=body, headers=bearer(signer.sign(BASE + FEEDBACK_PATH))
        )

    acknowledged = []
    for _ in range(3):
        body = feedback()
        assert post_feedback(body).status_code == 200
        acknowledged.append(body["feedback"][0]["card"])

    postgres.stop("fast")
    try:
        hook = http.post(
            SERVICE_PATH, json=patient_view(), headers=bearer(signer.sign(BASE + SERVICE_PATH))
        )
        assert hook.status_code == 200, hook.get_data()[:500]
        assert hook.get_json()["cards"]
        refused = post_feedback(feedback())
        assert refused.status_code == 503
        assert refused.get_json()["resourceType"] == "OperationOutcome"
        ready = http.get("/readyz")  # readiness = can serve hooks (health.py): still 200
        assert ready.status_code == 200
        assert ready.get_json()["database"] == "unavailable"
        assert http.get("/healthz/db").status_code == 503
        assert http.get("/healthz").status_code == 200
    finally:
        postgres.start()

    after = post_feedback(feedback())
    assert after.status_code == 200
    engine = make_engine(database_url)
    with engine.connect() as conn:
        stored = set(conn.scalars(select(FeedbackRow.card_uuid)))
    engine.dispose()
    assert set(acknowledged) <= stored
    assert len(stored) == 4  # the three before, the one after; nothing from the refused call


def test_nul_jti_does_not_open_a_replay_window_across_workers(two_workers, signer):
    """Review item 2: a jti PostgreSQL cannot store is a 401 and the replay check stays shared."""
    worker_1, worker_2 = two_workers
    bad = worker_1.get(DISCOVERY, headers=bearer(signer.sign(BASE + DISCOVERY, jti="a\x00b")))
    assert bad.status_code == 401
    token = signer.sign(BASE + DISCOVERY)
    assert worker_1.get(DISCOVERY, headers=bearer(token)).status_code == 200
    assert worker_2.get(DISCOVERY, headers=bearer(token)).status_code == 401


def test_postgres_data_error_is_not_taken_for_an_outage(database_url, monkeypatch):
    """Even if a bad jti got past validation, PostgreSQL's DataError refuses the token and the
    store keeps using the database (no memory-only window)."""
    from cds_hooks.security import jti_replay as replay

    engine = make_engine(database_url)
    migrations.upgrade(engine)
    try:
        monkeypatch.setattr(replay, "_valid_id", lambda value, max_length: True)
        store = ReplayStore(engine)
        until = datetime.now(UTC) + timedelta(minutes=5)
        with pytest.raises(replay.InvalidJti):
            store.first_use("https://ehr.example.org", "a\x00b", until)
        assert store.first_use("https://ehr.example.org", "good", until)
        assert not ReplayStore(engine).first_use("https://ehr.example.org", "good", until)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("card", "c" * 101),
        ("card", "nul\x00"),
        ("code", "c" * 101),
        ("system", "s" * 256),
        ("userComment", "nul\x00byte"),
        ("outcomeTimestamp", "9999-12-31T23:59:59-14:00"),
        ("outcomeTimestamp", "20261123T100000+0000"),
    ],
    ids=["card_long", "card_nul", "code_long", "system_long", "comment_nul", "ts_ovf", "ts_basic"],
)
def test_fb_value_pg_cannot_hold_400(tmp_path, monkeypatch, database_url, signer, field, value):
    """Review item 4 on PostgreSQL: a bad second item rejects the whole body with a 400."""
    app = jwt_app(tmp_path, monkeypatch, client=signer, database=database_url)
    http = app.test_client()
    good, bad = feedback()["feedback"][0], feedback()["feedback"][0]
    if field in ("code", "system"):
        bad["overrideReason"]["reason"][field] = value
    elif field == "userComment":
        bad["overrideReason"]["userComment"] = value
    else:
        bad[field] = value
    response = http.post(
        FEEDBACK_PATH,
        json={"feedback": [good, bad]},
        headers=bearer(signer.sign(BASE + FEEDBACK_PATH)),
    )
    assert response.status_code == 400, response.get_data()[:300]
    assert field in response.get_json()["issue"][0]["diagnostics"]
    assert count(database_url, FeedbackRow) == 0


def test_feedback_differing_only_in_comment_is_kept_on_postgres(
    tmp_path, monkeypatch, database_url, signer
):
    app = jwt_app(tmp_path, monkeypatch, client=signer, database=database_url)
    http = app.test_client()
    first = feedback()
    second = {"feedback": [dict(first["feedback"][0])]}
    second["feedback"][0]["overrideReason"] = {
        **first["feedback"][0]["overrideReason"],
        "userComment": "a different comment",
    }
    for body, stored in ((first, 1), (second, 1), (second, 0)):
        response = http.post(
            FEEDBACK_PATH, json=body, headers=bearer(signer.sign(BASE + FEEDBACK_PATH))
        )
        assert response.get_json()["stored"] == stored
    assert count(database_url, FeedbackRow) == 2


def test_long_hook_instance_is_400_on_postgres(tmp_path, monkeypatch, database_url, signer):
    """Review item 5: a 150-character hookInstance used to answer 200 and silently fail to
    record the issued cards (String(100)); now it is a 400 before anything is stored."""
    app = jwt_app(tmp_path, monkeypatch, client=signer, database=database_url)
    http = app.test_client()
    body = patient_view()
    body["hookInstance"] = "h" * 150
    response = http.post(SERVICE_PATH, json=body, headers=bearer(signer.sign(BASE + SERVICE_PATH)))
    assert response.status_code == 400
    body["hookInstance"] = "h" * 100
    response = http.post(SERVICE_PATH, json=body, headers=bearer(signer.sign(BASE + SERVICE_PATH)))
    assert response.status_code == 200
    uuids = [c["uuid"] for c in response.get_json()["cards"] if c.get("uuid")]
    app.extensions["marrow_recorder"].drain()
    assert count(database_url, IssuedCardRow) == len(uuids) > 0
