"""Offline evaluation of a hook request (``marrow-cds evaluate``): prefetch only, no network,
nothing stored. The same validation and handler as the HTTP endpoint."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from .errors import BadRequest, MarrowError, operation_outcome
from .hooks import parse_hook_request
from .schemas import HookResponse
from .services import HookCall, Service, registry
from .wire import prune_empty

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def service_for_hook(hook: object) -> Service:
    for service in registry().values():
        if service.hook == hook:
            return service
    raise BadRequest(f"no service answers hook {hook!r}", expression="hook")


def evaluate_request(body: Any, as_of: datetime) -> tuple[int, dict[str, Any]]:
    """(HTTP-equivalent status, response JSON or OperationOutcome) for one request body."""
    try:
        if not isinstance(body, dict):
            raise BadRequest("request body must be a JSON object")
        service = service_for_hook(body.get("hook"))
        hook_request = parse_hook_request(service, body)
        prefetch = body.get("prefetch")
        base = os.environ.get("MARROW_CDS_PUBLIC_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
        call = HookCall(
            service=service,
            request=hook_request,
            prefetch=prefetch if isinstance(prefetch, dict) else {},
            as_of=as_of,
            rules_url=f"{base}/rules",
            fhir=None,
        )
        result = service.handler(call)
    except MarrowError as error:
        return error.status, operation_outcome(error.code, error.diagnostics)
    response = HookResponse(cards=result.cards)
    return 200, prune_empty(response.model_dump(mode="json", exclude_none=True))
