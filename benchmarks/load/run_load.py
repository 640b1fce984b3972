"""Load test of patient-view through `marrow-cds serve` on loopback, with locust.

    python benchmarks/load/run_load.py [--users 50] [--duration 60] [--workers 2]
                                       [--observations 150] [--feedback-every 10]
                                       [--request typical|example|FILE] [--set NAME=VALUE ...]

Starts the service (gunicorn, N workers, SQLite in a temporary folder, JWT verification ON with
a throw-away ES384 client key as the only trusted issuer), runs locust headless against it
(locustfile.py: each user a closed loop of patient-view calls with a typical prefetch, plus a
feedback call now and then), samples the resident memory of the gunicorn master and workers
every 0.25 s, then prints p50/p95/p99, throughput, errors and peak memory. Locust runs on the
same machine and competes for its CPUs: the figures are a floor for a dedicated host.

Beyond the capacity of the workers the service answers 503 + Retry-After at once (issue 16,
README "Limits"): the patient-view summary counts every answer by status, the 200-rate, the
p50/p99 of the 200s, the slowest answer of any status, and the share answered within 2 s (what
an EHR waits). `--request example` sends examples/patient-view-heterogeneous-marrow.json;
`--set MARROW_CDS_EVALUATION_SLOTS=4` passes a setting to the service. Loopback only; keep runs
short (60 s or less).

A script that prints figures; nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests
from joserfc.jwk import ECKey

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ISS = "https://load-test-ehr.example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RssSampler(threading.Thread):
    """Peak RSS of a process and its children (the sum, and the largest single process)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_total = 0
        self.peak_single = 0
        self.processes = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                rss = [p.memory_info().rss for p in procs]
            except psutil.Error:
                rss = []
            if rss:
                self.peak_total = max(self.peak_total, sum(rss))
                self.peak_single = max(self.peak_single, max(rss))
                self.processes = max(self.processes, len(rss))
            self.stop_event.wait(self.interval)


EXAMPLE = HERE.parents[1] / "examples" / "patient-view-heterogeneous-marrow.json"


