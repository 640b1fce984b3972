"""Feedback identity includes the clinician's comment: recompute keys of stored commented reports.

A second report of a card that differs only in ``userComment`` used to count as a duplicate and
its comment was lost. From this revision ``feedback.dedupe_key`` also covers the SHA-256 of the
comment when there is one (``store.feedback_identity``); reports without a comment keep their
key. This migration recomputes the key of every stored report that has a comment, so that a copy
of it re-sent after the upgrade is still recognised. No row is added or removed; the unique
constraint is unchanged (two stored rows cannot collide: their old keys already differed in a
field the new key also covers). The formula is frozen here on purpose (not imported).
Downgrade restores the old keys; it fails (unique constraint) if two stored reports differ only
in their comment, rather than drop one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_feedback = sa.table(
    "feedback",
    sa.column("id", sa.Integer()),
    sa.column("dedupe_key", sa.String(64)),
    sa.column("service_id", sa.String(100)),
    sa.column("card_uuid", sa.String(100)),
    sa.column("outcome", sa.String(20)),
    sa.column("outcome_timestamp", sa.DateTime(timezone=True)),
    sa.column("accepted_suggestions", sa.Text()),
    sa.column("override_reason_system", sa.String(255)),
    sa.column("override_reason_code", sa.String(100)),
    sa.column("override_comment", sa.Text()),
)


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes (stored as UTC); PostgreSQL aware ones in the session zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _key(row: sa.Row, with_comment: bool) -> str:  # type: ignore[type-arg]
    parts = [
        row.service_id,
        row.card_uuid,
        row.outcome,
        _utc(row.outcome_timestamp).isoformat(timespec="microseconds"),
        row.accepted_suggestions or "",
        f"{row.override_reason_system or ''}|{row.override_reason_code or ''}",
    ]
    if with_comment and row.override_comment is not None:
        parts.append("comment:" + hashlib.sha256(row.override_comment.encode()).hexdigest())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _rekey(with_comment: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_feedback).where(_feedback.c.override_comment.is_not(None))
    ).fetchall()
    for row in rows:
        bind.execute(
            sa.update(_feedback)
            .where(_feedback.c.id == row.id)
            .values(dedupe_key=_key(row, with_comment))
        )


def upgrade() -> None:
    _rekey(with_comment=True)


def downgrade() -> None:
    _rekey(with_comment=False)
