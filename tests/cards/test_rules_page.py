"""The /rules page: an anchor for every rule, flag, secondary topic and order key."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask

from cds_hooks.cards.assessment_cards import render_patient_view_cards
from cds_hooks.cards.parts import RULE_TOPIC
from cds_hooks.rules_markdown import catalogue_markdown
from cds_hooks.rules_page import bp
from cds_hooks.schemas import Card
from cds_hooks.services.draft_order_review import _labs_not_checked_card, render_finding
from logic.catalogue import ADVISORIES, FLAGS, ORDER_CHECKS, RULES
from logic.model import Assessment, DataDomain, DataGap, NoCard
from logic.order_catalogue import ORDER_KEYS
from logic.order_model import OrderCheck, OrderFinding

from . import assessments as a


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name == "href" and value:
                self.hrefs.append(value)


@pytest.fixture(scope="module")
def client():
    app = Flask("rules-test")
    app.register_blueprint(bp)
    return app.test_client()


@pytest.fixture(scope="module")
def page(client) -> _Ids:
    response = client.get("/rules")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    parser = _Ids()
    parser.feed(response.get_data(as_text=True))
    return parser


def test_blueprint_is_named_rules():
    assert bp.name == "rules"


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
def test_every_rule_has_an_anchor(page, rule_id):
    assert rule_id in page.ids


@pytest.mark.parametrize("flag_id", [f.id for f in FLAGS])
def test_every_flag_has_an_anchor(page, flag_id):
    assert flag_id in page.ids


def test_catalogue_covers_the_spec_ids():
    assert {r.id for r in RULES} == {f"R{n}" for n in range(9)}
    assert len(FLAGS) == 20


@pytest.mark.parametrize("topic", ["imaging-protocol", "data-quality"])
def test_secondary_topics_have_an_anchor(page, topic):
    assert topic in page.ids


def test_secondary_sections_list_the_advisories_and_missing_data_rules(client):
    text = client.get("/rules").get_data(as_text=True)
    for advisory in ADVISORIES:
        assert f"<code>{advisory.code}</code>" in text
    assert "imaging could not be obtained" in text


def test_every_order_key_has_an_anchor(page):
    assert {f"order-{key}" for key in ORDER_KEYS} <= set(page.ids)


def test_ids_are_unique(page):
    assert len(page.ids) == len(set(page.ids))


def test_internal_links_resolve(page):
    fragments = [h[1:] for h in page.hrefs if h.startswith("#")]
    assert fragments
    assert set(fragments) <= set(page.ids)


def test_every_card_source_url_lands_on_an_anchor(page):
    for make in [*a.BY_RULE.values(), a.r4_with_secondary]:
        for card in render_patient_view_cards(
            make(), patient_id=a.PATIENT_ID, as_of=a.AS_OF, rules_url=a.RULES_URL
        ):
            assert card.source.url is not None
            assert card.source.url.split("#")[1] in page.ids
            for link in card.links or []:
                if "#" in link.url:
                    assert link.url.split("#")[1] in page.ids


def test_card_topics_agree_with_the_catalogue():
    assert {r.id: r.topic for r in RULES if r.topic} == RULE_TOPIC


def test_page_shows_unverified_codes_as_unverified(client):
    text = client.get("/rules").get_data(as_text=True)
    assert "183567007" in text
    assert "(unverified)" in text


def test_markdown_catalogue(client):
    response = client.get("/rules.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.get_data(as_text=True) == catalogue_markdown()


def test_page_is_public_documentation_with_safe_headers(client):
    response = client.get("/rules")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("public")


# ------------------------------------------------------------------ every link any card carries

_MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _rules_fragments(card: Card) -> set[str]:
    """The /rules anchors a card points at: source.url, links and Markdown links in detail."""
    urls = [card.source.url or "", *(link.url for link in card.links or [])]
    urls += _MD_LINK.findall(card.detail or "")
    return {url.split("#", 1)[1] for url in urls if url.startswith(a.RULES_URL) and "#" in url}


def _patient_view_cards() -> list[Card]:
    verbose_r0 = Assessment(
        rule_id="R0",
        reason="suppressed: already under specialist care: Multiple myeloma",
        gaps=(a.GAP,),
        no_card=NoCard.SUPPRESSED,
    )
    blocked = Assessment(
        rule_id="R0",
        reason="imaging could not be obtained",
        gaps=(DataGap(DataDomain.IMAGING, "FHIR server timed out"),),
        blocked_by=(DataGap(DataDomain.IMAGING, "FHIR server timed out"),),
        no_card=NoCard.IMAGING_NOT_OBTAINED,
    )
    cards: list[Card] = []
    for make, verbose in [
        *((m, False) for m in a.BY_RULE.values()),
        (a.r4_with_secondary, False),
        (lambda: verbose_r0, True),
        (lambda: blocked, False),
    ]:
        cards += render_patient_view_cards(
            make(), patient_id=a.PATIENT_ID, as_of=a.AS_OF, rules_url=a.RULES_URL, verbose=verbose
        )
    return cards


def _order_review_cards() -> list[Card]:
    cards = [
        render_finding(
            OrderFinding(
                check=check,
                indicator="info",
                summary=f"Finding of {check.value}",
                detail="Plain sentence.",
                drafts=("ServiceRequest/d1",),
                citation="SPEC.md section 5",
            ),
            resources={},
            patient_id=a.PATIENT_ID,
            index_report=None,
            rules_url=a.RULES_URL,
        )
        for check in OrderCheck
    ]
    cards.append(_labs_not_checked_card([a.GAP], rules_url=a.RULES_URL))
    return cards


def test_every_order_review_check_has_an_anchor(page):
    assert {check.value for check in OrderCheck} <= set(page.ids)
    assert {c.id for c in ORDER_CHECKS} == {check.value for check in OrderCheck}
    assert "order-review" in page.ids


def test_every_anchor_any_card_links_to_exists_on_the_rules_page(page):
    patient_view, order_review = _patient_view_cards(), _order_review_cards()
    linked = set().union(*(_rules_fragments(card) for card in [*patient_view, *order_review]))
    # the order-review cards do link to their checks, so this test can fail
    assert {check.value for check in OrderCheck} <= linked
    assert {"R4", "imaging-protocol", "data-quality"} <= linked
    missing = linked - set(page.ids)
    assert not missing, f"cards link to anchors the /rules page lacks: {sorted(missing)}"


def test_every_anchor_any_card_links_to_exists_in_docs_rules_md():
    markdown = catalogue_markdown()
    linked = set().union(
        *(_rules_fragments(card) for card in [*_patient_view_cards(), *_order_review_cards()])
    )
    missing = {fragment for fragment in linked if f'id="{fragment}"' not in markdown}
    assert not missing, f"docs/rules.md lacks anchors: {sorted(missing)}"


def test_imaging_protocol_section_says_where_advice_is_shown(client):
    text = client.get("/rules").get_data(as_text=True)
    assert "only where the advice can change what happens next" in text
    assert "not proof of benignity" in text
    assert "benign-appearance-not-proof" not in text


# ------------------------------------------------------------------ issue 10: for a committee

_DEV_WORDS = re.compile(
    r"SPEC\.md|CARDS\.md|\b(?:logic|cds_hooks|fhir_mappers)[./]\w+|"
    r"\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b|\b[a-z]+_[a-z_]+\b|\.py\b|Implemented by"
)


def test_the_page_speaks_to_a_committee_not_to_developers(client):
    html_page = client.get("/rules").get_data(as_text=True)
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html_page, flags=re.S)
    found = sorted(set(_DEV_WORDS.findall(text)))
    assert not found, found
    for wanted in (
        "Rule R4",
        "The literature behind the decision table",
        "Spierings et al., Neth J Med 2014",
        "What the service does not do",
        "unexplained anaemia",
        "Rule set version 2026.1",
    ):
        assert wanted in text, wanted
    assert "<th>Rule</th><th>When</th><th>Recommend</th><th>Card</th>" in html_page
