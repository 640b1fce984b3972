"""The orders already placed, for the follow-up status of surveillance (SPEC.md section 5).

One narrow prefetch template, `serviceRequests`, advertised by the patient-view service and the
order-review services and fetched in the fallback like the others: the patient's active or
on-hold ServiceRequests coded as a follow-up MRI (the `urn:marrow-cds:order` key
`mri-followup`, or an MR spine / sacrum / pelvis LOINC or CPT code; the list comes from
`fhir_mappers.service_requests`, so that the query and the mapper agree), newest first. When it
cannot be obtained it is a data gap (domain `orders`), never an error: the surveillance card says
an existing order could not be checked.
"""

from __future__ import annotations

from typing import Final

from cds_hooks.services.registry import PrefetchTemplate
from fhir_mappers.service_requests import follow_up_mri_codes
from logic.model import DataDomain

PREFETCH_KEY: Final = "serviceRequests"
PENDING_STATUSES: Final = "active,on-hold"

SERVICE_REQUESTS: Final = PrefetchTemplate(
    "ServiceRequest?patient={{context.patientId}}"
    f"&status={PENDING_STATUSES}&code={','.join(follow_up_mri_codes())}"
    "&_sort=-authored&_count=50",
    DataDomain.ORDERS,
)
