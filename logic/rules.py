"""The decision table of SPEC.md section 5, as data a clinician can read.

Rows are checked in order; the first row whose condition holds decides the primary
recommendation. R0 means no card.

| rule | condition (predicate below) | recommendation (logic.plans) |
|---|---|---|
| R0 | `no_card` | none |
| R1 | `limited_life_expectancy_with_urgent_or_high_flag` | `goals_of_care` |
| R2 | `any_urgent_flag` | `urgent_workup` |
| R3 | `cancer_history_flag` | `cancer_staging` |
| R4 | `any_other_high_flag` | `biopsy_indicated` |
| R5 | `first_line_labs_missing_or_stale` | `first_line_labs` |
| R6 | `any_intermediate_flag` | `econsult` |
| R7 | `diffuse_without_worrisome_feature_and_labs_normal` | `defer_biopsy` |
| R8 | `nonspecific_and_labs_normal` | `surveillance` |

Missing data (a `DataGap`: data that could not be obtained) is never the ground of a
recommendation:
- imaging not obtained: R0 (the index report may not be the latest);
- laboratory results not obtained: R5, R7 and R8 (which rest on the labs) never apply;
  flags on imaging and history still decide R1-R4 and R6; when no row applies, R0;
- conditions not obtained: suppression, limited life expectancy, cancer history and the
  documented causes that discount U-A / U-R / H-ANAEMIA / H-RENAL / H-CYTOPENIA are unknown
  (a current low ferritin and known CKD by laboratory history still count). The rules run
  on what is known, and the reason and notes say what could not be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from logic import citations as cite
from logic import plans
from logic.context import limited_life_expectancy, suppressing_conditions
from logic.flags import FLAG_RULES
from logic.imaging import worrisome_features
from logic.model import DataDomain, ImagingClass, NoCard, Tier
from logic.situation import Situation

# How missing data (a DataGap) is handled; the module docstring and the catalogue say so.
MISSING_DATA: tuple[str, ...] = (
    "imaging could not be obtained: no card (R0); the index report may not be the latest",
    "the text of an imaging report could not be read (kept as a separate document that could "
    "not be fetched, or a scan without text): imaging not obtained, as above, naming the report",
    "imaging reports kept only as documents (DocumentReference) could not be obtained: the "
    "rules run on the DiagnosticReports and the card says so; a no-card outcome (R0) that a "
    "newer report kept as a document could change is a data-quality card",
    "laboratory results could not be obtained: R5, R7 and R8 (which rest on the labs) never "
    "apply and no lab is ordered on the strength of the gap; flags on imaging and history "
    "still decide R1-R4 and R6; when no rule applies, no card (R0)",
    "conditions could not be obtained: suppression, limited life expectancy, cancer history "
    "and the documented causes that discount U-A, U-R, H-ANAEMIA, H-RENAL and H-CYTOPENIA are "
    "unknown (a current ferritin below 15 ug/L and known CKD by laboratory history still "
    "count); the "
    "rules run on what is known and the card says what could not be checked",
    "orders already placed could not be obtained: the surveillance card (R7, R8) cannot tell "
    "whether a follow-up MRI is already ordered; it says so, and is otherwise unchanged; other "
    "cards do not depend on them",
)

LAB_FLAG_IDS = frozenset(r.id for r in FLAG_RULES if r.lab_based)


Indicator = Literal["info", "warning", "critical"]


class SummaryStyle(StrEnum):
    """How the primary card's summary line is built (`cds_hooks.card_summary`)."""

    FLAGS = "flags"  # "<summary>: <each flag in words>" (dropping phrases to stay under 140)
    STAGING = "staging"  # R3: the cancer history, the MRI, staging and the referral it orders
    FIRST_LINE = "first-line"  # R5: the MRI; repeat out-of-date abnormal tests / first-line tests
    DEFER_BIOPSY = "defer-biopsy"  # R7: "<summary> on <MRI>, <labs>: no biopsy now; ..."
    SURVEILLANCE = "surveillance"  # R8: "<summary> on <MRI>, <labs>: repeat MRI ..."


@dataclass(frozen=True)
class CardSpec:
    """What the primary card of a rule shows (CARDS.md): the card renderer reads it from the
    rule's row, so that a new rule is a row here and a plan in `logic.plans`."""

    topic: str  # CARDS.md topic code (source.topic)
    topic_display: str  # its display
    indicator: Indicator  # CARDS.md indicator
    # FLAGS: the head of the summary; DEFER_BIOPSY / SURVEILLANCE: the finding ("Diffuse marrow
    # change"), also the surveillance card's words when its follow-up MRI is overdue or ordered;
    # STAGING / FIRST_LINE: not used (their summary names what the orders say)
    summary: str = ""
    summary_style: SummaryStyle = SummaryStyle.FLAGS
    checks_title: str = "Also checked"  # the title of the checks table of the card's detail
    checks_why: str = ""  # said after the title: "why not biopsy"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    when: str  # SPEC.md §5 column "when"
    recommend: str  # SPEC.md §5 column "recommend"
    citations: tuple[str, ...]
    applies: Callable[[Situation], bool]
    plan: Callable[[Situation], plans.Plan] | None  # None: no card (R0)
    card: CardSpec | None  # None: no card (R0)

    @property
    def topic(self) -> str:
        """CARDS.md topic code ("" for R0: no card)."""
        return self.card.topic if self.card is not None else ""


