"""The OpenAPI 3.1 document of the service, served at ``GET /openapi.json`` (no token needed).

Built from the code, so it cannot drift: the wire schemas come from the pydantic models of
``schemas.py`` (JSON Schema 2020-12, which OpenAPI 3.1 uses as is), the service paths from the
service registry (``services.registry``), one path per service and per feedback URL. Every status
an endpoint can answer is listed with its body and headers: errors are OperationOutcomes
(``errors.py``), a 503 carries ``Retry-After``, a 401 is bare with ``WWW-Authenticate: Bearer``.
The info description states the limits (body, deadline, evaluation slots, report reading).
tests/security/test_openapi_conformance.py runs schemathesis against the app with JWTs on and
every check enabled: every response matches this document.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from importlib.util import find_spec
from typing import Any

from flask import Blueprint, Response
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from cds_hooks.services.registry import Service, registry
from fhir_mappers.fhir_id import FHIR_ID_PATTERN

from .schemas import RFC3339_DATE_TIME, Discovery, Feedback, HookRequest, HookResponse
from .settings import DEFAULT_MAX_BODY_BYTES
from .wire import json_body

bp = Blueprint("openapi", __name__)

JSON = "application/json"
REF = "#/components/schemas/{model}"

DRAFT_ORDERS: dict[str, Any] = {
    "type": "object",
    "description": "FHIR Bundle of the orders being drafted (ServiceRequests are reviewed).",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"const": "Bundle"},
        # order_review.draft_orders_of: a list; entries that are not resources are ignored
        "entry": {"type": "array"},
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
    412: "No data to work on: no prefetch was sent, and no FHIR server can be used (no "
    "fhirServer, or one that is not on MARROW_CDS_FHIR_ALLOWLIST).",
    413: "Body larger than MARROW_CDS_MAX_BODY_BYTES.",
    415: "Content-Type is not JSON.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying (1 when overloaded, 5 otherwise).",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
OVERLOADED_TEXT = (
    "Overloaded: every evaluation slot of the process stayed busy for "
    "MARROW_CDS_SLOT_WAIT_SECONDS (issue code `throttled`, Retry-After: 1); answered at once, "
    "before any work."
)
UNAVAILABLE_TEXT = {
    "hook": OVERLOADED_TEXT
    + " Or the call spent its time budget, MARROW_CDS_HOOK_DEADLINE_SECONDS (issue code "
    "`timeout`, Retry-After: 5): its work was stopped and no cards were computed.",
    "feedback": OVERLOADED_TEXT
    + " Or the feedback store is unavailable (issue code `transient`): nothing was stored.",
    "discovery": OVERLOADED_TEXT,
}


def _outcome(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_TEXT[status],
        "content": {JSON: {"schema": {"$ref": REF.format(model="OperationOutcome")}}},
    }


def _too_large(service: Service) -> dict[str, Any]:
    """413: the body limit; for order review also the number of draft orders."""
    response = _outcome(413)
    if "draftOrders" in HOOK_CONTEXT.get(service.hook, {}).get("properties", {}):
        from cds_hooks.services.draft_order_review import MAX_DRAFT_ORDER_ENTRIES

        response["description"] += (
            f" Or context.draftOrders has more than {MAX_DRAFT_ORDER_ENTRIES} entries."
        )
    return response


def _unavailable(kind: str) -> dict[str, Any]:
    """503: an OperationOutcome with ``Retry-After`` (errors.Overloaded, DeadlineExceeded,
    ServiceUnavailable)."""
    return {
        "description": UNAVAILABLE_TEXT[kind],
        "headers": RETRY_AFTER,
        "content": {JSON: {"schema": {"$ref": REF.format(model="OperationOutcome")}}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


UNAUTHORIZED = {
    "description": "Bare 401: no, or an unacceptable, client JWT (CDS Hooks security). Empty "
    "body and `WWW-Authenticate: Bearer` (RFC 6750) without an error code: the reason is logged "
    "by the service only.",
    "headers": {
        "WWW-Authenticate": {
            "description": "The Bearer scheme (RFC 6750), no reason disclosed.",
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer( |$)"},
        }
    },
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
        context_properties["patientId"] = {"type": "string", "pattern": f"^{FHIR_ID_PATTERN}$"}
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
                "413": _too_large(service),
                "415": _outcome(415),
                "503": _unavailable("hook"),
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
                "503": _unavailable("feedback"),
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


# (Lone surrogates, Unicode Cs, cannot occur in a JSON text the service parses: orjson refuses
# them, so a pattern need not name them, and regex engines of other languages cannot.)
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
NO_CONTROL_CHARACTERS_IN_TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


def _string_branch(schema: dict[str, Any]) -> dict[str, Any]:
    """The ``type: string`` schema of a property, or of its ``anyOf`` string branch."""
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "string":
            return branch  # type: ignore[no-any-return]
    return schema


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
    # schemas._no_control_characters: stored identifiers and codes carry no control character
    # (Unicode Cc) and no lone surrogate (Cs); free text may carry tab and line breaks.
    for model, name in (
        ("FeedbackItem", "card"),
        ("AcceptedSuggestion", "id"),
        ("OverrideReasonCoding", "code"),
        ("OverrideReasonCoding", "system"),
        ("OverrideReasonCoding", "display"),
    ):
        _string_branch(schemas[model]["properties"][name])["pattern"] = NO_CONTROL_CHARACTERS
    comment = schemas["OverrideReason"]["properties"]["userComment"]
    _string_branch(comment)["pattern"] = NO_CONTROL_CHARACTERS_IN_TEXT
    # schemas._rfc3339 (the shape) and feedback.parse_timestamp (a real instant in years
    # 0001-9999): the date-time format says both
    item["properties"]["outcomeTimestamp"]["pattern"] = RFC3339_DATE_TIME.pattern
    # schemas.FhirAuthorization._bearer: token_type is Bearer (any case)
    token_type = schemas["FhirAuthorization"]["properties"]["token_type"]
    token_type["pattern"] = "^[Bb][Ee][Aa][Rr][Ee][Rr]$"
    return schemas


def limits_description() -> str:
    """README "Limits", as the document states them (defaults; each is configurable)."""
    from cds_hooks.services.draft_order_review import MAX_DRAFT_ORDER_ENTRIES
    from fhir_mappers import REPORT_READING_LIMIT_CHARS, REPORT_READING_LIMIT_SENTENCES

    return (
        '**Limits** (README "Limits"). A request body is at most MARROW_CDS_MAX_BODY_BYTES '
        f"(default {DEFAULT_MAX_BODY_BYTES} bytes; 413 above). Each hook call has a total time "
        "budget, MARROW_CDS_HOOK_DEADLINE_SECONDS (default 3 s, or the fallback fetch budget "
        "MARROW_CDS_FETCH_BUDGET_SECONDS + 1 s when that is larger), counted from its arrival; "
        "the fallback fetch never gets more than what remains of it. When the budget is spent "
        "the work stops and the answer is a 503 OperationOutcome (issue code `timeout`, "
        "Retry-After). Each process evaluates at most MARROW_CDS_EVALUATION_SLOTS calls at once "
        "(default 2); a call that finds them busy for MARROW_CDS_SLOT_WAIT_SECONDS (default "
        "0.25 s) is answered at once with a 503 OperationOutcome (issue code `throttled`, "
        "Retry-After: 1). The report reader reads at most "
        f"{REPORT_READING_LIMIT_CHARS} characters and {REPORT_READING_LIMIT_SENTENCES} "
        "sentences of one report's text; the rest is not read, "
        "and a data-quality card names the report and how much was read. Order review takes at "
        f"most {MAX_DRAFT_ORDER_ENTRIES} draft-order entries (413 above)."
    )


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
                "responses": {
                    "200": _json("The services.", _ref(Discovery)),
                    "401": UNAUTHORIZED,
                    "503": _unavailable("discovery"),
                },
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
                "`jti`); any failure is a bare 401 with `WWW-Authenticate: Bearer`. Probes, "
                "/rules and this document are open.\n\n" + limits_description()
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
