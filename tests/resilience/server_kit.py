"""Run `marrow-cds serve` (gunicorn) as a subprocess on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def marrow_cds_command() -> str:
    candidate = Path(sys.executable).parent / "marrow-cds"
    found = str(candidate) if candidate.exists() else shutil.which("marrow-cds")
    if found is None:
        pytest.skip("the marrow-cds command is not installed (pip install -e .)")
    return found


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def kill_hard(self) -> None:
        """SIGKILL the whole process group: gunicorn master and every worker, no clean-up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_hard()


def start_server(workdir: Path, env: Mapping[str, str], workers: int = 2) -> RunningServer:
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MARROW_CDS_")}
    # As `make serve` does: the base URL clients call (JWT `aud`, card links) is where it listens.
    full_env["MARROW_CDS_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    full_env.update(env)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                marrow_cds_command(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=workdir,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the test can kill all of it
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"marrow-cds serve exited: {log_path.read_text()[-2000:]}")
        try:
            if requests.get(f"{server.base_url}/readyz", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.1)
    server.kill_hard()
    pytest.fail(f"marrow-cds serve did not become ready: {log_path.read_text()[-2000:]}")
