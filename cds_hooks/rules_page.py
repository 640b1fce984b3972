"""The rule catalogue as a web page: GET /rules (HTML) and GET /rules.md (Markdown).

Every card's `source.url` points here (`<base>/rules#R4`), so a clinician who wonders why a card
fired lands on the rule, its criteria, thresholds and citations. The page is generated from the
code (`logic.catalogue`), never written by hand: each rule id and flag id is an element id
(`#R4`, `#U-Li`, as in docs/rules.md), and so are the secondary card topics
(`#imaging-protocol`, `#data-quality`), the order-review checks (`#contrast-only-mri`, as the
order-review cards link to them) and the order keys (`#order-bone-marrow-biopsy`).

Public documentation: no authentication, no patient data, cacheable. Blueprint name: "rules".
"""

from __future__ import annotations

from typing import Final

from flask import Blueprint, Response, render_template_string

from cds_hooks.cards.assessment_cards import RULE_INDICATOR
from cds_hooks.cards.parts import OVERRIDE_REASONS, TOPICS
from logic.catalogue import (
    ADVISORIES,
    BENIGN_PITFALL_WHERE,
    FLAG_WORDS,
    FLAGS,
    FOLLOW_UP_ANCHOR,
    FOLLOW_UP_LINES,
    LITERATURE,
    LITERATURE_SUMMARY,
    NOT_DONE,
    ORDER_CHECKS,
    RULE_SET_VERSION,
    RULES,
    anchor,
    catalogue_markdown,
    published,
    spec_words,
)
from logic.order_catalogue import ORDERS
from logic.rules import MISSING_DATA

bp = Blueprint("rules", __name__)

_HEADERS: Final = {
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    ),
}

_TIER_WORDS: Final = {"U": "urgent", "H": "high", "I": "intermediate"}

_PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Marrow CDS rule catalogue {{ version }}</title>
<style>
 body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
        padding: 0 1rem; }
 table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
 th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
 section { border-top: 1px solid #ddd; padding-top: .5rem; }
 section:target { background: #fff8d6; }
 code, pre { font-size: .9em; } pre { white-space: pre-wrap; }
 .tier-U { color: #a00; font-weight: bold; } .unverified { color: #a60; }
</style>
</head>
<body>
<h1>Marrow CDS rule catalogue</h1>
<p>Rule set version {{ version }}. For the clinicians and the CDS committee who approve the
service: what it recommends, when, on which thresholds, and on which evidence (the same content
as <a href="rules.md">rules.md</a>). The first matching rule decides the primary
recommendation.</p>
<nav><a href="#decision-table">Decision table</a> · <a href="#literature">Literature</a> ·
<a href="#not-done">What the service does not do</a> · <a href="#flags">Flags</a> ·
<a href="#follow-up">Follow-up status</a> ·
<a href="#secondary">Secondary cards</a> · <a href="#order-review">Order review</a> ·
<a href="#orders">Orders</a> ·
<a href="#override-reasons">Override reasons</a></nav>

<h2 id="decision-table">Decision table</h2>
<table>
<thead><tr><th>Rule</th><th>When</th><th>Recommend</th><th>Card</th></tr></thead>
<tbody>
{% for rule in rules %}
<tr><td><a href="#{{ rule.id }}">Rule {{ rule.id }}</a></td><td>{{ rule.when }}</td>
<td>{{ rule.recommend }}</td>
<td>{% if rule.topic %}<code>{{ rule.topic }}</code>, {{ indicators.get(rule.id, "") }}
{% else %}no card{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>

<h2 id="literature">The literature behind the decision table</h2>
<table>
<thead><tr><th>Study</th><th>Who</th><th>Result</th></tr></thead>
<tbody>
{% for study, who, result in literature %}
<tr><td>{{ study }}</td><td>{{ who }}</td><td>{{ result }}</td></tr>
{% endfor %}
</tbody>
</table>
<p>{{ literature_summary }}</p>

<h2 id="not-done">What the service does not do</h2>
<ul>{% for line in not_done %}<li>{{ line }}</li>{% endfor %}</ul>

<h2 id="rules">Rules</h2>
{% for rule in rules %}
<section id="{{ rule.id }}">
{% if rule.anchor != rule.id %}<a id="{{ rule.anchor }}"></a>{% endif %}
<h3>Rule {{ rule.id }}: {{ rule.title }}</h3>
<dl>
<dt>When</dt><dd>{{ rule.when }}</dd>
<dt>Recommend</dt><dd>{{ rule.recommend }}</dd>
<dt>Card</dt><dd>{% if rule.topic %}topic <code>{{ rule.topic }}</code>
({{ topics.get(rule.topic, "") }}), indicator {{ indicators.get(rule.id, "") }}
{% else %}none{% endif %}</dd>
<dt>Sources</dt><dd><ul>{% for c in rule.sources %}<li>{{ c }}</li>{% endfor %}</ul></dd>
</dl>
</section>
{% endfor %}

<h2 id="flags">Flags</h2>
<p>Tiers: U urgent (myeloma-defining event, IMWG 2014), H high (biopsy indicated),
I intermediate.</p>
<table>
<thead><tr><th>Flag</th><th>In words</th><th>Tier</th><th>Criterion</th></tr></thead>
<tbody>
{% for flag in flags %}
<tr><td><a href="#{{ flag.id }}">{{ flag.id }}</a></td><td>{{ flag.words }}</td>
<td class="tier-{{ flag.tier }}">{{ flag.tier }} ({{ tiers.get(flag.tier, "") }})</td>
<td>{{ flag.criterion }}</td></tr>
{% endfor %}
</tbody>
</table>
{% for flag in flags %}
<section id="{{ flag.id }}">
{% if flag.anchor != flag.id %}<a id="{{ flag.anchor }}"></a>{% endif %}
<h3>{{ flag.id }}: {{ flag.words }} ({{ tiers.get(flag.tier, flag.tier) }})</h3>
<dl>
<dt>Criterion</dt><dd>{{ flag.criterion }}</dd>
<dt>Thresholds</dt><dd><ul>{% for t in flag.thresholds %}<li>{{ t }}</li>{% endfor %}</ul></dd>
<dt>Source</dt><dd>{{ flag.source }}</dd>
</dl>
</section>
{% endfor %}

<h2 id="{{ follow_up_anchor }}">Follow-up status of surveillance (closing the loop)</h2>
<ul>{% for line in follow_up_lines %}<li>{{ line }}</li>{% endfor %}</ul>

<h2 id="secondary">Secondary cards</h2>
<section id="imaging-protocol">
<h3>{{ topics["imaging-protocol"] }} (<code>imaging-protocol</code>, info)</h3>
<p>Shown beside a primary card only where the advice can change what happens next (a card
that comes with nearly every primary card is soon ignored):</p>
<ul>{% for advisory in advisories %}
<li><code>{{ advisory.code }}</code>: when {{ advisory.when }}</li>
{% endfor %}</ul>
<p>{{ benign_pitfall }}: a note of the R7 and R8 cards (where the decision leans on a
benign-looking MRI), naming the benign features the report describes; not a separate card.</p>
</section>
<section id="data-quality">
<h3>{{ topics["data-quality"] }} (<code>data-quality</code>, info)</h3>
<p>Values that could not be evaluated (unknown or non-convertible unit, unreadable value) count
as missing and are listed with their FHIR reference; they are never judged normal or abnormal.
Data that could not be obtained:</p>
<ul>{% for line in missing_data %}<li>{{ line }}</li>{% endfor %}</ul>
</section>

<h2 id="order-review">Order review (order-select and order-sign)</h2>
<p>Services <code>marrow-order-select</code> and <code>marrow-order-sign</code> review the draft
orders of a marrow work-up (card topic <code>order-review</code>). Silent for patients under
specialist care and for drafts no check concerns.</p>
<table>
<thead><tr><th>Check</th><th>Card</th><th>When</th><th>Source</th></tr></thead>
<tbody>
{% for check in order_checks %}
<tr id="{{ check.anchor }}"><td><code>{{ check.id }}</code></td><td>{{ check.indicator }}</td>
<td>{{ check.when }}</td><td>{{ check.source }}</td></tr>
{% endfor %}
</tbody>
</table>

<h2 id="orders">Orders the cards suggest</h2>
<p>Every suggested ServiceRequest carries the order key (system
<code>urn:marrow-cds:order</code>) and the standard codes below.
Codes marked <span class="unverified">unverified</span> come from a secondary source only.</p>
<table>
<thead><tr><th>Order key</th><th>Order</th><th>Standard codes</th></tr></thead>
<tbody>
{% for order in orders %}
<tr id="order-{{ order.key }}"><td><code>{{ order.key }}</code></td><td>{{ order.label }}</td>
<td>{% for region, c in order.codes %}{% if region %}{{ region }}: {% endif %}{{ c.system }}
<code>{{ c.code }}</code> {{ c.display }}{% if not c.verified %}
<span class="unverified">(unverified)</span>{% endif %}<br>{% else %}none{% endfor %}</td></tr>
{% endfor %}
</tbody>
</table>

<h2 id="override-reasons">Override reasons</h2>
<ul>{% for code, display in override_reasons %}<li><code>{{ code }}</code>: {{ display }}</li>
{% endfor %}</ul>
</body>
</html>
"""

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
    """The /rules page (HTML, every interpolated value escaped by Jinja)."""
    return render_template_string(
        _PAGE,
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
