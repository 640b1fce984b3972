"""Domain types of order review (order-select / order-sign): draft orders and findings on them.

`fhir_mappers.draft_orders` produces `DraftOrder`s from the `context.draftOrders` Bundle;
`logic.order_review` returns `OrderFinding`s; `cds_hooks.services.draft_order_review` renders them
as cards with topic `order-review` (CARDS.md). Frozen dataclasses of plain values: no FHIR JSON, no
HTTP, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from logic.model import Contrast, Evidence, OrderSuggestion

Indicator = Literal["info", "warning", "critical"]


class DraftKind(StrEnum):
    """What a draft order is, as far as the marrow work-up is concerned."""

    MARROW_BIOPSY = "marrow-biopsy"  # SPEC.md section 7 key bone-marrow-biopsy
    MRI_MARROW_REGION = "mri-spine-sacrum-pelvis"  # MRI of spine, sacrum or pelvis
    SKELETAL_SURVEY = "skeletal-survey"  # radiographic osseous survey
    WHOLE_BODY_IMAGING = "whole-body-imaging"  # whole-body low-dose CT, whole-body MRI, PET/CT
    LAB = "lab"  # a laboratory order of SPEC.md section 7 (order_key says which)
    OTHER = "other"  # anything else: never reviewed


class MriSite(StrEnum):
    """Site of an MRI draft of the spine, sacrum or pelvis (which replacement exam fits)."""

    LUMBAR = "lumbar"
    THORACIC = "thoracic"
    CERVICAL = "cervical"
    SPINE = "spine"  # whole or unspecified spine
    SACRUM = "sacrum"
    PELVIS = "pelvis"


@dataclass(frozen=True)
class OrderCode:
    """One coding of an order, with the system as a canonical URI (http://loinc.org, ...)."""

    system: str
    code: str
    display: str | None = None


@dataclass(frozen=True)
class DraftOrder:
    """One draft ServiceRequest of `context.draftOrders`, recognised."""

    resource_id: str  # "abc"
    reference: str  # "ServiceRequest/abc"
    kind: DraftKind
    text: str  # code.text, else the first display, else the first code: what the clinician sees
    order_key: str | None = None  # SPEC.md section 7 key when recognised
    contrast: Contrast = Contrast.UNKNOWN  # MRI drafts only
    site: MriSite | None = None  # MRI drafts only
    codes: tuple[OrderCode, ...] = ()  # every coding of ServiceRequest.code, as sent
    recognised_by: str = ""  # "CPT 72149", "LOINC 24967-2", "SNOMED 234326005", "text", ""
    status: str = ""  # draft (order-select/-sign) or another status when re-signing
    intent: str = ""
    priority: str | None = None  # routine | urgent | asap | stat, as sent
    reasons: tuple[str, ...] = ()  # reasonCode texts/displays (empty for the sandbox PAMA screen)


class OrderCheck(StrEnum):
    """The order-review checks (SPEC.md section 5 pitfalls and first-line panel)."""

    BIOPSY_BEFORE_FIRST_LINE_LABS = "biopsy-before-first-line-labs"
    CONTRAST_ONLY_MRI = "contrast-only-mri"
    SKELETAL_SURVEY_ALONE = "skeletal-survey-alone"
    DUPLICATE_CURRENT_LAB = "duplicate-current-lab"
    DUPLICATE_FOLLOW_UP_MRI = "duplicate-follow-up-mri"


@dataclass(frozen=True)
class Replacement:
    """Replace a draft by another exam (rendered as an `update` of the draft ServiceRequest)."""

    draft: str  # "ServiceRequest/abc"
    order_key: str  # SPEC.md section 7 key of the replacement
    codes: tuple[OrderCode, ...]  # standard codes of the replacement, preferred first
    text: str  # what the replacement is called on the order


@dataclass(frozen=True)
class OrderFinding:
    """One thing order review says about one or more drafts, and what it suggests instead."""

    check: OrderCheck
    indicator: Indicator
    summary: str  # one sentence, < 140 characters
    detail: str  # plain sentences; the renderer adds evidence and citation
    drafts: tuple[str, ...]  # references of the drafts concerned ("ServiceRequest/abc")
    add: tuple[OrderSuggestion, ...] = ()  # orders to add (create)
    replace: tuple[Replacement, ...] = ()  # drafts to change (update)
    remove: tuple[str, ...] = ()  # drafts to remove (delete), references
    evidence: tuple[Evidence, ...] = ()
    citation: str = ""  # "SPEC.md section 5, pitfalls"
    suggestion_label: str = ""  # label of the suggestion button
