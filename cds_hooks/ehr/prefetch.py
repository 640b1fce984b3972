"""Prefetch semantics (CDS-HOOKS.md "Request") and the fallback fetch plan.

For each prefetch key of the service:

- key absent (not fulfilled): fetch the template from fhirServer;
- ``null`` (the EHR has no such data): nothing to fetch, no gap;
- an ``OperationOutcome`` (the prefetch failed): fetch it instead, and log that it failed;
- a Bundle with a ``next`` link (first page only): keep it, fetch the rest from fhirServer;
- any other resource or Bundle: used as sent.

Whatever cannot be fetched becomes a ``DataGap`` (domain + reason) that the mapper and the rules
receive: the data-quality card says what is missing and no recommendation is built on it. When
nothing at all can be obtained (no prefetch value and no usable fhirServer) the call fails with
412 (``PreconditionFailed``). The prefetch contents are not validated here (speed): the mapper
selects what it uses from the raw JSON.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin

from cds_hooks.ehr.fhir_client import BearerToken, CallBudget, FetchTask, next_link
from cds_hooks.errors import PreconditionFailed
from cds_hooks.services.registry import HookCall, PrefetchTemplate
from logic.model import DataGap

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}

# Reasons a data-quality card shows ("lab results: <reason>").
REASON_NO_SERVER = "not sent by the EHR, and no FHIR server was given to fetch them from"
REASON_NOT_ALLOWED = "not sent by the EHR, and its FHIR server is not on this service's allowlist"
REASON_OFFLINE = "not in the request (offline evaluation fetches nothing)"
REASON_UNFILLED = "not sent by the EHR, and the query could not be built from the hook context"
REASON_MORE_PAGES = "only the first page was sent and the rest could not be fetched"


def render_template(template: str, context: Mapping[str, Any]) -> str | None:
    """Fill ``{{context.X}}`` and ``{{userXxxId}}`` tokens; None when a token cannot be filled.

    Values are percent-encoded, so a context value cannot add query parameters or path segments.
    """
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        value: Any = None
        if name.startswith("context."):
            value = context.get(name.removeprefix("context."))
        elif name in _USER_TOKENS:
            user = context.get("userId")
            prefix = _USER_TOKENS[name] + "/"
            if isinstance(user, str) and user.startswith(prefix):
                value = user.removeprefix(prefix)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            missing = True
            return ""
        return quote(str(value), safe="")

    rendered = _TOKEN.sub(fill, template)
    return None if missing else rendered


@dataclass
class Gathered:
    """Documents for the mapper (raw FHIR JSON) and the data that could not be obtained."""

    documents: list[Mapping[str, Any]] = field(default_factory=list)
    gaps: list[DataGap] = field(default_factory=list)
    fetched_pages: int = 0
    # The fetch budget of the call when it fetched (report documents come next: issue 17).
    budget: CallBudget | None = None


def gather(call: HookCall) -> Gathered:
    """Apply the prefetch semantics for ``call.service`` and fetch what is missing."""
    templates = call.service.prefetch
    prefetch = call.prefetch
    result = Gathered()
    supplied_any = False
    needed: dict[str, str | None] = {}  # key -> URL (relative query or absolute next link)
    for key in templates:
        if key not in prefetch:
            needed[key] = None
            continue
        value = prefetch[key]
        if value is None:
            supplied_any = True
            continue
        if not isinstance(value, dict) or value.get("resourceType") == "OperationOutcome":
            log.info("prefetch failed, fetching instead", extra={"hookInstance": _hi(call)})
            needed[key] = None
            continue
        supplied_any = True
        result.documents.append(value)
        more = next_link(value)
        if more is not None:
            server = call.request.fhirServer
            needed[key] = urljoin(server.rstrip("/") + "/", more) if server else more
    if needed:
        _fetch(call, templates, needed, result, supplied_any)
    return result


def _fetch(
    call: HookCall,
    templates: Mapping[str, PrefetchTemplate],
    needed: dict[str, str | None],
    result: Gathered,
    supplied_any: bool,
) -> None:
    server = call.request.fhirServer
    usable = call.fhir is not None and call.fhir.server_allowed(server)
    if not usable:
        if not supplied_any:
            raise PreconditionFailed(_no_data_reason(call))
        reason = _unusable_reason(call)
        for key, url in needed.items():
            gap_reason = REASON_MORE_PAGES if url is not None else reason
            result.gaps.append(DataGap(templates[key].domain, gap_reason))
        return
    assert server is not None
    assert call.fhir is not None
    base = server.rstrip("/") + "/"
    tasks: list[FetchTask] = []
    for key, url in needed.items():
        if url is None:
            query = render_template(templates[key].query, call.context)
            if query is None:
                result.gaps.append(DataGap(templates[key].domain, REASON_UNFILLED))
                continue
            url = base + query
        tasks.append(FetchTask(key, url))
    auth = call.request.fhirAuthorization
    token = BearerToken(auth.access_token) if auth is not None else None
    call.checkpoint("fetching data from fhirServer")
    # The fetch is part of the hook call's deadline: never more than what remains of it.
    budget_s = call.fetch_budget(call.fhir.settings.fetch_budget_s)
    result.budget = call.fhir.new_budget(budget_s)
    for outcome in call.fhir.fetch_all(server, tasks, token=token, budget=result.budget):
        result.documents.extend(outcome.documents)
        result.fetched_pages += outcome.pages
        if outcome.error is not None:
            reason = outcome.error.reason
            # issue 10: say what is known (the client logs the raw reason): pages read, from
            # the prefetch (a `next` link was followed) and from the fetch, before it failed
            read = outcome.pages + (1 if needed.get(outcome.key) is not None else 0)
            if read:
                pages = "page" if read == 1 else f"{read} pages"
                reason = f"only the first {pages} of results could be read: later pages are missing"
            result.gaps.append(DataGap(templates[outcome.key].domain, reason))


def _unusable_reason(call: HookCall) -> str:
    if call.fhir is None:
        return REASON_OFFLINE
    if not call.request.fhirServer:
        return REASON_NO_SERVER
    return REASON_NOT_ALLOWED


def _no_data_reason(call: HookCall) -> str:
    if call.fhir is None:
        why = "offline evaluation fetches nothing"
    elif not call.request.fhirServer:
        why = "no fhirServer was sent"
    else:
        why = "the fhirServer is not on the allowlist"
    return f"no prefetch data was sent and the data cannot be fetched: {why}"


def _hi(call: HookCall) -> str:
    return call.request.hookInstance
