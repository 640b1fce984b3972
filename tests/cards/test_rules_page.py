"""The /rules page: an anchor for every rule, flag, secondary topic and order key."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask

from cds_hooks.card_parts import RULE_TOPIC
from cds_hooks.cards import render_patient_view_cards
from cds_hooks.rules_page import bp
from logic.catalogue import ADVISORIES, FLAGS, RULES, catalogue_markdown
from logic.order_catalogue import ORDER_KEYS

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
