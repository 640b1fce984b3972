"""The ``heterogeneous-marrow`` service (CARDS.md): patient-view -> cards.

The pipeline, one way (BRIEF "Layout and layering"):
prefetch / fallback fetch (``prefetch.gather``) -> ``fhir_mappers.map_patient_record`` (with the
data gaps) -> ``logic.assess`` -> ``cards.render_patient_view_cards``. The call's deadline
(``deadline.py``) is checked between the stages and inside the mapper (``stop``).
"""

from __future__ import annotations

import logging

import fhir_mappers
import logic
from cds_hooks.cards import assessment_cards as cards
from cds_hooks.ehr.prefetch import Gathered, gather
from cds_hooks.ehr.report_fetch import read_report_documents
from cds_hooks.services import registry as services
from cds_hooks.services.placed_orders import PREFETCH_KEY, SERVICE_REQUESTS
from cds_hooks.services.registry import HookCall, HookResult, Service
from fhir_mappers.service_requests import with_placed_orders
from logic.model import PatientRecord

log = logging.getLogger(__name__)

SERVICE_ID = "heterogeneous-marrow"


# CDS Hooks `extension` member a client sets to true to ask for verbose output (SPEC.md section
# 2): the R0 cards that are silent by default, e.g. "already under specialist care".
VERBOSE_EXTENSION = "org.marrow-cds.verbose"


def verbose_requested(call: HookCall) -> bool:
    extension = call.request.extension or {}
    return extension.get(VERBOSE_EXTENSION) is True


def read_patient_record(call: HookCall, gathered: Gathered, patient_id: str) -> PatientRecord:
    """The patient's record from the gathered data: the report text kept in Binary / results
    (issue 17), the mapper, and the orders already placed. One walk over the data (a request
    may carry 10,000 Observations) serves all three; it is walked again only where copies of
    reports were placed before it. Shared with the order review (draft_order_review)."""
    walked = fhir_mappers.select_documents(gathered.documents, patient_id)
    copied = read_report_documents(
        call, gathered, walked.report_resources if walked is not None else None
    )
    call.checkpoint("mapping the record")  # the call's deadline (deadline.py) between stages
    record = fhir_mappers.map_patient_record(
        gathered.documents,
        patient_id,
        gaps=tuple(gathered.gaps),
        stop=call.stop,
        selection=None if copied else walked,
    )
    return with_placed_orders(
        record,
        gathered.documents,
        patient_id,
        service_requests=walked.service_requests if walked is not None else None,
    )


def handle_patient_view(call: HookCall) -> HookResult:
    patient_id = str(call.context["patientId"])
    verbose = verbose_requested(call)
    gathered = gather(call)
    record = read_patient_record(call, gathered, patient_id)
    call.checkpoint("applying the rules")
    assessment = logic.assess(record, call.as_of, verbose=verbose)
    call.checkpoint("rendering the cards")
    issued = cards.render_patient_view(
        assessment,
        patient_id=patient_id,
        as_of=call.as_of,
        rules_url=call.rules_url,
        verbose=verbose,
    )
    return HookResult(
        cards=[item.card for item in issued],
        rule_ids=cards.issued_rule_ids(issued),
        details=cards.issued_details(issued),
        gaps=tuple(gathered.gaps),
        rule_id=assessment.rule_id,
        record=record,
        assessment=assessment,
    )


PATIENT_VIEW = Service(
    id=SERVICE_ID,
    hook="patient-view",
    title="Heterogeneous bone marrow signal on MRI: work-up",
    description=(
        "When a chart opens, reads the latest lumbar spine / sacrum / pelvis MRI report for "
        "heterogeneous bone marrow signal and, with the first-line laboratory results and the "
        "patient's conditions, recommends the work-up of a cited decision table: surveillance "
        "MRI, first-line laboratory panel, haematology referral with marrow biopsy, or urgent "
        "work-up of a myeloma-defining event."
    ),
    handler=handle_patient_view,
    prefetch={
        "patient": services.PATIENT,
        "labs": services.LABS,
        "imaging": services.IMAGING_REPORTS,
        "conditions": services.CONDITIONS,
        "imagingDocuments": services.IMAGING_DOCUMENTS,
        PREFETCH_KEY: SERVICE_REQUESTS,
    },
    required_context=("userId", "patientId"),
    usage_requirements=(
        "Send the prefetch, or fhirServer (on the service's allowlist) with fhirAuthorization "
        "granting read access to Patient, Observation, DiagnosticReport, DocumentReference, "
        "Binary (report documents), Condition and ServiceRequest."
    ),
)

SERVICES: tuple[Service, ...] = (PATIENT_VIEW,)
