"""The rule catalogue in Markdown: GET /rules.md and docs/rules.md, rendered from the data of
`logic.catalogue` (the decision table, the flag registry, the order-review checks); the HTML
page is the template `templates/rules.html` (`cds_hooks.rules_page`).

    python -m cds_hooks.rules_markdown > docs/rules.md

(docs/rules.md adds one developer line, `DOCS_NOTE`, that the /rules pages do not show.)
"""

from __future__ import annotations

import re
import sys
from typing import Final

from logic import orders, thresholds
from logic.analytes import LABEL, ROWS
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
    unverified_order_codes,
)
from logic.panel import FIRST_LINE
from logic.rules import MISSING_DATA

# Anchor of the section on the follow-up status of surveillance (R7/R8 cards link to it).
FOLLOW_UP_ANCHOR: Final = "follow-up"


def anchor(item_id: str) -> str:
    """HTML anchor of a rule id, flag id or topic code: the id itself ("R4", "U-Li",
    "imaging-protocol"), as the cards link to it (`<rules url>#R4`)."""
    return item_id


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_SPEC_SECTION: Final = re.compile(r"SPEC\.md\s*(?:section\s*|§\s*)(\d+)")


def spec_words(text: str) -> str:
    """The specification named in words ("clinical specification §5"), never as a file."""
    text = _SPEC_SECTION.sub(r"clinical specification §\1", text)
    text = text.replace("SPEC.md", "the clinical specification")
    text = text.replace("CARDS.md", "the card contract")
    text = text.replace("FOCAL_EQUIVOCAL", "focal-equivocal").replace(
        "FOCAL_MULTIPLE", "focal-multiple"
    )
    return text


def _follow_up_section(anchor_id: str) -> str:
    """The section on the follow-up status of surveillance (`logic.follow_up`)."""
    return "\n".join(
        [
            f'## <a id="{anchor_id}"></a>Follow-up status of surveillance (closing the loop)',
            "",
            *(f"- {line}" for line in FOLLOW_UP_LINES),
            "",
        ]
    )


def _order_review_section() -> str:
    """The section on order review. Each check has an anchor equal to its id: the order-review
    cards' `source.url` points at it."""
    out = [
        "## Order review (order-select and order-sign)",
        "",
        "Services `marrow-order-select` and `marrow-order-sign` review the draft orders of a "
        "marrow work-up (card topic `order-review`). Silent for patients under specialist care "
        "(SPEC.md section 2) and for drafts no check concerns.",
        "",
        "| check | card | when | source |",
        "|---|---|---|---|",
    ]
    for check in ORDER_CHECKS:
        out.append(
            f"| [{check.id}](#{check.id}) | {check.indicator} | {check.when} | {check.source} |"
        )
    out.append("")
    for check in ORDER_CHECKS:
        out += [
            f'### <a id="{check.id}"></a>{check.id} ({check.indicator})',
            "",
            f"- When: {check.when}",
            f"- Source: {check.source}",
            "",
        ]
    return "\n".join(out)


def catalogue_markdown() -> str:
    """docs/rules.md and /rules.md: the decision table, every rule and flag in clinical words
    with thresholds, units and sources, the literature, what the service does not do; the
    clinical specification named in words, never as a file (issue 10)."""
    return spec_words(_catalogue_markdown())


def _catalogue_markdown() -> str:
    """The catalogue page, section by section (before `spec_words`)."""
    sections = (
        _decision_table(),
        _literature_and_limits(),
        _rule_sections(),
        _flag_sections(),
        [_follow_up_section(anchor(FOLLOW_UP_ANCHOR))],
        _imaging_protocol_and_data_quality(),
        _biopsy_bundle_and_first_line_panel(),
        _display_precision_and_unverified(),
        [f'<a id="{anchor("order-review")}"></a>', "", _order_review_section()],
    )
    return "\n".join(line for section in sections for line in section)


