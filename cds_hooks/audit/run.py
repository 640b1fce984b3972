"""``marrow-cds audit EXPORT_DIR --out OUT_DIR [--as-of DATE] [--workers N]``: the single
machine audit (worker processes), and what any engine's results are turned into.

1. ``export.partition``: the export split by patient into partition files (streaming);
2. each partition evaluated by ``evaluate.evaluate_partition`` in a pool of N processes (one
   partition per task, results in partition order: the same output for any N);
3. ``Aggregate`` counts as the results arrive (by class, by rule, by card topic, by problem
   kind, overdue follow-ups by months overdue; the review sample); ``results.ndjson`` is written
   line by line, then ``summary.csv`` and ``report.html`` (``report.py``).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

import orjson

from .evaluate import PartitionResult, evaluate_partition, warm_up
from .export import Partitioned, Problem, Progress, partition

DEFAULT_RULES_URL = "http://127.0.0.1:8080/rules"
SAMPLE_SIZE = 5  # reports per class in the review sample
SAMPLE_SEED = 18
MAX_PROBLEMS_SHOWN = 200


@dataclass
class Aggregate:
    """Counts over the results (and the export's problems), built as results arrive."""

    patients: int = 0  # patients in the export (with any resource)
    reports: int = 0  # imaging reports (DiagnosticReport, DocumentReference)
    audited: int = 0  # patients with a spine / sacrum / pelvis MRI (results.ndjson lines)
    by_class: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    by_decision: Counter[str] = field(default_factory=Counter)
    by_topic: Counter[str] = field(default_factory=Counter)
    cards_by_rule: Counter[str] = field(default_factory=Counter)  # cards of each firing rule
    by_problem: Counter[str] = field(default_factory=Counter)
    bad_input: Counter[str] = field(default_factory=Counter)  # the export's problems, by kind
    follow_up: Counter[str] = field(default_factory=Counter)  # state -> patients
    overdue_months: Counter[int] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)  # the export's problems, first ones
    samples: dict[str, list[tuple[int, str, str, str]]] = field(default_factory=dict)

    def add_line(self, line: dict[str, Any]) -> None:
        self.audited += 1
        self.by_class[line["class"] or "none"] += 1
        self.by_decision[line["decision"] or "none"] += 1
        for rule in line["rules"]:
            self.by_rule[rule] += 1
        for topic in line["cards"]:
            self.by_topic[topic] += 1
        if line["rules"]:
            self.cards_by_rule[line["rules"][0]] += len(line["cards"])
        for problem in line["problems"]:
            # the hook's data-quality problems; the export's are counted with the partition
            if str(problem.get("kind", "")).startswith(("data:", "gap:")):
                self.by_problem[problem["kind"]] += 1
        follow_up = line.get("follow_up")
        if follow_up:
            self.follow_up[follow_up["state"]] += 1
            if follow_up.get("months_overdue") is not None:
                self.overdue_months[follow_up["months_overdue"]] += 1

    def add_partition(self, part: PartitionResult) -> None:
        self.patients += part.patients
        self.reports += part.reports
        for line in part.lines:
            self.add_line(line)
        self.by_problem.update(part.problem_counts)
        self.bad_input.update(part.problem_counts)
        room = MAX_PROBLEMS_SHOWN - len(self.problems)
        if room > 0:
            self.problems.extend(part.problems[:room])
        for image_class, items in part.samples.items():
            merged = sorted([*self.samples.get(image_class, []), *items], key=lambda i: i[0])
            self.samples[image_class] = merged[:SAMPLE_SIZE]

    def add_export(self, partitioned: Partitioned) -> None:
        self.by_problem.update(partitioned.problem_counts)
        self.bad_input.update(partitioned.problem_counts)
        room = MAX_PROBLEMS_SHOWN - len(self.problems)
        self.problems[:0] = partitioned.problems[: max(room, 0)]


@dataclass
class AuditRun:
    aggregate: Aggregate
    partitioned: Partitioned
    as_of: datetime
    seconds: float
    workers: int
    engine: str
    read_seconds: float = 0.0  # the two streaming passes (partitioning)
    read_cpu_seconds: float = 0.0  # CPU time of the two passes (this process)
    warm_up_cpu_seconds: float = 0.0  # CPU time of loading the evaluation once (this process)


def default_as_of(partitioned: Partitioned) -> datetime:
    """The export's transactionTime; without a manifest, the newest export file's time."""
    if partitioned.transaction_time is not None:
        return partitioned.transaction_time.astimezone(UTC)
    times = [
        (partitioned.export_dir / name).stat().st_mtime
        for name in partitioned.files
        if (partitioned.export_dir / name).exists()
    ]
    return datetime.fromtimestamp(max(times), UTC) if times else datetime.now(UTC)


