"""How long the service takes to handle a patient-view call, against the floor any service pays.

For patients with 10, 100, 1,000 and 10,000 lab Observations in prefetch (benchmarks/
patient_data.py: SPEC.md section 4 codes and units over years, plus the Patient, an MRI report
and conditions), it times

- floor: `orjson.loads` + `orjson.dumps` of the request body (read it, write something as big);
- service: the whole request in process (Flask test client POST to
  /cds-services/heterogeneous-marrow, JWT verification off, SQLite in a temporary folder),

and prints the median of several runs and the ratio service / floor (target: <= 3 at 1,000 and
10,000 Observations). Then p50/p99 latency through `marrow-cds serve` (gunicorn on a free
loopback port, a bounded number of sequential requests) for the 100- and 1,000-Observation calls,
peak RSS, and for comparison the cost of validating the 10,000-Observation Bundle with the
fhir.resources R4B models.

    python benchmarks/request_handling.py [--quick] [--no-serve] [--no-r4b] [--profile N]

A script that prints figures: nothing here asserts on time. `--profile N` prints where the time
goes for the N-Observation call (cProfile, cumulative time, project modules first).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import patient_data  # noqa: E402

SERVICE_ID = "heterogeneous-marrow"
SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
SIZES = (10, 100, 1_000, 10_000)
RUNS = {10: 50, 100: 30, 1_000: 15, 10_000: 7}
SERVE_REQUESTS = {100: 300, 1_000: 100}
TARGET_RATIO = 3.0


def configure_env(folder: Path) -> None:
    """Service settings for an in-process or local run: JWT off, SQLite in `folder`."""
    os.environ.update(
        {
            "MARROW_CDS_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "MARROW_CDS_PATIENT_HASH_KEY": "benchmark-patient-hash-key-0123456789",
            "MARROW_CDS_REQUIRE_JWT": "0",
            "MARROW_CDS_LOG_LEVEL": "WARNING",
            # The 10,000-Observation body is 10.5 MB, over the 8 MiB default: a site whose EHR
            # sends prefetch that large raises the limit like this (README, configuration).
            "MARROW_CDS_MAX_BODY_BYTES": str(16 * 1024 * 1024),
        }
    )


# ------------------------------------------------------------------------------ requests


def _codes_of(query: str) -> set[str] | None:
    """The codes of a template's `code=` token list (system stripped); None: no code filter."""
    params = parse_qs(query.partition("?")[2])
    if "code" not in params:
        return None
    return {token.rpartition("|")[2] for value in params["code"] for token in value.split(",")}


def fill_prefetch(templates: Mapping[str, str], n_obs: int) -> dict[str, Any]:
    """What an EHR would send for the service's own prefetch templates (read from discovery)."""
    as_of = patient_data.now()
    observations = patient_data.observations(n_obs, as_of)
    by_type: dict[str, list[dict[str, Any]]] = {
        "Observation": observations,
        "DiagnosticReport": [patient_data.mri_report(as_of)],
        "Condition": patient_data.conditions(),
    }
    return prefetch_from(templates, by_type, patient_data.patient())


def prefetch_from(
    templates: Mapping[str, str],
    by_type: Mapping[str, list[dict[str, Any]]],
    patient: dict[str, Any],
) -> dict[str, Any]:
    """Each prefetch template answered from these resources: the Patient, else a searchset of
    its type filtered by the template's codes."""
    prefetch: dict[str, Any] = {}
    for key, query in templates.items():
        path = query.partition("?")[0]
        resource_type = path.split("/")[0]
        if "/" in path and resource_type == "Patient":
            prefetch[key] = patient
            continue
        resources = by_type.get(resource_type, [])
        codes = _codes_of(query)
        if codes is not None:
            resources = [
                r
                for r in resources
                if any(c.get("code") in codes for c in r.get("code", {}).get("coding", []))
            ]
        prefetch[key] = patient_data.searchset(resources)
    return prefetch


def hook_request(prefetch: dict[str, Any]) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "https://ehr.example.org/fhir",
        "context": {"userId": "Practitioner/bench-1", "patientId": patient_data.PATIENT_ID},
        "prefetch": prefetch,
    }


# ------------------------------------------------------------------------------ timing


