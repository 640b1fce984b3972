"""hookInstance is bounded and can never carry free text into the logs (review item 5).

CDS Hooks says hookInstance is a UUID; the service tolerates other identifiers but only 1..100
characters of [A-Za-z0-9._:-] (it is logged with every line of the call and stored with each
issued card, ``issued_card.hook_instance`` String(100)). Anything else is a 400 that does not
echo the value, and nothing of it reaches the logs.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from cds_hooks.storage.records import IssuedCardRow
from tests.support.app import captured_logs, jwt_app
from tests.support.hooks import FAMILY, MRN, SERVICE_PATH, SSN, patient_view


@pytest.fixture
def app(tmp_path, monkeypatch):
    return jwt_app(tmp_path, monkeypatch, REQUIRE_JWT="0")


def issued(app) -> int:
    app.extensions["marrow_recorder"].drain()
    with app.extensions["marrow_store"].engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(IssuedCardRow)))


@pytest.mark.parametrize(
    "hook_instance",
    [
        f"Quixworthington {MRN} {SSN}",
        f"{FAMILY} {MRN} {SSN}",
        "h" * 101,
        "h" * 150,
        "x" * 10000,
        "nul\x00",
        "line\nbreak",
        "<script>alert(1)</script>",
        "a/b",
        "",
    ],
    ids=lambda v: repr(v[:20]) + f"..len{len(v)}",
)
def test_bad_hook_instance_is_400_and_never_logged(app, hook_instance):
    body = patient_view()
    body["hookInstance"] = hook_instance
    with captured_logs() as logs:
        response = app.test_client().post(SERVICE_PATH, json=body)
    assert response.status_code == 400, response.get_data()[:300]
    assert response.get_json()["resourceType"] == "OperationOutcome"
    assert "hookInstance" in response.get_json()["issue"][0]["diagnostics"]
    if hook_instance:
        assert hook_instance not in response.get_data(as_text=True)
        assert hook_instance[:12] not in logs.getvalue()
    for needle in (MRN, SSN, "Quixworthington"):
        assert needle not in logs.getvalue()
    assert issued(app) == 0


@pytest.mark.parametrize(
    "hook_instance",
    [
        str(uuid.uuid4()),
        f"urn:uuid:{uuid.uuid4()}",
        "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "h" * 100,
    ],
)
def test_uuid_like_hook_instance_is_accepted_and_its_cards_are_recorded(app, hook_instance):
    body = patient_view()
    body["hookInstance"] = hook_instance
    response = app.test_client().post(SERVICE_PATH, json=body)
    assert response.status_code == 200, response.get_data()[:300]
    cards = [c for c in response.get_json()["cards"] if c.get("uuid")]
    assert cards
    assert issued(app) == len(cards)