# ---------------------------------------------------------------- R0


def no_card_cause(sit: Situation, *, verbose: bool = False) -> tuple[NoCard, str] | None:
    """Why there is no card (R0), as a cause and in words; None when a card may follow.
    SPEC.md §2 and §5 row R0."""
    imaging_gap = sit.gap(DataDomain.IMAGING)
    if imaging_gap is not None:
        return NoCard.IMAGING_NOT_OBTAINED, f"imaging could not be obtained: {imaging_gap.reason}"
    index = sit.index
    if index is None:
        return NoCard.NO_INDEX, "no index MRI report"
    if index.image_class is ImagingClass.NEGATIVE:
        return (
            NoCard.NEGATIVE,
            f"index MRI {index.reference} class NEGATIVE: no current marrow abnormality",
        )
    suppressing = suppressing_conditions(sit.record)
    if suppressing:
        if verbose:
            found = "; ".join(f"{c.display} ({c.code}, {c.reference})" for c in suppressing)
        else:
            found = "; ".join(dict.fromkeys(c.display for c in suppressing))
        return NoCard.SUPPRESSED, f"suppressed: already under specialist care: {found}"
    return None


def no_card(sit: Situation) -> bool:
    """R0: no index MRI report, class NEGATIVE, suppression applies, or imaging not obtained."""
    return no_card_cause(sit) is not None


# ---------------------------------------------------------------- R1-R8


def _labs_obtained(sit: Situation) -> bool:
    return sit.gap(DataDomain.LABS) is None


def limited_life_expectancy_with_urgent_or_high_flag(sit: Situation) -> bool:
    """R1: limited life expectancy (SPEC.md §2) and any U or H flag."""
    flagged = sit.tier(Tier.URGENT) + sit.tier(Tier.HIGH)
    return bool(limited_life_expectancy(sit.record)) and bool(flagged)


def any_urgent_flag(sit: Situation) -> bool:
    """R2: any U flag (myeloma-defining event, IMWG 2014)."""
    return bool(sit.tier(Tier.URGENT))


def cancer_history_flag(sit: Situation) -> bool:
    """R3: H-CANCER."""
    return sit.has("H-CANCER")


def any_other_high_flag(sit: Situation) -> bool:
    """R4: any other H flag on current data (lab flags read current results only)."""
    return bool(sit.tier(Tier.HIGH))


def first_line_labs_missing_or_stale(sit: Situation) -> bool:
    """R5: a gating item of the first-line panel is not current (missing, stale or not
    evaluable), or a stale result is abnormal. Never when labs could not be obtained."""
    if not _labs_obtained(sit):
        return False
    return not sit.panel.gating_complete or bool(sit.stale_abnormal)


def any_intermediate_flag(sit: Situation) -> bool:
    """R6: any I flag."""
    return bool(sit.tier(Tier.INTERMEDIATE))


def current_labs_normal(sit: Situation) -> bool:
    """SPEC.md §5 "current labs normal": every gating item of the first-line panel current (no
    stale abnormal result either), and no U, H or I flag after the documented-cause and
    known-CKD exemptions (SPEC.md §2: a known cause of anaemia or of that cytopenia, known
    CKD). A value outside the lab's range that raises no flag (a man's Hb 13.2 below a lab
    limit of 13.5; kappa 41 mg/L with a normal ratio) does not block R7/R8."""
    return (
        _labs_obtained(sit)
        and sit.panel.gating_complete
        and not sit.stale_abnormal
        and not sit.flags
    )


def diffuse_without_worrisome_feature_and_labs_normal(sit: Situation) -> bool:
    """R7: index class DIFFUSE, no worrisome feature, current labs normal."""
    index = sit.index
    return (
        index is not None
        and index.image_class is ImagingClass.DIFFUSE
        and not worrisome_features(index)
        and not sit.has("H-IMAGING")
        and current_labs_normal(sit)
    )


def nonspecific_and_labs_normal(sit: Situation) -> bool:
    """R8: index class NONSPECIFIC, current labs normal."""
    index = sit.index
    return (
        index is not None
        and index.image_class is ImagingClass.NONSPECIFIC
        and current_labs_normal(sit)
    )


_SPEC5 = cite.SPEC_5

