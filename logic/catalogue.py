"""The rule catalogue, generated from the code (the decision table, the flag registry and the
order-review checks).

`RULES`, `FLAGS`, `ADVISORIES` and `ORDER_CHECKS` are what the /rules page is built from;
`catalogue_markdown()` renders docs/rules.md (its order-review section is
`logic.order_review.catalogue_section()`):

    python -m logic.catalogue > docs/rules.md

(docs/rules.md adds one developer line, `DOCS_NOTE`, that the /rules pages do not show.)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import timedelta

from logic import follow_up, order_catalogue, order_review, orders, thresholds
from logic.advisories import ADVISORY_RULES
from logic.flags import FLAG_RULES
from logic.labs import LABEL
from logic.panel import FIRST_LINE
from logic.rules import MISSING_DATA
from logic.rules import RULES as _TABLE
from logic.units import PRECISION

RULE_SET_VERSION = "2026.1"
# Anchor of the section on the follow-up status of surveillance (R7/R8 cards link to it).
FOLLOW_UP_ANCHOR = "follow-up"
FOLLOW_UP_LINES: tuple[str, ...] = follow_up.CATALOGUE_LINES


@dataclass(frozen=True)
class RuleInfo:
    id: str
    title: str
    when: str
    recommend: str
    topic: str  # CARDS.md topic code ("" for R0: no card)
    citations: tuple[str, ...]
    condition: str  # name of the predicate that implements "when"
    condition_doc: str


@dataclass(frozen=True)
class FlagInfo:
    id: str
    tier: str  # "U", "H", "I"
    criterion: str
    thresholds: tuple[str, ...]
    source: str
    predicate: str  # name of the predicate that implements it
    doc: str


def _doc(obj: object) -> str:
    return inspect.cleandoc(getattr(obj, "__doc__", None) or "")


@dataclass(frozen=True)
class AdvisoryInfo:
    code: str
    when: str


ADVISORIES: tuple[AdvisoryInfo, ...] = tuple(AdvisoryInfo(a.code, a.when) for a in ADVISORY_RULES)
BENIGN_PITFALL_WHERE = (
    '"MRI appearance alone is not proof of benignity" (SPEC.md section 5 pitfall)'
)


@dataclass(frozen=True)
class OrderCheckInfo:
    """One order-review check (services marrow-order-select / marrow-order-sign)."""

    id: str  # also its anchor: the order-review cards link to `<rules url>#<id>`
    indicator: str  # card indicator
    when: str
    source: str


ORDER_CHECKS: tuple[OrderCheckInfo, ...] = tuple(
    OrderCheckInfo(check.value, indicator, when, source)
    for check, indicator, when, source in order_review.CHECK_CATALOGUE
)

RULES: tuple[RuleInfo, ...] = tuple(
    RuleInfo(
        id=r.id,
        title=r.title,
        when=r.when,
        recommend=r.recommend,
        topic=r.topic,
        citations=r.citations,
        condition=r.applies.__name__,
        condition_doc=_doc(r.applies),
    )
    for r in _TABLE
)

FLAGS: tuple[FlagInfo, ...] = tuple(
    FlagInfo(
        id=f.id,
        tier=f.tier.value,
        criterion=f.criterion,
        thresholds=f.thresholds,
        source="; ".join(f.sources),
        predicate=f.predicate.__name__,
        doc=_doc(f.predicate),
    )
    for f in FLAG_RULES
)


def _shown(value: object) -> str:
    if not isinstance(value, timedelta):
        return repr(value)
    if value.seconds == 0 and value.microseconds == 0:
        return f"{value.days} days"
    return f"{value.total_seconds() / 3600:g} hours"


def threshold_constants() -> tuple[tuple[str, str], ...]:
    """Every numeric constant of `logic.thresholds`, as (name, value)."""
    found = []
    for name, value in vars(thresholds).items():
        if name.isupper() and isinstance(value, (int, float, tuple, timedelta)):
            if isinstance(value, tuple) and not all(isinstance(v, (int, float)) for v in value):
                continue
            shown = _shown(value)
            found.append((name, shown))
    return tuple(found)


_SYSTEM_NAMES = {
    order_catalogue.LOINC: "LOINC",
    order_catalogue.CPT: "CPT",
    order_catalogue.SNOMED: "SNOMED",
}


def unverified_order_codes() -> tuple[str, ...]:
    """Every standard order code marked "(verify)" in SPEC.md section 7 (`verified=False` in
    `logic.order_catalogue`), as "<system> <code> <display> (`<order key>`)"."""
    found = []
    for key, definition in order_catalogue.ORDERS.items():
        codings = list(definition.codings)
        for region_codings in definition.codings_by_region.values():
            codings += region_codings
        for c in codings:
            if not c.verified:
                system = _SYSTEM_NAMES.get(c.system, c.system)
                found.append(f"{system} {c.code} {c.display} (`{key}`)")
    return tuple(found)


def anchor(item_id: str) -> str:
    """HTML anchor of a rule id, flag id or topic code: the id itself ("R4", "U-Li",
    "imaging-protocol"), as the cards link to it (`<rules url>#R4`)."""
    return item_id


def _flat(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def catalogue_markdown() -> str:
    """docs/rules.md: every rule and flag with criteria, thresholds and citations."""
    out = [
        "# Marrow CDS rule catalogue",
        "",
        f"Rule set version {RULE_SET_VERSION}. Generated from the code by "
        "`python -m logic.catalogue > docs/rules.md`; do not edit by hand.",
        "",
        "The first matching rule decides the primary recommendation (SPEC.md section 5).",
        "",
        "## Decision table",
        "",
        "| rule | when | recommend | card topic |",
        "|---|---|---|---|",
    ]
    for rule in RULES:
        link = f"[{rule.id}](#{anchor(rule.id)})"
        topic = f"`{rule.topic}`" if rule.topic else "no card"
        out.append(f"| {link} | {_cell(rule.when)} | {_cell(rule.recommend)} | {topic} |")
    out += ["", "## Rules", ""]
    for rule in RULES:
        out += [
            f'### <a id="{anchor(rule.id)}"></a>{rule.id}: {rule.title}',
            "",
            f"- When: {rule.when}",
            f"- Recommend: {rule.recommend}",
            f"- Card topic: {rule.topic or 'none (no card)'}",
            f"- Implemented by `logic.rules.{rule.condition}`: {_flat(rule.condition_doc)}",
            "- Citations:",
            *(f"  - {c}" for c in rule.citations),
            "",
        ]
    out += [
        "## Flags",
        "",
        "Tiers: U urgent (myeloma-defining event, IMWG 2014), H high (biopsy indicated), "
        "I intermediate.",
        "",
        "| flag | tier | criterion | thresholds |",
        "|---|---|---|---|",
    ]
    for flag in FLAGS:
        link = f"[{flag.id}](#{anchor(flag.id)})"
        limits = "; ".join(flag.thresholds)
        out.append(f"| {link} | {flag.tier} | {_cell(flag.criterion)} | {_cell(limits)} |")
    out.append("")
    for flag in FLAGS:
        out += [
            f'### <a id="{anchor(flag.id)}"></a>{flag.id} ({flag.tier})',
            "",
            f"- Criterion: {flag.criterion}",
            f"- Thresholds: {'; '.join(flag.thresholds)}",
            f"- Source: {flag.source}",
            f"- Implemented by `logic.flags.{flag.predicate}`:",
            "",
            *(f"  > {line}" if line else "  >" for line in flag.doc.splitlines()),
            "",
        ]
    out.append(follow_up.catalogue_section(anchor(FOLLOW_UP_ANCHOR)))
    out += [
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
    out += [
        "## Biopsy bundle (R2, R4)",
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
        out.append(f"| {item.label} | `{item.order_key}` | {gating} | {ways} |")
    out += [
        "",
        f"Current result: effective within {thresholds.CURRENT_WINDOW.days} days before the "
        "evaluation time. A result that is not evaluable counts as missing.",
        "",
        "## Thresholds, windows and default limits (`logic/thresholds.py`)",
        "",
        "| constant | value |",
        "|---|---|",
        *(f"| `{name}` | {_cell(value)} |" for name, value in threshold_constants()),
        "",
        "## Display precision of lab values (`logic/units.py`)",
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
            f"| {LABEL[analyte]} | `{unit}` | {decimals} |"
            for analyte, (unit, decimals) in PRECISION.items()
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
        "- Laboratory LOINC codes marked (verify) in SPEC.md section 4 are listed, with "
        "`verified=False`, in `fhir_mappers/lab_codes.py` (the mappers recognise them; the "
        "rules never see codes)",
        "",
        f'<a id="{anchor("order-review")}"></a>',
        "",
        order_review.catalogue_section(),
    ]
    return "\n".join(out)


# The one developer line of docs/rules.md, kept off the clinician-facing page (/rules, /rules.md).
DOCS_NOTE = (
    '\n\n---\n\nFor developers: where the code, its comments and tests cite "SPEC.md" or '
    '"CARDS.md", they mean docs/SPEC.md and docs/CARDS.md of this repository.\n'
)


def docs_rules_md() -> str:
    """docs/rules.md: the catalogue page plus the developer note (DOCS_NOTE)."""
    return catalogue_markdown().rstrip("\n") + DOCS_NOTE


if __name__ == "__main__":
    print(docs_rules_md(), end="")
