"""Do two versions of the code write the same audit? (issue 18: speed work must not change a
byte of the outputs.)

    .venv/bin/python benchmarks/audit_same_outputs.py REFERENCE_TREE [--patients 3000]
        [--workers 2] [--keep DIR]

Writes synthetic Bulk Data exports (cds_hooks.audit.synthetic: seed 2026 as the benchmark, and a
second seed with bad input: malformed lines, missing Binaries, resources of no patient), audits
each with the code of this tree and with the code of REFERENCE_TREE (another worktree, e.g. one
at the commit before a speed change: ``git worktree add /tmp/ref COMMIT``), both run by this
tree's Python with the tree first on ``sys.path``, the same ``--as-of``, and compares
``results.ndjson``, ``summary.csv`` and ``problems.ndjson`` byte for byte. Exit 1 on any
difference (the first differing line is printed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPARED = ("results.ndjson", "summary.csv", "problems.ndjson")
AS_OF = "2026-11-01"

_RUN = """
import sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from cds_hooks.audit.run import run_audit
as_of = datetime.fromisoformat(sys.argv[5]).replace(tzinfo=UTC)
run_audit(Path(sys.argv[2]), Path(sys.argv[3]), as_of=as_of, workers=int(sys.argv[4]),
          progress=False)
"""

_WRITE = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from cds_hooks.audit.synthetic import Options, write_export
write_export(Path(sys.argv[2]), Options(patients=int(sys.argv[3]), seed=int(sys.argv[4]),
             bad=sys.argv[5] == "bad"))
"""


def audit(tree: Path, export: Path, out: Path, workers: int) -> None:
    args = [str(tree), str(export), str(out), str(workers), AS_OF]
    subprocess.run([sys.executable, "-c", _RUN, *args], check=True, cwd=tree)


def first_difference(a: bytes, b: bytes) -> str:
    for number, (left, right) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), 1):
        if left != right:
            return f"line {number}:\n  this:      {left[:400]!r}\n  reference: {right[:400]!r}"
    return f"one is longer ({len(a.splitlines())} vs {len(b.splitlines())} lines)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="marrow-audit-same-"))
    differences = 0
    # the export is written by this tree's generator, once, for both versions
    for seed, bad in ((2026, "good"), (77, "bad")):
        export = base / f"export-{seed}"
        if not export.exists():
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    _WRITE,
                    str(ROOT),
                    str(export),
                    str(args.patients),
                    str(seed),
                    bad,
                ],
                check=True,
            )
        this, reference = base / f"this-{seed}", base / f"reference-{seed}"
        audit(ROOT, export, this, args.workers)
        audit(args.reference.resolve(), export, reference, args.workers)
        for name in COMPARED:
            a, b = (this / name).read_bytes(), (reference / name).read_bytes()
            lines = len(a.splitlines())
            if a == b:
                print(f"seed {seed} ({bad}): {name}: identical ({lines} lines, {len(a):,} bytes)")
            else:
                differences += 1
                print(f"seed {seed} ({bad}): {name}: DIFFERENT at {first_difference(a, b)}")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
