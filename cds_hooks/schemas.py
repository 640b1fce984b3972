"""pydantic models of the CDS Hooks 2.0 wire format: the HTTP boundary, and only there.

Required fields are required, as the spec has them. Responses are serialised with
`model_dump(mode="json", exclude_none=True)` so that optional fields without a value are omitted
(no null, "", [] or {}): build them with None, never with empty values.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# ------------------------------------------------------------------------------ stored strings

#: hookInstance: CDS Hooks says a UUID; tolerated: 1..100 characters of [A-Za-z0-9._:-] (fits
#: ``issued_card.hook_instance`` and can never carry free text such as a name or an MRN).
HOOK_INSTANCE_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"
#: RFC 3339 section 5.6 date-time, extended format, with ``Z`` or a numeric offset.
RFC3339_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_TEXT_WHITESPACE = frozenset("\t\n\r")


def _no_control_characters(value: str) -> str:
    """Identifiers and codes: no control character at all (NUL cannot be stored in PostgreSQL)."""
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _no_control_characters_in_text(value: str) -> str:
    """Free text: tabs and line breaks allowed, other control characters (NUL) refused."""
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in _TEXT_WHITESPACE for ch in value):
        raise ValueError("must not contain control characters other than tab and line breaks")
    return value


def _rfc3339(value: str) -> str:
    if not RFC3339_DATE_TIME.match(value):
        raise ValueError(
            "must be an RFC 3339 date-time with Z or an offset, e.g. 2026-11-23T10:00:00Z"
        )
    return value


_Clean = AfterValidator(_no_control_characters)
#: Widths of the feedback table's columns (store.FeedbackRow, migrations).
CardUuid = Annotated[str, Field(min_length=1, max_length=100), _Clean]
ReasonCode = Annotated[str, Field(min_length=1, max_length=100), _Clean]
ReasonSystem = Annotated[str, Field(min_length=1, max_length=255), _Clean]
ReasonDisplay = Annotated[str, Field(max_length=1000), _Clean]  # not stored
SuggestionId = Annotated[str, Field(min_length=1, max_length=100), _Clean]
UserComment = Annotated[str, Field(max_length=4000), AfterValidator(_no_control_characters_in_text)]
OutcomeTimestamp = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_rfc3339)]

# ------------------------------------------------------------------------------ request


class _Tolerant(BaseModel):
    """Inbound objects: unknown members are tolerated (CDS Hooks extensions), not rejected."""

    model_config = ConfigDict(extra="allow", frozen=True)


class FhirAuthorization(_Tolerant):
    access_token: str = Field(min_length=1, repr=False)
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None

    @field_validator("token_type")
    @classmethod
    def _bearer(cls, value: str) -> str:
        if value.lower() != "bearer":
            raise ValueError("token_type must be 'Bearer'")
        return value


class HookRequest(_Tolerant):
    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1, max_length=100, pattern=HOOK_INSTANCE_PATTERN)
    context: dict[str, Any]
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    # Values are FHIR resources, null (no data) or absent (not fulfilled): kept as raw JSON here
    # and read by fhir_mappers, which selects what it uses before validating it.
    prefetch: dict[str, dict[str, Any] | None] | None = None
    extension: dict[str, Any] | None = None


# ------------------------------------------------------------------------------ response


class _Strict(BaseModel):
    """Outbound objects: we build them, so anything unexpected is a bug."""

    model_config = ConfigDict(extra="forbid")


class Coding(_Strict):
    system: str | None = None
    code: str
    display: str | None = None


class Source(_Strict):
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(_Strict):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Strict):
    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Strict):
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None
    autolaunchable: bool | None = None


class Card(_Strict):
    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None
    # CARDS.md (2026-12-07): machine-readable evidence, {"org.marrow-cds.evidence": [...]}
    extension: dict[str, Any] | None = None


class HookResponse(_Strict):
    cards: list[Card]
    systemActions: list[Action] | None = None


class ServiceDescription(_Strict):
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(_Strict):
    services: list[ServiceDescription]


# ------------------------------------------------------------------------------ feedback


class AcceptedSuggestion(_Tolerant):
    id: SuggestionId


class OverrideReasonCoding(_Tolerant):
    code: ReasonCode
    system: ReasonSystem | None = None
    display: ReasonDisplay | None = None


class OverrideReason(_Tolerant):
    reason: OverrideReasonCoding | None = None
    userComment: UserComment | None = None


class FeedbackItem(_Tolerant):
    card: CardUuid
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(default=None, max_length=100)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: OutcomeTimestamp


class Feedback(_Tolerant):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)
