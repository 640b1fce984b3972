"""The bundled examples (README "Try it") still give the answers the README promises."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.cli.evaluate_offline import evaluate_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AS_OF = datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC)


def _evaluate(name: str) -> dict[str, Any]:
    status, body = evaluate_request(json.loads((EXAMPLES / name).read_text()), AS_OF)
    assert status == 200, body
    return body


def _topics(body: dict[str, Any]) -> list[str]:
    return [card["source"]["topic"]["code"] for card in body["cards"]]


def test_patient_view_example_is_a_marrow_biopsy_card() -> None:
    body = _evaluate("patient-view-heterogeneous-marrow.json")
    primary = body["cards"][0]
    assert primary["source"]["topic"]["code"] == "marrow-biopsy-indicated"
    assert primary["indicator"] == "warning"
    assert "#R4" in primary["source"]["url"]


def test_order_sign_example_voices_the_three_work_up_pitfalls() -> None:
    body = _evaluate("order-sign-marrow-workup.json")
    assert _topics(body) == ["order-review"] * 3
    urls = [card["source"]["url"] for card in body["cards"]]
    for check in ("biopsy-before-first-line-labs", "contrast-only-mri", "skeletal-survey-alone"):
        assert any(url.endswith(f"#{check}") for url in urls), check


def _offline_examples() -> list[str]:
    """Hook examples that carry prefetch (the fetch-from-fhirServer one needs a server)."""
    names = sorted(
        p.name for p in EXAMPLES.glob("*.json") if p.name.startswith(("patient-", "order-"))
    )
    return [n for n in names if "prefetch" in json.loads((EXAMPLES / n).read_text())]


@pytest.mark.parametrize("name", _offline_examples())
def test_every_offline_hook_example_evaluates(name: str) -> None:
    assert isinstance(_evaluate(name)["cards"], list)
