"""Probes: ``/healthz`` (the process answers) and ``/readyz`` (database reachable, schema at the
Alembic head). Neither needs a token; neither says more than ok / what is wrong."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy.exc import SQLAlchemyError

from .migrations import current_revision, head_revision
from .wire import json_body

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return json_body({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    engine = current_app.extensions["marrow_store"].engine
    try:
        current = current_revision(engine)
    except SQLAlchemyError:
        return json_body({"status": "unavailable", "database": "unreachable"}, status=503)
    head = head_revision()
    if current != head:
        return json_body(
            {
                "status": "unavailable",
                "database": "reachable",
                "migrations": f"at {current or 'none'}, head is {head}",
            },
            status=503,
        )
    return json_body({"status": "ready", "database": "reachable", "migrations": "at head"})
