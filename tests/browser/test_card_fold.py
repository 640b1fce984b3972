"""Every rule's card as a clinician meets it in the CDS Hooks sandbox (issue 10, CARDS.md).

One realistic patient-view request per rule R1-R8 (the vignettes of tests/e2e_rules) goes through
the service; each primary card is laid out as the sandbox lays it out (summary, source, the
`detail` Markdown rendered with markdown-it-py, raw HTML on as in the sandbox, then the
suggestion buttons, then the links) in a 640 px wide page of Debian's Chromium (playwright, its
executable path; no browser download). The decision, its reasons and the buttons must be seen
without scrolling: the bottom of the last button at most 700 px below the top of the card. The
clinician text of every card is checked as in tests/e2e_rules (no SPEC.md, CARDS.md, bare flag
id, Python name, FHIR reference, link in detail). A screenshot per rule: /tmp/card_R<n>.png.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import markdown_it
import pytest
from flask import Flask

from tests.support import fhir_requests as f
from tests.support.app import trial_app
from tests.support.chromium import chromium_browser
from tests.support.clinician_text import assert_clinician_text
from tests.support.fhir_requests import DIFFUSE_BENIGN, NONSPECIFIC, hb, panel

SERVICE_URL = "/cds-services/heterogeneous-marrow"
WIDTH = 640  # the sandbox's card column
FOLD = 700  # CARDS.md: decision, reasons and buttons within about 700 px


def _vignettes() -> dict[str, dict[str, Any]]:
    palliative = f.condition("cond-pall", "Z51.5", "Encounter for palliative care")
    calcium = f.lab(
        "ca", "17861-6", "Calcium [Mass/volume] in Serum or Plasma", 12.1, "mg/dL",
        low=8.6, high=10.3,
    )  # fmt: skip
    history = f.condition(
        "cond-bc", "Z85.3", "Personal history of malignant neoplasm of breast", status="resolved"
    )
    kappa = f.lab(
        "kappa", "36916-5", "Kappa light chains.free [Mass/volume] in Serum", 31.0, "mg/L",
        low=3.3, high=19.4,
    )  # fmt: skip
    mri = [f.mri_report(*NONSPECIFIC)]
    return {
        "R1": f.patient_view(
            labs=panel(hb=hb(11.0)), reports=mri, conditions=[f.HYPERTENSION, palliative]
        ),
        "R2": f.patient_view(labs=panel(hb=hb(9.2), ca=calcium), reports=mri),
        "R3": f.patient_view(labs=panel(), reports=mri, conditions=[f.HYPERTENSION, history]),
        "R4": f.patient_view(labs=panel(hb=hb(11.1)), reports=mri),
        "R5": f.patient_view(labs=[], reports=mri),
        "R6": f.patient_view(labs=panel(kappa=kappa), reports=mri),
        "R7": f.patient_view(labs=panel(), reports=[f.mri_report(*DIFFUSE_BENIGN)]),
        "R8": f.patient_view(labs=panel(), reports=mri),
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield from trial_app(tmp_path_factory.mktemp("card-fold"))


@pytest.fixture(scope="module")
def cards(app: Flask) -> dict[str, list[dict[str, Any]]]:
    client = app.test_client()
    out: dict[str, list[dict[str, Any]]] = {}
    for rule, body in _vignettes().items():
        response = client.post(SERVICE_URL, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)
        out[rule] = response.get_json()["cards"]
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_browser()


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
 body {{ margin: 0; font: 14px/1.43 -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }}
 .card {{ width: {width}px; box-sizing: border-box; border: 1px solid #ccc; border-left: 4px
          solid #f0ad4e; padding: 10px 15px; }}
 .summary {{ font-size: 16px; font-weight: bold; margin: 0 0 4px; }}
 .source {{ font-size: 12px; color: #666; margin: 0 0 8px; }}
 table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ddd; padding: 2px 4px; }}
 blockquote {{ margin: 0 0 0 10px; color: #555; }}
 button {{ display: block; margin: 6px 0; padding: 6px 12px; font-size: 14px; }}
 .links a {{ display: block; font-size: 13px; }}
</style></head><body><div class="card" id="card">
<p class="summary">{summary}</p><p class="source">Source: {source}</p>
<div class="detail">{detail}</div>
<div class="buttons">{buttons}</div>
<div class="links">{links}</div>
</div></body></html>"""


def _page(card: dict[str, Any]) -> str:
    renderer = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")
    buttons = "".join(
        f"<button>{html.escape(s['label'])}</button>" for s in card.get("suggestions") or []
    )
    links = "".join(f"<a>{html.escape(link['label'])}</a>" for link in card.get("links") or [])
    return _PAGE.format(
        width=WIDTH,
        summary=html.escape(card["summary"]),
        source=html.escape(card["source"]["label"]),
        detail=renderer.render(card.get("detail") or ""),
        buttons=buttons,
        links=links,
    )


RULES = [f"R{n}" for n in range(1, 9)]


def test_every_rule_gives_a_card_in_clinical_words(cards: dict[str, list[dict[str, Any]]]) -> None:
    for rule in RULES:
        assert cards[rule], rule
        assert cards[rule][0]["source"]["label"].endswith(f"Rule {rule}")
        assert_clinician_text(cards[rule])


@pytest.mark.parametrize("rule", RULES)
def test_decision_reasons_and_buttons_fit_above_the_fold(
    rule: str, cards: dict[str, list[dict[str, Any]]], browser: Any, tmp_path: Path
) -> None:
    card = cards[rule][0]
    page_file = tmp_path / f"card_{rule}.html"
    page_file.write_text(_page(card), encoding="utf-8")
    context = browser.new_context(viewport={"width": WIDTH + 40, "height": 1000})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    try:
        page.goto(page_file.resolve().as_uri(), wait_until="load", timeout=30_000)
        top = page.locator("#card").bounding_box()
        assert top is not None
        # the decision and its reasons are visible, the "More" part folded
        decision = page.locator(".detail p").first
        assert decision.inner_text().startswith("Recommendation:")
        assert decision.is_visible()
        more = page.locator(".detail details")
        if more.count():
            assert more.first.get_attribute("open") is None
        boxes = [page.locator(".detail").bounding_box()]
        buttons = page.locator(".buttons button")
        boxes += [buttons.nth(n).bounding_box() for n in range(buttons.count())]
        bottom = max(box["y"] + box["height"] for box in boxes if box is not None) - top["y"]
        page.screenshot(path=f"/tmp/card_{rule}.png", full_page=True)
        assert bottom <= FOLD, f"{rule}: decision, reasons and buttons end at {bottom:.0f} px"
        # nothing is fetched: the card page is self-contained
        assert requests == [page_file.resolve().as_uri()]
        print(f"{rule}: decision + reasons + buttons end at {bottom:.0f} px")
    finally:
        context.close()
