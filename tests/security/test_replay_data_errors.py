"""The replay store refuses bad jtis without ever leaving the shared database (review item 2).

Before: any database error (e.g. PostgreSQL's DataError on a NUL byte) switched the store to this
process's memory for 10 s, so a replay sent to another worker in that window was accepted. Now a
jti that cannot be stored is refused before the database is touched, a data error refuses the
token and keeps the database in charge, and only connectivity errors degrade to memory.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError

from cds_hooks.security.jti_replay import InvalidJti, ReplayStore, is_connectivity_error
from cds_hooks.storage import migrations
from cds_hooks.storage.records import make_engine
from tests.support.app import BASE, bearer, jwt_app
from tests.support.jwt import ISS, Client, new_ec_key


def until() -> datetime:
    """Five minutes from now, when the test runs (not when the module was collected: a full run
    can take longer than that)."""
    return datetime.now(UTC) + timedelta(minutes=5)


DISCOVERY = "/cds-services"


class _FailingEngine:
    """An engine whose every transaction raises `error`; counts the attempts."""

    class dialect:
        name = "postgresql"

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.attempts = 0

    def begin(self):
        self.attempts += 1
        raise self.error


@pytest.mark.parametrize(
    "jti", ["a\x00b", "", "x" * 256, "line\nbreak", "tab\there", "\x7f", "\ud800", 7, None]
)
def test_unstorable_jti_is_refused_before_the_database(jti):
    engine = _FailingEngine(OperationalError("INSERT", {}, ConnectionError("down")))
    store = ReplayStore(engine)  # type: ignore[arg-type]
    with pytest.raises(InvalidJti):
        store.first_use(ISS, jti, until())  # type: ignore[arg-type]
    assert engine.attempts == 0


@pytest.mark.parametrize(
    "error",
    [
        DataError("INSERT", {}, ValueError("NUL byte")),
        IntegrityError("INSERT", {}, ValueError("constraint")),
    ],
    ids=["DataError", "IntegrityError"],
)
def test_data_error_refuses_the_token_and_keeps_the_database_in_charge(error):
    engine = _FailingEngine(error)
    store = ReplayStore(engine)  # type: ignore[arg-type]
    with pytest.raises(InvalidJti):
        store.first_use(ISS, "jti-1", until())
    with pytest.raises(InvalidJti):
        store.first_use(ISS, "jti-2", until())
    assert engine.attempts == 2  # no memory-only window: the next token asked the database


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("INSERT", {}, ConnectionError("refused")),
        InterfaceError("INSERT", {}, ConnectionError("closed")),
    ],
    ids=["OperationalError", "InterfaceError"],
)
def test_connectivity_error_degrades_to_memory(error):
    assert is_connectivity_error(error)
    engine = _FailingEngine(error)
    store = ReplayStore(engine)  # type: ignore[arg-type]
    assert store.first_use(ISS, "jti-1", until())
    assert not store.first_use(ISS, "jti-1", until())
    assert engine.attempts == 1


def test_nul_jti_then_replay_across_workers_on_sqlite(tmp_path, monkeypatch):
    """The review's scenario on two app instances sharing one SQLite database."""
    signer = Client(new_ec_key("ec-replay-sqlite"))
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    worker_1 = jwt_app(tmp_path, monkeypatch, client=signer, database=url).test_client()
    worker_2 = jwt_app(tmp_path, monkeypatch, client=signer, database=url).test_client()
    aud = BASE + DISCOVERY
    bad = worker_1.get(DISCOVERY, headers=bearer(signer.sign(aud, jti="a\x00b")))
    assert bad.status_code == 401
    token = signer.sign(aud)
    assert worker_1.get(DISCOVERY, headers=bearer(token)).status_code == 200
    assert worker_2.get(DISCOVERY, headers=bearer(token)).status_code == 401


def test_sqlite_stores_a_valid_jti_once(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'replay.sqlite3'}")
    migrations.upgrade(engine)
    try:
        store = ReplayStore(engine)
        assert store.first_use(ISS, "ok-jti", until())
        assert not ReplayStore(engine).first_use(ISS, "ok-jti", until())
    finally:
        engine.dispose()
