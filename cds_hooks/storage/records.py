"""The service's own records (SQLAlchemy 2.0): feedback, issued cards, the JWT replay cache.

No patient data is stored: an issued card keeps an HMAC-SHA256 of the patient id (keyed with
MARROW_CDS_PATIENT_HASH_KEY), enough to count cards per patient, never to find the patient.
The schema is owned by Alembic (``cds_hooks/migrations``); ``Base.metadata`` mirrors it.

Feedback idempotency (CDS-HOOKS.md "the same card may be reported more than once"): two reports
are the same when they have the same service id, card uuid, outcome, outcome instant (the
RFC 3339 timestamp normalised to UTC microseconds), the same *set* of accepted suggestion ids and
the same override reason (system|code) and the same ``userComment`` (by its SHA-256: a second
report that only adds or changes the clinician's comment is a new report, its comment kept).
``feedback.dedupe_key`` is the SHA-256 of these fields and is unique: a repeated report is
acknowledged and stored once (the first copy is kept). A report without a comment has the key
it had before migration 0002 (which recomputed the keys of stored reports with a comment).
Feedback for a card uuid this database never issued is accepted and stored: another replica, or
this one before a restart on another database, may have issued it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class FeedbackRow(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_feedback_dedupe_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(100), index=True)
    card_uuid: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    outcome_timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_suggestions: Mapped[str | None] = mapped_column(Text)  # sorted ids, comma-separated
    override_reason_system: Mapped[str | None] = mapped_column(String(255))
    override_reason_code: Mapped[str | None] = mapped_column(String(100))
    override_comment: Mapped[str | None] = mapped_column(Text)  # clinician's free text
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IssuedCardRow(Base):
    __tablename__ = "issued_card"
    __table_args__ = (UniqueConstraint("card_uuid", name="uq_issued_card_card_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    card_uuid: Mapped[str] = mapped_column(String(100))
    service_id: Mapped[str] = mapped_column(String(100), index=True)
    hook_instance: Mapped[str] = mapped_column(String(100))
    rule_id: Mapped[str | None] = mapped_column(String(40), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    patient_hash: Mapped[str] = mapped_column(String(64), index=True)


class JwtReplayRow(Base):
    """Seen JWT ids (security engineer: reject a replayed ``jti`` until ``expires_at``)."""

    __tablename__ = "jwt_replay"
    __table_args__ = (UniqueConstraint("iss", "jti", name="uq_jwt_replay_iss_jti"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    iss: Mapped[str] = mapped_column(String(500))
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


def make_engine(url: str) -> Engine:
    """An engine with short timeouts: a database outage must fail fast, not hang a worker."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 5})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        return engine
    connect_args = {"connect_timeout": 3} if url.startswith("postgresql") else {}
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=3,
        connect_args=connect_args,
    )


def is_connectivity_error(exc: SQLAlchemyError) -> bool:
    """The database could not be reached or the connection broke (retrying may succeed), as
    opposed to a data error (a value the database refuses: retrying never helps)."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError | DisconnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def patient_hash(key: bytes, patient_id: str) -> str:
    return hmac.new(key, patient_id.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------ issued cards


@dataclass(frozen=True)
class IssuedCard:
    card_uuid: str
    rule_id: str | None


@dataclass(frozen=True)
class IssuedBatch:
    """The cards one hook call issued (its patient only as the keyed hash)."""

    service_id: str
    hook_instance: str
    patient_hash_value: str
    issued_at: datetime
    cards: Sequence[IssuedCard]


def record_issued_batches(engine: Engine, batches: Iterable[IssuedBatch]) -> int:
    """The issued cards of several hook calls, in one transaction; the number of rows."""
    rows = [
        {
            "card_uuid": c.card_uuid,
            "service_id": batch.service_id,
            "hook_instance": batch.hook_instance,
            "rule_id": c.rule_id,
            "issued_at": batch.issued_at,
            "patient_hash": batch.patient_hash_value,
        }
        for batch in batches
        for c in batch.cards
    ]
    if not rows:
        return 0
    with engine.begin() as conn:
        conn.execute(_insert_ignore(engine, IssuedCardRow, "card_uuid"), rows)
    return len(rows)


# ------------------------------------------------------------------------------ feedback


def feedback_identity(parts: Sequence[str], comment: str | None) -> str:
    """SHA-256 of the report's fields; the comment (by its own SHA-256) only when there is one,
    so reports without a comment keep the identity they had before comments counted."""
    fields = list(parts)
    if comment is not None:
        fields.append("comment:" + hashlib.sha256(comment.encode()).hexdigest())
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


@dataclass(frozen=True)
class FeedbackRecord:
    service_id: str
    card_uuid: str
    outcome: str
    outcome_timestamp: datetime  # timezone-aware, UTC
    accepted_suggestions: tuple[str, ...] = ()
    override_reason_system: str | None = None
    override_reason_code: str | None = None
    override_comment: str | None = None

    @property
    def dedupe_key(self) -> str:
        parts = (
            self.service_id,
            self.card_uuid,
            self.outcome,
            self.outcome_timestamp.isoformat(timespec="microseconds"),
            ",".join(sorted(set(self.accepted_suggestions))),
            f"{self.override_reason_system or ''}|{self.override_reason_code or ''}",
        )
        return feedback_identity(parts, self.override_comment)


@dataclass(frozen=True)
class StoredFeedback:
    received: int
    stored: int  # new rows; received - stored were duplicates


def store_feedback(
    engine: Engine, records: Sequence[FeedbackRecord], received_at: datetime
) -> StoredFeedback:
    """Store all records in ONE transaction (all or nothing); duplicates are skipped."""
    rows: dict[str, dict[str, object]] = {}
    for r in records:
        rows.setdefault(
            r.dedupe_key,
            {
                "dedupe_key": r.dedupe_key,
                "service_id": r.service_id,
                "card_uuid": r.card_uuid,
                "outcome": r.outcome,
                "outcome_timestamp": r.outcome_timestamp,
                "accepted_suggestions": ",".join(sorted(set(r.accepted_suggestions))) or None,
                "override_reason_system": r.override_reason_system,
                "override_reason_code": r.override_reason_code,
                "override_comment": r.override_comment,
                "received_at": received_at,
            },
        )
    with engine.begin() as conn:
        existing = set(
            conn.scalars(
                select(FeedbackRow.dedupe_key).where(FeedbackRow.dedupe_key.in_(list(rows)))
            )
        )
        new_rows = [row for key, row in rows.items() if key not in existing]
        if new_rows:
            # ON CONFLICT DO NOTHING: a concurrent replica may insert the same report meanwhile.
            conn.execute(_insert_ignore(engine, FeedbackRow, "dedupe_key"), new_rows)
    return StoredFeedback(received=len(records), stored=len(new_rows))


def _insert_ignore(engine: Engine, model: type[Base], unique_column: str):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT (unique_column) DO NOTHING for SQLite and PostgreSQL."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing(index_elements=[unique_column])
    if engine.dialect.name == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing(index_elements=[unique_column])
    raise RuntimeError(f"unsupported database dialect {engine.dialect.name!r}")


# ------------------------------------------------------------------------------ readiness
