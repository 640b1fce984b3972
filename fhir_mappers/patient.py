"""Patient -> PatientFacts: sex (for the WHO anaemia cut-off) and birth date (for age > 50).

Sex comes from Patient.gender: "male" / "female"; "other", "unknown", absent or anything else is
Sex.UNKNOWN (the rules then use the unknown-sex default of SPEC.md section 4). A partial
birthDate ("1950", "1950-03") is read as its first day and reported: the age computed from it
may be overstated by up to a year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir_mappers.fhir_time import parse_date
from logic.model import MappingProblem, PatientFacts, Sex

_SEXES = {"male": Sex.MALE, "female": Sex.FEMALE}


def read_patient(
    resource: Mapping[str, Any] | None, patient_id: str
) -> tuple[PatientFacts, list[MappingProblem]]:
    reference = f"Patient/{patient_id}"
    if resource is None:
        return PatientFacts(reference=reference), []
    problems: list[MappingProblem] = []
    gender = resource.get("gender")
    sex = (
        _SEXES.get(gender.strip().lower(), Sex.UNKNOWN) if isinstance(gender, str) else Sex.UNKNOWN
    )
    raw_birth = resource.get("birthDate")
    birth_date, problem = parse_date(raw_birth)
    if raw_birth is not None and problem is not None:
        problems.append(MappingProblem(reference, f"birthDate: {problem}"))
    return PatientFacts(reference=reference, sex=sex, birth_date=birth_date), problems
