"""The strict R4B check's shortcut for lab times (`fhir_mappers.strict.plainly_valid_time`).

A dateTime / instant of the common full shape ("2026-11-27T10:42:02+00:00") that the shortcut
calls valid is not handed to the R4B validator. It may only ever answer "valid", and only for a
time R4B accepts: every combination of edge values of each part (years, months, days, hours,
minutes, seconds, zones) and generated times are checked against R4B itself, and the check's
messages are the same with and without the shortcut. (Here, not in tests/mappers: that tier is
another session's while this was written.)"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers import strict
from tests.support.r4b import r4b_accepts

YEARS = ("0000", "0001", "0999", "1000", "1970", "2000", "2024", "2026", "2100", "9999")
MONTHS = ("00", "01", "02", "04", "09", "11", "12", "13")
DAYS = ("00", "01", "28", "29", "30", "31", "32")
HOURS = ("00", "23", "24")
MINUTES = ("00", "59", "60")
SECONDS = ("00", "59", "60", "61")
ZONES = ("Z", "+00:00", "-00:00", "+05:30", "-12:00", "+13:59", "+14:00", "+14:01", "-14:00",
         "+15:00", "+13:60", "+24:00")  # fmt: skip
TYPES = ("dateTime", "instant")


@pytest.fixture(scope="module", autouse=True)
def _validators() -> None:
    strict.warm_up()


def test_every_time_the_shortcut_passes_is_accepted_by_r4b() -> None:
    passed = 0
    for type_name in TYPES:
        parts = itertools.product(YEARS, MONTHS, DAYS, HOURS, MINUTES, SECONDS, ZONES)
        for year, month, day, hour, minute, second, zone in parts:
            value = f"{year}-{month}-{day}T{hour}:{minute}:{second}{zone}"
            if strict.plainly_valid_time(type_name, value):
                passed += 1
                assert r4b_accepts(type_name, value), (type_name, value)
    assert passed > 10_000  # the shortcut is taken (most such times are real ones)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(TYPES),
    st.datetimes(),
    st.sampled_from(["Z", "+00:00", "-05:00", "+01:00", "+14:00", "+13:45", ""]),
    st.sampled_from(["", ".5", ".123456"]),
)
def test_generated_times_the_shortcut_passes_are_accepted_by_r4b(
    type_name: str, moment: Any, zone: str, fraction: str
) -> None:
    value = moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone
    if strict.plainly_valid_time(type_name, value):
        assert r4b_accepts(type_name, value)


def test_observation_messages_are_the_same_without_the_shortcut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    times = [
        "2026-11-27T10:42:02+00:00",
        "2026-11-27T10:42:02Z",
        "2026-02-30T10:42:02Z",  # no such day
        "2026-11-27T24:00:00Z",
        "2026-11-27T10:42:60Z",  # leap second
        "2026-11-27T10:42:02",  # no zone
        "2026-11-27T10:42:02+14:01",
        "0000-11-27T10:42:02Z",
        "2026-11-27",
        "2026-11-27T10:42:02.123+01:00",
        "27/11/2026",
    ]
    observations = [
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "effectiveDateTime": when,
            "issued": when,
        }
        for when in times
    ]
    assert strict.plainly_valid_time("dateTime", times[0])  # the shortcut is taken
    with_shortcut = [strict.observation_problem(o, []) for o in observations]
    monkeypatch.setattr(strict, "_TIME_PATTERNS", {})
    without = [strict.observation_problem(o, []) for o in observations]
    assert with_shortcut == without
    assert with_shortcut[0] is None
    assert with_shortcut[2] is not None  # refused by R4B, with its own message
