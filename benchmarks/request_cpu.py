"""CPU time of one in-process patient-view call: this tree against another, and where it goes.

    .venv/bin/python benchmarks/request_cpu.py ab REFERENCE_TREE [--observations 10] [--rounds 20]
    .venv/bin/python benchmarks/request_cpu.py stages [--observations 10] [--calls 300]
        [--also MODULE:FUNCTION ...]

`request_handling.py` times a call by the wall clock. On a machine other work shares, the wall
clock of a 4 ms call moves by more than most single changes (a 10-Observation call read 4.2 ms
at load 0.7 and 8.0 ms at load 2.3, the same code). Here the request thread's CPU time
(`time.thread_time`) is counted, which the other work moves much less, and:

- `ab`: the two trees run in two processes that take turns (A B B A), `--calls` calls at a
  time, so both see the same machine at nearly the same moments; prints per tree the median,
  5th percentile and minimum CPU ms a call, and the ratios this tree / reference;
- `stages`: the inclusive CPU ms a call of each stage of the pipeline (median and minimum over
  `--calls` calls), by wrapping the named functions of this tree; `--also` times more functions
  (``fhir_mappers.strict:resource_problem``, ``cds_hooks.cards.detail:primary_detail``), listed
  last. A function is timed where its module's attribute is looked up at call time: a name
  imported with ``from ... import`` elsewhere before the wrapping keeps the unwrapped one.

The call is `request_handling.py`'s (the same body: benchmarks/patient_data.py, JWT off, SQLite
in a temporary folder), after 20 untimed calls. A script that prints figures: nothing here
asserts on time.
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_WORKER = r"""
import sys, tempfile, time
from pathlib import Path
tree = Path(sys.argv[1])
sys.path.insert(0, str(tree / "benchmarks"))
sys.path.insert(0, str(tree))
sys.path.append(sys.argv[3])  # this script, when the tree has none
import request_cpu
post = request_cpu.caller(int(sys.argv[2]))
print("ready", flush=True)
for line in sys.stdin:
    times = []
    for _ in range(int(line)):
        started = time.thread_time_ns()
        post()
        times.append((time.thread_time_ns() - started) / 1e6)
    print(" ".join(f"{t:.4f}" for t in times), flush=True)
"""

# (module, attribute) of the stages `stages` times, in pipeline order; nested ones are indented
# in the output by their position here (a stage's time includes the stages inside it).
STAGES: tuple[tuple[str, str, int], ...] = (
    ("flask.app", "Flask.wsgi_app", 0),
    ("cds_hooks.hooks", "read_body_within", 1),
    ("cds_hooks.hooks", "parse_hook_request", 1),
    ("cds_hooks.hooks", "run_within_deadline", 1),
    ("fhir_mappers", "select_documents", 2),
    ("fhir_mappers.record", "collect", 3),
    ("cds_hooks.services.patient_view", "read_report_documents", 2),
    ("fhir_mappers", "map_patient_record", 2),
    ("fhir_mappers.record", "read_labs", 3),
    ("fhir_mappers.record", "read_conditions", 3),
    ("fhir_mappers.record", "read_imaging_reports", 3),
    ("fhir_mappers.imaging", "extract", 4),
    ("fhir_mappers.record", "_strict_problems", 3),
    ("cds_hooks.services.patient_view", "with_placed_orders", 2),
    ("logic", "assess", 2),
    ("logic.decide", "situation", 3),
    ("cds_hooks.cards.assessment_cards", "render_patient_view", 2),
    ("cds_hooks.hooks", "json_response", 1),
    ("cds_hooks.hooks", "CardRecorder.submit", 1),
)


def caller(observations: int) -> Callable[[], object]:
    """A function that makes the benchmark's patient-view call in process (request_handling)."""
    import orjson
    import request_handling

    request_handling.configure_env(Path(tempfile.mkdtemp(prefix="marrow-request-cpu-")))
    from cds_hooks import create_app

    client = create_app().test_client()
    discovery = client.get("/cds-services").get_json()
    service = next(s for s in discovery["services"] if s["id"] == request_handling.SERVICE_ID)
    prefetch = request_handling.fill_prefetch(service.get("prefetch", {}), observations)
    body = orjson.dumps(request_handling.hook_request(prefetch))

    def post() -> object:
        response = client.post(
            request_handling.SERVICE_PATH, data=body, content_type="application/json"
        )
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.get_data(as_text=True)}")
        return response

    for _ in range(20):
        post()
    return post


