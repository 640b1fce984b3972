"""Throughput of ``marrow-cds audit`` (issue 18): reports per second per core, and what that
means for 1,000,000 reports on a 2-core machine.

    .venv/bin/python benchmarks/audit_throughput.py [--patients 4000] [--workers 1 2] [--keep DIR]
        [--partitions N]

Writes a synthetic Bulk Data export (cds_hooks.audit.synthetic: one lumbar spine / sacrum /
pelvis MRI report per patient, 40 % of them in a Binary or a DocumentReference, about 8 lab
results, some Conditions and orders), audits it with each number of worker processes, and
prints per run: the reading pass (partitioning, single process) in MB/s and resources/s, the
evaluation in reports/s in total and per core (from the CPU seconds the parent and the workers
spent, so that other work on the machine does not lower it; the wall-clock rate beside it),
the peak memory of the parent and of one worker,
and the extrapolation to 1,000,000 reports: reading time scaled by bytes, evaluation by reports,
on 2 workers, plus the start-up once (loading the UCUM registry and the R4B validators in the
parent before the workers fork, about a second: ``AuditRun.warm_up_cpu_seconds``; the rate with
it spread over the sample is printed too).
By default every memo cache of the reader (each ``functools.lru_cache`` of
``fhir_mappers.report_reader``: sentences, clauses, stretches of text read before) is emptied
before each patient (``--warm`` keeps them; ``--sentence-caches-only`` empties the four
per-sentence ones only, as this benchmark did before the reader had more): the synthetic texts
repeat sentences far more than real reports do.
Partitions: by default as the audit chooses them for the sample's size (at least 16, so about
1.7 MB each for 4,000 patients), far smaller than those of a million-report export (about
32 MB each, ``export.PARTITION_TARGET_BYTES``): a worker's peak memory is then that of a small
partition. ``--partitions N`` sets their number; ``--patients 8000 --partitions 2`` gives
partitions of about 27 MB, as at a million reports (the memory figure to quote).
It is an extrapolation from a sample, said as such: the full million is not run
here. Timings depend on the machine and on what else runs on it (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "benchmarks"))

from reader_caches import cold_sentence_caches  # noqa: E402

from cds_hooks.audit.export import PARTITION_TARGET_BYTES  # noqa: E402
from cds_hooks.audit.run import run_audit  # noqa: E402
from cds_hooks.audit.synthetic import Options, write_export  # noqa: E402

TARGET_REPORTS = 1_000_000
TARGET_CORES = 2
TARGET_SECONDS = 30 * 60


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.ndjson"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=4000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, default=None, help="keep the export here")
    parser.add_argument(
        "--partitions",
        type=int,
        default=None,
        help="number of partitions (default: the audit's choice; module docstring)",
    )
    parser.add_argument(
        "--warm", action="store_true", help="keep the reader's memo caches between patients"
    )
    parser.add_argument(
        "--sentence-caches-only",
        action="store_true",
        help="empty only the four per-sentence caches this benchmark emptied before the reader "
        "had others (to compare with earlier figures)",
    )
    args = parser.parse_args()
    if not args.warm:
        cold_sentence_caches(every=not args.sentence_caches_only)

    base = args.keep or Path(tempfile.mkdtemp(prefix="marrow-audit-bench-"))
    export = base / "export"
    started = time.perf_counter()
    counts = write_export(export, Options(patients=args.patients, seed=2026))
    size = folder_bytes(export)
    resources = sum(counts.values())
    reports = counts["DiagnosticReport"] + counts["DocumentReference"]
    print(
        f"export: {args.patients} patients, {reports} MRI reports, {resources} resources, "
        f"{size / 1e6:.1f} MB (written in {time.perf_counter() - started:.1f} s)"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(
        "reader memo caches: "
        + (
            "kept (--warm)"
            if args.warm
            else "the four per-sentence ones emptied before each patient (earlier figures)"
            if args.sentence_caches_only
            else "every one emptied before each patient (a real archive)"
        )
    )
    try:
        for workers in args.workers:
            out = base / f"out-{workers}"
            cpu_before = cpu_seconds()
            run = run_audit(
                export, out, workers=workers, progress=False, partitions=args.partitions
            )
            cpu = cpu_seconds() - cpu_before
            evaluate_s = run.seconds - run.read_seconds
            wall_per_core = reports / evaluate_s / workers
            # CPU seconds actually spent (parent and workers): the per-core rate on an idle core,
            # whatever else runs on this machine. Loading the evaluation (UCUM registry, R4B
            # validators: once in the parent, before the workers fork) is paid once per run,
            # whatever the export's size: counted once below, not scaled with the reports.
            startup = getattr(run, "warm_up_cpu_seconds", 0.0)
            per_core = reports / max(cpu - run.read_cpu_seconds - startup, 1e-9)
            per_core_with_startup = reports / max(cpu - run.read_cpu_seconds, 1e-9)
            read_rate = size / run.read_seconds
            parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            read_1m = run.read_cpu_seconds * TARGET_REPORTS / reports  # one process, CPU time
            eval_1m = TARGET_REPORTS / (per_core * TARGET_CORES)
            total_1m = read_1m + startup + eval_1m
            verdict = "under" if total_1m < TARGET_SECONDS else "OVER"
            print(
                f"\nworkers={workers}: total {run.seconds:.1f} s; reading {run.read_seconds:.1f} s "
                f"(CPU {run.read_cpu_seconds:.1f} s) "
                f"({read_rate / 1e6:.1f} MB/s, {resources / run.read_seconds:,.0f} resources/s); "
                f"evaluation {evaluate_s:.1f} s = {reports / evaluate_s:,.0f} reports/s"
            )
            print(
                f"  per-core rate: {per_core:,.0f} reports/s per core (CPU time: {cpu:.1f} s, of "
                f"which start-up {startup:.1f} s once); by the wall clock {wall_per_core:,.0f} "
                f"reports/s per worker on this machine"
            )
            print(
                f"  (with the start-up spread over this sample's reports: "
                f"{per_core_with_startup:,.0f} reports/s per core)"
            )
            part_mb = run.partitioned.bytes_read / len(run.partitioned.partitions) / 1e6
            print(
                f"  peak memory: parent {parent_mb:.0f} MiB, largest worker {child_mb:.0f} MiB "
                f"({len(run.partitioned.partitions)} partitions of about {part_mb:.1f} MB; "
                f"a million-report export's are about "
                f"{PARTITION_TARGET_BYTES / 1e6:.0f} MB: --partitions)"
            )
            source = (
                f"the full run took {run.seconds / 60:.1f} min by the wall clock at load "
                f"{os.getloadavg()[0]:.1f}"
                if reports >= TARGET_REPORTS
                else f"from a {reports:,}-report sample, not a full run"
            )
            print(
                f"  from the CPU rate, {TARGET_REPORTS:,} reports on {TARGET_CORES} idle cores: "
                f"reading {read_1m / 60:.1f} min + start-up {startup / 60:.1f} min + evaluation "
                f"{eval_1m / 60:.1f} min = "
                f"{total_1m / 60:.1f} min ({verdict} the 30 min target; {source})"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
