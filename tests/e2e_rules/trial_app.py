"""The real app in a local-trial configuration (no JWT), for tests that post hook requests.

@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Flask]:
    yield from trial_app(tmp_path_factory.mktemp("name"))
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import Flask

from cds_hooks import create_app
from cds_hooks.settings import Settings


def trial_app(tmp: Path, **env: str) -> Iterator[Flask]:
    """The app with a SQLite file in `tmp`, JWT off; extra `MARROW_CDS_*` settings by name
    (`FHIR_ALLOWLIST="..."`). Closed afterwards: background writer, FHIR session, database."""
    settings = {
        "MARROW_CDS_DATABASE_URL": f"sqlite:///{tmp / 'service.sqlite3'}",
        "MARROW_CDS_PATIENT_HASH_KEY": "test-patient-hash-key-0123456789",
        "MARROW_CDS_REQUIRE_JWT": "0",
        "MARROW_CDS_PUBLIC_BASE_URL": "https://cds.example.org",
        **{f"MARROW_CDS_{name}": value for name, value in env.items()},
    }
    application = create_app(Settings.from_env(settings, instance_path=tmp / "instance"))
    application.config["TESTING"] = True
    yield application
    for name in ("marrow_recorder", "marrow_fhir"):
        extension = application.extensions.get(name)
        if extension is not None:
            extension.close()
    store = application.extensions.get("marrow_store")
    if store is not None:
        store.engine.dispose()
