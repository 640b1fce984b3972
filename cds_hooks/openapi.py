"""The OpenAPI 3.1 document of the service, served at ``GET /openapi.json`` (no token needed).

Built from the code, so it cannot drift: the wire schemas come from the pydantic models of
``schemas.py`` (JSON Schema 2020-12, which OpenAPI 3.1 uses as is), the service paths from the
service registry (``services.registry``), one path per service and per feedback URL. Every status
an endpoint can answer is listed with its body: errors are OperationOutcomes (``errors.py``),
a 401 is bare. tests/security/test_openapi_conformance.py runs schemathesis against the app:
no 5xx, and every response matches this document.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from importlib.util import find_spec
from typing import Any

from flask import Blueprint, Response
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .schemas import Discovery, Feedback, HookRequest, HookResponse
from .services import Service, registry
from .wire import json_body

bp = Blueprint("openapi", __name__)

JSON = "application/json"
REF = "#/components/schemas/{model}"
FHIR_ID_PATTERN = r"^[A-Za-z0-9\-.]{1,64}$"  # hooks.FHIR_ID: context.patientId

DRAFT_ORDERS: dict[str, Any] = {
    "type": "object",
    "description": "FHIR Bundle of the orders being drafted (ServiceRequests are reviewed).",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"const": "Bundle"},
        "entry": {"type": "array", "items": {"type": "object"}},
    },
}
#: Hook context members beyond userId/patientId (CDS Hooks order-select / order-sign).
HOOK_CONTEXT: dict[str, dict[str, Any]] = {
    "order-select": {
        "required": ["selections", "draftOrders"],
        "properties": {
            "selections": {"type": "array", "items": {"type": "string", "pattern": "\\S"}},
            "draftOrders": DRAFT_ORDERS,
        },
    },
    "order-sign": {"required": ["draftOrders"], "properties": {"draftOrders": DRAFT_ORDERS}},
}

OPERATION_OUTCOME: dict[str, Any] = {
    "type": "object",
    "description": "FHIR R4 OperationOutcome: why the request was refused (never a token or "
    "patient data).",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"enum": ["fatal", "error", "warning", "information"]},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
FEEDBACK_ACK: dict[str, Any] = {
    "type": "object",
    "description": "Feedback stored in one transaction; repeated reports are duplicates.",
    "required": ["received", "stored", "duplicates"],
    "properties": {
        "received": {"type": "integer", "minimum": 1},
        "stored": {"type": "integer", "minimum": 0},
        "duplicates": {"type": "integer", "minimum": 0},
    },
    "additionalProperties": False,
}
HEALTH: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"const": "ok"}},
}
READINESS: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"enum": ["ready", "unavailable"]},
        "database": {"enum": ["reachable", "unreachable"]},
        "migrations": {"type": "string"},
    },
}

ERROR_TEXT = {
    400: "Malformed JSON, a missing or invalid member, or a hook the service does not answer.",
    404: "No such resource.",
    405: "Method not allowed.",
    412: "The data needed can be obtained neither from prefetch nor from fhirServer.",
    413: "Body larger than MARROW_CDS_MAX_BODY_BYTES.",
    415: "Content-Type is not JSON.",
    503: "The feedback store is unavailable: nothing was stored, retry later.",
}


def _outcome(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_TEXT[status],
        "content": {JSON: {"schema": {"$ref": REF.format(model="OperationOutcome")}}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


UNAUTHORIZED = {
    "description": "Bare 401: no, or an unacceptable, client JWT (CDS Hooks security). Empty "
    "body; the reason is logged by the service only.",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
}
JWT_SECURITY: list[dict[str, list[str]]] = [{"cdsClientJwt": []}]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _service_request_schema(service: Service) -> dict[str, Any]:
    """HookRequest narrowed to this service: its hook and its required context."""
    context_properties: dict[str, Any] = {
        name: {"type": "string", "minLength": 1} for name in service.required_context
    }
    if "patientId" in context_properties:
        context_properties["patientId"] = {"type": "string", "pattern": FHIR_ID_PATTERN}
    hook_context = HOOK_CONTEXT.get(service.hook, {})
    context_properties.update(hook_context.get("properties", {}))
    required = [*service.required_context, *hook_context.get("required", [])]
    return {
        "allOf": [
            _ref(HookRequest),
            {
                "type": "object",
                "properties": {
                    "hook": {"const": service.hook},
                    "context": {
                        "type": "object",
                        "required": required,
                        "properties": context_properties,
                    },
                },
            },
        ]
    }


def _service_paths(service: Service) -> dict[str, Any]:
    call = {
        "post": {
            "operationId": f"call_{service.id}",
            "summary": service.title,
            "description": f"CDS Hooks `{service.hook}` service. {service.description}",
            "tags": ["CDS Hooks"],
            "security": JWT_SECURITY,
            "requestBody": {
                "required": True,
                "content": {JSON: {"schema": _service_request_schema(service)}},
            },
            "responses": {
                "200": _json("Cards (possibly none).", _ref(HookResponse)),
                "400": _outcome(400),
                "401": UNAUTHORIZED,
                "412": _outcome(412),
                "413": _outcome(413),
                "415": _outcome(415),
            },
        }
    }
    feedback = {
        "post": {
            "operationId": f"feedback_{service.id}",
            "summary": f"Feedback on the cards of {service.id}",
            "description": "Clinicians' outcome per card (accepted / overridden), stored "
            "idempotently.",
            "tags": ["CDS Hooks"],
            "security": JWT_SECURITY,
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref(Feedback)}}},
            "responses": {
                "200": _json("Acknowledged.", {"$ref": REF.format(model="FeedbackAck")}),
                "400": _outcome(400),
                "401": UNAUTHORIZED,
                "413": _outcome(413),
                "415": _outcome(415),
                "503": _outcome(503),
            },
        }
    }
    return {f"/cds-services/{service.id}": call, f"/cds-services/{service.id}/feedback": feedback}


def _open_get(operation_id: str, summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["Operations"],
            "security": [],
            "responses": responses,
        }
    }


def _with_runtime_rules(schemas: dict[str, Any]) -> dict[str, Any]:
    """Rules the handlers enforce beyond the pydantic models, stated in the schemas too."""
    item = schemas["FeedbackItem"]
    # feedback.parse_timestamp: an RFC 3339 date-time (with its offset)
    item["properties"]["outcomeTimestamp"]["format"] = "date-time"
    # feedback.to_record: "accepted" needs the suggestions that were accepted
    item["if"] = {"properties": {"outcome": {"const": "accepted"}}}
    item["then"] = {
        "required": ["acceptedSuggestions"],
        "properties": {"acceptedSuggestions": {"type": "array", "minItems": 1}},
    }
    # schemas.FhirAuthorization._bearer: token_type is Bearer (any case)
    token_type = schemas["FhirAuthorization"]["properties"]["token_type"]
    token_type["pattern"] = "^[Bb][Ee][Aa][Rr][Ee][Rr]$"
    return schemas


def _version() -> str:
    try:
        return metadata.version("marrow-cds")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


@cache
def openapi_document() -> dict[str, Any]:
    _, definitions = models_json_schema(
        [
            (HookRequest, "validation"),
            (Feedback, "validation"),
            (HookResponse, "serialization"),
            (Discovery, "serialization"),
        ],
        ref_template=REF,
    )
    schemas = _with_runtime_rules(dict(definitions.get("$defs", {})))
    schemas.update(OperationOutcome=OPERATION_OUTCOME, FeedbackAck=FEEDBACK_ACK)

    paths: dict[str, Any] = {
        "/cds-services": {
            "get": {
                "operationId": "discovery",
                "summary": "CDS Hooks discovery: the services and their prefetch templates",
                "tags": ["CDS Hooks"],
                "security": JWT_SECURITY,
                "responses": {"200": _json("The services.", _ref(Discovery)), "401": UNAUTHORIZED},
            }
        }
    }
    for service in registry().values():
        paths.update(_service_paths(service))
    paths["/healthz"] = _open_get(
        "healthz", "Liveness: the process answers", {"200": _json("Alive.", HEALTH)}
    )
    paths["/readyz"] = _open_get(
        "readyz",
        "Readiness: database reachable and schema at the Alembic head",
        {
            "200": _json("Ready.", READINESS),
            "503": _json("Not ready (database unreachable or schema behind).", READINESS),
        },
    )
    if find_spec(f"{__package__}.rules_page") is not None:  # registered by create_app if present
        paths["/rules"] = _open_get(
            "rules",
            "The decision table (rules R0-R8, flags, sources) as a page clinicians can check",
            {"200": {"description": "HTML page.", "content": {"text/html": {"schema": {}}}}},
        )
    paths["/openapi.json"] = _open_get(
        "openapi", "This document", {"200": _json("OpenAPI 3.1 document.", {"type": "object"})}
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Marrow CDS",
            "version": _version(),
            "summary": "CDS Hooks 2.0 service: work-up of heterogeneous bone marrow signal on MRI",
            "description": (
                "Discovery, service and feedback calls need `Authorization: Bearer <JWT>` "
                "signed by a trusted CDS client (asymmetric algorithm, `kid`, `iss` on the "
                "service's trusted-issuers list, `aud` = the URL called, `exp`, `iat`, unique "
                "`jti`); any failure is a bare 401. Probes, /rules and this document are open."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "tags": [
            {"name": "CDS Hooks", "description": "CDS Hooks 2.0 endpoints"},
            {"name": "Operations", "description": "Probes and documentation"},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "cdsClientJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "CDS Hooks client JWT (see deploy/README.md, trusted issuers).",
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return json_body(openapi_document())
