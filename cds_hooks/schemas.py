"""pydantic models of the CDS Hooks 2.0 wire format: the HTTP boundary, and only there.

Required fields are required, as the spec has them. Responses are serialised with
`model_dump(mode="json", exclude_none=True)` so that optional fields without a value are omitted
(no null, "", [] or {}): build them with None, never with empty values.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    hookInstance: str = Field(min_length=1)
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
    id: str = Field(min_length=1)


class OverrideReasonCoding(_Tolerant):
    code: str = Field(min_length=1)
    system: str | None = None
    display: str | None = None


class OverrideReason(_Tolerant):
    reason: OverrideReasonCoding | None = None
    userComment: str | None = Field(default=None, max_length=4000)


class FeedbackItem(_Tolerant):
    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: str = Field(min_length=1)


class Feedback(_Tolerant):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)