def _summary(times: list[float]) -> tuple[float, float, float]:
    return statistics.median(times), statistics.quantiles(times, n=20)[0], min(times)


def ab(reference: Path, observations: int, rounds: int, calls: int) -> None:
    def start(tree: Path) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(tree), str(observations), str(ROOT / "benchmarks")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit(f"the worker of {tree} did not start")
        return process

    trees = {"this tree": ROOT, "reference": reference.resolve()}
    workers = {name: start(tree) for name, tree in trees.items()}
    times: dict[str, list[float]] = {name: [] for name in trees}
    loads = []
    for round_ in range(rounds):
        order = ["this tree", "reference"] if round_ % 2 == 0 else ["reference", "this tree"]
        for name in order:
            process = workers[name]
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write(f"{calls}\n")
            process.stdin.flush()
            times[name] += [float(t) for t in process.stdout.readline().split()]
        loads.append(os.getloadavg()[0])
    for process in workers.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=60)
    print(
        f"{observations:,}-Observation call, {len(times['this tree'])} calls per tree in "
        f"{rounds} rounds (A B B A), load average {min(loads):.1f}-{max(loads):.1f}; "
        "request-thread CPU ms a call"
    )
    print(f"{'':>10} {'median':>8} {'p5':>8} {'min':>8}  tree")
    for name, tree in trees.items():
        median, p5, low = _summary(times[name])
        print(f"{name:>10} {median:>8.3f} {p5:>8.3f} {low:>8.3f}  {tree}")
    new, old = _summary(times["this tree"]), _summary(times["reference"])
    print(
        f"{'ratio':>10} {new[0] / old[0]:>8.3f} {new[1] / old[1]:>8.3f} {new[2] / old[2]:>8.3f}"
        "  this tree / reference"
    )


def stages(observations: int, calls: int, also: Sequence[str] = ()) -> None:
    spent: collections.Counter[str] = collections.Counter()

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time_ns()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.thread_time_ns() - started

        return wrapper

    sys.path.insert(0, str(ROOT))
    names = []
    extra = [(*name.split(":", 1), 0) for name in also]
    for module_name, attribute, _ in (*STAGES, *extra):
        owner: Any = importlib.import_module(module_name)
        *path, last = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, last, timed(f"{module_name}.{attribute}", getattr(owner, last)))
        names.append(f"{module_name}.{attribute}")
    post = caller(observations)
    per_stage: dict[str, list[float]] = {name: [] for name in names}
    totals = []
    for _ in range(calls):
        spent.clear()
        started = time.thread_time_ns()
        post()
        totals.append((time.thread_time_ns() - started) / 1e6)
        for name in names:
            per_stage[name].append(spent[name] / 1e6)
    print(
        f"{observations:,}-Observation call, {calls} calls, load average "
        f"{os.getloadavg()[0]:.1f}; request-thread CPU ms a call (a stage includes the ones "
        "indented below it)"
    )
    print(f"{'median':>8} {'min':>8}  stage")
    print(f"{statistics.median(totals):>8.3f} {min(totals):>8.3f}  the whole test-client call")
    for number, ((_, _, depth), name) in enumerate(zip((*STAGES, *extra), names, strict=True)):
        if number == len(STAGES):
            print(f"{'':>17}  --also:")
        times = per_stage[name]
        print(f"{statistics.median(times):>8.3f} {min(times):>8.3f}  {'  ' * depth}{name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser("ab", help="this tree against REFERENCE_TREE, in turn")
    compare.add_argument("reference", type=Path, help="another checkout (git worktree)")
    compare.add_argument("--observations", type=int, default=10)
    compare.add_argument("--rounds", type=int, default=20)
    compare.add_argument("--calls", type=int, default=50, help="calls per turn")
    breakdown = commands.add_parser("stages", help="CPU ms a call of each pipeline stage")
    breakdown.add_argument("--observations", type=int, default=10)
    breakdown.add_argument("--calls", type=int, default=300)
    breakdown.add_argument(
        "--also", action="append", default=[], metavar="MODULE:FUNCTION", help="time it too"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.command == "ab":
        ab(args.reference, args.observations, args.rounds, args.calls)
    else:
        stages(args.observations, args.calls, args.also)


if __name__ == "__main__":
    main()
