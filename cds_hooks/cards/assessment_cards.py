"""The patient-view cards: the logic's `Assessment` rendered as CDS Hooks cards (CARDS.md).

- One primary card carrying the decision R1-R8 (indicator, topic and summary per CARDS.md), with
  the order sets of the recommendation as suggestions.
- At most two secondary `info` cards: `imaging-protocol` (from `Assessment.advisories`) and
  `data-quality` (from `Assessment.problems` and `Assessment.gaps`).
- No card for R0, except a `data-quality` card when missing data kept the rules from deciding
  (`Assessment.blocked_by`: imaging, or labs when no other rule applied). Only when a clinician
  asked for verbose output (`verbose=True`) does a suppressed R0 (patient already under
  specialist care) say so in one info card.

`selectionBehavior` is "any": the order sets of a recommendation are additive (for example the
first-line panel and the biopsy bundle), so a clinician may accept one, several or all of them.
Override reasons are offered on cards that suggest orders; a card without suggestions can only
be dismissed, and offering "already done" for advice nobody can do would be noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from cds_hooks.cards.detail import (
    clinical_words,
    data_quality_detail,
    data_quality_summary,
    evidence_extension,
    imaging_protocol_detail,
    primary_detail,
    primary_evidence,
    shorten,
)
from cds_hooks.cards.document import Document, Paragraph, markdown
from cds_hooks.cards.follow_up_text import follow_up_indicator, follow_up_section
from cds_hooks.cards.parts import (
    card_source,
    catalogue_link,
    new_uuid,
    override_reasons,
    require_absolute_url,
    rule_card,
)
from cds_hooks.cards.suggested_orders import create_action, patient_reference
from cds_hooks.cards.summary import imaging_protocol_summary, primary_summary
from cds_hooks.schemas import Card, Suggestion
from cds_hooks.smart_app.links import smart_link
from logic.model import Assessment, NoCard, OrderSet, Recommendation
from logic.rules import RULES

Indicator = Literal["info", "warning", "critical"]

# CARDS.md: critical for R2, warning for R1/R3/R4/R5, info for R6/R7/R8 (each rule's row,
# `logic.rules.RULES`) and info for the secondary cards.
RULE_INDICATOR: Final[dict[str, Indicator]] = {
    rule.id: rule.card.indicator for rule in RULES if rule.card is not None
}

SECONDARY_TOPICS: Final = ("imaging-protocol", "data-quality")


@dataclass(frozen=True)
class IssuedCard:
    """A rendered card, what it was issued under (the rule id R1-R8, or R0 for the verbose
    "already under specialist care" card, or for a secondary card its topic code) and its
    `detail` as typed blocks (for the offline text view: `cds_hooks.cards.document`)."""

    card: Card
    issued_as: str
    detail: Document = ()


def render_patient_view_cards(
    assessment: Assessment,
    *,
    patient_id: str,
    as_of: datetime,
    rules_url: str,
    verbose: bool = False,
) -> list[Card]:
    """The cards of one patient-view call, primary first; [] for R0 (unless `verbose`)."""
    issued = render_patient_view(
        assessment, patient_id=patient_id, as_of=as_of, rules_url=rules_url, verbose=verbose
    )
    return [item.card for item in issued]


def render_patient_view(
    assessment: Assessment,
    *,
    patient_id: str,
    as_of: datetime,
    rules_url: str,
    verbose: bool = False,
) -> list[IssuedCard]:
    """The cards of one patient-view call with what each was issued under, primary first."""
    require_absolute_url(rules_url)
    patient_reference(patient_id)  # ValueError early for an id that is not a FHIR id
    if assessment.rule_id == "R0" or assessment.recommendation is None:
        if verbose:
            return _r0_cards(assessment, rules_url=rules_url)
        # Issue 2: a fetch that failed gives a data-quality card saying what is missing, and no
        # recommendation built on it; silence only when the missing data could not matter.
        if assessment.blocked_by:
            return [_data_quality_card(assessment, rules_url=rules_url)]
        return []
    rule_card(assessment.rule_id)  # ValueError for a rule id the table does not have
    cards = [
        _primary_card(
            assessment.recommendation,
            rule_id=assessment.rule_id,
            patient_id=patient_id,
            as_of=as_of,
            rules_url=rules_url,
        )
    ]
    if assessment.advisories:
        cards.append(_imaging_protocol_card(assessment, rules_url=rules_url))
    if assessment.problems or assessment.gaps:
        cards.append(_data_quality_card(assessment, rules_url=rules_url))
    return cards


def issued_rule_ids(issued: Sequence[IssuedCard]) -> dict[str, str]:
    """Card uuid -> the rule id it was issued under (R1-R8), or its topic for other cards."""
    return {item.card.uuid: item.issued_as for item in issued if item.card.uuid is not None}


def issued_details(issued: Sequence[IssuedCard]) -> dict[str, Document]:
    """Card uuid -> the card's `detail` as typed blocks (the offline text view)."""
    return {item.card.uuid: item.detail for item in issued if item.card.uuid is not None}


# ------------------------------------------------------------------------------ primary


def _suggestions(recommendation: Recommendation, *, patient_id: str) -> list[Suggestion] | None:
    order_sets = [s for s in recommendation.order_sets if s.orders]
    if not order_sets:
        return None
    main = next((s for s in order_sets if s.recommended), order_sets[0])
    return [
        _suggestion(
            order_set,
            recommended=order_set is main,
            patient_id=patient_id,
            recommendation=recommendation,
        )
        for order_set in order_sets
    ]