RULES: tuple[Rule, ...] = (
    Rule(
        id="R0",
        title="No card",
        when="no index MRI report, class NEGATIVE, or suppression applies",
        recommend="no card",
        citations=(cite.SPEC_2, _SPEC5),
        applies=no_card,
        plan=None,
        card=None,
    ),
    Rule(
        id="R1",
        title="Goals of care",
        when="limited life expectancy and any U or H flag",
        recommend="goals-of-care discussion; biopsy only if it would change management",
        citations=(cite.SPEC_2, _SPEC5),
        applies=limited_life_expectancy_with_urgent_or_high_flag,
        plan=plans.goals_of_care,
        card=CardSpec(
            "goals-of-care",
            "Goals of care",
            "warning",
            summary="Discuss goals of care before any marrow work-up",
            checks_title="Limited life expectancy",
            checks_why="why goals of care first",
        ),
    ),
    Rule(
        id="R2",
        title="Myeloma-defining event",
        when="any U flag",
        recommend="URGENT haematology referral; marrow aspirate and biopsy; whole-body imaging "
        "(low-dose CT, FDG PET/CT or whole-body MRI); STAT any missing first-line labs",
        citations=(cite.IMWG_2014, _SPEC5),
        applies=any_urgent_flag,
        plan=plans.urgent_workup,
        card=CardSpec(
            "myeloma-defining-event",
            "Myeloma-defining event",
            "critical",
            summary="Urgent haematology referral",
        ),
    ),
    Rule(
        id="R3",
        title="Cancer history: staging",
        when="H-CANCER",
        recommend="oncology/haematology referral; staging imaging (MRI without and with "
        "contrast, or FDG PET/CT); then targeted or marrow biopsy",
        citations=(cite.SPEC_2, _SPEC5),
        applies=cancer_history_flag,
        plan=plans.cancer_staging,
        card=CardSpec(
            "cancer-history-staging",
            "Cancer history: staging",
            "warning",
            summary_style=SummaryStyle.STAGING,
        ),
    ),
    Rule(
        id="R4",
        title="Marrow biopsy indicated",
        when="any other H flag on current data",
        recommend="haematology referral; marrow aspirate and biopsy (not urgent); order missing "
        "first-line labs; with a clonal marker (M-protein, FLC) also 24-h urine studies and "
        "whole-body imaging",
        citations=(cite.SPIERINGS_2014, cite.ANN_DIAGN_PATHOL_2019, _SPEC5),
        applies=any_other_high_flag,
        plan=plans.biopsy_indicated,
        card=CardSpec(
            "marrow-biopsy-indicated",
            "Bone marrow biopsy indicated",
            "warning",
            summary="Haematology referral and bone marrow biopsy",
        ),
    ),
    Rule(
        id="R5",
        title="First-line laboratory work-up",
        when="first-line labs missing or stale",
        recommend='order the first-line panel (stale abnormal: "repeat to confirm"); MRI in '
        "3-6 months; re-evaluate when results arrive",
        citations=(cite.SPEC_2, _SPEC5),
        applies=first_line_labs_missing_or_stale,
        plan=plans.first_line_labs,
        card=CardSpec(
            "initial-lab-workup",
            "Initial laboratory work-up",
            "warning",
            summary_style=SummaryStyle.FIRST_LINE,
        ),
    ),
    Rule(
        id="R6",
        title="Haematology e-consult",
        when="any I flag",
        recommend="haematology e-consult; I-FLC: urine studies; I-MONOCYTE: repeat CBC with "
        "differential in 4-12 weeks; I-FOCAL: repeat MRI (or whole-body MRI) in 3-6 months",
        citations=(_SPEC5,),
        applies=any_intermediate_flag,
        plan=plans.econsult,
        card=CardSpec(
            "hematology-econsult",
            "Haematology e-consult",
            "info",
            summary="Haematology e-consult advised",
        ),
    ),
    Rule(
        id="R7",
        title="Diffuse signal: defer biopsy",
        when="DIFFUSE, no worrisome feature, current labs normal",
        recommend="defer biopsy; repeat labs at 3 months; MRI in 3-6 months",
        citations=(cite.SPIERINGS_2014, cite.ANN_DIAGN_PATHOL_2019, _SPEC5),
        applies=diffuse_without_worrisome_feature_and_labs_normal,
        plan=plans.defer_biopsy,
        card=CardSpec(
            "surveillance",
            "Surveillance",
            "info",
            summary="Diffuse marrow change",
            summary_style=SummaryStyle.DEFER_BIOPSY,
            checks_title="Checked and normal",
            checks_why="why not biopsy",
        ),
    ),
    Rule(
        id="R8",
        title="Nonspecific signal: surveillance",
        when="NONSPECIFIC, current labs normal",
        recommend="MRI in 3-6 months; labs every 3-6 months",
        citations=(cite.ARIKAN_2024, cite.SHAH_2014, _SPEC5),
        applies=nonspecific_and_labs_normal,
        plan=plans.surveillance,
        card=CardSpec(
            "surveillance",
            "Surveillance",
            "info",
            summary="Nonspecific marrow change",
            summary_style=SummaryStyle.SURVEILLANCE,
            checks_title="Checked and normal",
            checks_why="why not biopsy",
        ),
    ),
)

RULE_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def first_match(sit: Situation) -> Rule | None:
    """The first row of the table whose condition holds (None: no row applies)."""
    return next((rule for rule in RULES if rule.applies(sit)), None)
