"""POST /cds-services/<id>/feedback: validated, stored once per report, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from cds_hooks.storage.records import FeedbackRow
from tests.support.service import assert_operation_outcome, post_hook

URL = "/cds-services/heterogeneous-marrow/feedback"
CARD = "7d2c4a57-5d0e-4b8b-9a8c-1f6f1f0e8c11"


def accepted(
    card: str = CARD, when: str = "2026-11-23T10:15:00Z", suggestions: tuple[str, ...] = ("s-1",)
) -> dict[str, Any]:
    return {
        "card": card,
        "outcome": "accepted",
        "outcomeTimestamp": when,
        "acceptedSuggestions": [{"id": s} for s in suggestions],
    }


def overridden(card: str = CARD, when: str = "2026-11-23T10:15:00Z") -> dict[str, Any]:
    return {
        "card": card,
        "outcome": "overridden",
        "outcomeTimestamp": when,
        "overrideReason": {
            "reason": {
                "system": "urn:marrow-cds:override-reason",
                "code": "already-done",
                "display": "Already done",
            },
            "userComment": "done last week",
        },
    }


def rows(app: Flask) -> list[FeedbackRow]:
    engine = app.extensions["marrow_store"].engine
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        return list(session.scalars(select(FeedbackRow).order_by(FeedbackRow.id)))


def test_feedback_is_stored(app: Flask, client: FlaskClient) -> None:
    response = post_hook(client, {"feedback": [overridden()]}, URL)
    assert response.status_code == 200
    assert response.get_json() == {"received": 1, "stored": 1, "duplicates": 0}
    [row] = rows(app)
    assert (row.service_id, row.card_uuid, row.outcome) == (
        "heterogeneous-marrow",
        CARD,
        "overridden",
    )
    assert row.override_reason_code == "already-done"
    assert row.override_comment == "done last week"


def test_same_report_twice_is_stored_once(app: Flask, client: FlaskClient) -> None:
    first = post_hook(client, {"feedback": [accepted()]}, URL)
    second = post_hook(client, {"feedback": [accepted()]}, URL)
    assert first.get_json()["stored"] == 1
    assert second.status_code == 200
    assert second.get_json() == {"received": 1, "stored": 0, "duplicates": 1}
    assert len(rows(app)) == 1


def test_same_instant_in_another_offset_and_suggestion_order_is_the_same_report(
    app: Flask, client: FlaskClient
) -> None:
    post_hook(client, {"feedback": [accepted(suggestions=("a", "b"))]}, URL)
    again = accepted(when="2026-11-23T11:15:00+01:00", suggestions=("b", "a"))
    assert post_hook(client, {"feedback": [again]}, URL).get_json()["stored"] == 0
    assert len(rows(app)) == 1


def test_duplicates_within_one_body_are_stored_once(app: Flask, client: FlaskClient) -> None:
    response = post_hook(client, {"feedback": [overridden(), overridden()]}, URL)
    assert response.get_json() == {"received": 2, "stored": 1, "duplicates": 1}


@pytest.mark.parametrize(
    "other",
    [
        accepted(when="2026-11-23T10:16:00Z"),
        accepted(suggestions=("s-2",)),
        overridden(),
        accepted(card="another-card"),
    ],
    ids=["later-timestamp", "other-suggestion", "other-outcome", "other-card"],
)
def test_different_reports_of_a_card_are_stored_separately(
    app: Flask, client: FlaskClient, other: dict[str, Any]
) -> None:
    post_hook(client, {"feedback": [accepted()]}, URL)
    assert post_hook(client, {"feedback": [other]}, URL).get_json()["stored"] == 1
    assert len(rows(app)) == 2


def test_feedback_for_an_unknown_card_uuid_is_accepted(app: Flask, client: FlaskClient) -> None:
    response = post_hook(client, {"feedback": [overridden(card="never-issued-here")]}, URL)
    assert response.status_code == 200
    assert rows(app)[0].card_uuid == "never-issued-here"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"feedback": []},
        {
            "feedback": [
                {"card": CARD, "outcome": "maybe", "outcomeTimestamp": "2026-11-23T10:15:00Z"}
            ]
        },
        {"feedback": [{"outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:15:00Z"}]},
        {"feedback": [{"card": CARD, "outcome": "overridden"}]},
        {"feedback": [overridden(when="2026-11-23")]},
        {"feedback": [overridden(when="2026-11-23T10:15:00")]},
        {"feedback": [overridden(when="yesterday")]},
        {"feedback": [{**accepted(), "acceptedSuggestions": []}]},
    ],
    ids=[
        "empty",
        "no-items",
        "bad-outcome",
        "no-card",
        "no-timestamp",
        "date-only",
        "no-offset",
        "not-a-date",
        "accepted-without-suggestions",
    ],
)
def test_invalid_feedback_is_400_and_nothing_is_stored(
    app: Flask, client: FlaskClient, body: dict[str, Any]
) -> None:
    assert_operation_outcome(post_hook(client, body, URL), 400, "invalid")
    assert rows(app) == []


def test_invalid_item_rejects_the_whole_body(app: Flask, client: FlaskClient) -> None:
    body = {"feedback": [overridden(), overridden(when="not a time")]}
    assert_operation_outcome(post_hook(client, body, URL), 400)
    assert rows(app) == []


def test_feedback_wrong_media_type_is_415(client: FlaskClient) -> None:
    response = client.post(URL, data="feedback", content_type="text/plain")
    assert_operation_outcome(response, 415)


def test_database_down_is_503_and_nothing_partial(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = app.extensions["marrow_store"].engine
    real_execute = engine.dialect.do_executemany

    def fail_on_insert(cursor: Any, statement: str, *args: Any, **kwargs: Any) -> Any:
        raise OperationalError(statement, {}, Exception("disk I/O error"))

    # The first of two batched inserts fails midway: the transaction must roll back.
    monkeypatch.setattr(engine.dialect, "do_executemany", fail_on_insert)
    body = {"feedback": [overridden(), accepted()]}
    response = post_hook(client, body, URL)
    assert_operation_outcome(response, 503, "transient")
    assert response.headers["Retry-After"]
    monkeypatch.setattr(engine.dialect, "do_executemany", real_execute)
    assert rows(app) == []
    assert post_hook(client, body, URL).get_json()["stored"] == 2


def test_unreachable_database_is_503(make_app: Any, tmp_path: Any) -> None:
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/x.sqlite3")
    response = post_hook(app.test_client(), {"feedback": [overridden()]}, URL)
    assert_operation_outcome(response, 503)


def test_feedback_count_query(app: Flask, client: FlaskClient) -> None:
    for minute in range(3):
        post_hook(client, {"feedback": [accepted(when=f"2026-11-23T10:1{minute}:00Z")]}, URL)
    engine = app.extensions["marrow_store"].engine
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FeedbackRow)) == 3


def test_feedback_joins_the_issued_card_and_its_rule(
    app: Flask, client: FlaskClient, example_request: dict[str, Any]
) -> None:
    from cds_hooks.storage.records import IssuedCardRow

    cards = post_hook(client, example_request).get_json()["cards"]
    primary = cards[0]
    app.extensions["marrow_recorder"].drain()
    body = {
        "feedback": [
            accepted(card=primary["uuid"], suggestions=(primary["suggestions"][0]["uuid"],))
        ]
    }
    assert post_hook(client, body, URL).status_code == 200
    query = select(IssuedCardRow.rule_id, FeedbackRow.outcome).join(
        FeedbackRow, FeedbackRow.card_uuid == IssuedCardRow.card_uuid
    )
    with app.extensions["marrow_store"].engine.connect() as conn:
        assert conn.execute(query).all() == [("R4", "accepted")]