def _decision_table() -> list[str]:
    """Title, who the page is for, and the decision table (one row per rule, in order)."""
    out = [
        "# Marrow CDS rule catalogue",
        "",
        f"Rule set version {RULE_SET_VERSION}. For the clinicians and the CDS committee who "
        "approve the service: what it recommends, when, on which thresholds, and on which "
        "evidence. Every card links to its rule here.",
        "",
        "The first matching rule decides the primary recommendation.",
        "",
        "## Decision table",
        "",
        "| rule | when | recommend | card topic |",
        "|---|---|---|---|",
    ]
    for rule in RULES:
        link = f"[Rule {rule.id}](#{anchor(rule.id)})"
        topic = rule.topic if rule.topic else "no card"
        out.append(f"| {link} | {_cell(rule.when)} | {_cell(rule.recommend)} | {topic} |")
    out.append("")
    return out


def _literature_and_limits() -> list[str]:
    """The studies behind the decision table, and what the service does not do."""
    return [
        '## <a id="literature"></a>The literature behind the decision table',
        "",
        "| study | who | result |",
        "|---|---|---|",
        *(f"| {_cell(s)} | {_cell(w)} | {_cell(r)} |" for s, w, r in LITERATURE),
        "",
        LITERATURE_SUMMARY,
        "",
        '## <a id="not-done"></a>What the service does not do',
        "",
        *(f"- {line}" for line in NOT_DONE),
        "",
    ]


def _rule_sections() -> list[str]:
    """One section per rule: when, what it recommends, its card topic, its published sources."""
    out = ["## Rules", ""]
    for rule in RULES:
        sources = published(rule.citations) or ("clinical specification of the service",)
        out += [
            f'### <a id="{anchor(rule.id)}"></a>Rule {rule.id}: {rule.title}',
            "",
            f"- When: {rule.when}",
            f"- Recommend: {rule.recommend}",
            f"- Card topic: {rule.topic or 'none (no card)'}",
            "- Sources:",
            *(f"  - {c}" for c in sources),
            "",
        ]
    return out


def _flag_sections() -> list[str]:
    """The flag table (tier, criterion, thresholds) and one section per flag."""
    out = [
        "## Flags",
        "",
        "Tiers: U urgent (myeloma-defining event, IMWG 2014), H high (biopsy indicated), "
        "I intermediate.",
        "",
        "| flag | in words | tier | criterion | thresholds |",
        "|---|---|---|---|---|",
    ]
    for flag in FLAGS:
        link = f"[{flag.id}](#{anchor(flag.id)})"
        limits = "; ".join(flag.thresholds)
        words = FLAG_WORDS[flag.id]
        out.append(
            f"| {link} | {words} | {flag.tier} | {_cell(flag.criterion)} | {_cell(limits)} |"
        )
    out.append("")
    for flag in FLAGS:
        out += [
            f'### <a id="{anchor(flag.id)}"></a>{flag.id}: {FLAG_WORDS[flag.id]} ({flag.tier})',
            "",
            f"- Criterion: {flag.criterion}",
            f"- Thresholds: {'; '.join(flag.thresholds)}",
            f"- Source: {flag.source}",
            "",
        ]
    return out


def _imaging_protocol_and_data_quality() -> list[str]:
    """The two secondary cards: imaging-protocol advice, data quality and missing data."""
    return [
        f'## <a id="{anchor("imaging-protocol")}"></a>Imaging-protocol advice',
        "",
        "Secondary card (topic `imaging-protocol`), shown with a primary card only where the "
        "advice can change what happens next (a card that comes with nearly every primary card "
        "is soon ignored):",
        "",
        *(f"- `{a.code}`: when {a.when}" for a in ADVISORIES),
        "",
        f"{BENIGN_PITFALL_WHERE}: a note of the R7 and R8 cards (where the decision leans on a "
        "benign-looking MRI), naming the benign features the report describes; not a separate "
        "card.",
        "",
        f'## <a id="{anchor("data-quality")}"></a>Data quality and missing data',
        "",
        "Values that could not be evaluated (unknown or non-convertible unit) count as missing "
        "and are listed on a secondary card (topic `data-quality`); they are never judged "
        "normal or abnormal. The newest result of an analyte within the current window "
        "decides: when it is not evaluable, an older result of the window is superseded. It "
        "neither clears the patient (the panel item is not evaluable: R5) nor fires a flag on "
        "current data; if abnormal it is repeated to confirm (urgent at a U level).",
        "",
        "A result or report dated after the evaluation time is listed on the data-quality card "
        "(time zone of the source). Up to "
        f"{thresholds.CLOCK_SKEW_TOLERANCE.total_seconds() / 3600:g} h after it (clock skew, "
        "timezone-less times read as UTC: an engineering tolerance, not a SPEC.md value) it is "
        "used as current; later, it is not used.",
        "",
        "Data that could not be obtained:",
        "",
        *(f"- {line}" for line in MISSING_DATA),
        "",
    ]


