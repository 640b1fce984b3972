"""The one app factory of the tests: the real app (`cds_hooks.create_app`) on a SQLite file in a
temporary folder, and its clean-up.

- `build_app(tmp, **env)`: settings passed as data (`MARROW_CDS_*` by short name, e.g.
  `REQUIRE_JWT="1"`); JWT verification off unless asked for.
- `running_app(tmp, **env)`: the same as a generator for module-scoped fixtures (closed after).
- `jwt_app(tmp_path, monkeypatch, client=...)`: settings read from the environment as in
  production, JWT verification on and `client`'s key trusted.

Every app made here is closed after each test by the autouse fixture of tests/conftest.py
(`close_apps`): background writer, outbound FHIR session, database pool.
"""

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
from cds_hooks.settings import Settings
from tests.support.jwt import ISS, JWKS_URL, Client, jwks_of

BASE = "http://localhost"  # the Flask test client's base URL
PATIENT_HASH_KEY = "test-patient-hash-key-0123456789"
TRIAL_BASE_URL = "https://cds.example.org"  # the public base URL of a local trial
SERVICE_LOGGERS = ("cds_hooks", "marrow_cds", "fhir_mappers", "logic")
_APPS: list[Flask] = []  # made here, closed by close_apps after each test


def build_app(tmp: Path, **env: str) -> Flask:
    """The app with a SQLite file in `tmp`, JWT verification off; extra `MARROW_CDS_*` settings
    by short name (`FHIR_ALLOWLIST="..."`, `REQUIRE_JWT="1"`). Closed after the test."""
    return _made(_create(tmp, **env))


def running_app(tmp: Path, **env: str) -> Iterator[Flask]:
    """`build_app` for a fixture of any scope (not closed after each test): yields the app,
    closes it when the fixture ends."""
    app = _create(tmp, **env)
    yield app
    close_app(app)


def _create(tmp: Path, **env: str) -> Flask:
    settings = {
        "MARROW_CDS_DATABASE_URL": f"sqlite:///{tmp / 'service.sqlite3'}",
        "MARROW_CDS_PATIENT_HASH_KEY": PATIENT_HASH_KEY,
        "MARROW_CDS_REQUIRE_JWT": "0",
        **{f"MARROW_CDS_{name}": value for name, value in env.items()},
    }
    app = create_app(Settings.from_env(settings, instance_path=tmp / "instance"))
    app.config["TESTING"] = True
    return app


def trial_app(tmp: Path, **env: str) -> Iterator[Flask]:
    """A local trial (no JWT, the public base URL of the examples), for tests that post hook
    requests as a clinician's EHR would."""
    yield from running_app(tmp, **{"PUBLIC_BASE_URL": TRIAL_BASE_URL, **env})


def write_issuers(path: Path, *entries: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps({"issuers": list(entries)}))
    return path


def jwt_app(
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
    monkeypatch.setenv("MARROW_CDS_PATIENT_HASH_KEY", PATIENT_HASH_KEY)
    monkeypatch.setenv("MARROW_CDS_REQUIRE_JWT", "1")
    monkeypatch.setenv("MARROW_CDS_PUBLIC_BASE_URL", BASE)  # the audience tokens must name
    if client is not None:
        entry = {"iss": client.iss, "jwks_url": JWKS_URL, "jwks": jwks_of(client.key)}
        issuers = write_issuers(tmp_path / "trusted-issuers.json", entry)
        monkeypatch.setenv("MARROW_CDS_TRUSTED_ISSUERS", str(issuers))
    for name, value in env.items():
        monkeypatch.setenv(f"MARROW_CDS_{name}", value)
    return _made(create_app())


def _made(app: Flask) -> Flask:
    app.config["TESTING"] = True
    _APPS.append(app)
    return app


def close_app(app: Flask) -> None:
    """Wait for background writes, close the outbound session and the database pool."""
    for name in ("marrow_recorder", "marrow_fhir"):
        extension = app.extensions.get(name)
        if extension is not None:
            extension.close()
    store = app.extensions.get("marrow_store")
    if store is not None:
        store.engine.dispose()


def close_apps() -> None:
    """Close every app made here and not closed yet (tests/conftest.py, after each test)."""
    while _APPS:
        close_app(_APPS.pop())


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


__all__ = [
    "BASE",
    "ISS",
    "bearer",
    "build_app",
    "captured_logs",
    "close_app",
    "close_apps",
    "jwt_app",
    "running_app",
    "trial_app",
    "write_issuers",
]
