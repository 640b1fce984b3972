"""``marrow-cds evaluate --format text``: what a clinical informaticist reads in a terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cds_hooks.cli import main as cli
from cds_hooks.cli.evaluate_offline import Evaluation, evaluate, plain, render_text
from logic.order_catalogue import ORDER_KEY_SYSTEM
from tests.support.service import EXAMPLE

AS_OF = datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARROW_CDS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("MARROW_CDS_PATIENT_HASH_KEY", "cli-test-hash-key-0123456789")
    monkeypatch.setenv("MARROW_CDS_REQUIRE_JWT", "0")


def _order(key: str, display: str, **extra: object) -> dict[str, object]:
    resource: dict[str, object] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": ORDER_KEY_SYSTEM, "code": key, "display": display}]},
        **extra,
    }
    return {"type": "create", "description": f"Order {display}", "resource": resource}


SURVEILLANCE = Evaluation(
    status=200,
    as_of=AS_OF,
    rule_id="R8",
    rule_ids={"card-1": "R8"},
    response={
        "cards": [
            {
                "uuid": "card-1",
                "summary": "Surveillance: MRI in 3-6 months &amp; labs (Hb &lt; 12 g/dL)",
                "indicator": "info",
                "source": {
                    "label": "Marrow CDS rules 2026.1",
                    "url": "http://127.0.0.1:8080/rules#R8",
                    "topic": {"code": "marrow-surveillance"},
                },
                "suggestions": [
                    {
                        "label": "Surveillance MRI",
                        "isRecommended": True,
                        "actions": [
                            _order(
                                "mri-surveillance",
                                "MRI lumbar spine without contrast",
                                priority="routine",
                                occurrencePeriod={"start": "2027-02-23", "end": "2027-05-23"},
                                note=[{"text": "compare with MRI of 2026-11-10 &gt; L2"}],
                            )
                        ],
                    }
                ],
                "detail": "**Why**\n\n- creatinine 1.3 mg/dL &gt; ULN\n\n"
                "| Item | Value |\n|---|---|\n| Haemoglobin | 12.5 |\n"
                "| Creatinine, serum | 1.3 |\n\n"
                "**Rule R8** of the [catalogue](http://127.0.0.1:8080/rules#R8).",
            }
        ]
    },
)


def test_text_view_has_as_of_and_rule_at_the_top() -> None:
    lines = render_text(SURVEILLANCE).splitlines()
    assert lines[0] == "as_of: 2026-11-23T23:59:59+00:00"
    assert lines[1] == "rule:  R8"
    assert lines[2] == "cards: 1"


def test_text_view_unescapes_html_entities() -> None:
    text = render_text(SURVEILLANCE)
    assert "&lt;" not in text
    assert "&gt;" not in text
    assert "&amp;" not in text
    assert "1. [INFO] Surveillance: MRI in 3-6 months & labs (Hb < 12 g/dL)" in text
    assert "- creatinine 1.3 mg/dL > ULN" in text


def test_text_view_lists_each_suggestion_s_orders() -> None:
    lines = render_text(SURVEILLANCE).splitlines()
    at = lines.index("  - suggestion: Surveillance MRI (recommended)")
    # issue 10: the priority once per suggestion, the order's display (not its internal key)
    assert lines[at + 1 : at + 5] == [
        "      priority: routine",
        "      * MRI lumbar spine without contrast",
        "          occurrencePeriod: 2027-02-23 to 2027-05-23",
        "          note: compare with MRI of 2026-11-10 > L2",
    ]


def test_text_view_detail_is_readable() -> None:
    text = render_text(SURVEILLANCE)
    assert "**" not in text
    assert "Rule R8 of the catalogue <http://127.0.0.1:8080/rules#R8>." in text
    # the markdown table in aligned columns, its |---| rule dropped
    assert "    Item               Value\n    Haemoglobin        12.5\n" in text
    assert "|---|" not in text


def test_plain_drops_markup_only() -> None:
    assert plain("**a** &lt;b&gt; [c](http://x/y) 5 * 3") == "a <b> c <http://x/y> 5 * 3"
    assert plain(None) == ""


def test_bundled_example_through_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["evaluate", str(EXAMPLE), "--as-of", "2026-11-23", "--format", "text"]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[:3]
    assert head == ["as_of: 2026-11-23T23:59:59+00:00", "rule:  R4", "cards: 1"]
    assert "&lt;" not in out
    assert "haemoglobin 11.1 g/dL < 12 g/dL (WHO, female)" in out
    assert "      * Bone marrow aspiration and core biopsy" in out
    assert "bone-marrow-biopsy" not in out  # internal order keys are not shown
    assert out.count("      priority: routine") == 2  # one line per suggestion
    assert "          priority:" not in out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "          note: no result: Serum protein electrophoresis / immunofixation" in out


def test_no_card_still_says_when_and_which_rule() -> None:
    request = json.loads(EXAMPLE.read_text())
    early = evaluate(request, datetime(2026, 1, 1, tzinfo=UTC))  # before the MRI: no index
    assert early.status == 200
    assert render_text(early).splitlines() == [
        "as_of: 2026-01-01T00:00:00+00:00",
        "rule:  R0",
        "cards: 0",
        "",
        "No cards.",
    ]


def test_order_review_names_its_checks() -> None:
    request = json.loads((EXAMPLE.parent / "order-sign-marrow-workup.json").read_text())
    evaluation = evaluate(request, AS_OF)
    assert evaluation.status == 200
    assert evaluation.rule_id is None
    assert render_text(evaluation).splitlines()[1].startswith("checks: ")
