"""The companion app's routes (issue 13). Registered by ``create_app`` under ``/app``.

=============================  ===========================================================
``GET /app/launch``            SMART App Launch 2.0 entry (EHR launch: ``iss`` + ``launch``;
                               standalone: ``iss`` only): starts the authorization code flow
                               with PKCE S256 in the browser (static/smart.js)
``GET /app/``                  the redirect URI and the app itself
``GET /app/static/<file>``     scripts and styles, all served here (no CDN, no font download)
``GET /app/api/catalogue``     the rules and flags with their thresholds (public, no patient data)
``POST /app/api/read-report``  ``{"text": ...}`` -> the reader's class and spans
``POST /app/api/record``       the patient's resources (as the app fetched them) -> lab trends,
                               MRI timeline, index report reading
=============================  ===========================================================

The two POST endpoints need ``Authorization: Bearer <id_token>`` (identity.py) unless
MARROW_CDS_REQUIRE_JWT=0 (local trial). They read the body, compute and answer: the body is
never logged or stored (the request log has method, path, status and duration only), and every
answer is ``Cache-Control: no-store``. Work is bounded by the request body limit, the resource
count (reading.MAX_RESOURCES), the reader's character limit and the hook deadline
(MARROW_CDS_HOOK_DEADLINE_SECONDS, answered 503 ``timeout`` like a hook call).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from cds_hooks.security.auth import AuthFailure
from fhir_mappers.fhir_time import parse_datetime
from fhir_mappers.lab_codes import LAB_CODES
from fhir_mappers.limits import WorkStopped
from fhir_mappers.patient import read_patient
from fhir_mappers.select import patient_key
from logic.catalogue import FLAGS, RULE_SET_VERSION, RULES
from logic.model import Sex

from ..deadline import Deadline
from ..errors import BadRequest, Unauthorized, UnsupportedMediaType
from . import reading
from .identity import IdTokenVerifier

log = logging.getLogger(__name__)

bp = Blueprint(
    "smart_app",
    __name__,
    url_prefix="/app",
    static_folder="static",
    static_url_path="/static",
    template_folder="templates",
)

# SMART v2 scopes (a v1 server answering with .read scopes is accepted by the app).
SCOPES: Final = (
    "launch openid fhirUser patient/Observation.rs patient/DiagnosticReport.rs "
    "patient/Condition.rs patient/Patient.rs"
)
STANDALONE_SCOPES: Final = SCOPES.replace("launch ", "launch/patient ", 1)

_PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # The URL carries the authorization code and state: never sent on as a Referer.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self' https: http://127.0.0.1:* http://localhost:*; "
        "base-uri 'none'; form-action 'none'"
    ),
}


@bp.record_once
def _load_issuers(state: Any) -> None:
    """Read MARROW_CDS_SMART_ISSUERS once, at start-up: a bad file stops the service."""
    settings = state.app.extensions["marrow_settings"]
    state.app.extensions["marrow_smart_identity"] = IdTokenVerifier.from_settings(settings)


def _settings() -> Any:
    return current_app.extensions["marrow_settings"]


def _verifier() -> IdTokenVerifier:
    verifier: IdTokenVerifier = current_app.extensions["marrow_smart_identity"]
    return verifier


def _base_url() -> str:
    configured = _settings().public_base_url
    return configured.rstrip("/") if configured else request.host_url.rstrip("/")


def _page(template: str) -> Response:
    settings = _settings()
    html = render_template(
        template,
        client_id=settings.smart_client_id,
        scopes=SCOPES,
        standalone_scopes=STANDALONE_SCOPES,
        redirect_uri=f"{_base_url()}/app/",
        version=RULE_SET_VERSION,
    )
    response = Response(html, mimetype="text/html")
    response.headers.update(_PAGE_HEADERS)
    return response


@bp.get("/launch")
def launch() -> Response:
    return _page("smart_launch.html")


@bp.get("/")
def app_page() -> Response:
    return _page("smart_app.html")


@bp.after_request
def _no_store(response: Response) -> Response:
    if request.path.startswith("/app/api/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
    elif request.path.startswith("/app/static/"):
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/api/catalogue")
def catalogue() -> Response:
    return jsonify(
        {
            "ruleSet": RULE_SET_VERSION,
            "rules": [
                {"id": r.id, "title": r.title, "when": r.when, "recommend": r.recommend}
                for r in RULES
            ],
            "flags": [
                {
                    "id": f.id,
                    "tier": f.tier,
                    "criterion": f.criterion,
                    "thresholds": list(f.thresholds),
                }
                for f in FLAGS
            ],
            # LOINC codes of the charted analytes and of what they are computed from (albumin,
            # kappa, lambda): the app asks its FHIR server for these Observations only.
            "labCodes": sorted(
                row.code for row in LAB_CODES.values() if row.analyte in reading.FETCHED_ANALYTES
            ),
            "trendYears": reading.TREND_YEARS,
        }
    )


def _authenticate() -> None:
    if not _settings().require_jwt:
        return
    try:
        _verifier().verify_header(request.headers.get("Authorization"))
    except AuthFailure as failure:
        log.warning("app id_token rejected: %s", failure.reason, extra={"path": request.path})
        raise Unauthorized() from None


def _body() -> Mapping[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("the body must be application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping):
        raise BadRequest("the body must be a JSON object")
    return body


def _as_of(body: Mapping[str, Any]) -> datetime:
    raw = body.get("asOf")
    if raw is None:
        return datetime.now(UTC)
    moment, _problem = parse_datetime(raw)
    if moment is None:
        raise BadRequest("asOf must be a FHIR dateTime", expression="asOf")
    return moment


def _list(body: Mapping[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list):
        raise BadRequest(f"{name} must be a list of FHIR resources or Bundles", expression=name)
    return value


@bp.post("/api/read-report")
def read_report() -> Response:
    deadline = Deadline(_settings().hook_deadline_s)
    _authenticate()
    body = _body()
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("text must be the report text (a non-empty string)", expression="text")
    media = body.get("contentType", "text/plain")
    if media not in ("text/plain", "text/html"):
        raise BadRequest("contentType must be text/plain or text/html", expression="contentType")
    try:
        result = reading.read_text(text, _as_of(body), media, stop=deadline.stop)
    except WorkStopped:
        raise deadline.exceeded() from None
    return jsonify({"reading": result})


@bp.post("/api/record")
def record() -> Response:
    deadline = Deadline(_settings().hook_deadline_s)
    _authenticate()
    body = _body()
    patient_id = body.get("patientId")
    if not isinstance(patient_id, str) or not patient_key(patient_id):
        raise BadRequest("patientId must be the patient's id", expression="patientId")
    pid = patient_key(patient_id)
    as_of = _as_of(body)
    try:
        observations = reading.resources_of(_list(body, "observations"))
        reports = reading.resources_of(_list(body, "reports"))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    sex = Sex.UNKNOWN
    patient = body.get("patient")
    if isinstance(patient, Mapping) and patient.get("resourceType") == "Patient":
        sex = read_patient(patient, pid)[0].sex
    index_ref = body.get("indexReport")
    try:
        deadline.check("mapping")
        series = reading.lab_series(observations, pid, as_of, sex, stop=deadline.stop)
        own = [r for r in reports if _about(r, pid)]
        timeline, read = reading.imaging_timeline(own, stop=deadline.stop)
        deadline.check("cards")
    except WorkStopped:
        raise deadline.exceeded() from None
    index = next((r for r in read if r.reference == index_ref), read[-1] if read else None)
    return jsonify(
        {
            "asOf": as_of.isoformat(),
            "sex": sex.value,
            "series": series,
            "imaging": timeline,
            "index": reading.report_reading(index) if index is not None else None,
        }
    )


def _about(resource: Mapping[str, Any], pid: str) -> bool:
    """A report of this patient (the reports' own subject; another patient's is not read)."""
    subject = resource.get("subject")
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    return isinstance(reference, str) and patient_key(reference) == pid
