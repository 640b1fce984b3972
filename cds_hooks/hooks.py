"""``POST /cds-services/<id>``: validate the hook request, run the service, answer cards.

Errors (all OperationOutcome, via ``errors``): unknown service 404; wrong media type 415; body
over MARROW_CDS_MAX_BODY_BYTES 413; malformed JSON, missing ``hook``/``hookInstance``/
``context``, a hook other than the service's, or missing/invalid required context 400; no data
obtainable 412; all evaluation slots busy 503 (``admission.py``, installed with this blueprint);
the call's time budget spent 503 (``deadline.py``). Unknown ``extension`` content (and unknown
members) are tolerated.

Every call has a ``Deadline`` (MARROW_CDS_HOOK_DEADLINE_SECONDS, counted from the request's
arrival): the handler checks it between stages and the mappers through ``stop``; when it is spent
the work stops where it is and the answer is a 503 OperationOutcome, logged with the hookInstance.

The request path is lean: one ``orjson.loads`` of the body, a shallow pydantic validation of the
envelope (prefetch values are kept as raw JSON for the mapper), one ``orjson.dumps`` of the
cards. Issued cards are recorded by a background writer: a slow or absent database never delays
or fails a hook call.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from pydantic import ValidationError
from werkzeug.exceptions import ClientDisconnected

from cds_hooks.services.registry import HookCall, HookResult, Service, get_service
from cds_hooks.storage.card_recorder import CardRecorder
from fhir_mappers import WorkStopped
from fhir_mappers.fhir_id import is_fhir_id

from . import admission
from .deadline import Deadline
from .errors import BadRequest, DeadlineExceeded, NotFound
from .schemas import HookRequest, HookResponse
from .settings import Settings
from .wire import json_response, read_json_object, validation_error

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__)

SANDBOX_ISSUER = "https://sandbox.cds-hooks.org"


@bp.record_once
def _install_admission(state: BlueprintSetupState) -> None:
    """Evaluation slots (admission.py): a quick 503 instead of a queue when all are busy."""
    app = cast(Flask, state.app)
    admission.init_app(app, app.extensions["marrow_settings"])


@bp.record_once
def _warn_if_the_sandbox_is_trusted(state: BlueprintSetupState) -> None:
    """The CDS Hooks sandbox's private signing key is published in its public repository:
    anybody can sign tokens as the sandbox. Trusting it is for tests with synthetic data only."""
    settings: Settings = state.app.extensions["marrow_settings"]
    if not settings.require_jwt or not settings.trusted_issuers:
        return
    from cds_hooks.security.jwks import TrustConfigError, load_trusted_issuers

    try:
        trusted = load_trusted_issuers(settings.trusted_issuers)
    except TrustConfigError:  # auth reports an unusable file itself
        return
    if SANDBOX_ISSUER in trusted:
        log.warning(
            "the CDS Hooks sandbox (%s) is a trusted issuer: its signing key is public, so "
            "anybody can sign tokens as the sandbox. Use this only for testing with synthetic "
            "data, never with real patient data or in production",
            SANDBOX_ISSUER,
        )


# Host header: a DNS name or IPv4 address, or an IPv6 literal, and an optional port.
HOST_HEADER = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
    r"[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
)


def rules_url(settings: Settings) -> str:
    """Absolute URL of the rule catalogue page (served at /rules).

    Built from MARROW_CDS_PUBLIC_BASE_URL (required whenever JWTs are: settings refuse to start
    without it). Only without JWTs (a local trial) does the request's Host header stand in, and
    then a malformed one is a 400, never a broken link or a 500."""
    if settings.public_base_url:
        return f"{settings.public_base_url}/rules"
    host = request.host
    key = (request.scheme, host, request.root_path)
    known = _rules_urls.get(key)
    if known is not None:
        return known
    match = HOST_HEADER.fullmatch(host)
    if match is None or not 0 < int(match.group("port") or 443) <= 65535:
        raise BadRequest("the Host header is not a valid host name", expression="Host")
    url = f"{request.url_root.rstrip('/')}/rules"
    if len(_rules_urls) >= _RULES_URLS_LIMIT:
        _rules_urls.clear()
    _rules_urls[key] = url
    return url


# rules_url without a public base URL: url_root is built from the scheme, the Host header and
# the script root alone (werkzeug), so each valid triple's URL is remembered (a few per process;
# no patient data), emptied when full.
_RULES_URLS_LIMIT = 64
_rules_urls: dict[tuple[str, str, str], str] = {}


def parse_hook_request(service: Service, body: dict[str, Any]) -> HookRequest:
    """Validate the envelope and the context the service needs (400 on any problem)."""
    try:
        hook_request = HookRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc, "hook request") from None
    if hook_request.hook != service.hook:
        raise BadRequest(
            f"service {service.id!r} answers hook {service.hook!r}, not {hook_request.hook!r}",
            expression="hook",
        )
    for name in service.required_context:
        value = hook_request.context.get(name)
        if value is None or value == "" or value == [] or value == {}:
            raise BadRequest(f"context.{name} is required", expression=f"context.{name}")
        if name in ("userId", "patientId", "encounterId") and not isinstance(value, str):
            raise BadRequest(f"context.{name} must be a string", expression=f"context.{name}")
    patient_id = hook_request.context.get("patientId")
    if patient_id is not None and not is_fhir_id(patient_id):
        raise BadRequest("context.patientId is not a FHIR id", expression="context.patientId")
    return hook_request


def call_deadline(settings: Settings) -> Deadline:
    """The call's budget, counted from the request's arrival (slot wait, token, body included)."""
    started = g.get("request_started")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    return Deadline(settings.hook_deadline_s, elapsed=elapsed)


def read_body_within(deadline: Deadline) -> dict[str, Any]:
    """The request body, read within the call's deadline. Under gunicorn the slot's read guard
    (admission.py) shuts the client socket for reading once the time is up, so a blocked read of
    a body still dripping in ends at once; that is answered 503 (``DeadlineExceeded``) here."""
    try:
        return read_json_object()
    except (ClientDisconnected, BadRequest):
        if not deadline.expired():
            raise
        deadline.stage = "reading the request body"
        log.warning(
            "hook call stopped at its deadline (%g s) while reading the request body",
            deadline.budget_s,
            extra={"error": "deadline_exceeded", "service": g.log_fields.get("service")},
        )
        raise deadline.exceeded() from None


def run_within_deadline(call: HookCall) -> HookResult:
    """Run the service's handler; its deadline spent (a checkpoint, or the mappers' ``stop``):
    ``DeadlineExceeded`` (503), logged with the hookInstance. The work has stopped by then."""
    deadline = call.deadline
    try:
        call.checkpoint("starting")
        return call.service.handler(call)
    except WorkStopped:
        if deadline is None:  # offline: nothing asks the mappers to stop
            raise
        error = deadline.exceeded()
    except DeadlineExceeded as exceeded:
        error = exceeded
    log.warning(
        "hook call stopped at its deadline (%g s) while %s",
        deadline.budget_s if deadline is not None else 0.0,
        error.stage,
        extra={
            "hookInstance": call.request.hookInstance[:100],
            "service": call.service.id,
            "error": "deadline_exceeded",
        },
    )
    raise error


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str) -> Response:
    service = get_service(service_id)
    if service is None:
        raise NotFound(f"no CDS service {service_id!r}")
    g.log_fields.update(service=service.id, hook=service.hook)
    settings: Settings = current_app.extensions["marrow_settings"]
    deadline = call_deadline(settings)
    body = read_body_within(deadline)
    hook_request = parse_hook_request(service, body)
    g.log_fields["hookInstance"] = hook_request.hookInstance[:100]
    prefetch = body.get("prefetch")
    call = HookCall(
        service=service,
        request=hook_request,
        prefetch=prefetch if isinstance(prefetch, dict) else {},
        as_of=datetime.now(UTC),  # the imperative shell reads the clock; the logic never does
        rules_url=rules_url(settings),
        fhir=current_app.extensions["marrow_fhir"],
        deadline=deadline,
    )
    result = run_within_deadline(call)
    g.log_fields.update(
        rule_ids=sorted(set(result.rule_ids.values()))
        or ([result.rule_id] if result.rule_id else None),
        cards=len(result.cards),
        gaps=sorted({gap.domain.value for gap in result.gaps}) or None,
    )
    recorder: CardRecorder = current_app.extensions["marrow_recorder"]
    patient_id = hook_request.context.get("patientId")
    recorder.submit(
        service_id=service.id,
        hook_instance=hook_request.hookInstance,
        patient_id=str(patient_id or ""),
        issued_at=call.as_of,
        cards=result.cards,
        rule_ids=result.rule_ids,
    )
    return json_response(HookResponse(cards=result.cards))
