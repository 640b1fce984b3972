"""Trusting the CDS Hooks sandbox is logged as a WARNING at start-up (security review #9: the
sandbox's private signing key is in its public repository, so anybody can sign as it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_ISSUERS = ROOT / "examples" / "trusted-issuers.sandbox.json"


def _warnings(err: str) -> list[str]:
    return [
        line
        for line in err.splitlines()
        if '"level":"WARNING"' in line and "sandbox" in line and "trusted issuer" in line
    ]


def test_trusting_the_sandbox_logs_a_warning_at_start_up(
    make_app: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    make_app(
        REQUIRE_JWT="1",
        PUBLIC_BASE_URL="http://127.0.0.1:8080",
        TRUSTED_ISSUERS=str(SANDBOX_ISSUERS),
    )
    warnings = _warnings(capfd.readouterr().err)
    assert len(warnings) == 1
    assert "synthetic data" in warnings[0]
    assert "never with real patient data" in warnings[0]


def test_trusting_another_issuer_logs_no_sandbox_warning(
    make_app: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(SANDBOX_ISSUERS.read_text())
    document["issuers"][0]["iss"] = "https://ehr.hospital.example"
    document["issuers"][0]["jwks_url"] = "https://ehr.hospital.example/.well-known/jwks.json"
    issuers = tmp_path / "hospital.json"
    issuers.write_text(json.dumps(document))
    make_app(
        REQUIRE_JWT="1",
        PUBLIC_BASE_URL="http://127.0.0.1:8080",
        TRUSTED_ISSUERS=str(issuers),
    )
    assert _warnings(capfd.readouterr().err) == []
