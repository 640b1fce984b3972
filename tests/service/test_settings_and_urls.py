"""Settings from MARROW_CDS_ variables; the FHIR allowlist matched on parsed URL parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds_hooks.ehr.allowlist import UrlPrefix, parse_allowlist, under_prefix
from cds_hooks.ehr.fhir_client import BearerToken
from cds_hooks.ehr.prefetch import render_template
from cds_hooks.settings import Settings, SettingsError


def test_defaults(tmp_path: Path) -> None:
    trial = {"MARROW_CDS_REQUIRE_JWT": "0"}  # with JWTs on, PUBLIC_BASE_URL is required
    settings = Settings.from_env(trial, instance_path=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'marrow-cds.sqlite3'}"
    assert settings.fetch_budget_s == 2.0
    assert settings.fhir_allowlist == ()
    assert settings.cors_origins == ("*",)
    assert len(settings.patient_hash_key) >= 32
    assert (
        Settings.from_env(trial, instance_path=tmp_path).patient_hash_key
        == settings.patient_hash_key
    )  # created once, then reused
    assert "patient_hash_key" not in repr(settings)


def test_values_are_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "MARROW_CDS_DATABASE_URL": "postgresql+psycopg://u:p@db/marrow",
            "MARROW_CDS_FHIR_ALLOWLIST": "https://a.example/fhir, https://b.example/r4",
            "MARROW_CDS_FETCH_BUDGET_SECONDS": "1.5",
            "MARROW_CDS_CORS_ORIGINS": "https://sandbox.cds-hooks.org",
            "MARROW_CDS_PUBLIC_BASE_URL": "https://cds.example.org/",
            "MARROW_CDS_PATIENT_HASH_KEY": "k" * 32,
            "MARROW_CDS_MIGRATE_ON_START": "0",
            "MARROW_CDS_LOG_LEVEL": "debug",
        },
        instance_path=tmp_path,
    )
    assert settings.fhir_allowlist == ("https://a.example/fhir", "https://b.example/r4")
    assert settings.fetch_budget_s == 1.5
    assert settings.public_base_url == "https://cds.example.org"
    assert settings.migrate_on_start is False
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FETCH_BUDGET_SECONDS", "soon"),
        ("FETCH_BUDGET_SECONDS", "0"),
        ("MAX_BODY_BYTES", "-1"),
        ("MIGRATE_ON_START", "maybe"),
        ("LOG_LEVEL", "LOUD"),
        ("PATIENT_HASH_KEY", "short"),
    ],
)
def test_bad_values_stop_start_up(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({f"MARROW_CDS_{name}": value}, instance_path=tmp_path)


ALLOWED = UrlPrefix.parse("https://ehr.example.org/fhir")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://ehr.example.org/fhir", True),
        ("https://ehr.example.org/fhir/", True),
        ("https://ehr.example.org/fhir/Patient/1?x=y", True),
        ("https://EHR.example.org:443/fhir/Patient/1", True),
        ("https://ehr.example.org.evil.com/fhir/Patient/1", False),
        ("https://ehr.example.org/fhirevil/Patient/1", False),
        ("https://ehr.example.org/other", False),
        ("https://ehr.example.org:8443/fhir/Patient/1", False),
        ("http://ehr.example.org/fhir/Patient/1", False),
        ("https://attacker@ehr.example.org/fhir/Patient/1", False),
        ("https://ehr.example.org/fhir/../admin", False),
        ("https://ehr.example.org/fhir/%2e%2e/admin", False),
        ("ftp://ehr.example.org/fhir", False),
        ("/fhir/Patient/1", False),
        ("https://ehr.example.org:99999/fhir", False),
    ],
)
def test_allowlist_matches_parsed_parts(url: str, allowed: bool) -> None:
    assert ALLOWED is not None
    assert under_prefix(url, ALLOWED) is allowed


def test_http_only_for_loopback() -> None:
    assert parse_allowlist(
        ["http://127.0.0.1:8080/fhir", "http://localhost/fhir", "http://[::1]:9000/fhir"]
    )
    with pytest.raises(SettingsError, match="https"):
        parse_allowlist(["http://ehr.example.org/fhir"])


def test_bearer_token_never_appears_in_repr() -> None:
    token = BearerToken("s3cr3t")
    assert "s3cr3t" not in repr(token)
    assert "s3cr3t" not in str(token)


@pytest.mark.parametrize(
    ("template", "context", "expected"),
    [
        ("Patient/{{context.patientId}}", {"patientId": "123"}, "Patient/123"),
        (
            "Observation?patient={{context.patientId}}",
            {"patientId": "a&b=c"},
            "Observation?patient=a%26b%3Dc",
        ),
        ("Practitioner/{{userPractitionerId}}", {"userId": "Practitioner/77"}, "Practitioner/77"),
        ("Practitioner/{{userPractitionerId}}", {"userId": "PractitionerRole/77"}, None),
        ("Encounter/{{context.encounterId}}", {"patientId": "1"}, None),
        ("Patient/{{ context.patientId }}", {"patientId": "9"}, "Patient/9"),
    ],
)
def test_render_template(template: str, context: dict[str, str], expected: str | None) -> None:
    assert render_template(template, context) == expected


def test_instance_path_variable_decides_where_the_defaults_live(tmp_path: Path) -> None:
    chosen = tmp_path / "volume"
    settings = Settings.from_env(
        {"MARROW_CDS_REQUIRE_JWT": "0", "MARROW_CDS_INSTANCE_PATH": str(chosen)},
        instance_path=tmp_path / "flask-default",
    )
    assert settings.database_url == f"sqlite:///{chosen / 'marrow-cds.sqlite3'}"
    assert (chosen / "patient-id-hash.key").exists()
    assert not (tmp_path / "flask-default").exists()
