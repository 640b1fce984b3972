"""``POST /cds-services/<id>/feedback`` (CDS-HOOKS.md "Feedback").

The body is validated (``schemas.Feedback``; each ``outcomeTimestamp`` must be an RFC 3339
date-time with a time zone), then every item is stored in ONE transaction: all or nothing. A
repeated report of the same card is acknowledged and stored once (``store`` defines "same").
Feedback for a card uuid this service has no record of is accepted (another replica may have
issued it). Database unavailable: 503 and nothing written.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, g
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from .errors import BadRequest, NotFound, ServiceUnavailable
from .schemas import Feedback, FeedbackItem
from .services import get_service
from .store import FeedbackRecord, store_feedback
from .wire import json_body, read_json_object, validation_error

bp = Blueprint("feedback", __name__)


def parse_timestamp(value: str, index: int) -> datetime:
    """RFC 3339 date-time with an offset, as UTC; 400 otherwise."""
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value.upper():
        raise BadRequest(
            f"feedback.{index}.outcomeTimestamp is not an RFC 3339 date-time with a time zone",
            expression=f"feedback.{index}.outcomeTimestamp",
        )
    return parsed.astimezone(UTC)


def to_record(service_id: str, item: FeedbackItem, index: int) -> FeedbackRecord:
    reason = item.overrideReason
    coding = reason.reason if reason is not None else None
    if item.outcome == "accepted" and not item.acceptedSuggestions:
        raise BadRequest(
            f"feedback.{index}: outcome 'accepted' needs acceptedSuggestions",
            expression=f"feedback.{index}.acceptedSuggestions",
        )
    return FeedbackRecord(
        service_id=service_id,
        card_uuid=item.card,
        outcome=item.outcome,
        outcome_timestamp=parse_timestamp(item.outcomeTimestamp, index),
        accepted_suggestions=tuple(s.id for s in item.acceptedSuggestions or ()),
        override_reason_system=coding.system if coding else None,
        override_reason_code=coding.code if coding else None,
        override_comment=reason.userComment if reason is not None else None,
    )


@bp.post("/cds-services/<service_id>/feedback")
def receive_feedback(service_id: str) -> Response:
    if get_service(service_id) is None:
        raise NotFound(f"no CDS service {service_id!r}")
    g.log_fields["service"] = service_id
    body = read_json_object()
    try:
        feedback = Feedback.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc, "feedback") from None
    records = [to_record(service_id, item, i) for i, item in enumerate(feedback.feedback)]
    engine = current_app.extensions["marrow_store"].engine
    try:
        stored = store_feedback(engine, records, received_at=datetime.now(UTC))
    except SQLAlchemyError as exc:
        g.log_fields["error"] = type(exc).__name__
        raise ServiceUnavailable("feedback store unavailable: nothing was stored, retry") from None
    g.log_fields.update(stored=stored.stored, duplicates=stored.received - stored.stored)
    return json_body(
        {
            "received": stored.received,
            "stored": stored.stored,
            "duplicates": stored.received - stored.stored,
        }
    )
