"""``POST /cds-services/<id>/feedback`` (CDS-HOOKS.md "Feedback").

The body is validated (``schemas.Feedback``: every stored string fits its column and holds no
control character (NUL cannot be stored in PostgreSQL); each ``outcomeTimestamp`` is an RFC 3339
date-time with ``Z`` or an offset, in datetime's range), then every item is stored in ONE
transaction: all or nothing. A repeated report of the same card is acknowledged and stored once
(``store`` defines "same"). Feedback for a card uuid this service has no record of is accepted
(another replica may have issued it). Database unreachable (``store.is_connectivity_error``):
503, nothing written, retry. Any other database error means the database refused a value: 400,
nothing written (retrying the same body would never succeed).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, g
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from cds_hooks.services.registry import get_service
from cds_hooks.storage.records import FeedbackRecord, is_connectivity_error, store_feedback

from .errors import BadRequest, NotFound, ServiceUnavailable
from .schemas import Feedback, FeedbackItem
from .wire import json_body, read_json_object, validation_error

bp = Blueprint("feedback", __name__)


def parse_timestamp(value: str, index: int) -> datetime:
    """RFC 3339 date-time with an offset (shape checked by the schema), as UTC; 400 otherwise,
    also for instants datetime cannot hold in UTC (year 9999 at -14:00)."""
    text = value.replace("z", "Z").replace("t", "T")
    date_part, _, rest = text.partition("T")
    if "." in rest:  # datetime takes at most 6 fractional digits; RFC 3339 allows more
        clock, _, tail = rest.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{date_part}T{clock}.{tail[:digits][:6].ljust(6, '0')}{tail[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None or "T" not in text:
            raise ValueError("no time zone")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadRequest(
            f"feedback.{index}.outcomeTimestamp is not an RFC 3339 date-time with a time zone "
            "within years 0001-9999 in UTC",
            expression=f"feedback.{index}.outcomeTimestamp",
        ) from None


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
        if is_connectivity_error(exc):
            raise ServiceUnavailable(
                "feedback store unavailable: nothing was stored, retry"
            ) from None
        raise BadRequest(
            "feedback refused by the store (a value it cannot hold): nothing was stored"
        ) from None
    g.log_fields.update(stored=stored.stored, duplicates=stored.received - stored.stored)
    return json_body(
        {
            "received": stored.received,
            "stored": stored.stored,
            "duplicates": stored.received - stored.stored,
        }
    )
