"""CORS for browser clients (the CDS Hooks sandbox) on discovery, service and feedback URLs.

Preflight (OPTIONS) answers allow ``Authorization`` and ``Content-Type``. Origins come from
MARROW_CDS_CORS_ORIGINS: ``*`` (default) or a comma-separated list, echoed back with
``Vary: Origin``. ``*`` is acceptable here because no cookie or browser credential is honoured:
every call must carry its JWT in ``Authorization`` (README "CORS").
"""

from __future__ import annotations

from flask import Flask, Response, request

from cds_hooks.settings import Settings

CORS_PREFIX = "/cds-services"
ALLOW_HEADERS = "Authorization, Content-Type"
ALLOW_METHODS = "GET, POST, OPTIONS"
MAX_AGE = "600"


def init_app(app: Flask, settings: Settings) -> None:
    origins = settings.cors_origins
    any_origin = "*" in origins

    @app.after_request
    def _cors(response: Response) -> Response:
        path = request.path
        if not (path == CORS_PREFIX or path.startswith(CORS_PREFIX + "/")):
            return response
        origin = request.headers.get("Origin")
        if any_origin:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin is not None and origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.vary.add("Origin")
        else:
            response.vary.add("Origin")
            return response
        if request.method == "OPTIONS":
            if response.status_code == 200 and not response.get_data():
                response.status_code = 204  # a preflight answer has no content
                del response.headers["Content-Type"]
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = MAX_AGE
            if request.headers.get("Access-Control-Request-Private-Network") == "true":
                # Chrome's Private Network Access: the public sandbox calling a local service.
                response.headers["Access-Control-Allow-Private-Network"] = "true"
        return response
