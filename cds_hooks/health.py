"""Probes. None needs a token; none says more than ok / what is wrong.

- ``/healthz`` (liveness): the process answers.
- ``/readyz`` (readiness): the process can serve hooks. Hooks do not need the database (issued
  cards are recorded in the background; only feedback answers 503 without it), so a database
  outage does NOT make a pod unready: taking every pod out of the Service would turn a
  feedback outage into a total one. The answer says how the database is (``"database":
  "unavailable"``). A database that answers with a schema behind the Alembic head does make the
  pod unready (503): this release was rolled out before its migration, and older pods can serve.
- ``/healthz/db`` (monitoring, alerting): the database is reachable and at the Alembic head;
  503 otherwise. Never a readiness probe.

The database check runs in one background thread and is waited on for at most
``DB_CHECK_WAIT_S``: a database host that does not answer cannot make ``/readyz`` miss its probe
timeout. A check still running when the next probe comes is waited on again, not duplicated.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from threading import Lock
from typing import Any

from flask import Blueprint, Flask, Response, current_app
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cds_hooks.storage.migrations import current_revision, head_revision

from .wire import json_body

bp = Blueprint("health", __name__)

DB_CHECK_WAIT_S = 1.0


@dataclass(frozen=True)
class DatabaseState:
    reachable: bool
    current: str | None = None
    head: str | None = None

    @property
    def at_head(self) -> bool:
        return self.reachable and self.current == self.head

    def detail(self) -> dict[str, str]:
        if not self.reachable:
            return {"database": "unavailable"}
        migrations = (
            "at head" if self.at_head else f"at {self.current or 'none'}, head is {self.head}"
        )
        return {"database": "reachable", "migrations": migrations}


class DatabaseProbe:
    """``app.extensions["marrow_db_probe"]``: the database check, bounded in time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-probe")
        self._running: Future[DatabaseState] | None = None
        self._lock = Lock()

    def _check(self) -> DatabaseState:
        try:
            current = current_revision(self.engine)
        except SQLAlchemyError:
            return DatabaseState(reachable=False)
        return DatabaseState(reachable=True, current=current, head=head_revision())

    def state(self, wait_s: float = DB_CHECK_WAIT_S) -> DatabaseState:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._pool.submit(self._check)
            running = self._running
        try:
            return running.result(timeout=wait_s)
        except FutureTimeout:
            return DatabaseState(reachable=False)  # slower than a probe may wait

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _probe(app: Flask) -> DatabaseProbe:
    probe: Any = app.extensions.get("marrow_db_probe")
    if probe is None:
        probe = app.extensions.setdefault(
            "marrow_db_probe", DatabaseProbe(app.extensions["marrow_store"].engine)
        )
    assert isinstance(probe, DatabaseProbe)
    return probe


@bp.get("/healthz")
def healthz() -> Response:
    return json_body({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    database = _probe(current_app).state()
    if database.reachable and not database.at_head:
        return json_body({"status": "unavailable", **database.detail()}, status=503)
    return json_body({"status": "ready", **database.detail()})


@bp.get("/healthz/db")
def healthz_db() -> Response:
    database = _probe(current_app).state()
    status = "ok" if database.at_head else "unavailable"
    return json_body(
        {"status": status, **database.detail()}, status=200 if database.at_head else 503
    )