def _elapsed_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1e6


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up
    return statistics.median(_elapsed_ms(fn) for _ in range(runs))


def paired_medians_ms(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Medians of `first` and `second`, run alternately so that both see the same machine load
    (the ratio is what matters, and a shared 2-core machine is noisy)."""
    first(), second()  # warm-up
    a, b = [], []
    for _ in range(runs):
        a.append(_elapsed_ms(first))
        b.append(_elapsed_ms(second))
    return statistics.median(a), statistics.median(b)


def new_report_median_ms(post: Callable[[], object], runs: int) -> float:
    """The median call when its MRI report was never read before (a chart opened for the first
    time, or a new report): the reading memos (the mapper's report outcomes, the reader's texts
    and sentences) are emptied before each call, outside the timing."""
    from fhir_mappers.imaging import forget_readings
    from fhir_mappers.report_reader import clear_caches

    times = []
    for _ in range(runs):
        forget_readings()
        clear_caches()
        times.append(_elapsed_ms(post))
    return statistics.median(times)


def floor(body: bytes) -> None:
    orjson.dumps(orjson.loads(body))


def floor_default_gc(body: bytes) -> None:
    """The floor with CPython's default collector thresholds (700 for the youngest generation),
    as a process that tunes nothing pays it: the app's own setting (`cds_hooks.
    YOUNG_GC_THRESHOLD`, set at app creation for the whole process) lowers the in-process floor
    too, so the ratio to it alone would hide that gain."""
    saved = gc.get_threshold()
    gc.set_threshold(700, saved[1], saved[2])
    try:
        floor(body)
    finally:
        gc.set_threshold(*saved)


def in_process(quick: bool, profile: int | None) -> dict[int, bytes]:
    from cds_hooks import create_app

    app = create_app()
    client = app.test_client()
    discovery = client.get("/cds-services")
    assert discovery.status_code == 200, discovery.get_data(as_text=True)
    service = next(s for s in discovery.get_json()["services"] if s["id"] == SERVICE_ID)
    templates = service.get("prefetch", {})

    def post(body: bytes) -> Any:
        return client.post(SERVICE_PATH, data=body, content_type="application/json")

    print("In-process request handling (Flask test client, JWT off)")
    header = (
        "observations",
        "body MB",
        "floor ms",
        "service ms",
        "ratio",
        "floor*",
        "ratio*",
        "new*",
    )
    print("{:>12} {:>8} {:>9} {:>11} {:>6} {:>8} {:>6} {:>7}  cards".format(*header))
    bodies: dict[int, bytes] = {}
    for n in SIZES:
        body = orjson.dumps(hook_request(fill_prefetch(templates, n)))
        bodies[n] = body
        first = post(body)
        if first.status_code != 200:
            print(f"{n:>12} HTTP {first.status_code}: {first.get_data(as_text=True)[:300]}")
            continue
        cards = first.get_json()["cards"]
        what = ", ".join(
            f"{c.get('source', {}).get('topic', {}).get('code', '?')}/{c['indicator']}"
            for c in cards
        )
        runs = max(3, RUNS[n] // 3) if quick else RUNS[n]
        floor_ms, service_ms = paired_medians_ms(
            lambda body=body: floor(body), lambda body=body: post(body), runs
        )
        ratio = service_ms / floor_ms
        default_floor_ms = median_ms(lambda body=body: floor_default_gc(body), runs)
        new_report_ms = new_report_median_ms(lambda body=body: post(body), runs)
        mark = "" if n < 1_000 or ratio <= TARGET_RATIO else f"  > target {TARGET_RATIO:g}"
        print(
            f"{n:>12,} {len(body) / 1e6:>8.2f} {floor_ms:>9.2f} {service_ms:>11.2f} "
            f"{ratio:>6.1f} {default_floor_ms:>8.2f} {service_ms / default_floor_ms:>6.1f} "
            f"{new_report_ms:>7.2f}  "
            f"{what or 'no card'}{mark}"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (in-process runs): {rss_mb:.0f} MB")
    print("floor* / ratio*: the floor with CPython's default collector thresholds (the app's own")
    print("setting, made at app creation, also lowers the in-process floor)")
    print("service ms: the same call again (a chart opened again: its report's reading is")
    print("remembered); new*: ms when the report was never read before (reading memos emptied)")

    if profile is not None:
        body = bodies.get(profile) or orjson.dumps(hook_request(fill_prefetch(templates, profile)))
        print(f"\nProfile of one {profile:,}-Observation call (cumulative time, top 40):")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(3):
            post(body)
        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
        stats.print_stats(40)
        print("By own time (tottime, top 25):")
        stats.sort_stats("tottime").print_stats(25)
    return bodies


# ------------------------------------------------------------------------------ gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def through_gunicorn(bodies: Mapping[int, bytes], quick: bool) -> None:
    import requests

    executable = shutil.which("marrow-cds", path=str(Path(sys.executable).parent)) or shutil.which(
        "marrow-cds"
    )
    if executable is None:
        print("\n`marrow-cds` is not installed (pip install -e .): HTTP latency not measured")
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print("\nThrough `marrow-cds serve` (gunicorn, 2 workers, loopback, sequential)")
    process = subprocess.Popen(
        [executable, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        session = requests.Session()
        while True:
            try:
                if session.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                err = process.stderr.read().decode()[-1500:] if process.stderr else ""
                print(f"server did not start (exit {process.poll()}): {err}")
                return
            time.sleep(0.2)
        headers = {"Content-Type": "application/json"}
        print(f"{'observations':>12} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for n, count in SERVE_REQUESTS.items():
            count = count // 3 if quick else count
            body = bodies[n]
            for _ in range(3):  # warm every worker
                session.post(f"{base}{SERVICE_PATH}", data=body, headers=headers, timeout=30)
            samples = []
            for _ in range(count):
                start = time.perf_counter_ns()
                response = session.post(
                    f"{base}{SERVICE_PATH}", data=body, headers=headers, timeout=30
                )
                samples.append((time.perf_counter_ns() - start) / 1e6)
                if response.status_code != 200:
                    print(f"HTTP {response.status_code}: {response.text[:300]}")
                    return
            cuts = statistics.quantiles(samples, n=100, method="inclusive")
            print(
                f"{n:>12,} {count:>9} {statistics.median(samples):>8.1f} {cuts[98]:>8.1f} "
                f"{max(samples):>8.1f}"
            )
        master = process.pid
        workers_rss = [_vm_hwm_mb(pid) for pid in _children(master)]
        print(
            f"peak RSS: master {_vm_hwm_mb(master):.0f} MB, workers "
            + ", ".join(f"{mb:.0f} MB" for mb in workers_rss)
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# ------------------------------------------------------------------------------ R4B


def r4b_validation(quick: bool) -> None:
    from fhir.resources.R4B.bundle import Bundle

    as_of = patient_data.now()
    bundle = patient_data.searchset(patient_data.observations(10_000, as_of))
    body = orjson.dumps(bundle)
    runs = 1 if quick else 3
    floor_ms = median_ms(lambda: floor(body), 5)
    validate_ms = median_ms(lambda: Bundle.model_validate(orjson.loads(body)), runs)
    print(
        f"\nFor comparison: fhir.resources R4B validation of the 10,000-Observation Bundle "
        f"({len(body) / 1e6:.1f} MB): {validate_ms:,.0f} ms = {validate_ms / floor_ms:.0f}x "
        f"its floor ({floor_ms:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke check)")
    parser.add_argument("--no-serve", action="store_true", help="skip the gunicorn latency")
    parser.add_argument("--no-r4b", action="store_true", help="skip the R4B comparison")
    parser.add_argument("--profile", type=int, metavar="N", help="profile the N-Observation call")
    args = parser.parse_args()

    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; median of "
        + "/".join(str(RUNS[n]) for n in SIZES)
        + f" runs for {'/'.join(f'{n:,}' for n in SIZES)} Observations"
        + (" (divided by 3: --quick)" if args.quick else "")
        + "\n"
    )
    with tempfile.TemporaryDirectory(prefix="marrow-bench-") as folder:
        configure_env(Path(folder))
        bodies = in_process(args.quick, args.profile)
        if not args.no_serve:
            through_gunicorn(bodies, args.quick)
    if not args.no_r4b:
        r4b_validation(args.quick)


if __name__ == "__main__":
    main()
