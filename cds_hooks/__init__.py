"""Marrow CDS: a CDS Hooks 2.0 service (Flask app factory).

``create_app()`` reads the MARROW_CDS_ settings once, opens the database (and migrates it unless
MARROW_CDS_MIGRATE_ON_START=0), builds the one FHIR client and the issued-card recorder, installs
THE error handler, CORS, JWT verification (``auth``) and the request log, and registers the
blueprints: discovery, hooks, feedback, probes (and the rules page / OpenAPI document when those
modules are present).
"""

from __future__ import annotations

import gc
import importlib
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from .settings import Settings

log = logging.getLogger(__name__)

__all__ = ["Database", "create_app"]


@dataclass(frozen=True)
class Database:
    """``app.extensions["marrow_store"]``: the engine shared by feedback, cards and jti replay."""

    engine: Engine


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """The Flask app. ``settings`` default: ``Settings.from_env`` with the Flask instance folder
    as the home of the SQLite file and hash key; ``overrides`` replace settings fields."""
    from cds_hooks.ehr.fhir_client import FhirClient
    from cds_hooks.storage.card_recorder import CardRecorder
    from cds_hooks.storage.migrations import upgrade
    from cds_hooks.storage.records import make_engine

    from . import discovery, feedback, health, hooks
    from .errors import register_error_handlers
    from .logs import configure_logging, log_request
    from .security import cors

    app = Flask(__name__, instance_relative_config=True)
    if settings is None:
        settings = Settings.from_env(instance_path=app.instance_path, **overrides)
    elif overrides:
        settings = replace(settings, **overrides)
    configure_logging(settings.log_level)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["marrow_settings"] = settings

    engine = make_engine(settings.database_url)
    app.extensions["marrow_store"] = Database(engine)
    if settings.migrate_on_start:
        try:
            upgrade(engine)
        except SQLAlchemyError as exc:  # hooks still answer; /readyz says not ready
            log.error("database migration failed at start", extra={"error": type(exc).__name__})
    app.extensions["marrow_fhir"] = FhirClient(settings)
    _warm_up()
    app.extensions["marrow_recorder"] = CardRecorder(engine, settings.patient_hash_key)

    register_error_handlers(app)

    @app.before_request
    def _start_request_log() -> None:
        g.request_started = time.perf_counter()
        g.log_fields = {}

    @app.after_request
    def _write_request_log(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None and request.path != "/healthz":
            fields = g.get("log_fields", {})
            log_request(
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                **fields,
            )
        return response

    _install_auth(app, settings, engine)
    cors.init_app(app, settings)
    for module in (discovery, hooks, feedback, health):
        app.register_blueprint(module.bp)
    for optional in ("rules_page", "openapi", "smart_app.views"):  # modules, when present
        try:
            module = importlib.import_module(f"{__name__}.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{optional}":
                raise
            continue
        app.register_blueprint(module.bp)

    freeze_startup_heap()
    return app


_heap_frozen = False


def freeze_startup_heap() -> None:
    """Move what start-up built (modules, the R4B and pydantic models, the reader's tables:
    some 180,000 objects) out of the cyclic garbage collector's reach, once per process.

    A full collection walks every tracked object; a request with 1,000 Observations promotes
    tens of thousands of objects, so without this a full collection of the whole start-up heap
    ran every few such requests (most of a large request's cost). Only the first app of a
    process is frozen (a test session creating many apps does not freeze each one: a frozen
    object that later becomes cyclic garbage is never collected).

    The youngest generation is then collected every `YOUNG_GC_THRESHOLD` net allocations instead
    of every 700: a request's parsed body (some 30,000 dicts and lists at 1,000 Observations)
    has no cycles and is freed by reference counting when the call ends, and with the default it
    was walked some 26 times a call, and promoted and walked again in the older generations
    (about 1 ms of a 10 ms call). Cyclic garbage is still collected, a little later."""
    global _heap_frozen
    if _heap_frozen:
        return
    _heap_frozen = True
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, oldest)


#: Net allocations of container objects between two collections of the youngest generation
#: (CPython's default: 700). Above the live objects of a 1,000-Observation call.
YOUNG_GC_THRESHOLD = 50_000


def _warm_up() -> None:
    """Load the mapper's UCUM registry and models now, so that no request pays for them."""
    import fhir_mappers

    warm_up = getattr(fhir_mappers, "warm_up", None)
    if warm_up is not None:
        warm_up()


def _install_auth(app: Flask, settings: Settings, engine: Engine) -> None:
    """JWT verification of CDS clients (``auth``; off only with MARROW_CDS_REQUIRE_JWT=0)."""
    from .security import auth

    auth.init_app(app, settings, engine)
