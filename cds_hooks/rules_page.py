"""The rule catalogue as a web page: GET /rules (HTML) and GET /rules.md (Markdown).

Every card's `source.url` points here (`<base>/rules#R4`), so a clinician who wonders why a card
fired lands on the rule, its criteria, thresholds and citations. The page is generated from the
code (the data of `logic.catalogue`, the template `templates/rules.html`, the Markdown of
`cds_hooks.rules_markdown`), never written by hand: each rule id and flag id is an element id
(`#R4`, `#U-Li`, as in docs/rules.md), and so are the secondary card topics
(`#imaging-protocol`, `#data-quality`), the order-review checks (`#contrast-only-mri`, as the
order-review cards link to them) and the order keys (`#order-bone-marrow-biopsy`).

Public documentation: no authentication, no patient data, cacheable. Blueprint name: "rules".
"""

from __future__ import annotations

from typing import Final

from flask import Blueprint, Response, render_template

from cds_hooks.cards.assessment_cards import RULE_INDICATOR
from cds_hooks.cards.parts import OVERRIDE_REASONS, TOPICS
from cds_hooks.rules_markdown import FOLLOW_UP_ANCHOR, anchor, catalogue_markdown, spec_words
from logic.catalogue import (
    ADVISORIES,
    BENIGN_PITFALL_WHERE,
    FLAG_WORDS,
    FLAGS,
    FOLLOW_UP_LINES,
    LITERATURE,
    LITERATURE_SUMMARY,
    NOT_DONE,
    ORDER_CHECKS,
    RULE_SET_VERSION,
    RULES,
    published,
)
from logic.order_catalogue import ORDERS
from logic.rules import MISSING_DATA

bp = Blueprint("rules", __name__, template_folder="templates")

_HEADERS: Final = {
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    ),
}

_TIER_WORDS: Final = {"U": "urgent", "H": "high", "I": "intermediate"}


_SYSTEM_NAMES: Final = {
    "http://www.ama-assn.org/go/cpt": "CPT",
    "http://loinc.org": "LOINC",
    "http://snomed.info/sct": "SNOMED CT",
}


def _orders() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for definition in ORDERS.values():
        codes: list[tuple[str, dict[str, object]]] = []
        pairs = [("", c) for c in definition.codings] + [
            (str(region), c)
            for region, region_codings in definition.codings_by_region.items()
            for c in region_codings
        ]
        for region, coding in pairs:
            codes.append(
                (
                    region,
                    {
                        "system": _SYSTEM_NAMES.get(coding.system, coding.system),
                        "code": coding.code,
                        "display": coding.display,
                        "verified": coding.verified,
                    },
                )
            )
        rows.append({"key": definition.key, "label": definition.label, "codes": codes})
    return rows


def _words(fields: dict[str, object]) -> dict[str, object]:
    """A catalogue entry's text fields with the specification named in words (issue 10)."""
    out: dict[str, object] = {}
    for key, value in fields.items():
        if isinstance(value, str):
            value = spec_words(value)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            value = tuple(spec_words(v) for v in value)
        out[key] = value
    return out


def rules_html() -> str:
    """The /rules page: the template `templates/rules.html`, every interpolated value escaped
    by Jinja (an application context is needed)."""
    return render_template(
        "rules.html",
        version=RULE_SET_VERSION,
        rules=[
            {
                **_words(vars(rule)),
                "anchor": anchor(rule.id),
                "sources": published(rule.citations) or ("clinical specification of the service",),
            }
            for rule in RULES
        ],
        flags=[
            {**_words(vars(flag)), "anchor": anchor(flag.id), "words": FLAG_WORDS[flag.id]}
            for flag in FLAGS
        ],
        literature=LITERATURE,
        literature_summary=LITERATURE_SUMMARY,
        not_done=NOT_DONE,
        indicators=RULE_INDICATOR,
        topics=TOPICS,
        tiers=_TIER_WORDS,
        advisories=ADVISORIES,
        benign_pitfall=spec_words(BENIGN_PITFALL_WHERE),
        order_checks=[
            {**_words(vars(check)), "anchor": anchor(check.id)} for check in ORDER_CHECKS
        ],
        missing_data=[spec_words(line) for line in MISSING_DATA],
        follow_up_anchor=anchor(FOLLOW_UP_ANCHOR),
        follow_up_lines=[spec_words(line) for line in FOLLOW_UP_LINES],
        orders=_orders(),
        override_reasons=OVERRIDE_REASONS,
    )


@bp.get("/rules")
def rules_page() -> Response:
    return Response(rules_html(), mimetype="text/html", headers=_HEADERS)


@bp.get("/rules.md")
def rules_markdown() -> Response:
    return Response(catalogue_markdown(), mimetype="text/markdown", headers=_HEADERS)
