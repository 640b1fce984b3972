"""``marrow-cds example``: requests a new user can send as they are (issue 10, the first hour).

- ``marrow-cds example patient-view [--as-of DATE]``: the bundled patient-view example
  (examples/patient-view-heterogeneous-marrow.json) with every date moved by the same number of
  days so that it is as old, relative to DATE (default today), as it is relative to its own day
  (EXAMPLE_DAY). Its laboratory results stay current (results older than 90 days drop out), so
  the live service gives the same card today as ``evaluate --as-of 2026-11-23``. Birth dates do
  not move (the patient's age would drift by days only); a new hookInstance is drawn.
- ``marrow-cds example feedback ANSWER.json [--card N]``: the feedback example
  (examples/feedback-overridden.json) for card N (default 1) of a CDS Hooks answer saved from the
  service (``-`` reads it from standard input), with the card's real uuid and the time now.
"""

from __future__ import annotations

import re
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PATIENT_VIEW = EXAMPLES / "patient-view-heterogeneous-marrow.json"
FEEDBACK = EXAMPLES / "feedback-overridden.json"
EXAMPLE_DAY = date(2026, 11, 23)  # the day the bundled examples are written for (README)
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$")
_KEEP = frozenset({"birthDate"})


class ExampleError(Exception):
    """An answer or example that cannot be used (said on stderr, exit code 2)."""


def _shift(value: Any, days: timedelta, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _shift(v, days, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, days, key) for v in value]
    if isinstance(value, str) and key not in _KEEP:
        match = _DATE.match(value)
        if match:
            try:
                day = date.fromisoformat(match.group(1))
            except ValueError:
                return value
            return (day + days).isoformat() + match.group(2)
    return value


def patient_view_today(today: date) -> dict[str, Any]:
    """The bundled patient-view request, dated relative to `today` (see the module docstring)."""
    body = orjson.loads(PATIENT_VIEW.read_bytes())
    shifted: dict[str, Any] = _shift(body, today - EXAMPLE_DAY)
    shifted["hookInstance"] = str(uuid.uuid4())
    return shifted


def feedback_for(answer: dict[str, Any], card_number: int, now: datetime) -> dict[str, Any]:
    """The feedback example for card `card_number` (1-based) of a CDS Hooks answer."""
    cards = answer.get("cards") if isinstance(answer, dict) else None
    if not isinstance(cards, list) or not cards:
        raise ExampleError("the answer has no cards (is it the service's JSON answer?)")
    if not 1 <= card_number <= len(cards):
        raise ExampleError(f"the answer has {len(cards)} card(s), not a card {card_number}")
    card_uuid = (
        cards[card_number - 1].get("uuid") if isinstance(cards[card_number - 1], dict) else None
    )
    if not isinstance(card_uuid, str) or not card_uuid:
        raise ExampleError(f"card {card_number} of the answer has no uuid")
    feedback: dict[str, Any] = orjson.loads(FEEDBACK.read_bytes())
    item = feedback["feedback"][0]
    item["card"] = card_uuid
    item["outcomeTimestamp"] = (
        now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )
    return feedback


def example_command(kind: str, answer: str | None, card: int, as_of: datetime | None) -> int:
    try:
        if kind == "patient-view":
            today = (as_of or datetime.now(UTC)).date()
            out = patient_view_today(today)
        else:
            if answer is None:
                raise ExampleError("feedback needs the answer file (or - for standard input)")
            raw = sys.stdin.buffer.read() if answer == "-" else Path(answer).read_bytes()
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise ExampleError(f"the answer is not JSON: {exc}") from None
            out = feedback_for(parsed, card, datetime.now(UTC))
    except (ExampleError, OSError) as exc:
        print(f"marrow-cds example: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0