def start_service(
    workdir: Path, port: int, workers: int, threads: int, issuers: Path, extra: dict[str, str]
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARROW_CDS_")}
    env.update(
        MARROW_CDS_DATABASE_URL=f"sqlite:///{workdir / 'load.sqlite3'}",
        MARROW_CDS_PATIENT_HASH_KEY="load-test-hash-key-0123456789abcdef",
        MARROW_CDS_REQUIRE_JWT="1",
        MARROW_CDS_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",  # JWT `aud` and card links
        MARROW_CDS_TRUSTED_ISSUERS=str(issuers),
        MARROW_CDS_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            str(BIN / "marrow-cds"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"marrow-cds serve exited:\n{(workdir / 'server.log').read_text()[-3000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    sys.exit("marrow-cds serve did not become ready")


def percentile(histogram: dict[int, int], fraction: float) -> int:
    """The response time (ms) below which `fraction` of the requests fall."""
    total = sum(histogram.values())
    seen = 0
    for millis in sorted(histogram):
        seen += histogram[millis]
        if seen >= fraction * total:
            return millis
    return max(histogram, default=0)


def _row(name: str, entries: list[dict]) -> dict:
    histogram: dict[int, int] = {}
    for entry in entries:
        for millis, count in entry["response_times"].items():
            histogram[int(millis)] = histogram.get(int(millis), 0) + count
    requests_ = sum(e["num_requests"] for e in entries)
    elapsed = max(e["last_request_timestamp"] for e in entries) - min(
        e["start_time"] for e in entries
    )
    return {
        "name": name,
        "count": requests_,
        "errors": sum(e["num_failures"] for e in entries),
        "rps": requests_ / max(elapsed, 1e-9),
        "p50": percentile(histogram, 0.50),
        "p95": percentile(histogram, 0.95),
        "p99": percentile(histogram, 0.99),
        "max": max(e["max_response_time"] for e in entries),
    }


def summarise(stats_file: Path) -> list[dict]:
    """Per request name, then all together: count, errors, req/s, p50/p95/p99/max (ms)."""
    entries = [e for e in json.loads(stats_file.read_text()) if e["num_requests"]]
    rows = [_row(e["name"], [e]) for e in entries]
    if len(entries) > 1:
        rows.append(_row("all", entries))
    return rows


#: The first seconds, while every client opens its connection at once: gunicorn's gthread worker
#: accepts one new connection per turn of its event loop, so some first calls wait in the
#: listen backlog (reported apart).
SETTLE_S = 2.0


def answers_summary(results_file: Path) -> dict | None:
    """patient-view answers by status: 200-rate, p50/p99 of the 200s, slowest answer, <= 2 s."""
    if not results_file.exists():
        return None
    results = json.loads(results_file.read_text())
    if not results:
        return None
    by_status: dict[int, int] = {}
    for status, *_ in results:
        by_status[status] = by_status.get(status, 0) + 1
    ok = sorted(ms for status, ms, *_ in results if status == 200)
    answered = [ms for status, ms, *_ in results if status]

    def pick(values: list[float], fraction: float) -> float:
        return values[min(len(values) - 1, int(fraction * len(values)))] if values else 0.0

    first = min(entry[2] for entry in results) if len(results[0]) > 2 else 0.0
    settled = [ms for status, ms, started, *_ in results if started - first >= SETTLE_S]
    return {
        "settled": len(settled),
        "settled_within_2s": sum(1 for ms in settled if ms <= 2000) / max(len(settled), 1),
        "settled_slowest": max(settled, default=0.0),
        "total": len(results),
        "by_status": dict(sorted(by_status.items())),
        "ok_rate": len(ok) / len(results),
        "ok_p50": pick(ok, 0.50),
        "ok_p99": pick(ok, 0.99),
        "slowest": max(answered, default=0.0),
        "within_2s": sum(1 for ms in answered if ms <= 2000) / len(results),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads per worker")
    parser.add_argument("--observations", type=int, default=150)
    parser.add_argument("--feedback-every", type=int, default=10)
    parser.add_argument(
        "--request", default="typical", help="typical | example | a hook request file"
    )
    parser.add_argument(
        "--results", type=Path, help="keep the per-call answers (JSON) here, the server log beside"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="service setting"
    )
    args = parser.parse_args()
    if args.duration > 60:
        parser.error("--duration: keep load runs at 60 s or less")
    request_file = {"typical": "typical", "example": str(EXAMPLE)}.get(
        args.request, str(Path(args.request).resolve())
    )
    extra = dict(item.split("=", 1) for item in args.set)

    with tempfile.TemporaryDirectory(prefix="marrow-load-") as tmp:
        workdir = Path(tmp)
        key = ECKey.generate_key("P-384", parameters={"kid": "load-1", "alg": "ES384"})
        key_path = workdir / "client-key.json"
        key_path.write_text(json.dumps(key.as_dict(private=True)))
        issuers = workdir / "trusted-issuers.json"
        issuers.write_text(
            json.dumps({"issuers": [{"iss": ISS, "jwks": {"keys": [key.as_dict(private=False)]}}]})
        )
        port = free_port()
        server = start_service(workdir, port, args.workers, args.threads, issuers, extra)
        sampler = RssSampler(server.pid)
        sampler.start()
        prefix = workdir / "locust"
        env = dict(
            os.environ,
            MARROW_LOAD_KEY=str(key_path),
            MARROW_LOAD_OBSERVATIONS=str(args.observations),
            MARROW_LOAD_FEEDBACK_EVERY=str(args.feedback_every),
            MARROW_LOAD_REQUEST=request_file,
            MARROW_LOAD_RESULTS=str(workdir / "answers.json"),
        )
        try:
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(HERE / "locustfile.py"),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    str(args.users),
                    "-t",
                    f"{args.duration}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--json-file",
                    str(prefix),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                    "--stop-timeout",
                    "10",
                ],
                env=env,
                check=False,
                timeout=args.duration + 120,
            )
        finally:
            sampler.stop_event.set()
            sampler.join()
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        rows = summarise(workdir / "locust.json")
        answers = answers_summary(workdir / "answers.json")
        if args.results and (workdir / "answers.json").exists():
            args.results.write_bytes((workdir / "answers.json").read_bytes())
            server_log = args.results.with_suffix(".server.log")
            server_log.write_bytes((workdir / "server.log").read_bytes())

    print()
    settings = " ".join(args.set) or "default settings"
    print(
        f"marrow-cds serve: {args.workers} gunicorn workers (gthread x {args.threads}), SQLite, "
        f"JWT on, {settings}"
    )
    what = (
        f"{args.observations} lab Observations in prefetch"
        if request_file == "typical"
        else Path(request_file).name
    )
    print(
        f"load: {args.users} concurrent clients, {args.duration} s, no think time, "
        f"patient-view with {what} (+ 1 feedback per {args.feedback_every} calls)"
    )
    print(
        f"{'request':<14}{'count':>8}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'max ms':>9}"
    )
    for row in rows:
        print(
            f"{row['name']:<14}{row['count']:>8}{row['errors']:>8}{row['rps']:>8.1f}"
            f"{row['p50']:>9}{row['p95']:>9}{row['p99']:>9}{row['max']:>9.0f}"
        )
    if answers is not None:
        statuses = ", ".join(f"{k or 'no answer'}: {v}" for k, v in answers["by_status"].items())
        print(
            f"patient-view answers: {answers['total']} ({statuses}); 200-rate "
            f"{answers['ok_rate']:.1%}; 200s p50 {answers['ok_p50']:.0f} ms, p99 "
            f"{answers['ok_p99']:.0f} ms; slowest answer {answers['slowest']:.0f} ms; answered "
            f"within 2 s: {answers['within_2s']:.1%}"
        )
        print(
            f"after the first {SETTLE_S:g} s (all clients connecting at once): "
            f"{answers['settled']} answers, {answers['settled_within_2s']:.1%} within 2 s, "
            f"slowest {answers['settled_slowest']:.0f} ms"
        )
    print(
        f"peak RSS: {sampler.peak_total / 2**20:.0f} MiB for master + workers "
        f"({sampler.processes} processes; largest single process "
        f"{sampler.peak_single / 2**20:.0f} MiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
