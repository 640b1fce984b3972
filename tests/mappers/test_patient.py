"""Patient -> PatientFacts: sex from gender, birth date (partial dates too)."""

from __future__ import annotations

from datetime import date

import pytest

from fhir_mappers.patient import read_patient
from logic.model import Sex
from tests.support.fhir import patient


@pytest.mark.parametrize(
    ("gender", "sex"),
    [
        ("male", Sex.MALE),
        ("female", Sex.FEMALE),
        ("Female", Sex.FEMALE),
        ("other", Sex.UNKNOWN),
        ("unknown", Sex.UNKNOWN),
        (None, Sex.UNKNOWN),
        ("M", Sex.UNKNOWN),
    ],
    ids=[
        "male",
        "female",
        "female_capitalised",
        "other_is_unknown",
        "unknown",
        "absent",
        "letter_m_is_not_a_fhir_gender",
    ],
)
def test_sex_from_gender(gender: str | None, sex: Sex) -> None:
    facts, _ = read_patient(patient(gender=gender), "p1")
    assert facts.sex is sex


@pytest.mark.parametrize(
    ("birth", "expected", "reported"),
    [
        ("1950-03-04", date(1950, 3, 4), False),
        ("1950-03", date(1950, 3, 1), True),
        ("1950", date(1950, 1, 1), True),
        ("1950-02-30", None, True),
        ("03/04/1950", None, True),
        (None, None, False),
    ],
    ids=["full_date", "year_month", "year_only", "impossible_day", "us_format", "absent"],
)
def test_birth_date(birth: str | None, expected: date | None, reported: bool) -> None:
    facts, problems = read_patient(patient(birth=birth), "p1")
    assert facts.birth_date == expected
    assert bool(problems) is reported


def test_age_from_partial_birth_date() -> None:
    facts, _ = read_patient(patient(birth="1950"), "p1")
    assert facts.age_at(date(2026, 1, 1)) == 76


def test_no_patient_resource() -> None:
    facts, problems = read_patient(None, "p1")
    assert (facts.reference, facts.sex, facts.birth_date, problems) == (
        "Patient/p1",
        Sex.UNKNOWN,
        None,
        [],
    )


def test_junk_fields() -> None:
    facts, _ = read_patient(
        {"resourceType": "Patient", "gender": ["male"], "birthDate": 1950}, "p1"
    )
    assert (facts.sex, facts.birth_date) == (Sex.UNKNOWN, None)
