"""A real PostgreSQL server for this tier, started by the test run on loopback.

Debian's server binaries (/usr/lib/postgresql/<version>/bin, installed by tests/servers/install.sh
or `apt-get install postgresql`) are used: `initdb` into a fresh temporary directory, `pg_ctl
start` on a free 127.0.0.1 port with the unix socket in that directory, fsync off (a test
cluster). PostgreSQL refuses to run as root: as root the directory is given to the `postgres`
user and the binaries run through `runuser -u postgres --`. Where the binaries or that user are
missing, the tests skip and say why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    run_as: list[str]

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://marrow@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=90)

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=on -c full_page_writes=off"
        )
        self.pg_ctl(
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-w", "-m", mode, "stop", check=False)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="marrow", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_url(name)


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root and runuser is missing: PostgreSQL refuses to run as root")
    return [runuser, "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = find_pg_bin()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        pytest.skip("PostgreSQL server binaries not found (make test-servers installs them)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    run_as = _run_as()
    root = Path(tempfile.mkdtemp(prefix="marrow-pg-"))
    if run_as:
        entry = pwd.getpwnam("postgres")
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(bin_dir=bin_dir, root=root, port=free_port(), run_as=run_as)
    initdb = subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(server.data_dir),
            "-U",
            "marrow",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if initdb.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed: {initdb.stderr.strip()[-300:]}")
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {(exc.stderr or '')[-200:]} {log[-300:]}")
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def database_url(postgres: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database per test."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    return postgres.create_database(name)
