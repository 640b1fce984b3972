"""A/B of the audit's per-patient CPU time: this tree against another (issue 18, item 2).

    .venv/bin/python benchmarks/audit_ab.py REFERENCE_TREE [--patients 1000] [--rounds 5]
        [--partitions N]

On a machine other work shares, one run's CPU time per patient moves by 10-20 % with what
runs beside it (shared caches, a busy sibling core), more than most single changes. Here the two
versions run side by side in two processes that take turns, one partition (about 64 patients)
at a time, in A B B A order: both see the same machine at nearly the same moments, and each
partition's pair of times is compared. Prints, per version, the CPU ms a patient (the sum over
partitions of the median of each partition's times) and the median of the per-partition
ratios new / reference.

Each process puts its tree first on ``sys.path``, partitions the same export (the same
partitions: they depend on the export only), loads everything, evaluates every partition once
untimed, and then evaluates the partition it is told to, with the reader's memo caches emptied
before each patient by this tree's ``audit_throughput.cold_sentence_caches`` in both processes
(the same policy for both versions, whatever the reference tree's benchmark did).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_WORKER = r"""
import sys, time, tempfile
from pathlib import Path
tree = Path(sys.argv[1])
sys.path.insert(0, sys.argv[3])  # this tree's benchmarks: the same cache policy for both
sys.path.insert(0, str(tree))
from reader_caches import cold_sentence_caches
cold_sentence_caches(every=sys.argv[4] == "all")
from cds_hooks import freeze_startup_heap
from cds_hooks.audit import evaluate as audit_evaluate
from cds_hooks.audit.export import partition
from cds_hooks.audit.run import default_as_of
# the tree's own code, not this tree's (a helper that put its own tree first would make
# both processes run the same code)
assert Path(audit_evaluate.__file__).resolve().is_relative_to(tree.resolve()), tree
from fhir_mappers.units import warm_up
import fhir_mappers
parted = partition(Path(sys.argv[2]), Path(tempfile.mkdtemp()), progress=False,
                   partitions=int(sys.argv[5]) or None)
as_of, types = default_as_of(parted), frozenset(parted.types)
warm_up()
getattr(fhir_mappers, "warm_up", lambda: None)()
freeze_startup_heap()
def run(path):
    return audit_evaluate.evaluate_partition(path, parted.files, as_of, "http://x/rules",
                                             exported_types=types).patients
counts = [run(path) for path in parted.partitions]
print(" ".join(map(str, counts)), flush=True)
for line in sys.stdin:
    path = parted.partitions[int(line)]
    started = time.process_time()
    run(path)
    print(time.process_time() - started, flush=True)
"""


def start(
    tree: Path, export: Path, caches: str, partitions: int = 0
) -> tuple[subprocess.Popen[str], list[int]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _WORKER,
            str(tree),
            str(export),
            str(ROOT / "benchmarks"),
            caches,
            str(partitions),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tree,
    )
    assert process.stdout is not None
    counts = [int(n) for n in process.stdout.readline().split()]
    return process, counts


def timed(process: subprocess.Popen[str], index: int) -> float:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(f"{index}\n")
    process.stdin.flush()
    return float(process.stdout.readline())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--export", type=Path, default=None)
    parser.add_argument(
        "--partitions",
        type=int,
        default=0,
        help="number of partitions (default: the audit's choice, at least 16); "
        "--patients 8000 --partitions 2 gives partitions of about 27 MB, as a million-report "
        "export's (what a worker holds, and what its garbage collector walks, is then as large)",
    )
    parser.add_argument(
        "--sentence-caches-only",
        action="store_true",
        help="empty only the reader's four per-sentence caches before each patient "
        "(audit_throughput.py --sentence-caches-only)",
    )
    args = parser.parse_args()
    export = args.export
    if export is None:
        export = Path(tempfile.mkdtemp(prefix="marrow-audit-ab-")) / "export"
        sys.path.insert(0, str(ROOT))
        from cds_hooks.audit.synthetic import Options, write_export

        write_export(export, Options(patients=args.patients, seed=2026))
    caches = "sentences" if args.sentence_caches_only else "all"
    reference, counts = start(args.reference.resolve(), export, caches, args.partitions)
    this, this_counts = start(ROOT, export, caches, args.partitions)
    if counts != this_counts:
        print(f"the two trees see different partitions: {counts} / {this_counts}")
        return 2
    times: dict[str, list[list[float]]] = {
        "reference": [[] for _ in counts],
        "this": [[] for _ in counts],
    }
    for round_ in range(args.rounds):
        for index in range(len(counts)):
            first, second = (reference, this) if (index + round_) % 2 == 0 else (this, reference)
            for process in (first, second, second, first):
                name = "reference" if process is reference else "this"
                times[name][index].append(timed(process, index))
    for process in (reference, this):
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
    patients = sum(counts)
    total = {name: sum(statistics.median(per) for per in parts) for name, parts in times.items()}
    ratios = [
        statistics.median(t) / statistics.median(r)
        for t, r in zip(times["this"], times["reference"], strict=True)
    ]
    print(
        f"{patients} patients, {len(counts)} partitions, {args.rounds} rounds (A B B A), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for name in ("reference", "this"):
        print(f"  {name:9}: {total[name] / patients * 1000:.3f} ms CPU a patient")
    print(
        f"  this / reference: {total['this'] / total['reference']:.3f} in total, median of the "
        f"per-partition ratios {statistics.median(ratios):.3f} "
        f"(quartiles {statistics.quantiles(ratios, n=4)[0]:.3f}-"
        f"{statistics.quantiles(ratios, n=4)[2]:.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
