"""Speed and memory of the imaging reader (figures only; no timed assertions in tests).

    .venv/bin/python -m tests.corpus.benchmark

Prints: import time of fhir_mappers.report_reader (its own modules; logic.model is imported first
and not counted), memory it adds, and extract() / read_imaging_reports() time per corpus report.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import logic.model  # noqa: F401  (shared by every module: not counted)

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    from fhir_mappers import imaging, report_reader

    t1 = time.perf_counter()
    rss1 = _rss_mb()
    already = "fhir_mappers.record" in sys.modules
    print(
        f"import fhir_mappers.report_reader.reader + imaging: {(t1 - t0) * 1000:.1f} ms"
        f"{' (includes the fhir_mappers package __init__)' if already else ''}; "
        f"max RSS {rss0:.1f} -> {rss1:.1f} MB"
    )
    from .heldout import HELDOUT
    from .reading import as_report
    from .reports import CASES

    reports = [as_report(c) for c in CASES + HELDOUT]
    texts = [imaging.read_imaging_reports([r])[0][0].text for r in reports]
    mean_chars = sum(map(len, texts)) // len(texts)
    for name, run in (
        ("extract(text)", lambda: [report_reader.extract(t) for t in texts]),
        (
            "read_imaging_reports([report])",
            lambda: [imaging.read_imaging_reports([r]) for r in reports],
        ),
    ):
        run()
        samples = []
        for _ in range(7):
            t = time.perf_counter()
            run()
            samples.append((time.perf_counter() - t) / len(texts) * 1000)
        print(
            f"{name}: median {statistics.median(samples):.3f} ms, best {min(samples):.3f} ms "
            f"per report ({len(texts)} reports x 7 runs; mean text {mean_chars} chars)"
        )
    print(f"max RSS at end {_rss_mb():.1f} MB")


if __name__ == "__main__":
    main()
