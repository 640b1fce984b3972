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


def test_full_datetime_shortcut_reads_as_the_general_pattern() -> None:
    """`parse_datetime` reads the common full shape (date, time to the second, zone) without
    the general pattern: the same (value, problem) as the general way, over 20,000 generated
    texts near that shape (impossible dates and times, odd zones, other digits, extra parts)."""
    import random
    import re
    from unittest import mock

    from fhir_mappers import fhir_time

    rng = random.Random(18)
    digits = "0123456789" * 6 + "٣"  # an Arabic-Indic digit: \d matches it, int() reads it

    def number(width: int) -> str:
        if rng.random() < 0.7:
            top = {2: 99, 4: 9999}[width]
            near = rng.choice((0, 1, 12, 13, 23, 24, 28, 29, 30, 31, 32, 59, 60, 99, top))
            return str(min(near, top)).zfill(width)
        return "".join(rng.choice(digits) for _ in range(width))

    def text() -> str:
        zone = rng.choice(("Z", "+00:00", "-00:00", "+01:00", "-05:30", "+14:00", "+23:59"))
        if rng.random() < 0.2:
            zone = rng.choice("+-") + number(2) + ":" + number(2)
        fields = [
            str(rng.randint(1, 9999)).zfill(4),
            str(rng.randint(1, 12)).zfill(2),
            str(rng.randint(1, 28)).zfill(2),
            str(rng.randint(0, 23)).zfill(2),
            str(rng.randint(0, 59)).zfill(2),
            str(rng.randint(0, 59)).zfill(2),
        ]
        if rng.random() < 0.4:  # one field out of range, or other digits
            index = rng.randrange(len(fields))
            fields[index] = number(len(fields[index]))
        parts = [fields[0], "-", fields[1], "-", fields[2], "T", fields[3], ":", fields[4]]
        parts += [":", fields[5], zone]
        if rng.random() < 0.1:  # a fraction, a space, a zone without colon, a missing part ...
            index = rng.randrange(len(parts) + 1)
            parts.insert(index, rng.choice((".5", " ", "0", "+0100", "")))
        return (" " if rng.random() < 0.05 else "") + "".join(parts)

    never = re.compile(r"(?!)")
    fast_used = read = 0
    for _ in range(20_000):
        value = text()
        fast = parse_datetime(value)
        with mock.patch.object(fhir_time, "_FULL_DATETIME", never):
            general = parse_datetime(value)
        assert fast == general, value
        assert fast[0] is None or fast[0].tzinfo is UTC
        fast_used += fhir_time._FULL_DATETIME.fullmatch(value.strip()) is not None
        read += fast[0] is not None
    assert fast_used > 10_000
    assert 8_000 < read < 19_000  # most read, some not: both ways taken
