"""The issued-card recorder (cds_hooks/storage/card_recorder.py): the cards of calls that
arrive close together are written in one transaction, each call's rows keep their own patient
hash and hook instance, ``drain`` writes at once, and a database that is down is logged per
call."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from cds_hooks.schemas import Card, Source
from cds_hooks.storage.card_recorder import CardRecorder
from cds_hooks.storage.migrations import upgrade
from cds_hooks.storage.records import IssuedCardRow, make_engine, patient_hash

KEY = b"test-patient-hash-key-0123456789"
ISSUED_AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def card(uuid: str) -> Card:
    return Card(
        uuid=uuid,
        summary="s",
        indicator="info",
        source=Source(label="Marrow CDS", url="https://x.example/rules#R8"),
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'cards.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def transactions(engine: Engine) -> list[int]:
    """Counts the transactions committed on `engine` (one item per commit)."""
    commits: list[int] = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    return commits


def submit(recorder: CardRecorder, patient: str, instance: str, *uuids: str) -> None:
    recorder.submit(
        service_id="heterogeneous-marrow",
        hook_instance=instance,
        patient_id=patient,
        issued_at=ISSUED_AT,
        cards=[card(u) for u in uuids],
        rule_ids={u: "R8" for u in uuids},
    )


def rows(engine: Engine) -> dict[str, tuple[str, str]]:
    with Session(engine) as session:
        return {
            r.card_uuid: (r.patient_hash, r.hook_instance)
            for r in session.scalars(select(IssuedCardRow))
        }


def test_calls_close_together_share_one_transaction_and_keep_their_own_patient(
    engine: Engine,
) -> None:
    commits = transactions(engine)
    recorder = CardRecorder(engine, KEY, linger_s=5.0)
    try:
        submit(recorder, "patient-a", "hook-a", "card-a1", "card-a2")
        submit(recorder, "patient-b", "hook-b", "card-b1")
        recorder.drain()
    finally:
        recorder.close()
    assert len(commits) == 1
    a, b = patient_hash(KEY, "patient-a"), patient_hash(KEY, "patient-b")
    assert a != b
    assert rows(engine) == {
        "card-a1": (a, "hook-a"),
        "card-a2": (a, "hook-a"),
        "card-b1": (b, "hook-b"),
    }


def test_drain_writes_at_once_without_waiting_for_the_linger(engine: Engine) -> None:
    recorder = CardRecorder(engine, KEY, linger_s=30.0)
    try:
        submit(recorder, "patient-a", "hook-a", "card-a1")
        started = time.monotonic()
        recorder.drain(timeout=20.0)
        assert time.monotonic() - started < 10.0
        assert set(rows(engine)) == {"card-a1"}
        # and later calls are recorded too (the writer lingers again, then writes)
        submit(recorder, "patient-b", "hook-b", "card-b1")
        recorder.drain(timeout=20.0)
        assert set(rows(engine)) == {"card-a1", "card-b1"}
    finally:
        recorder.close()


def test_without_drain_the_cards_are_written_after_the_linger(engine: Engine) -> None:
    recorder = CardRecorder(engine, KEY, linger_s=0.01)
    try:
        submit(recorder, "patient-a", "hook-a", "card-a1")
        deadline = time.monotonic() + 10.0
        while not rows(engine) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert set(rows(engine)) == {"card-a1"}
    finally:
        recorder.close()


def test_a_database_that_is_down_is_logged_for_each_call(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}")
    recorder = CardRecorder(engine, KEY, linger_s=5.0)
    try:
        with caplog.at_level(logging.WARNING, logger="cds_hooks.storage.card_recorder"):
            submit(recorder, "patient-a", "hook-a", "card-a1")
            submit(recorder, "patient-b", "hook-b", "card-b1")
            recorder.drain()
    finally:
        recorder.close()
        engine.dispose()
    failed = [r for r in caplog.records if "issued cards not recorded" in r.getMessage()]
    assert sorted(r.__dict__["hookInstance"] for r in failed) == ["hook-a", "hook-b"]
    assert all("patient" not in r.getMessage() for r in failed)