def rules_url() -> str:
    base = os.environ.get("MARROW_CDS_PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}/rules" if base else DEFAULT_RULES_URL


def write_results(
    parts: Iterable[PartitionResult],
    out: IO[bytes],
    problems_out: IO[bytes],
    aggregate: Aggregate,
    bar: Progress,
) -> None:
    for part in parts:
        for line in part.lines:
            out.write(orjson.dumps(line) + b"\n")
        for problem in part.problems:
            problems_out.write(orjson.dumps(problem.as_json()) + b"\n")
        aggregate.add_partition(part)
        bar.advance(1)


def run_audit(
    export_dir: Path,
    out_dir: Path,
    *,
    as_of: datetime | None = None,
    workers: int = 1,
    progress: bool | None = None,
    engine: str = "processes",
    partitions: int | None = None,
    scheduler: str | None = None,
) -> AuditRun:
    """The audit (module docstring); ``engine`` "processes" (a local pool) or "dask" (the
    current Dask scheduler: ``distributed.evaluate_with_dask``)."""
    started, started_cpu = time.perf_counter(), time.process_time()
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="marrow-audit-", dir=out_dir))
    try:
        partitioned = partition(export_dir, work_dir, partitions=partitions, progress=progress)
        read_seconds = time.perf_counter() - started
        read_cpu_seconds = time.process_time() - started_cpu
        warm_up_started = time.process_time()
        warm_up()  # before the workers fork: they share what it loads (evaluate.warm_up)
        warm_up_cpu_seconds = time.process_time() - warm_up_started
        moment = as_of or default_as_of(partitioned)
        aggregate = Aggregate()
        aggregate.add_export(partitioned)
        task = partial(
            evaluate_partition,
            files=partitioned.files,
            as_of=moment,
            rules_url=rules_url(),
            sample_size=SAMPLE_SIZE,
            seed=SAMPLE_SEED,
            exported_types=frozenset(partitioned.types),
        )
        bar = Progress("evaluating patients", len(partitioned.partitions), progress)
        with (
            (out_dir / "results.ndjson").open("wb") as out,
            (out_dir / "problems.ndjson").open("wb") as problems_out,
        ):
            # the export's problems (bad lines ...) first, then those found per patient
            with (work_dir / "problems.ndjson").open("rb") as found:
                shutil.copyfileobj(found, problems_out)
            parts: Iterable[PartitionResult]
            if engine == "dask":
                from .distributed import evaluate_with_dask

                parts = evaluate_with_dask(partitioned, task, scheduler)
                write_results(parts, out, problems_out, aggregate, bar)
            elif workers <= 1:
                parts = (task(path) for path in partitioned.partitions)
                write_results(parts, out, problems_out, aggregate, bar)
            else:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    parts = pool.imap(task, partitioned.partitions, chunksize=1)
                    write_results(parts, out, problems_out, aggregate, bar)
        bar.close()
        seconds = time.perf_counter() - started
        run = AuditRun(
            aggregate,
            partitioned,
            moment,
            seconds,
            max(workers, 1),
            engine,
            read_seconds,
            read_cpu_seconds,
            warm_up_cpu_seconds,
        )
        from .report import write_report, write_summary

        write_summary(run, out_dir / "summary.csv")
        write_report(run, out_dir / "report.html")
        return run
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def audit_command(
    export_dir: Path,
    out_dir: Path,
    as_of: datetime | None,
    workers: int | None,
    engine: str = "processes",
    scheduler: str | None = None,
) -> int:
    """0: audited; 1: audited, some input was bad (said on stderr and in the outputs);
    2: nothing to audit."""
    if not export_dir.is_dir():
        print(f"marrow-cds audit: {export_dir} is not a folder", file=sys.stderr)
        return 2
    count = workers if workers is not None else (os.cpu_count() or 1)
    client = None
    if scheduler is not None:  # a Dask cluster: dask.distributed's Client becomes current
        from dask.distributed import Client

        client = Client(scheduler)
        engine = "dask"
    try:
        run = run_audit(export_dir, out_dir, as_of=as_of, workers=count, engine=engine)
    finally:
        if client is not None:
            client.close()
    aggregate = run.aggregate
    print(
        f"audited {aggregate.audited} patients with a spine/sacrum/pelvis MRI "
        f"({aggregate.patients} patients, {aggregate.reports} imaging reports) as of "
        f"{run.as_of.isoformat()} in {run.seconds:.1f} s with {run.workers} worker(s); "
        f"written to {out_dir}",
        file=sys.stderr,
    )
    bad = sum(aggregate.bad_input.values())
    for problem in aggregate.problems[:20]:
        print(
            f"marrow-cds audit: {problem.file}:{problem.line}: {problem.kind}: {problem.message}",
            file=sys.stderr,
        )
    if bad:
        print(
            f"marrow-cds audit: {bad} bad input line(s) or resource(s): see "
            f"{out_dir / 'problems.ndjson'} and summary.csv",
            file=sys.stderr,
        )
    if aggregate.patients == 0:
        print("marrow-cds audit: no patient in the export", file=sys.stderr)
        return 2
    return 1 if bad else 0
