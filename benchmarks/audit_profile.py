"""CPU profile of the audit's per-patient evaluation (issue 18, item 2), one process.

    .venv/bin/python benchmarks/audit_profile.py [--patients 600] [--repeat 1] [--profile]
        [--export DIR] [--top 40]

Writes a synthetic export (cds_hooks.audit.synthetic, seed 2026, as the throughput benchmark),
partitions it, and evaluates every partition in this process with the reader's memo
caches emptied before each patient (as ``audit_throughput.py`` does). Prints the CPU seconds
per patient (``time.process_time``: other work on the machine does not add to it, though a busy
machine still slows a core's caches) and the load average; with ``--profile`` the top functions
of a cProfile run by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from reader_caches import cold_sentence_caches  # noqa: E402

from cds_hooks import freeze_startup_heap  # noqa: E402
from cds_hooks.audit import evaluate as audit_evaluate  # noqa: E402
from cds_hooks.audit.export import partition  # noqa: E402
from cds_hooks.audit.run import default_as_of  # noqa: E402
from cds_hooks.audit.synthetic import Options, write_export  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--export", type=Path, default=None, help="an existing export")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--min-of",
        type=int,
        default=0,
        help="evaluate each partition N times and add up the least CPU time of each: a "
        "figure a busy machine disturbs far less than one pass (for A/B comparisons)",
    )
    args = parser.parse_args()
    cold_sentence_caches()
    base = Path(tempfile.mkdtemp(prefix="marrow-audit-profile-"))
    try:
        export = args.export
        if export is None:
            export = base / "export"
            write_export(export, Options(patients=args.patients, seed=2026))
        parted = partition(export, base / "work", progress=False)
        as_of = default_as_of(parted)
        types = frozenset(parted.types)
        from fhir_mappers.units import warm_up

        warm_up()
        freeze_startup_heap()

        def run_all() -> int:
            patients = 0
            for path in parted.partitions:
                part = audit_evaluate.evaluate_partition(
                    path, parted.files, as_of, "http://x/rules", exported_types=types
                )
                patients += part.patients
            return patients

        run_all()  # warm-up: imports, first-call caches outside the reader's memo caches
        if args.min_of:
            least, patients = 0.0, 0
            for path in parted.partitions:
                times = []
                for _ in range(args.min_of):
                    cpu = time.process_time()
                    part = audit_evaluate.evaluate_partition(
                        path, parted.files, as_of, "http://x/rules", exported_types=types
                    )
                    times.append(time.process_time() - cpu)
                least += min(times)
                patients += part.patients
            print(
                f"{patients} patients: {least / patients * 1000:.3f} ms CPU a patient, least of "
                f"{args.min_of} per partition, load average {os.getloadavg()[0]:.2f}"
            )
            return 0
        for _ in range(args.repeat):
            profiler = cProfile.Profile() if args.profile else None
            cpu = time.process_time()
            if profiler:
                profiler.enable()
            patients = run_all()
            if profiler:
                profiler.disable()
            cpu = time.process_time() - cpu
            print(
                f"{patients} patients: {cpu / patients * 1000:.2f} ms CPU a patient "
                f"({patients / cpu:.0f} patients/s a core), load average {os.getloadavg()[0]:.2f}"
                + (" (under cProfile)" if profiler else "")
            )
            if profiler:
                stats = pstats.Stats(profiler)
                stats.sort_stats("tottime").print_stats(args.top)
                stats.sort_stats("cumulative").print_stats(args.top)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
