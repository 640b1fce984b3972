"""The registry of CDS services (CARDS.md "Services") and the types a service handler uses.

A service is an id, a hook, a title, a description, its prefetch templates (each tied to the
data domain it supplies) and a handler ``(HookCall) -> HookResult``. Discovery lists the
registry; ``POST /cds-services/<id>`` dispatches to the handler. To add a service, define a
``Service`` in its own module and add it to ``_SERVICE_MODULES`` (one line).

The prefetch templates are narrow (CARDS.md): the patient, the SPEC.md section 4 LOINC codes as
a ``code=`` token list (from ``fhir_mappers.lab_codes``, so the query and the mapper agree),
radiology reports by category (LOINC LP29684-5 and v2-0074 RAD, SPEC.md section 6) newest
first, and conditions. They are also the queries of the fallback fetch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from cds_hooks.cards.document import Document
from cds_hooks.schemas import Card, HookRequest
from fhir_mappers.imaging_codes import LOINC, imaging_document_types
from fhir_mappers.lab_codes import LAB_CODES
from logic.model import DataDomain, DataGap

if TYPE_CHECKING:
    from cds_hooks.deadline import Deadline
    from cds_hooks.ehr.fhir_client import FhirClient

# Modules that define a module-level ``SERVICES: tuple[Service, ...]``, in discovery order.
_SERVICE_MODULES: tuple[str, ...] = (
    "cds_hooks.services.patient_view",
    "cds_hooks.services.draft_order_review",
)

RADIOLOGY_CATEGORIES = (
    "http://loinc.org|LP29684-5",
    "http://terminology.hl7.org/CodeSystem/v2-0074|RAD",
)
REPORT_STATUSES = "final,amended,corrected,appended"
OBSERVATION_STATUSES = "final,amended,corrected"


@dataclass(frozen=True)
class PrefetchTemplate:
    """A prefetch query (CDS Hooks template syntax) and the data domain it supplies."""

    query: str
    domain: DataDomain


def _lab_code_tokens() -> str:
    """SPEC.md section 4 codes without a system: EHRs send LOINC codings with and without
    ``system``; the mapper keeps only LOINC or system-less codings, so nothing else gets in."""
    return ",".join(LAB_CODES)


PATIENT = PrefetchTemplate("Patient/{{context.patientId}}", DataDomain.PATIENT)
LABS = PrefetchTemplate(
    "Observation?patient={{context.patientId}}"
    f"&status={OBSERVATION_STATUSES}&code={_lab_code_tokens()}&_sort=-date&_count=200",
    DataDomain.LABS,
)
IMAGING_REPORTS = PrefetchTemplate(
    "DiagnosticReport?patient={{context.patientId}}"
    f"&category={','.join(RADIOLOGY_CATEGORIES)}&status={REPORT_STATUSES}"
    "&_sort=-date&_count=20",
    DataDomain.IMAGING,
)
CONDITIONS = PrefetchTemplate(
    "Condition?patient={{context.patientId}}&_count=200", DataDomain.CONDITIONS
)
# Issue 17: imaging reports some EHRs keep only as DocumentReference (US Core clinical notes),
# by document type: LOINC 18748-4 "Diagnostic imaging study" or an exam code of SPEC.md section 6
# (from fhir_mappers.imaging_codes, so that the query and the mapper agree). Current documents
# only, newest first. Their text (a Binary by url) is read by cds_hooks.ehr.report_fetch.
IMAGING_DOCUMENTS = PrefetchTemplate(
    "DocumentReference?patient={{context.patientId}}"
    f"&type={','.join(f'{LOINC}|{code}' for code in imaging_document_types())}"
    "&status=current&_sort=-date&_count=20",
    DataDomain.IMAGING_DOCUMENTS,
)


@dataclass(frozen=True)
class HookCall:
    """One validated hook request, as a handler sees it."""

    service: Service
    request: HookRequest
    prefetch: Mapping[str, Any]  # raw prefetch JSON as sent ({} when none)
    as_of: datetime  # timezone-aware: now (UTC) in the HTTP shell, --as-of offline
    rules_url: str  # absolute URL of the rule catalogue (card source.url / links)
    fhir: FhirClient | None  # None: offline, prefetch only (no network)
    # The call's time budget (deadline.py); None offline (``evaluate``): no limit.
    deadline: Deadline | None = None

    @property
    def context(self) -> Mapping[str, Any]:
        return self.request.context

    def stop(self) -> bool:
        """The mappers' ``stop`` callable (fhir_mappers.limits): True once the budget is spent."""
        return self.deadline is not None and self.deadline.expired()

    def checkpoint(self, stage: str) -> None:
        """Between stages of the work: ``DeadlineExceeded`` once the budget is spent."""
        if self.deadline is not None:
            self.deadline.check(stage)

    def fetch_budget(self, limit_s: float) -> float:
        """Seconds the fallback fetch may take (``limit_s`` capped by what remains)."""
        return limit_s if self.deadline is None else self.deadline.fetch_budget(limit_s)


@dataclass(frozen=True)
class HookResult:
    cards: list[Card]
    rule_ids: Mapping[str, str] = field(default_factory=dict)  # card uuid -> rule id ("R4")
    # card uuid -> the card's `detail` as typed blocks (the offline text view renders these,
    # never the Markdown); never sent
    details: Mapping[str, Document] = field(default_factory=dict)
    gaps: tuple[DataGap, ...] = ()  # data not obtained (logged as domains only)
    rule_id: str | None = None  # the decision ("R0".."R8"), for the request log
    # The mapped record and the logic's Assessment (patient-view), for offline readers of the
    # same code path (``marrow-cds audit``: the reader's class, follow-up status); never sent.
    record: Any = None
    assessment: Any = None


Handler = Callable[[HookCall], HookResult]


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str
    handler: Handler = field(repr=False)
    prefetch: Mapping[str, PrefetchTemplate] = field(default_factory=dict)
    # Context fields that must be present and non-empty (else 400), e.g. ("userId",
    # "patientId") for patient-view, plus "selections", "draftOrders" for order-select.
    required_context: tuple[str, ...] = ()
    usage_requirements: str | None = None

    def prefetch_queries(self) -> dict[str, str]:
        return {key: template.query for key, template in self.prefetch.items()}


@cache
def registry() -> Mapping[str, Service]:
    """All services by id (imported lazily: service modules import this one for the types)."""
    services: dict[str, Service] = {}
    for module_name in _SERVICE_MODULES:
        for service in importlib.import_module(module_name).SERVICES:
            if service.id in services:
                raise RuntimeError(f"duplicate CDS service id {service.id!r}")
            services[service.id] = service
    return services


def get_service(service_id: str) -> Service | None:
    return registry().get(service_id)
