"""The one exception hierarchy of the service, and the one error handler that renders it.

Every error a client can see is a ``MarrowError`` with an HTTP status and a FHIR
OperationOutcome issue code (http://hl7.org/fhir/issue-type). The handler renders it as an
OperationOutcome; werkzeug HTTP errors (405, 413 from the body limit, ...) and unexpected
exceptions are rendered the same way, never as an HTML page. ``Unauthorized`` is a bare 401
(CDS-HOOKS.md "answer a bad token with a bare 401").

Bounded work (issue 16, README "Limits"): ``Overloaded`` (503, ``throttled``, Retry-After 1) when
no evaluation slot frees up within MARROW_CDS_SLOT_WAIT_SECONDS; ``DeadlineExceeded`` (503,
``timeout``, Retry-After 5) when a hook call spends MARROW_CDS_HOOK_DEADLINE_SECONDS. Both are
OperationOutcomes like every other error.

The ``FhirFetchError`` family describes why the fallback fetch could not obtain data: the hook
turns it into a ``DataGap`` (its ``reason`` is what the data-quality card says), so it normally
never reaches the handler.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import orjson
from flask import Flask, Response
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

OUTCOME_MEDIA_TYPE = "application/json"


class MarrowError(Exception):
    """Base class: ``status`` (HTTP) and ``code`` (OperationOutcome issue type)."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "exception"
    severity: ClassVar[str] = "error"

    def __init__(self, diagnostics: str, *, expression: str | None = None) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics
        self.expression = expression

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(MarrowError):
    status = 400
    code = "invalid"


class NotFound(MarrowError):
    status = 404
    code = "not-found"


class UnsupportedMediaType(MarrowError):
    status = 415
    code = "not-supported"


class PayloadTooLarge(MarrowError):
    status = 413
    code = "too-costly"


class PreconditionFailed(MarrowError):
    """412: the data the service needs can be obtained neither from prefetch nor fhirServer."""

    status = 412
    code = "incomplete"


class Unauthorized(MarrowError):
    """A bare 401: no body that would help an attacker, only ``WWW-Authenticate``."""

    status = 401
    code = "login"

    def __init__(self, diagnostics: str = "unauthorized") -> None:
        super().__init__(diagnostics)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="marrow-cds"'}


class ServiceUnavailable(MarrowError):
    status = 503
    code = "transient"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class Overloaded(ServiceUnavailable):
    """503: every evaluation slot of this process is busy (admission.py). Answered at once, before
    any work (no token check, no body read): retry shortly, or another replica."""

    code = "throttled"

    def __init__(self, diagnostics: str = "the service is at capacity: retry in a moment") -> None:
        super().__init__(diagnostics)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class DeadlineExceeded(ServiceUnavailable):
    """503: the hook call spent its budget (MARROW_CDS_HOOK_DEADLINE_SECONDS, deadline.py); its
    work was stopped. ``stage`` says where (fetch, mapping, rules, cards), for the log."""

    code = "timeout"

    def __init__(self, budget_s: float, stage: str) -> None:
        super().__init__(
            f"the hook call exceeded its time budget of {budget_s:g} s and was stopped "
            f"(while {stage}): no cards were computed"
        )
        self.stage = stage

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class FhirFetchError(MarrowError):
    """The fallback fetch from ``fhirServer`` failed; ``reason`` is said on the card."""

    status = 502
    code = "exception"

    @property
    def reason(self) -> str:
        return self.diagnostics


class FhirTimeout(FhirFetchError):
    code = "timeout"

    def __init__(self, diagnostics: str = "FHIR server timed out") -> None:
        super().__init__(diagnostics)


class FhirAuthError(FhirFetchError):
    """401 or 403 from the FHIR server (expired or insufficient token)."""

    code = "security"

    def __init__(self, http_status: int) -> None:
        super().__init__(f"FHIR server answered {http_status}")
        self.http_status = http_status


class FhirServerError(FhirFetchError):
    """Any other unusable HTTP answer (5xx, 404, unexpected 3xx)."""

    def __init__(self, http_status: int, detail: str = "") -> None:
        super().__init__(f"FHIR server answered {http_status}{detail}")
        self.http_status = http_status


class FhirBadResponse(FhirFetchError):
    """The answer was not usable FHIR JSON (invalid JSON, not a resource, too large)."""

    code = "structure"


class FhirNotAllowed(FhirFetchError):
    """The URL is not on MARROW_CDS_FHIR_ALLOWLIST (or not https): it is never contacted."""

    code = "forbidden"


class FhirConnectionError(FhirFetchError):
    def __init__(self, diagnostics: str = "FHIR server could not be reached") -> None:
        super().__init__(diagnostics)


def operation_outcome(
    code: str, diagnostics: str, *, severity: str = "error", expression: str | None = None
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(
    status: int,
    code: str,
    diagnostics: str,
    *,
    headers: dict[str, str] | None = None,
    expression: str | None = None,
) -> Response:
    body = orjson.dumps(operation_outcome(code, diagnostics, expression=expression))
    return Response(body, status=status, mimetype=OUTCOME_MEDIA_TYPE, headers=headers)


# werkzeug's HTTP errors that can happen before our code runs (routing, body limit).
_HTTP_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    408: "timeout",
    411: "required",
    413: "too-costly",
    414: "too-long",
    415: "not-supported",
    429: "throttled",
}


def handle_marrow_error(error: MarrowError) -> Response:
    if isinstance(error, Unauthorized):
        return Response(b"", status=401, headers=error.headers())
    if error.status >= 500 and not isinstance(error, Overloaded | DeadlineExceeded):
        # (those two write their own line: admission.py rate-limited, hooks.py with hookInstance)
        log.warning("request failed", extra={"error": type(error).__name__, "status": error.status})
    return outcome_response(
        error.status,
        error.code,
        error.diagnostics,
        headers=error.headers(),
        expression=error.expression,
    )


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code = _HTTP_CODES.get(status, "exception" if status >= 500 else "invalid")
    headers = {k: v for k, v in error.get_headers() if k.lower() in {"allow", "retry-after"}}
    return outcome_response(status, code, error.description or error.name, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    # Only the exception type is logged with the traceback: values may contain patient data.
    log.error("unexpected error", exc_info=error, extra={"error": type(error).__name__})
    return outcome_response(500, "exception", "internal error")


def register_error_handlers(app: Flask) -> None:
    """THE error handler: everything a client sees on failure is an OperationOutcome."""
    app.register_error_handler(MarrowError, handle_marrow_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
