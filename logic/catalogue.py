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
import re
from dataclasses import dataclass
from datetime import timedelta

from logic import follow_up, order_catalogue, order_review, orders, thresholds
from logic.advisories import ADVISORY_RULES
from logic.analytes import LABEL, ROWS
from logic.flags import FLAG_RULES
from logic.panel import FIRST_LINE
from logic.rules import MISSING_DATA
from logic.rules import RULES as _TABLE

RULE_SET_VERSION = "2026.1"

# The flag ids of SPEC.md section 5 in clinical words (the cards say these instead of the ids;
# no threshold here: the reasons carry the values, the catalogue the thresholds).
FLAG_WORDS: dict[str, str] = {
    "U-L": "several focal MRI lesions of 5 mm or more",
    "U-Li": "markedly abnormal free light chains",
    "U-C": "calcium high enough to define a myeloma event",
    "U-R": "kidney function low enough to define a myeloma event",
    "U-A": "severe anaemia",
    "U-B": "lytic bone lesion",
    "H-ANAEMIA": "unexplained anaemia",
    "H-MPROTEIN": "monoclonal protein",
    "H-FLC": "abnormal free light chain ratio",
    "H-CALCIUM": "high calcium",
    "H-RENAL": "reduced kidney function",
    "H-IMMUNOPARESIS": "low immunoglobulins",
    "H-CYTOPENIA": "unexplained low blood counts",
    "H-MONOCYTOSIS": "persistent monocytosis",
    "H-SYMPTOMS": "constitutional symptoms or bone pain",
    "H-CANCER": "cancer history",
    "H-IMAGING": "worrisome MRI features",
    "I-FLC": "borderline free light chain ratio",
    "I-MONOCYTE": "raised monocyte count",
    "I-FOCAL": "one indeterminate focal MRI lesion",
}

# SPEC.md section 1: the literature behind the stratification (study, who, result).
LITERATURE: tuple[tuple[str, str, str], ...] = (
    (
        "Spierings et al., Neth J Med 2014",
        "15 marrow biopsies done for incidental diffuse MRI marrow signal",
        "7/15 (47%) clinically important haematological disease",
    ),
    (
        "Ann Diagn Pathol 2019;40:7-12",
        "45 biopsies for nonspecific diffuse T1 change (focal/destructive lesions and known "
        "cancer excluded)",
        "19/45 (42%) neoplasm; lower haemoglobin in the neoplasm group (p=0.037), no cut-off "
        "reported",
    ),
    (
        "Arikan et al., Curr Med Imaging 2024",
        "42 patients with incidental marrow signal change",
        "3 (7%) haematological malignancy; of 35 followed about 40 months, 1 developed MGUS",
    ),
    (
        "Shah et al., Sci World J 2014;380814",
        "110 of 49,678 MRIs (0.22%) with incidental abnormal marrow",
        "6% later diagnosed with a malignancy",
    ),
    (
        "Radiology reference review",
        "all reports of heterogeneous marrow",
        "seen in about 2% of MRIs (0.25-4%); about 5% (1.5-10%) malignant; no consensus work-up",
    ),
)
LITERATURE_SUMMARY = (
    "The studies disagree because they count different patients. So a slight, localised, "
    "nonspecific heterogeneity with normal blood tests is followed (surveillance); diffuse T1 "
    "change, worrisome imaging features or abnormal blood tests push towards haematology "
    "referral and marrow biopsy; myeloma-defining events are urgent."
)
# What the service does not do (SPEC.md sections 2, 3, 5; CARDS.md): for a committee.
NOT_DONE: tuple[str, ...] = (
    "It does not diagnose and does not order: its suggestions are draft orders a clinician "
    "reviews and signs; every card can be dismissed with a reason.",
    "It reads the radiology report text, not the images; a report it cannot read is said, "
    "never guessed.",
    "It gives no marrow work-up card to a patient already under specialist care (myeloma, "
    "lymphoma, leukaemia, MDS, MPN, marrow metastases); MGUS does not count as such.",
    "It does not treat an MRI appearance alone as proof of benignity, and does not replace a "
    "haematologist's judgement.",
    "It does not count a result older than 90 days as current: a stale normal result never "
    "clears a patient, a stale abnormal one is repeated to confirm.",
    "It does not assume a unit: a value in an unknown unit is reported as not evaluable.",
    "It does not recognise cancer recorded only with SNOMED CT codes (no terminology server): "
    "the card names such a condition instead.",
    "It does not fetch data from FHIR servers outside the site's allow-list.",
)
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


_SPEC_SECTION = re.compile(r"SPEC\.md\s*(?:section\s*|§\s*)(\d+)")
_DEV_LINE = re.compile(r"^\s*(?:- Implemented by |>|- `logic\.)")


def clinical_page(markdown: str) -> str:
    """The catalogue as a committee reads it (issue 10): the clinical specification named in
    words, never as a file; no implementation lines (function names, docstrings)."""
    lines = [line for line in markdown.splitlines() if not _DEV_LINE.match(line)]
    text = spec_words("\n".join(lines))
    return re.sub(r"\n{3,}", "\n\n", text) + ("\n" if markdown.endswith("\n") else "")


def spec_words(text: str) -> str:
    """The specification named in words ("clinical specification §5"), never as a file."""
    text = _SPEC_SECTION.sub(r"clinical specification §\1", text)
    text = text.replace("SPEC.md", "the clinical specification")
    text = text.replace("CARDS.md", "the card contract")
    text = text.replace("FOCAL_EQUIVOCAL", "focal-equivocal").replace(
        "FOCAL_MULTIPLE", "focal-multiple"
    )
    return text


def published(citations: tuple[str, ...]) -> tuple[str, ...]:
    """The citations a reader can look up in the literature (not the specification itself)."""
    return tuple(c for c in citations if "SPEC.md" not in c and "CARDS.md" not in c)


def catalogue_markdown() -> str:
    """docs/rules.md and /rules.md: the decision table, every rule and flag in clinical words
    with thresholds, units and sources, the literature, what the service does not do."""
    return clinical_page(_catalogue_markdown())


def _catalogue_markdown() -> str:
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
    out += [
        "",
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
        "## Rules",
        "",
    ]
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
    out += [
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
    out += [
        "",
        f"Current result: effective within {thresholds.CURRENT_WINDOW.days} days before the "
        "evaluation time. A result that is not evaluable counts as missing.",
        "",
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
    """docs/rules.md: the catalogue page plus the developer note (DOCS_NOTE; generated by
    `python -m logic.catalogue > docs/rules.md`, not edited by hand)."""
    return catalogue_markdown().rstrip("\n") + DOCS_NOTE


if __name__ == "__main__":
    print(docs_rules_md(), end="")
