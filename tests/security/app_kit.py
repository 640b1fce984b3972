"""Build the real app (cds_hooks.create_app) for tests, with a trusted test issuer."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cds_hooks import create_app
from cds_hooks.logs import JsonFormatter, RedactingFilter

from .jwt_kit import ISS, JWKS_URL, Client, jwks_of

BASE = "http://localhost"  # the Flask test client's base URL
SERVICE_LOGGERS = ("cds_hooks", "marrow_cds", "fhir_mappers", "logic")
_APPS: list[Flask] = []  # made by make_app, closed by close_apps after each test


def write_issuers(path: Path, *entries: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps({"issuers": list(entries)}))
    return path


def make_app(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    client: Client | None = None,
    database: str | None = None,
    **env: str,
) -> Flask:
    """The app with a SQLite file DB in tmp_path and `client`'s key trusted (inline + jku)."""
    monkeypatch.setenv(
        "MARROW_CDS_DATABASE_URL", database or f"sqlite:///{tmp_path / 'marrow.sqlite3'}"
    )
    monkeypatch.setenv("MARROW_CDS_PATIENT_HASH_KEY", "test-patient-hash-key-0123456789")
    monkeypatch.setenv("MARROW_CDS_REQUIRE_JWT", "1")
    monkeypatch.setenv("MARROW_CDS_PUBLIC_BASE_URL", BASE)  # the audience tokens must name
    if client is not None:
        entry = {"iss": client.iss, "jwks_url": JWKS_URL, "jwks": jwks_of(client.key)}
        issuers = write_issuers(tmp_path / "trusted-issuers.json", entry)
        monkeypatch.setenv("MARROW_CDS_TRUSTED_ISSUERS", str(issuers))
    for name, value in env.items():
        monkeypatch.setenv(f"MARROW_CDS_{name}", value)
    app = create_app()
    app.config.update(TESTING=True)
    _APPS.append(app)
    return app


def close_apps() -> None:
    """Wait for background writes, close outbound sessions and database pools of the apps made."""
    while _APPS:
        app = _APPS.pop()
        recorder = app.extensions.get("marrow_recorder")
        if recorder is not None:
            recorder.close()
        fhir = app.extensions.get("marrow_fhir")
        if fhir is not None:
            fhir.close()
        store = app.extensions.get("marrow_store")
        if store is not None:
            store.engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Everything the service logs, formatted exactly as in production (JSON + redaction)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    loggers = [logging.getLogger(name) for name in SERVICE_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


__all__ = ["BASE", "ISS", "bearer", "captured_logs", "close_apps", "make_app", "write_issuers"]
