"""How long hostile report texts take to read (issue 16 part 1). Prints figures; asserts nothing.

For each shape of hostile text, at about 10 kB, 100 kB and 1 MB:

- run-on: "heterogeneous marrow signal " repeated, no full stop;
- no-no-no: "no " repeated, then "lesion";
- measurements: "1.2 x 1.2 x 1.2 x ..." chains of sizes ending in "mm lesion";
- brackets: nested "(" ... ")" around a finding, as deep as the size allows;
- vocabulary: clinical words drawn at random (fixed seed) with no punctuation;
- short sentences: many short sentences, findings and negations mixed;
- page furniture: a web page's "Related cases" lists and readers' comments, on lines and
  flattened into one line, around a finding (`fhir_mappers/report_reader/furniture.py`);

it reads the text as the presentedForm of a lumbar spine MRI report (`cds_hooks.cli.read_report.
wrap_text`, the read-report wrapper)
  (a) directly: `fhir_mappers.imaging.read_imaging_reports([report])`;
  (b) through HTTP: a Flask test client POST of a patient-view request with that report and a
      synthetic normal first-line panel to /cds-services/heterogeneous-marrow (JWT off, SQLite
      in a temporary folder), whole request;
and prints the worst time of a few runs per shape and size, the time per kB of text, and the
time per kB up to the reading limit (the reader reads at most `REPORT_READING_LIMIT_CHARS`
characters, and may stop earlier at its sentence limit: past that the time should stop growing).
Linear reading shows as a flat "per kB read" column (the reader's problem says how much it read).

    .venv/bin/python benchmarks/hostile_reports.py [--quick] [--runs N] [--direct-only]

Bounded: a fixed number of runs per case; a case whose first run takes longer than
`SLOW_CASE_S` is not repeated, and the direct reading is given a `stop` deadline of
`DIRECT_DEADLINE_S` (it then stops with WorkStopped and the figure says so). Never a timed test.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cds_hooks.cli import read_report as rr  # noqa: E402
from fhir_mappers.imaging import read_imaging_reports  # noqa: E402
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS, WorkStopped  # noqa: E402

SIZES = {"10 kB": 10_000, "100 kB": 100_000, "1 MB": 1_000_000}
RUNS = {"10 kB": 5, "100 kB": 3, "1 MB": 2}
SLOW_CASE_S = 10.0  # a first run slower than this is not repeated
DIRECT_DEADLINE_S = 60.0  # the `stop` deadline given to the direct reading
SEED = 16

_VOCABULARY_TEXT = (
    "heterogeneous marrow signal lesion focal diffuse no not without lytic enhancing T1 T2 STIR "
    "hypointense hyperintense disc muscle vertebral body L1 L2 L3 L4 L5 S1 sacrum iliac pelvis "
    "mm cm 8 12 1.5 3 T likely probably cannot exclude metastasis myeloma haemangioma Schmorl "
    "node fracture oedema stable increased new interval throughout multilevel patchy mottled "
    "infiltration replacement kidney cyst adnexa fibroid normal unremarkable but however and with"
)
VOCABULARY = _VOCABULARY_TEXT.split()


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def run_on(size: int) -> str:
    return "FINDINGS: " + _fill("heterogeneous marrow signal ", size - 10)


def no_no_no(size: int) -> str:
    return "FINDINGS: " + _fill("no ", size - 18) + "lesion."


def measurements(size: int) -> str:
    return "FINDINGS: A " + _fill("1.2 x ", size - 25) + "1.2 mm lesion at L3."


def brackets(size: int) -> str:
    depth = (size - 60) // 2
    return "FINDINGS: " + "(" * depth + "heterogeneous marrow signal at L3" + ")" * depth + "."


def vocabulary(size: int) -> str:
    rng = random.Random(SEED)
    words: list[str] = []
    length = 10
    while length < size:
        word = rng.choice(VOCABULARY)
        words.append(word)
        length += len(word) + 1
    return ("FINDINGS: " + " ".join(words))[:size]


def short_sentences(size: int) -> str:
    unit = "No lesion. Patchy marrow at L3. Not seen. Stable. Normal marrow. 8 mm focus. "
    return "FINDINGS:\n" + _fill(unit, size - 10)


def page_furniture(size: int) -> str:
    lines = (
        "Related cases\nDiffuse marrow infiltration - myeloma\nComments (3)\n"
        "user12: ours had lytic lesions at L2 and L4\n"
        "Findings: patchy marrow at L3. Similar cases Solitary plasmacytoma of T11 Reader "
        "comments great case, we saw one with diffuse marrow replacement. References ...\n"
    )
    return "Case page\n" + _fill(lines, size - 10)


SHAPES: dict[str, Callable[[int], str]] = {
    "run-on": run_on,
    "no-no-no": no_no_no,
    "measurements": measurements,
    "brackets": brackets,
    "vocabulary": vocabulary,
    "short sentences": short_sentences,
    "page furniture": page_furniture,
}


# ------------------------------------------------------------------------------ the two paths


def read_direct(report: dict[str, Any]) -> str:
    deadline = time.monotonic() + DIRECT_DEADLINE_S
    try:
        mri, _, problems = read_imaging_reports([report], stop=lambda: time.monotonic() > deadline)
    except WorkStopped:
        return f"stopped at {DIRECT_DEADLINE_S:g} s"
    cls = mri[0].image_class.value if mri else "not read"
    return cls + (f", {len(problems)} problem(s)" if problems else "")


def make_client(folder: Path) -> Any:
    os.environ.update(
        {
            "MARROW_CDS_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "MARROW_CDS_PATIENT_HASH_KEY": "benchmark-patient-hash-key-0123456789",
            "MARROW_CDS_REQUIRE_JWT": "0",
            "MARROW_CDS_LOG_LEVEL": "ERROR",
        }
    )
    from cds_hooks import create_app

    app = create_app()
    return app, app.test_client()


def read_http(client: Any, report: dict[str, Any]) -> str:
    now = datetime.now(UTC)
    response = client.post("/cds-services/heterogeneous-marrow", json=rr.hook_request(report, now))
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    cards = response.get_json().get("cards", [])
    return f"HTTP 200, {len(cards)} card(s)"


def worst_ms(fn: Callable[[], str], runs: int) -> tuple[float, str]:
    """The slowest of `runs` runs (one run when the first is slower than SLOW_CASE_S)."""
    worst, outcome = 0.0, ""
    for n in range(runs):
        start = time.perf_counter()
        outcome = fn()
        elapsed = time.perf_counter() - start
        worst = max(worst, elapsed)
        if n == 0 and elapsed > SLOW_CASE_S:
            outcome += " (slow: not repeated)"
            break
    return worst * 1000, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10 kB and 100 kB only, one run")
    parser.add_argument("--runs", type=int, default=None, help="runs per case (default by size)")
    parser.add_argument("--direct-only", action="store_true", help="skip the HTTP path")
    args = parser.parse_args(argv)

    sizes = {k: v for k, v in SIZES.items() if not (args.quick and k == "1 MB")}
    limit_kb = REPORT_READING_LIMIT_CHARS / 1000
    print(f"reading limit: {REPORT_READING_LIMIT_CHARS:,} characters; worst of N runs per case")
    header = (
        f"{'shape':16s} {'size':>6s} {'path':>6s} {'worst ms':>10s} {'ms/kB':>8s} "
        f"{'ms/kB read':>10s}  outcome"
    )
    with tempfile.TemporaryDirectory() as tmp:
        app = client = None
        if not args.direct_only:
            app, client = make_client(Path(tmp))
        print(header)
        print("-" * len(header))
        try:
            for shape, build in SHAPES.items():
                for size_name, size in sizes.items():
                    text = build(size)
                    kb = len(text) / 1000
                    kb_read = min(kb, limit_kb)
                    report = rr.wrap_text(text, report_id="hostile", effective=datetime.now(UTC))
                    runs = 1 if args.quick else (args.runs or RUNS[size_name])
                    paths: list[tuple[str, Callable[[], str]]] = [
                        ("direct", lambda r=report: read_direct(r))  # type: ignore[misc]
                    ]
                    if client is not None:
                        paths.append(("http", lambda r=report: read_http(client, r)))  # type: ignore[misc]
                    for path_name, fn in paths:
                        ms, outcome = worst_ms(fn, runs)
                        print(
                            f"{shape:16s} {size_name:>6s} {path_name:>6s} {ms:10.1f} "
                            f"{ms / kb:8.3f} {ms / kb_read:10.3f}  {outcome}",
                            flush=True,
                        )
        finally:
            if app is not None:
                app.extensions["marrow_recorder"].close()
                app.extensions["marrow_fhir"].close()
                app.extensions["marrow_store"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
