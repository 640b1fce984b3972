"""The conformance tests use the service-test fixtures (app on tmp_path SQLite, FHIR mock)."""

from service.conftest import (  # noqa: F401  (fixtures re-exported for this directory)
    app,
    client,
    example_request,
    fhir,
    make_app,
    mapper_calls,
)
