"""Feedback values the store cannot hold are a 400 naming the field, never a 503 (review item 4),
and a report that only changes the clinician's comment is a new report (review item 7).

The limits are the feedback table's column widths (store.FeedbackRow); NUL and other control
characters are refused because PostgreSQL cannot store NUL in text. Only a database that cannot
be reached is 503 ("retry"); a value the database refuses is 400 ("do not retry").
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError

from cds_hooks.storage import migrations
from cds_hooks.storage.records import FeedbackRecord, FeedbackRow, make_engine
from tests.support.service import assert_operation_outcome, post_hook

from .test_feedback import URL, accepted, overridden, rows


def _with(path: tuple[Any, ...], value: Any, base: dict[str, Any] | None = None) -> dict:
    item = copy.deepcopy(base or overridden())
    target = item
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return item


REASON = ("overrideReason", "reason")
TOO_LONG_OR_UNSTORABLE = {
    "card 101 characters": (("card",), "c" * 101, "feedback.0.card"),
    "card with NUL": (("card",), "nul\x00", "feedback.0.card"),
    "card with a line break": (("card",), "a\nb", "feedback.0.card"),
    "reason code 101 characters": ((*REASON, "code"), "c" * 101, "reason.code"),
    "reason code with NUL": ((*REASON, "code"), "a\x00", "reason.code"),
    "reason system 256 characters": ((*REASON, "system"), "s" * 256, "reason.system"),
    "reason system with NUL": ((*REASON, "system"), "urn:\x00", "reason.system"),
    "reason display with NUL": ((*REASON, "display"), "x\x00", "reason.display"),
    "comment 4001 characters": (("overrideReason", "userComment"), "u" * 4001, "userComment"),
    "comment with NUL": (("overrideReason", "userComment"), "nul\x00byte", "userComment"),
    "comment with escape character": (("overrideReason", "userComment"), "a\x1bb", "userComment"),
}


@pytest.mark.parametrize("case", list(TOO_LONG_OR_UNSTORABLE))
def test_value_the_store_cannot_hold_is_400_naming_the_field(
    app: Flask, client: FlaskClient, case: str
) -> None:
    path, value, field = TOO_LONG_OR_UNSTORABLE[case]
    response = post_hook(client, {"feedback": [_with(path, value)]}, URL)
    body = assert_operation_outcome(response, 400)
    assert field in body["issue"][0]["diagnostics"]
    assert rows(app) == []


def test_suggestion_id_with_nul_or_too_long_is_400(app: Flask, client: FlaskClient) -> None:
    for bad in ("s\x00", "s" * 101):
        response = post_hook(client, {"feedback": [accepted(suggestions=(bad,))]}, URL)
        assert_operation_outcome(response, 400)
    assert rows(app) == []


def test_values_at_the_column_widths_are_stored(app: Flask, client: FlaskClient) -> None:
    item = _with(("card",), "c" * 100)
    item["overrideReason"]["reason"].update(code="k" * 100, system="s" * 255)
    item["overrideReason"]["userComment"] = "line one\nline two\ttabbed\r\n" + "u" * 3970
    response = post_hook(client, {"feedback": [item]}, URL)
    assert response.status_code == 200, response.get_data(as_text=True)
    [row] = rows(app)
    assert row.card_uuid == "c" * 100
    assert row.override_reason_system == "s" * 255


@pytest.mark.parametrize(
    "when",
    [
        "20261123T100000+0000",  # ISO 8601 basic format: not RFC 3339
        "2026-11-23T10:00:00+0000",  # offset without colon
        "2026-11-23T10:00:00",  # no offset
        "2026-11-23 10:00:00Z",  # space separator: RFC 3339 allows it only as a NOTE; refused
        "2026-11-23",
        "2026-W48-1T10:00:00Z",
        "9999-12-31T23:59:59-14:00",  # beyond year 9999 in UTC
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "2026-02-30T10:00:00Z",
        "2026-11-23T25:00:00Z",
        "２０２６-11-23T10:00:00Z",  # non-ASCII digits
    ],
)
def test_outcome_timestamp_that_is_not_strict_rfc3339_is_400(
    app: Flask, client: FlaskClient, when: str
) -> None:
    response = post_hook(client, {"feedback": [overridden(when=when)]}, URL)
    body = assert_operation_outcome(response, 400)
    assert "outcomeTimestamp" in body["issue"][0]["diagnostics"]
    assert rows(app) == []


@pytest.mark.parametrize(
    ("when", "utc"),
    [
        ("2026-11-23T10:15:00Z", "2026-11-23T10:15:00+00:00"),
        ("2026-11-23t10:15:00z", "2026-11-23T10:15:00+00:00"),
        ("2026-11-23T11:15:00.123456789+01:00", "2026-11-23T10:15:00.123456+00:00"),
        ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59+00:00"),
    ],
)
def test_rfc3339_timestamps_are_accepted(
    app: Flask, client: FlaskClient, when: str, utc: str
) -> None:
    response = post_hook(client, {"feedback": [overridden(when=when)]}, URL)
    assert response.status_code == 200, response.get_data(as_text=True)
    [row] = rows(app)
    stamp = row.outcome_timestamp
    stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp
    assert stamp == datetime.fromisoformat(utc)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DataError("INSERT", {}, Exception("value too long")), 400),
        (IntegrityError("INSERT", {}, Exception("constraint")), 400),
        (OperationalError("INSERT", {}, Exception("disk I/O error")), 503),
        (InterfaceError("INSERT", {}, Exception("connection closed")), 503),
    ],
    ids=["DataError", "IntegrityError", "OperationalError", "InterfaceError"],
)
def test_only_connectivity_errors_are_503(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:
    engine = app.extensions["marrow_store"].engine

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(engine.dialect, "do_executemany", fail)
    monkeypatch.setattr(engine.dialect, "do_execute", fail)
    response = post_hook(client, {"feedback": [overridden(), accepted()]}, URL)
    assert_operation_outcome(response, status)
    if status == 503:
        assert response.headers["Retry-After"]


# ------------------------------------------------------------------------------ comment identity


def test_report_differing_only_in_comment_is_stored_with_its_comment(
    app: Flask, client: FlaskClient
) -> None:
    first = overridden()
    second = _with(("overrideReason", "userComment"), "a different comment")
    assert post_hook(client, {"feedback": [first]}, URL).get_json()["stored"] == 1
    assert post_hook(client, {"feedback": [second]}, URL).get_json()["stored"] == 1
    assert post_hook(client, {"feedback": [second]}, URL).get_json()["duplicates"] == 1
    assert [r.override_comment for r in rows(app)] == ["done last week", "a different comment"]


def _old_key(record: FeedbackRecord) -> str:
    """The identity before comments counted (store.py before migration 0002)."""
    parts = (
        record.service_id,
        record.card_uuid,
        record.outcome,
        record.outcome_timestamp.isoformat(timespec="microseconds"),
        ",".join(sorted(set(record.accepted_suggestions))),
        f"{record.override_reason_system or ''}|{record.override_reason_code or ''}",
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def test_report_without_comment_keeps_its_identity() -> None:
    record = FeedbackRecord(
        service_id="heterogeneous-marrow",
        card_uuid="card-1",
        outcome="accepted",
        outcome_timestamp=datetime(2026, 11, 23, 10, 15, tzinfo=UTC),
        accepted_suggestions=("b", "a"),
    )
    assert record.dedupe_key == _old_key(record)


def test_migration_0002_rekeys_stored_commented_reports(tmp_path: Any) -> None:
    """A database at 0001 with a commented and an uncommented report: after upgrading, a re-sent
    copy of either is still recognised as the same report, and no row is lost."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        migrations.upgrade(engine, "0001")
        when = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
        commented = FeedbackRecord(
            "heterogeneous-marrow", "card-1", "overridden", when, (), "urn:x", "c", "my words"
        )
        plain = FeedbackRecord("heterogeneous-marrow", "card-2", "accepted", when, ("s-1",))
        with engine.begin() as conn:
            for record in (commented, plain):
                conn.execute(
                    text(
                        "INSERT INTO feedback (dedupe_key, service_id, card_uuid, outcome,"
                        " outcome_timestamp, accepted_suggestions, override_reason_system,"
                        " override_reason_code, override_comment, received_at) VALUES"
                        " (:k, :s, :c, :o, :t, :a, :rs, :rc, :cm, :r)"
                    ),
                    {
                        "k": _old_key(record),
                        "s": record.service_id,
                        "c": record.card_uuid,
                        "o": record.outcome,
                        "t": when,
                        "a": ",".join(record.accepted_suggestions) or None,
                        "rs": record.override_reason_system,
                        "rc": record.override_reason_code,
                        "cm": record.override_comment,
                        "r": when,
                    },
                )
        migrations.upgrade(engine)
        assert migrations.current_revision(engine) == migrations.head_revision()
        with engine.connect() as conn:
            keys = dict(conn.execute(select(FeedbackRow.card_uuid, FeedbackRow.dedupe_key)).all())
        assert keys == {"card-1": commented.dedupe_key, "card-2": plain.dedupe_key}
    finally:
        engine.dispose()