def _biopsy_bundle_and_first_line_panel() -> list[str]:
    """What the biopsy bundle holds (R2, R4) and the first-line panel that gates R7 and R8."""
    out = [
        "## Biopsy bundle (Rules R2, R4)",
        "",
        "Posterior iliac crest aspirate and core; multicolour flow cytometry (>=8 colours); "
        "karyotype. The team's reading of SPEC.md section 5:",
        "",
        "- FISH panel when a plasma-cell disorder is suspected: any of "
        f"{', '.join(orders.PLASMA_CELL_FLAGS)} (a myeloma-defining event, a CRAB feature or a "
        "clonal marker).",
        "- Myeloid NGS panel when cytopenia or monocytosis is present: any of "
        f"{', '.join(orders.MYELOID_FLAGS)} (anaemia counts as a cytopenia).",
        "",
        "## First-line panel (gates R7 and R8)",
        "",
        "| item | order key | gating | satisfied by current results of |",
        "|---|---|---|---|",
    ]
    for item in FIRST_LINE:
        gating = "yes" if item.gating else "no (ordered with the panel)"
        ways = "; or ".join(" + ".join(LABEL[a] for a in alt) for alt in item.alternatives)
        out.append(f"| {item.label} | {item.order_key} | {gating} | {ways} |")
    return [
        *out,
        "",
        f"Current result: effective within {thresholds.CURRENT_WINDOW.days} days before the "
        "evaluation time. A result that is not evaluable counts as missing.",
        "",
    ]


def _display_precision_and_unverified() -> list[str]:
    """The display precision of each analyte, and the values SPEC.md marks (verify)."""
    return [
        "## Display precision of lab values",
        "",
        "Cards show each value in its canonical unit at the precision below. A value is never "
        "rounded onto, or across, a limit a rule compares it with: one more decimal is shown "
        "until it sits on the same side as the raw value, and a value above zero never shows "
        "as 0. A value sent with a comparator keeps its decimals. A value converted from "
        'another unit is shown with what the lab sent ("2.89 mmol/L (11.6 mg/dL as sent)").',
        "",
        "| analyte | canonical unit | decimals |",
        "|---|---|---|",
        *(
            f"| {row.label} | {row.unit} | {row.decimals} |"
            for row in ROWS
            if row.decimals is not None
        ),
        "",
        "## Unverified values",
        "",
        'Marked "(verify)" in SPEC.md: kept as given, never replaced by a guess.',
        "",
        *(f"- {v} (verify)" for v in thresholds.UNVERIFIED),
        *(f"- {line} (verify)" for line in unverified_order_codes()),
        '- Oncology referral (`oncology-referral`): SPEC.md section 7 gives "SNOMED (verify)" '
        "with no code; none is sent",
        "- Laboratory LOINC codes marked (verify) in SPEC.md section 4 are recognised as given "
        "there (the rules never see codes)",
        "",
    ]


# The one developer line of docs/rules.md, kept off the clinician-facing page (/rules, /rules.md).
DOCS_NOTE = (
    '\n\n---\n\nFor developers: where the code, its comments and tests cite "SPEC.md" or '
    '"CARDS.md", they mean docs/SPEC.md and docs/CARDS.md of this repository.\n'
)


def docs_rules_md() -> str:
    """docs/rules.md: the catalogue page plus the developer note (DOCS_NOTE; generated by
    `python -m cds_hooks.rules_markdown > docs/rules.md`, not edited by hand)."""
    return catalogue_markdown().rstrip("\n") + DOCS_NOTE


if __name__ == "__main__":
    sys.stdout.write(docs_rules_md())
