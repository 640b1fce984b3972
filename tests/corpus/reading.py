"""Run one corpus case through the real path and compare it field by field.

The case text becomes a DiagnosticReport (presentedForm text/plain or text/html, base64, or
`conclusion`), goes through `read_imaging_reports` (sections, text, class, counts, sizes,
levels, interval, field strength, drop), and the analysed text through `extract` (worrisome,
benign, negated, hedges). Used by test_corpus.py and by accuracy.py.
"""

from __future__ import annotations

import base64
from typing import Any

from fhir_mappers.imaging import read_imaging_reports
from fhir_mappers.report_reader.reader import extract

from .reports import Case

FIELDS = (
    "cls",
    "count",
    "sizes",
    "levels",
    "worrisome",
    "benign",
    "negated",
    "hedges",
    "interval",
    "field",
    "drop",
)


def as_report(case: Case) -> dict[str, Any]:
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": case.name,
        "status": "final",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LP29684-5"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "24968-0"}]},
        "effectiveDateTime": "2025-05-01T09:00:00Z",
    }
    if case.source == "conclusion":
        report["conclusion"] = case.text
    else:
        media = "text/html" if case.source == "html" else "text/plain"
        data = base64.b64encode(case.text.encode("utf-8")).decode("ascii")
        report["presentedForm"] = [{"contentType": f"{media}; charset=utf-8", "data": data}]
    return report


def read(case: Case) -> dict[str, Any]:
    """What the service reads from the case, in the shape of Case fields."""
    (report,), _, _ = read_imaging_reports([as_report(case)])
    extraction = extract(report.text, field_strength_t=report.field_strength_t)
    return {
        "cls": report.image_class.value,
        "count": report.lesion_count,
        "sizes": tuple(sorted(report.lesion_sizes_mm)),
        "levels": tuple(report.levels),
        "worrisome": tuple(sorted(k.value for k in extraction.worrisome)),
        "benign": tuple(sorted(k.value for k in extraction.benign)),
        "negated": tuple(sorted(k.value for k in extraction.negated)),
        "hedges": tuple(sorted(extraction.hedges)),
        "interval": report.interval_change.value if report.interval_change else None,
        "field": report.field_strength_t,
        "drop": report.signal_drop_pct,
    }


def expected(case: Case) -> dict[str, Any]:
    return {
        "cls": case.cls,
        "count": case.count,
        "sizes": tuple(sorted(case.sizes)),
        "levels": tuple(case.levels),
        "worrisome": tuple(sorted(case.worrisome)),
        "benign": tuple(sorted(case.benign)),
        "negated": tuple(sorted(case.negated)),
        "hedges": tuple(sorted(case.hedges)),
        "interval": case.interval,
        "field": case.field,
        "drop": case.drop,
    }
