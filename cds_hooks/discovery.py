"""``GET /cds-services``: the discovery document (CDS-HOOKS.md "Discovery")."""

from __future__ import annotations

from flask import Blueprint, Response

from cds_hooks.services.registry import registry

from .schemas import Discovery, ServiceDescription
from .wire import json_response

bp = Blueprint("discovery", __name__)


def discovery_document() -> Discovery:
    return Discovery(
        services=[
            ServiceDescription(
                hook=service.hook,
                title=service.title,
                description=service.description,
                id=service.id,
                prefetch=service.prefetch_queries() or None,
                usageRequirements=service.usage_requirements,
            )
            for service in registry().values()
        ]
    )


@bp.get("/cds-services")
def discovery() -> Response:
    return json_response(discovery_document())
