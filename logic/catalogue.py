"""The rule catalogue as data, from the code (the decision table, the flag registry and the
order-review checks) and the literature and limits a committee reads.

`RULES`, `FLAGS`, `ADVISORIES` and `ORDER_CHECKS` are what the /rules pages and docs/rules.md
are rendered from; the rendering (HTML template, Markdown) is presentation and lives in
`cds_hooks` (`cds_hooks.rules_page`, `cds_hooks.rules_markdown`).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import timedelta

from logic import follow_up, order_catalogue, order_review, thresholds
from logic.advisories import ADVISORY_RULES
from logic.flags import FLAG_RULES
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


def published(citations: tuple[str, ...]) -> tuple[str, ...]:
    """The citations a reader can look up in the literature (not the specification itself)."""
    return tuple(c for c in citations if "SPEC.md" not in c and "CARDS.md" not in c)
