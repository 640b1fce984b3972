"""CDS-HOOKS.md, sections "Response" and "Feedback": one test per applicable line."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cds_hooks.storage.records import FeedbackRow
from tests.support.service import assert_operation_outcome, empty_values, post_hook

SERVICE = "/cds-services/heterogeneous-marrow"
FEEDBACK = f"{SERVICE}/feedback"


@pytest.fixture
def cards(client: FlaskClient, example_request: dict[str, Any]) -> list[dict[str, Any]]:
    response = post_hook(client, example_request)
    assert response.status_code == 200
    body = response.get_json()
    assert body["cards"], "the example request must produce cards"
    return list(body["cards"])


def test_200_with_cards_required_empty_list_for_nothing_and_optional_systemactions(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    example_request["prefetch"]["imaging"] = None  # no MRI report: nothing to say
    response = post_hook(client, example_request)
    assert response.status_code == 200
    assert response.get_json() == {"cards": []}


def test_card_summary_under_140_indicator_and_source_label_required(
    cards: list[dict[str, Any]],
) -> None:
    for card in cards:
        assert isinstance(card["summary"], str)
        assert 0 < len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]


def test_card_optional_uuid_detail_source_url_icon_topic(cards: list[dict[str, Any]]) -> None:
    allowed = {
        "uuid",
        "summary",
        "detail",
        "indicator",
        "source",
        "suggestions",
        "selectionBehavior",
        "overrideReasons",
        "links",
        "extension",  # CDS Hooks 2.0 extensions; CARDS.md `org.marrow-cds.evidence`
    }
    for card in cards:
        assert set(card) <= allowed
        assert set(card["source"]) <= {"label", "url", "icon", "topic"}
        topic = card["source"].get("topic")
        if topic is not None:
            assert topic["code"]
            assert topic["system"] == "urn:marrow-cds:card-topic"
        if "detail" in card:
            assert isinstance(card["detail"], str)


def test_selectionbehavior_required_when_suggestions_exist(cards: list[dict[str, Any]]) -> None:
    with_suggestions = [c for c in cards if c.get("suggestions")]
    assert with_suggestions
    for card in with_suggestions:
        assert card["selectionBehavior"] in ("at-most-one", "any")


def test_overridereasons_are_codings_each_with_display(cards: list[dict[str, Any]]) -> None:
    reasons = [r for c in cards for r in c.get("overrideReasons", [])]
    assert reasons
    for reason in reasons:
        assert reason["code"]
        assert reason["display"]


def test_suggestion_label_optional_uuid_isrecommended_actions(cards: list[dict[str, Any]]) -> None:
    for suggestion in (s for c in cards for s in c.get("suggestions", [])):
        assert set(suggestion) <= {"label", "uuid", "isRecommended", "actions"}
        assert suggestion["label"]
        for action in suggestion.get("actions", []):
            assert action["type"] in ("create", "update", "delete")
            assert action["description"]
            if action["type"] in ("create", "update"):
                assert action["resource"]["resourceType"]
            else:
                assert action["resourceId"]


def test_link_label_url_type_absolute_or_smart_appcontext_only_for_smart(
    cards: list[dict[str, Any]],
) -> None:
    links = [link for c in cards for link in c.get("links", [])]
    assert links
    for link in links:
        assert link["label"]
        assert link["url"].startswith(("http://", "https://"))
        assert link["type"] in ("absolute", "smart")
        if link["type"] != "smart":
            assert "appContext" not in link


def test_optional_fields_without_a_value_are_omitted_except_cards_empty_list(
    client: FlaskClient, example_request: dict[str, Any]
) -> None:
    for service in client.get("/cds-services").get_json()["services"]:
        assert empty_values(service) == []
    assert empty_values(post_hook(client, example_request).get_json()) == []


# ------------------------------------------------------------------------------ Feedback


def item(card: str, outcome: str, **extra: Any) -> dict[str, Any]:
    return {"card": card, "outcome": outcome, "outcomeTimestamp": "2026-11-23T10:15:00Z", **extra}


def count(app: Flask) -> int:
    with app.extensions["marrow_store"].engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(FeedbackRow)) or 0)


def test_feedback_post_accepted_with_acceptedsuggestions_and_overridden_with_overridereason(
    app: Flask, client: FlaskClient, cards: list[dict[str, Any]]
) -> None:
    card = next(c for c in cards if c.get("suggestions"))
    body = {
        "feedback": [
            item(
                card["uuid"],
                "accepted",
                acceptedSuggestions=[{"id": card["suggestions"][0]["uuid"]}],
            ),
            item(
                cards[-1]["uuid"],
                "overridden",
                overrideReason={
                    "reason": {
                        "system": "urn:marrow-cds:override-reason",
                        "code": "patient-declined",
                        "display": "Patient declined",
                    },
                    "userComment": "prefers to wait",
                },
            ),
        ]
    }
    response = post_hook(client, body, FEEDBACK)
    assert response.status_code == 200
    assert count(app) == 2


def test_feedback_outcome_must_be_accepted_or_overridden_and_timestamp_rfc3339(
    client: FlaskClient,
) -> None:
    assert_operation_outcome(post_hook(client, {"feedback": [item("c", "ignored")]}, FEEDBACK), 400)
    bad_time = {"feedback": [{**item("c", "overridden"), "outcomeTimestamp": "23/11/2026"}]}
    assert_operation_outcome(post_hook(client, bad_time, FEEDBACK), 400)


def test_same_card_may_be_reported_more_than_once_store_idempotently(
    app: Flask, client: FlaskClient
) -> None:
    body = {"feedback": [item("card-1", "overridden")]}
    for _ in range(3):
        assert post_hook(client, body, FEEDBACK).status_code == 200
    assert count(app) == 1