def _suggestion(
    order_set: OrderSet,
    *,
    recommended: bool,
    patient_id: str,
    recommendation: Recommendation,
) -> Suggestion:
    return Suggestion(
        label=action_label(order_set),
        uuid=new_uuid(),
        isRecommended=True if recommended else None,
        actions=[
            create_action(order, patient_id=patient_id, index_report=recommendation.index_report)
            for order in order_set.orders
        ],
    )


# CARDS.md: a suggestion's label says what one click does. The order sets of the logic are named
# by what they are ("Urgent myeloma work-up"); the button names the action and counts.
_ACTION_WORDS: Final = {
    "urgent myeloma work-up": "Order the urgent myeloma work-up",
    "urgent haematology work-up": "Order the urgent haematology work-up",
    "staging for cancer history": "Refer and order staging for the cancer history",
    "haematology referral and marrow biopsy": "Refer to haematology for marrow biopsy",
    "haematology e-consult": "Request a haematology e-consult",
    "if a work-up would change management": "Refer to haematology if a work-up would change care",
    "follow-up mri": "Order the follow-up MRI",
    "surveillance": "Order surveillance MRI and blood tests",
    "surveillance, biopsy deferred": "Order surveillance MRI and blood tests",
}


def action_label(order_set: OrderSet) -> str:
    """ "Order 5 first-line blood tests", "Refer to haematology for marrow biopsy (4 orders)"."""
    count = len(order_set.orders)
    if order_set.first_line_labs:
        tests = "blood test" if count == 1 else "blood tests"
        return f"Order {count} first-line {tests}" + (" STAT" if order_set.stat else "")
    name = order_set.label.strip()
    words = _ACTION_WORDS.get(name.lower())
    if words is None:
        words = f"Order: {clinical_words(name)}"
    return f"{words} ({count} orders)" if count > 1 else words


def _primary_card(
    recommendation: Recommendation,
    *,
    rule_id: str,
    patient_id: str,
    as_of: datetime,
    rules_url: str,
) -> IssuedCard:
    suggestions = _suggestions(recommendation, patient_id=patient_id)
    spec = rule_card(rule_id)
    detail = primary_detail(recommendation, spec, follow_up=follow_up_section(recommendation))
    card = Card(
        uuid=new_uuid(),
        summary=clinical_words(primary_summary(recommendation, spec, as_of.date())),
        detail=markdown(detail),
        # SPEC.md §5: a follow-up MRI overdue by more than 6 months makes R7/R8 a warning
        indicator=follow_up_indicator(recommendation) or spec.indicator,
        source=card_source(spec.topic, rules_url=rules_url, anchor=rule_id, rule_id=rule_id),
        suggestions=suggestions,
        selectionBehavior="any" if suggestions else None,
        overrideReasons=override_reasons() if suggestions else None,
        # issue 13: the companion app (trends, the report as read), launched with appContext
        links=[catalogue_link(rules_url, rule_id), smart_link(rules_url, recommendation, rule_id)],
        extension=primary_evidence(recommendation),
    )
    return IssuedCard(card, rule_id, detail)


# ------------------------------------------------------------------------------ secondary


def _imaging_protocol_card(assessment: Assessment, *, rules_url: str) -> IssuedCard:
    topic = "imaging-protocol"
    detail = imaging_protocol_detail(assessment.advisories)
    card = Card(
        uuid=new_uuid(),
        summary=imaging_protocol_summary(assessment.advisories),
        detail=markdown(detail),
        indicator="info",
        source=card_source(topic, rules_url=rules_url, anchor=topic),
        links=[catalogue_link(rules_url)],
        extension=evidence_extension(
            [(item, ()) for advisory in assessment.advisories for item in advisory.evidence]
        ),
    )
    return IssuedCard(card, topic, detail)


def _data_quality_card(assessment: Assessment, *, rules_url: str) -> IssuedCard:
    topic = "data-quality"
    detail = data_quality_detail(
        assessment.problems, assessment.gaps, decided=assessment.recommendation is not None
    )
    card = Card(
        uuid=new_uuid(),
        summary=data_quality_summary(assessment.problems, assessment.gaps),
        detail=markdown(detail),
        indicator="info",
        source=card_source(topic, rules_url=rules_url, anchor=topic),
        links=[catalogue_link(rules_url)],
        extension=evidence_extension((), problems=assessment.problems),
    )
    return IssuedCard(card, topic, detail)


def _r0_cards(assessment: Assessment, *, rules_url: str) -> list[IssuedCard]:
    """Verbose output only (SPEC.md section 2): say why there is no work-up card."""
    cards: list[IssuedCard] = []
    if assessment.no_card is NoCard.SUPPRESSED:
        detail: Document = (Paragraph(clinical_words(assessment.reason), lead="Why no card:"),)
        card = Card(
            uuid=new_uuid(),
            summary=shorten("No marrow work-up suggested: patient already under specialist care"),
            detail=markdown(detail),
            indicator="info",
            source=card_source(
                "work-up-suppressed", rules_url=rules_url, anchor="R0", rule_id="R0"
            ),
            links=[catalogue_link(rules_url, "R0")],
        )
        cards.append(IssuedCard(card, "R0", detail))
    if assessment.problems or assessment.gaps:
        cards.append(_data_quality_card(assessment, rules_url=rules_url))
    return cards
