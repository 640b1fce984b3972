"""The JWT replay cache: a token's (``iss``, ``jti``) may be used once (CDS-HOOKS.md, Security).

The truth is the ``jwt_replay`` table (``store.JwtReplayRow``, unique on ``iss`` + ``jti``), so
every worker and every replica sharing the database sees every jti. A jti is remembered until the
token's ``exp`` plus the clock skew (auth.py caps token lifetimes at one hour); expired rows are
purged at most once a minute per process.

``INSERT ... ON CONFLICT DO NOTHING``: of two concurrent requests with one jti, exactly one inserts
the row and is accepted, whichever worker or replica it reached.

A jti that is not a string of 1..255 characters free of control characters (NUL included) is
refused (``InvalidJti``) before the database is touched. A database error that says the data is
wrong (``DataError``, ``IntegrityError``, anything that is not a connectivity error) refuses the
token the same way: it never switches the store to memory, so a bad token cannot open a window
in which a replay to another worker would be accepted.

Database unavailable (``OperationalError``, ``InterfaceError``, a pool timeout, a DBAPI error
that invalidated the connection): the hooks must keep answering (issue 6), so the check falls
back to this process's memory (bounded; a full cache refuses tokens rather than grow) and logs
``replay store unavailable``; for the next 10 s it does not even try the database (an unreachable
host must not add its connect timeout to every call). During an outage a replay to *another*
worker is therefore not detected; the jti is still refused by this worker, also after the
database returns.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from cds_hooks.storage.records import JwtReplayRow, is_connectivity_error

log = logging.getLogger(__name__)

PURGE_INTERVAL_S = 60.0
#: After a database failure the store answers from memory for this long before trying the
#: database again: an unreachable database host must not add its connect timeout to every call.
RETRY_DATABASE_AFTER_S = 10.0
MEMORY_CAPACITY = 50_000
MAX_JTI_LENGTH = 255  # store.JwtReplayRow.jti
MAX_ISS_LENGTH = 500  # store.JwtReplayRow.iss


class InvalidJti(ValueError):
    """The (iss, jti) pair cannot be a real token id: the token is refused (auth: bad_jti)."""


def _valid_id(value: object, max_length: int) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)
    )


class ReplayStore:
    """``first_use(iss, jti, expires_at)`` is True exactly once per (iss, jti) until it expires."""

    def __init__(
        self,
        engine: Engine | None,
        *,
        memory_capacity: int = MEMORY_CAPACITY,
        purge_interval: float = PURGE_INTERVAL_S,
        retry_database_after: float = RETRY_DATABASE_AFTER_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._capacity = memory_capacity
        self._purge_interval = purge_interval
        self._clock = clock
        self._seen: dict[tuple[str, str], float] = {}  # (iss, jti) -> expiry (epoch seconds)
        self._lock = threading.Lock()
        self._last_purge = clock()
        self._retry_after = retry_database_after
        self._database_down_until = 0.0

    def first_use(self, iss: str, jti: str, expires_at: datetime) -> bool:
        """True the first time (iss, jti) is seen. Raises InvalidJti for an id that cannot be
        stored (checked before the database; or refused by the database as bad data)."""
        if not _valid_id(jti, MAX_JTI_LENGTH) or not _valid_id(iss, MAX_ISS_LENGTH):
            raise InvalidJti("jti or iss is not a storable token id")
        now = self._clock()
        key = (iss, jti)
        with self._lock:
            seen_until = self._seen.get(key)
            if seen_until is not None and seen_until > now:
                return False
        if self._engine is not None and now >= self._database_down_until:
            try:
                fresh = self._insert(iss, jti, expires_at)
            except SQLAlchemyError as exc:
                if not is_connectivity_error(exc):
                    log.warning(
                        "replay store refused the jti: token refused",
                        extra={"error": type(exc).__name__},
                    )
                    raise InvalidJti("the database refused the jti") from None
                self._database_down_until = now + self._retry_after
                log.warning(
                    "replay store unavailable, using this process's memory",
                    extra={"error": type(exc).__name__},
                )
            else:
                self._maybe_purge(now)
                return fresh
        return self._remember(key, expires_at.timestamp(), now)

    def purge_expired(self) -> int:
        """Delete expired jtis from the database and memory; returns the database rows deleted."""
        now = self._clock()
        with self._lock:
            for key in [k for k, until in self._seen.items() if until <= now]:
                del self._seen[key]
        if self._engine is None:
            return 0
        cutoff = datetime.fromtimestamp(now, UTC)
        with self._engine.begin() as conn:
            result = conn.execute(delete(JwtReplayRow).where(JwtReplayRow.expires_at < cutoff))
        return int(result.rowcount or 0)

    def _insert(self, iss: str, jti: str, expires_at: datetime) -> bool:
        assert self._engine is not None
        dialect = self._engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(JwtReplayRow)
            .values(iss=iss, jti=jti, expires_at=expires_at)
            .on_conflict_do_nothing(index_elements=["iss", "jti"])
            .returning(JwtReplayRow.id)  # a row comes back only when this call inserted it
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).first() is not None

    def _remember(self, key: tuple[str, str], until: float, now: float) -> bool:
        """Record the key in memory; False when it is already there (or the cache is full)."""
        with self._lock:
            seen_until = self._seen.get(key)
            if seen_until is not None and seen_until > now:
                return False
            if len(self._seen) >= self._capacity:
                for stale in [k for k, t in self._seen.items() if t <= now]:
                    del self._seen[stale]
                if len(self._seen) >= self._capacity:
                    log.warning("replay memory full: token refused")
                    return False
            self._seen[key] = until
            return True

    def _maybe_purge(self, now: float) -> None:
        if now - self._last_purge < self._purge_interval:
            return
        self._last_purge = now
        try:
            self.purge_expired()
        except SQLAlchemyError as exc:
            log.warning("replay purge failed", extra={"error": type(exc).__name__})
