"""How long the report reader takes per report, on the hospital corpus. Prints figures only.

    .venv/bin/python benchmarks/report_reader.py [--runs 3] [--growth]

1. Every text of `tests/corpus/hospital/set_*.jsonl` wrapped as the presentedForm of a lumbar spine
   MRI DiagnosticReport (the read-report wrapper) and read by `fhir_mappers.imaging.
   read_imaging_reports`, the function the hook runs. The reader's per-sentence caches are emptied
   before each run, so the first reading of a text is what is timed (a hospital's reports rarely
   repeat). Prints CPU ms per report (median, 95th centile, worst over the best of `--runs` runs),
   and ms per kB of text.
2. `--growth`: texts made of 1, 4, 16, 64 and 256 corpus reports run together (1 kB to 140 kB,
   past the reader's limit of `REPORT_READING_LIMIT_CHARS` for the largest), ms per kB read: a flat
   column is linear reading. The bound on hostile shapes is `benchmarks/hostile_reports.py`.

For comparison, the issue's rule-based medspaCy baseline cost about 66 ms a report and grew
quadratically with length (issue 9). CPU time (`time.process_time`), so other work on the machine
counts less; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cds_hooks.cli.read_report import wrap_text  # noqa: E402
from fhir_mappers.imaging import forget_readings, read_imaging_reports  # noqa: E402
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS  # noqa: E402
from fhir_mappers.report_reader import clear_caches  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "hospital"
AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _texts() -> list[str]:
    out: list[str] = []
    for path in sorted(CORPUS.glob("set_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["text"])
    return out


def _read_cpu_ms(text: str) -> float:
    resource = wrap_text(text, report_id="bench", effective=AS_OF)
    started = time.process_time()
    read_imaging_reports([resource])
    return (time.process_time() - started) * 1000


def _cold_read_cpu_ms(text: str) -> float:
    """A first reading: nothing of the text remembered (whole readings, sentences, clauses)."""
    clear_caches()
    forget_readings()
    return _read_cpu_ms(text)


def _corpus(texts: list[str], runs: int) -> None:
    best: list[float] = [float("inf")] * len(texts)
    for _ in range(runs):
        clear_caches()
        forget_readings()
        for i, text in enumerate(texts):
            best[i] = min(best[i], _read_cpu_ms(text))
    kb = sum(len(t) for t in texts) / 1000
    ordered = sorted(best)
    print(f"{len(texts)} corpus reports, {kb:.0f} kB; CPU ms per report, best of {runs} runs")
    print(
        f"  median {statistics.median(best):.2f}   p95 {ordered[int(0.95 * len(ordered))]:.2f}   "
        f"worst {ordered[-1]:.2f}   mean {statistics.fmean(best):.2f}   "
        f"per kB {sum(best) / kb:.2f}"
    )


def _growth(texts: list[str]) -> None:
    print("reports run together   kB   kB read   CPU ms   ms per kB read")
    for n in (1, 4, 16, 64, 256):
        text = "\n\n".join(texts[i % len(texts)] for i in range(0, n * 7, 7))
        ms = min(_cold_read_cpu_ms(text) for _ in range(3))
        read_kb = min(len(text), REPORT_READING_LIMIT_CHARS) / 1000
        print(f"{n:>20} {len(text) / 1000:>6.1f} {read_kb:>9.1f} {ms:>8.2f} {ms / read_kb:>16.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--growth", action="store_true")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    texts = _texts()
    _corpus(texts, max(1, args.runs))
    if args.growth:
        _growth(texts)


if __name__ == "__main__":
    main()
