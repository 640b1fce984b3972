"""The marrow-cds command: evaluate (offline), db upgrade, serve (gunicorn, not Flask's server)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from cds_hooks.cli import main as cli
from cds_hooks.storage.migrations import head_revision
from tests.support.service import EXAMPLE


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    db = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("MARROW_CDS_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("MARROW_CDS_PATIENT_HASH_KEY", "cli-test-hash-key-0123456789")
    monkeypatch.setenv("MARROW_CDS_REQUIRE_JWT", "0")
    monkeypatch.setenv("MARROW_CDS_MIGRATE_ON_START", "1")  # restored after serve changes it
    return db


def test_db_upgrade_creates_the_tables(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    tables = set(inspect(create_engine(f"sqlite:///{env}")).get_table_names())
    assert {"feedback", "issued_card", "jwt_replay", "alembic_version"} <= tables
    assert f"revision {head_revision()}" in capsys.readouterr().out
    uniques = inspect(create_engine(f"sqlite:///{env}")).get_unique_constraints("jwt_replay")
    assert [u["column_names"] for u in uniques] == [["iss", "jti"]]


def test_evaluate_without_prefetch_fails_with_operation_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = json.loads(EXAMPLE.read_text())
    del request["prefetch"]
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    assert cli.main(["evaluate", str(path)]) == 1
    outcome = json.loads(capsys.readouterr().err)
    assert outcome["resourceType"] == "OperationOutcome"
    assert "offline" in outcome["issue"][0]["diagnostics"]


def test_evaluate_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{")
    assert cli.main(["evaluate", str(tmp_path / "bad.json")]) == 2
    assert cli.main(["evaluate", str(tmp_path / "missing.json")]) == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-23", "2026-11-23T23:59:59.999999+00:00"),
        ("2026-11-23T10:00:00+01:00", "2026-11-23T09:00:00+00:00"),
        ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00+00:00"),
    ],
)
def test_as_of(value: str, expected: str) -> None:
    assert cli.parse_as_of(value).isoformat() == expected


@pytest.mark.parametrize("value", ["2026-11-23T10:00:00", "tomorrow"])
def test_as_of_rejects_ambiguous_values(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"time zone|ISO"):
        cli.parse_as_of(value)


def test_serve_runs_gunicorn_with_the_app_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    from gunicorn.app.base import BaseApplication

    seen: dict[str, Any] = {}

    def fake_run(self: Any) -> None:
        seen["bind"] = self.cfg.bind
        seen["workers"] = self.cfg.workers
        seen["app"] = self.load()

    monkeypatch.setattr(BaseApplication, "run", fake_run)
    assert cli.main(["serve", "--host", "127.0.0.1", "--port", "8089", "--workers", "3"]) == 0
    assert seen["bind"] == ["127.0.0.1:8089"]
    assert seen["workers"] == 3
    assert seen["app"].name == "cds_hooks"
    assert seen["app"].extensions["marrow_settings"].migrate_on_start is False
