"""Read the report where the EHR keeps it (issue 17): the fetch step after the prefetch.

After ``prefetch.gather`` the imaging reports may point to their text instead of carrying it:
``presentedForm.url`` / ``DocumentReference.content.attachment.url`` (a Binary: relative
``Binary/id`` or absolute under ``fhirServer``; a contained ``#id`` needs no fetch), or ``result``
Observations not in the prefetch. ``read_report_documents`` asks the pure planner
(``fhir_mappers.report_content.needs``) what is missing, fetches it through the one FHIR client
(same allowlist and SSRF rules, the bearer token only to ``fhirServer``, per-answer byte cap,
and the call's fetch budget: the same deadline and total byte allowance as the prefetch queries),
and hands the answers to ``fhir_mappers.report_content.resolve``, which puts the text in place.

A report whose text could not be obtained (no ``fhirServer`` or token, 401/403, timeout, not
allowlisted, a scan) becomes an imaging ``DataGap`` naming the report and what is missing in
clinical words: the data-quality card says so and no recommendation is built without it. The
technical cause (HTTP status, error type) goes to the log only, without patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urljoin

from cds_hooks.ehr.fhir_client import BearerToken, CallBudget, DocumentTask, FetchTask
from cds_hooks.ehr.prefetch import Gathered
from cds_hooks.errors import (
    FhirAuthError,
    FhirBadResponse,
    FhirFetchError,
    FhirNotAllowed,
    FhirServerError,
    FhirTimeout,
)
from cds_hooks.services.registry import HookCall
from fhir_mappers import report_content
from fhir_mappers.report_content import Fetched
from logic.model import DataDomain, DataGap

log = logging.getLogger(__name__)

# Why a report's text could not be fetched, as a clinician reads it (after "could not be read:").
NO_ACCESS = (
    "this service was not given access to the report documents (the EHR must grant read access "
    "to Binary, and to DocumentReference for reports kept as documents)"
)
NO_SERVER = "the EHR sent no FHIR server address to read the report document from"
NOT_ALLOWED = "the EHR's FHIR server is not on this service's allowlist"
OFFLINE = "it is kept as a separate document, and offline evaluation fetches nothing"
TIMED_OUT = "the EHR's FHIR server did not send the report document in time"
OUTSIDE = "the report document is kept at an address outside the EHR's FHIR server"
NOT_FOUND = "the EHR's FHIR server does not have the report document"
TOO_LARGE = "the report document is too large to read"
FAILED = "the EHR's FHIR server could not send the report document"


def _reason(error: FhirFetchError) -> str:
    if isinstance(error, FhirAuthError):
        return NO_ACCESS
    if isinstance(error, FhirTimeout):
        return TIMED_OUT
    if isinstance(error, FhirNotAllowed):
        return OUTSIDE
    if isinstance(error, FhirServerError) and error.http_status in (404, 410):
        return NOT_FOUND
    if isinstance(error, FhirBadResponse) and "exceeded" in error.reason:
        return TOO_LARGE
    return FAILED


def _budget(call: HookCall, gathered: Gathered) -> CallBudget:
    """What the prefetch queries left of the call's fetch budget (time and bytes); when nothing
    was fetched before, the fetch budget, capped by what remains of the call's deadline."""
    assert call.fhir is not None
    if gathered.budget is not None:
        return gathered.budget
    return call.fhir.new_budget(call.fetch_budget(call.fhir.settings.fetch_budget_s))


def read_report_documents(
    call: HookCall, gathered: Gathered, met: Sequence[Mapping[str, Any]] | None = None
) -> bool:
    """Fetch the report text the imaging reports point to and put it in place (module
    docstring); what cannot be read becomes an imaging ``DataGap`` in ``gathered.gaps``.
    ``met``: the imaging reports the mapper's walk met (``report_content.needs``). True when
    copies of reports were placed before ``gathered.documents`` (a selection made from the
    documents before is then out of date)."""
    patient_id = str(call.context["patientId"])
    needs = report_content.needs(gathered.documents, patient_id, met=met)
    binaries: dict[str, Fetched] = {}
    observations: list[dict[str, object]] = []
    result_failures: dict[str, str] = {}
    unfetched: str | None = None
    if needs.binaries or needs.results:
        server = call.request.fhirServer
        if call.fhir is None:
            unfetched = OFFLINE
        elif not server:
            unfetched = NO_SERVER
        elif not call.fhir.server_allowed(server):
            unfetched = NOT_ALLOWED
        else:
            call.checkpoint("fetching report documents")  # the call's deadline (issue 16)
            auth = call.request.fhirAuthorization
            token = BearerToken(auth.access_token) if auth is not None else None
            budget = _budget(call, gathered)
            base = server.rstrip("/") + "/"
            if needs.binaries:
                tasks = [
                    DocumentTask(need.url, urljoin(base, need.url), need.content_type)
                    for need in needs.binaries
                ]
                by_url = {need.url: need for need in needs.binaries}
                for outcome in call.fhir.fetch_documents(server, tasks, token=token, budget=budget):
                    if outcome.error is not None or outcome.body is None:
                        error = outcome.error or FhirBadResponse("no body")
                        binaries[outcome.key] = Fetched(missing=_reason(error))
                        continue
                    binaries[outcome.key] = report_content.fetched_document(
                        outcome.body, outcome.content_type, by_url[outcome.key].content_type
                    )
            if needs.results:
                queries = [
                    FetchTask(
                        need.report,
                        f"{base}Observation?_id={','.join(quote(i, safe='') for i in need.ids)}",
                    )
                    for need in needs.results
                ]
                for fetched in call.fhir.fetch_all(server, queries, token=token, budget=budget):
                    if fetched.error is not None:
                        result_failures[fetched.key] = _reason(fetched.error)
                    observations.extend(
                        entry["resource"]
                        for document in fetched.documents
                        for entry in document.get("entry") or ()
                        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
                    )
            gathered.fetched_pages += len(needs.binaries) + len(needs.results)
    resolved = report_content.resolve(
        gathered.documents,
        patient_id,
        binaries,
        observations,
        result_failures,
        unfetched=unfetched,
        stop=call.stop,
        found=needs,
    )
    gathered.documents = resolved.documents
    gathered.gaps.extend(DataGap(DataDomain.IMAGING, why) for why in resolved.missing)
    if resolved.missing:  # the cause of each failed read is logged by the FHIR client
        log.info(
            "report text not obtained",
            extra={
                "hookInstance": call.request.hookInstance[:100],
                "reports": len(resolved.missing),
            },
        )
    return resolved.copied
