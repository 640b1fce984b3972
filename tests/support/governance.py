"""A feedback store filled with known cards and feedback, for the governance report tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from cds_hooks.storage.migrations import upgrade
from cds_hooks.storage.records import FeedbackRow, IssuedCardRow

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SECRET_HASH = "f" * 64  # a patient hash: never on the page
COMMENT = "Mrs Example Patient had this done last week"  # free text: never on the page
REASON = "urn:marrow-cds:override-reason"

# (rule, week number, card count, accepted, overridden with reason code)
PLAN = [
    ("R4", 0, 10, 6, [("already-done", 2)]),
    ("R4", 1, 8, 3, [("already-done", 1), ("not-indicated", 3)]),
    ("R8", 0, 20, 2, [("patient-declined", 10)]),
    ("R8", 2, 5, 0, [("not-indicated", 1)]),
    ("data-quality", 1, 4, 0, []),
]


def fill(engine: Engine) -> None:
    upgrade(engine)
    issued, feedback = [], []
    n = 0
    for rule, week, cards, accepted, overrides in PLAN:
        reasons = [code for code, count in overrides for _ in range(count)]
        for i in range(cards):
            n += 1
            uuid = f"00000000-0000-4000-8000-{n:012d}"
            when = MONDAY + timedelta(weeks=week, hours=i)
            issued.append(
                {
                    "card_uuid": uuid,
                    "service_id": "heterogeneous-marrow",
                    "hook_instance": f"hi-{n}",
                    "rule_id": rule,
                    "issued_at": when,
                    "patient_hash": SECRET_HASH,
                }
            )
            outcome = None
            if i < accepted:
                outcome, code = "accepted", None
            elif i - accepted < len(reasons):
                outcome, code = "overridden", reasons[i - accepted]
            if outcome:
                feedback.append(
                    {
                        "dedupe_key": f"{n:064d}",
                        "service_id": "heterogeneous-marrow",
                        "card_uuid": uuid,
                        "outcome": outcome,
                        "outcome_timestamp": when + timedelta(minutes=5),
                        "accepted_suggestions": "s-1" if outcome == "accepted" else None,
                        "override_reason_system": REASON if code else None,
                        "override_reason_code": code,
                        "override_comment": COMMENT if code else None,
                        "received_at": when + timedelta(minutes=6),
                    }
                )
    # feedback for a card this database never issued (another replica)
    feedback.append(
        {
            "dedupe_key": "e" * 64,
            "service_id": "heterogeneous-marrow",
            "card_uuid": "99999999-0000-4000-8000-000000000000",
            "outcome": "overridden",
            "outcome_timestamp": MONDAY + timedelta(days=1),
            "accepted_suggestions": None,
            "override_reason_system": None,
            "override_reason_code": None,
            "override_comment": None,
            "received_at": MONDAY + timedelta(days=1),
        }
    )
    with engine.begin() as conn:
        conn.execute(insert(IssuedCardRow), issued)
        conn.execute(insert(FeedbackRow), feedback)


def check_page(html: str) -> None:
    assert SECRET_HASH not in html
    assert COMMENT not in html
    assert "00000000-0000-4000" not in html
    assert "hi-1" not in html
    assert html.count("<svg") == 4
