"""SIGKILL the server during a feedback load: every acknowledged feedback is in the database.

`marrow-cds serve` (gunicorn, 2 workers) runs on a loopback port with a SQLite file database.
Threads post feedback (two cards per request, so a half-written request would show); once enough
have been acknowledged the whole process group is killed with SIGKILL, mid-load. Then the
database file is opened afresh and counted: each 2xx answer's cards are there, and each request
is there entirely or not at all. Finally a new server starts on the same file and works.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import UTC, datetime

import pytest
import requests

from .server_kit import start_server

pytestmark = pytest.mark.slow

THREADS = 6
MAX_REQUESTS_PER_THREAD = 300
KILL_AFTER_ACKS = 100
FEEDBACK_PATH = "/cds-services/heterogeneous-marrow/feedback"


def two_card_report(request_id: str) -> dict:
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    return {
        "feedback": [
            {"card": f"{request_id}-a", "outcome": "overridden", "outcomeTimestamp": now},
            {
                "card": f"{request_id}-b",
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": f"{request_id}-s"}],
                "outcomeTimestamp": now,
            },
        ]
    }


def test_every_acknowledged_feedback_survives_sigkill(tmp_path):
    database = tmp_path / "feedback.sqlite3"
    env = {
        "MARROW_CDS_DATABASE_URL": f"sqlite:///{database}",
        "MARROW_CDS_PATIENT_HASH_KEY": "kill-test-hash-key-0123456789",
        "MARROW_CDS_REQUIRE_JWT": "0",
        "MARROW_CDS_LOG_LEVEL": "WARNING",
    }
    server = start_server(tmp_path, env)
    acknowledged: list[str] = []
    sent: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def client() -> None:
        with requests.Session() as session:
            for _ in range(MAX_REQUESTS_PER_THREAD):
                request_id = str(uuid.uuid4())
                with lock:
                    sent.append(request_id)
                try:
                    answer = session.post(
                        server.base_url + FEEDBACK_PATH,
                        json=two_card_report(request_id),
                        timeout=(2, 10),
                    )
                except requests.RequestException:
                    return  # the server is gone
                if 200 <= answer.status_code < 300:
                    with lock:
                        acknowledged.append(request_id)
                        if len(acknowledged) >= KILL_AFTER_ACKS:
                            enough.set()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        enough.wait(timeout=120)
        server.kill_hard()  # mid-load: the clients are still sending
    finally:
        server.kill_hard()
    for thread in threads:
        thread.join(timeout=60)
    assert len(acknowledged) >= KILL_AFTER_ACKS, server.log_path.read_text()[-2000:]
    assert len(sent) > len(acknowledged)  # the kill did interrupt the load

    with sqlite3.connect(database) as conn:  # a fresh open recovers the WAL, as a restart would
        stored = {row[0] for row in conn.execute("SELECT card_uuid FROM feedback")}
    missing = [r for r in acknowledged if f"{r}-a" not in stored or f"{r}-b" not in stored]
    assert missing == [], f"{len(missing)} acknowledged reports lost"
    half_written = [r for r in sent if (f"{r}-a" in stored) != (f"{r}-b" in stored)]
    assert half_written == []

    restarted = start_server(tmp_path, env)
    try:
        answer = requests.post(
            restarted.base_url + FEEDBACK_PATH,
            json=two_card_report(str(uuid.uuid4())),
            timeout=(2, 10),
        )
        assert answer.status_code == 200
    finally:
        restarted.stop()
