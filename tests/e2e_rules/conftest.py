"""Every card a test of this folder receives from the service is scanned for clinician text
that breaks the card contract (`clinician_text`): the rule vignettes are the cards a clinician
would read (issue 10)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.clinician_text import assert_clinician_text

SCANNED: list[int] = []


@pytest.fixture(autouse=True)
def _scan_every_card(monkeypatch: pytest.MonkeyPatch) -> None:
    original = FlaskClient.open

    def open_and_scan(self: FlaskClient, *args: Any, **kwargs: Any) -> Any:
        response = original(self, *args, **kwargs)
        if response.is_json and response.status_code == 200:
            payload = response.get_json(silent=True)
            if isinstance(payload, dict) and isinstance(payload.get("cards"), list):
                assert_clinician_text(payload["cards"])
                SCANNED.append(len(payload["cards"]))
        return response

    monkeypatch.setattr(FlaskClient, "open", open_and_scan)
