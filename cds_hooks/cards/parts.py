"""Parts every Marrow CDS card is built from (CARDS.md): topic, source, override reasons, links.

Shared by the patient-view cards (`cds_hooks.cards.assessment_cards`) and the order-review
cards, so that every card of the service names its source, topic and override reasons the same way.
"""

from __future__ import annotations

import os
from typing import Final
from urllib.parse import urlsplit

from cds_hooks.schemas import Coding, Link, Source
from logic.catalogue import RULE_SET_VERSION  # the rule set the cards are issued under
from logic.rules import RULE_BY_ID, RULES, CardSpec

SERVICE_NAME: Final = "Marrow CDS"

TOPIC_SYSTEM: Final = "urn:marrow-cds:card-topic"
OVERRIDE_REASON_SYSTEM: Final = "urn:marrow-cds:override-reason"

# CARDS.md topic table: code -> display. The primary cards' topics come with their rules
# (`logic.rules.RULES`, CardSpec); the secondary and order-review topics are the service's own.
TOPICS: Final[dict[str, str]] = {
    **{rule.card.topic: rule.card.topic_display for rule in RULES if rule.card is not None},
    "imaging-protocol": "Imaging protocol",
    "data-quality": "Data quality",
    "order-review": "Order review",
    # Not in CARDS.md (requested): the verbose-only R0 card "already under specialist care".
    "work-up-suppressed": "Work-up suppressed: already under specialist care",
}

# CARDS.md: which topic each rule of the decision table (SPEC.md section 5) is issued under.
RULE_TOPIC: Final[dict[str, str]] = {
    rule.id: rule.card.topic for rule in RULES if rule.card is not None
}

OVERRIDE_REASONS: Final[tuple[tuple[str, str], ...]] = (
    ("already-done", "Already done"),
    ("patient-declined", "Patient declined"),
    ("not-clinically-appropriate", "Not clinically appropriate"),
    ("managed-elsewhere", "Managed elsewhere"),
)


def rule_card(rule_id: str) -> CardSpec:
    """What the primary card of a rule shows (its row's CardSpec); ValueError for a rule id
    the decision table does not have, or one with no card (R0)."""
    rule = RULE_BY_ID.get(rule_id)
    if rule is None or rule.card is None:
        raise ValueError(f"unknown rule id {rule_id!r}")
    return rule.card


def new_uuid() -> str:
    """A fresh card/suggestion id (uuid4): the sandbox sends feedback only when both have one.

    The text of ``str(uuid.UUID(bytes=os.urandom(16), version=4))`` (what ``uuid.uuid4()`` is),
    written from the random bytes' hex without the UUID object: 2.8 instead of 6.5 us, and a
    card call makes one for the card and each suggestion."""
    h = os.urandom(16).hex()
    # version 4 in the 13th digit; variant 10xx in the 17th (8, 9, a or b)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


_VARIANT: Final = "89ab"


def topic_coding(code: str) -> Coding:
    """The `source.topic` Coding of a CARDS.md topic code (KeyError for an unknown one)."""
    return Coding(system=TOPIC_SYSTEM, code=code, display=TOPICS[code])


def override_reasons() -> list[Coding]:
    """The override reasons every actionable card offers, each with a display."""
    return [
        Coding(system=OVERRIDE_REASON_SYSTEM, code=code, display=display)
        for code, display in OVERRIDE_REASONS
    ]


def require_absolute_url(url: str) -> str:
    """`url` unchanged if it is an absolute http(s) URL; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"rules_url must be an absolute http(s) URL, got {url!r}")
    return url


def anchored(rules_url: str, anchor: str) -> str:
    """The rule catalogue URL pointing at one rule, flag or topic section."""
    return f"{require_absolute_url(rules_url).split('#', 1)[0]}#{anchor}"


def card_source(topic: str, *, rules_url: str, anchor: str, rule_id: str | None = None) -> Source:
    """`source` of a card: service and rule-set version (and the rule it was issued under),
    catalogue anchor, topic Coding."""
    label = f"{SERVICE_NAME} rules {RULE_SET_VERSION}"
    if rule_id is not None:
        label += f", Rule {rule_id}"  # CARDS.md: rule ids appear as "Rule R4" in source.label
    return Source(
        label=label,
        url=anchored(rules_url, anchor),
        topic=topic_coding(topic),
    )


def catalogue_link(rules_url: str, anchor: str | None = None) -> Link:
    """`links` entry to the rule catalogue (type absolute)."""
    if anchor is None:
        return Link(
            label="Marrow CDS rule catalogue", url=require_absolute_url(rules_url), type="absolute"
        )
    return Link(
        label=f"Rule {anchor} in the Marrow CDS rule catalogue",
        url=anchored(rules_url, anchor),
        type="absolute",
    )
