"""JSON logs: one line per request with hookInstance; never a token or patient data."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from cds_hooks.logs import JsonFormatter, RedactingFilter, redact
from tests.support.service import FHIR, PATIENT_ID, TOKEN, post_hook, request_without_prefetch


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_one_request_line_with_hook_instance_service_status_duration(
    client: FlaskClient,
    example_request: dict[str, Any],
    mapper_calls: list[Any],
    capfd: pytest.CaptureFixture[str],
) -> None:
    capfd.readouterr()
    post_hook(client, example_request)
    lines = [e for e in json_lines(capfd.readouterr().err) if e["logger"] == "marrow_cds.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["hookInstance"] == example_request["hookInstance"]
    assert line["service"] == "heterogeneous-marrow"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["rule_ids"] == ["R0"]


def test_no_token_or_patient_data_in_logs_of_a_failing_fetch(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
    capfd: pytest.CaptureFixture[str],
) -> None:
    for path in (f"Patient/{PATIENT_ID}", "Observation", "DiagnosticReport", "Condition"):
        fhir.get(f"{FHIR}/{path}", status=401)
    body = request_without_prefetch(example_request)
    capfd.readouterr()
    post_hook(client, body, headers={"Authorization": "Bearer eyJhbGciOiJFUzM4NCJ9.e30.sig"})
    post_hook(client, {**body, "hook": "order-sign"})
    err = capfd.readouterr().err
    assert json_lines(err)
    for secret in (TOKEN, PATIENT_ID, "Margaret", "eyJhbGciOiJFUzM4NCJ9"):
        assert secret not in err


@pytest.mark.parametrize(
    "message",
    [
        "Authorization: Bearer abc.def.ghi",
        "headers={'Authorization': 'Bearer s3cr3t'}",
        '{"access_token": "s3cr3t", "token_type": "Bearer"}',
        "token eyJhbGciOiJSUzM4NCJ9.eyJpc3MiOiJ4In0.c2ln",
    ],
)
def test_redaction_of_credentials(message: str) -> None:
    redacted = redact(message)
    for secret in ("abc.def.ghi", "s3cr3t", "eyJhbGciOiJSUzM4NCJ9"):
        assert secret not in redacted


def test_formatter_and_filter_never_print_authorization_or_exception_messages() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("cds_hooks.test_logs")
    logger.addHandler(handler)
    try:
        logger.warning(
            "sent %s",
            "Authorization: Bearer topsecret",
            extra={"hookInstance": "h-1", "patient": "Patient/123"},
        )
        try:
            raise ValueError("patient Jane Doe, MRN 0042")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "topsecret" not in text
    assert "Patient/123" not in text  # not a SAFE_FIELD: dropped
    assert "Jane Doe" not in text
    assert "0042" not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["hookInstance"] == "h-1"
    assert second["exception"] == "ValueError"
