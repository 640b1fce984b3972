"""The one FHIR dateTime parser (fhir_mappers.fhir_time): what it reads, and that a lab and an
MRI report dated the same way are read the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fhir_mappers import map_patient_record
from fhir_mappers.fhir_time import parse_datetime
from fhir_mappers.imaging import read_imaging_reports
from tests.support.fhir import PATIENT_ID, bundle, observation, patient, ucum

from .test_imaging import mri

DATETIMES = [
    ("full_utc", "2026-01-10T09:00:00Z", datetime(2026, 1, 10, 9, tzinfo=UTC), False),
    (
        "fraction",
        "2026-01-10T09:00:00.123+00:00",
        datetime(2026, 1, 10, 9, 0, 0, 123000, tzinfo=UTC),
        False,
    ),
    ("offset", "2026-01-10T09:00:00+02:00", datetime(2026, 1, 10, 7, tzinfo=UTC), False),
    ("offset_no_colon", "2026-01-10T09:00:00+0100", datetime(2026, 1, 10, 8, tzinfo=UTC), False),
    ("negative_offset", "2026-01-10T09:00:00-05:00", datetime(2026, 1, 10, 14, tzinfo=UTC), False),
    ("no_seconds", "2026-01-10T09:30Z", datetime(2026, 1, 10, 9, 30, tzinfo=UTC), False),
    ("no_zone_utc_assumed", "2026-01-10T09:00:00", datetime(2026, 1, 10, 9, tzinfo=UTC), True),
    ("date_only", "2026-01-10", datetime(2026, 1, 10, tzinfo=UTC), False),
    ("year_month_partial", "2026-01", datetime(2026, 1, 1, tzinfo=UTC), True),
    ("year_partial", "2026", datetime(2026, 1, 1, tzinfo=UTC), True),
    ("hour_25", "2026-01-10T25:00:00Z", None, True),
    ("zone_25_hours", "2026-01-10T09:00:00+25:00", None, True),
    ("february_30", "2026-02-30", None, True),
    ("words", "yesterday", None, True),
    ("number", 20260110, None, True),
    ("none", None, None, True),
]


@pytest.mark.parametrize(
    ("raw", "expected", "reported"), [c[1:] for c in DATETIMES], ids=[c[0] for c in DATETIMES]
)
def test_parse_datetime(raw: object, expected: datetime | None, reported: bool) -> None:
    parsed, problem = parse_datetime(raw)
    assert parsed == expected
    assert (problem is not None) is reported


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2026-01-10T09:00:00+0100", datetime(2026, 1, 10, 8, tzinfo=UTC)),
        ("2026-01-10T09:00:00+01:00", datetime(2026, 1, 10, 8, tzinfo=UTC)),
        ("2026-01-10T09:00:00", datetime(2026, 1, 10, 9, tzinfo=UTC)),
        ("2026-01", datetime(2026, 1, 1, tzinfo=UTC)),
    ],
    ids=["offset_no_colon", "offset", "no_zone", "partial"],
)
def test_a_lab_and_an_mri_report_dated_alike_are_read_alike(sent: str, expected: datetime) -> None:
    """One parser: a `+0100` offset (or a missing zone, or a partial date) is read the same for
    a lab result and for an MRI report, and the parser's report reaches both. (A lab
    Observation is also validated against FHIR R4B, which requires `+01:00`: that is reported
    separately, and the value is still read.)"""
    record = map_patient_record(
        [bundle(patient(), observation("718-7", when=sent, **ucum(9.5, "g/dL")))], PATIENT_ID
    )
    (lab,) = record.labs
    (report,), _, problems = read_imaging_reports([mri(when=sent)])
    assert lab.effective == report.effective == expected
    _, reason = parse_datetime(sent)
    if reason is not None:  # the parser's own report reaches both records
        assert any(reason in p.message for p in record.problems)
        assert any(reason in p.message for p in problems)
