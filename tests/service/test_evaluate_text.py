"""``marrow-cds evaluate --format text``: what a clinical informaticist reads in a terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cds_hooks.cards.document import Bullets, Document, Fold, Quotes, Table, markdown, text_lines
from cds_hooks.cli import main as cli
from cds_hooks.cli.evaluate_offline import Evaluation, evaluate, render_text
from cds_hooks.schemas import Action, Card, Coding, Source, Suggestion
from logic.order_catalogue import ORDER_KEY_SYSTEM
from tests.support.service import EXAMPLE

AS_OF = datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARROW_CDS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("MARROW_CDS_PATIENT_HASH_KEY", "cli-test-hash-key-0123456789")
    monkeypatch.setenv("MARROW_CDS_REQUIRE_JWT", "0")


def _order(key: str, display: str, **extra: object) -> Action:
    resource: dict[str, object] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": ORDER_KEY_SYSTEM, "code": key, "display": display}]},
        **extra,
    }
    return Action(type="create", description=f"Order {display}", resource=resource)


DETAIL: Document = (
    Bullets("Why", ("creatinine 1.3 mg/dL > ULN", "a_b *c* [d](e)")),
    Fold(
        "More: evidence",
        (
            Table(("Item", "Value"), (("Haemoglobin", "12.5"), ("Creatinine, serum", "1.3"))),
            Quotes("MRI lumbar spine", "2026-11-10", ("Diffuse <T1> signal.",)),
        ),
    ),
)
CARD = Card(
    uuid="card-1",
    summary="Surveillance: MRI in 3-6 months & labs (Hb < 12 g/dL)",
    detail=markdown(DETAIL),
    indicator="info",
    source=Source(
        label="Marrow CDS rules 2026.1",
        url="http://127.0.0.1:8080/rules#R8",
        topic=Coding(code="marrow-surveillance"),
    ),
    suggestions=[
        Suggestion(
            label="Surveillance MRI",
            isRecommended=True,
            actions=[
                _order(
                    "mri-surveillance",
                    "MRI lumbar spine without contrast",
                    priority="routine",
                    occurrencePeriod={"start": "2027-02-23", "end": "2027-05-23"},
                    note=[{"text": "compare with MRI of 2026-11-10 > L2"}],
                )
            ],
        )
    ],
)
SURVEILLANCE = Evaluation(
    status=200,
    as_of=AS_OF,
    rule_id="R8",
    rule_ids={"card-1": "R8"},
    response={"cards": [CARD.model_dump(mode="json", exclude_none=True)]},
    cards=(CARD,),
    details={"card-1": DETAIL},
)


def test_text_view_has_as_of_and_rule_at_the_top() -> None:
    lines = render_text(SURVEILLANCE).splitlines()
    assert lines[0] == "as_of: 2026-11-23T23:59:59+00:00"
    assert lines[1] == "rule:  R8"
    assert lines[2] == "cards: 1"


def test_text_view_is_rendered_from_the_blocks_not_the_markdown() -> None:
    text = render_text(SURVEILLANCE)
    # the card's Markdown escapes what comes from outside; the terminal shows it as it is
    assert "a\\_b \\*c\\* \\[d\\](e)" in (CARD.detail or "")
    assert "&lt;T1&gt;" in (CARD.detail or "")
    assert "- a_b *c* [d](e)" in text
    assert "Diffuse <T1> signal." in text
    assert "\\" not in text
    assert "&lt;" not in text
    assert "<details>" not in text
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
    lines = render_text(SURVEILLANCE).splitlines()
    at = lines.index("  detail:")
    assert lines[at + 1 :] == [
        "    Why",
        "",
        "    - creatinine 1.3 mg/dL > ULN",
        "    - a_b *c* [d](e)",
        "",
        "    More: evidence",
        "",
        "    Item               Value",  # the table in aligned columns
        "    Haemoglobin        12.5",
        "    Creatinine, serum  1.3",
        "",
        "    MRI lumbar spine, 2026-11-10:",
        "",
        "      Diffuse <T1> signal.",  # a quoted report sentence, indented
    ]


def test_a_table_too_wide_for_the_terminal_is_one_line_a_row() -> None:
    wide = Table(("Item", "Value", "Date"), (("Haemoglobin", "x" * 60, ""), ("Platelets", "", "")))
    assert text_lines((wide,), 40) == ["Haemoglobin: " + "x" * 60, "Platelets"]


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
