"""Property: map_patient_record never raises, whatever JSON it is given.

Arbitrary JSON in place of any resource, and real resources with fields replaced by arbitrary
JSON, give MappingProblems instead of exceptions. Example counts are moderate: CI has 2 cores.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_mappers import map_patient_record
from fhir_mappers.lab_codes import recognise
from fhir_mappers.select import IGNORED_STATUSES
from logic.model import PatientRecord
from tests.support.fhir import PATIENT_ID, bundle, condition, observation, patient, quantity, ucum

DATA = Path(__file__).resolve().parent.parent / "data"

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "Observation",
            "Bundle",
            "Patient",
            "Condition",
            "DiagnosticReport",
            "final",
            "718-7",
            "http://loinc.org",
            "Patient/p1",
            "urn:uuid:p1",
            "g/L",
            "10*9/L",
            "2026-01-01T10:00:00",
            "C90.00",
            "No monoclonal protein detected",
            "<0.5",
            "mg/dL",
            "active",
            "refuted",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "code",
                    "coding",
                    "value",
                    "valueQuantity",
                    "subject",
                    "reference",
                    "status",
                    "entry",
                    "resource",
                    "effectiveDateTime",
                    "unit",
                    "component",
                    "referenceRange",
                    "id",
                    "system",
                    "gender",
                    "x",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def _examples() -> list[dict[str, Any]]:
    examples = [
        patient(),
        observation("718-7", **ucum(95, "g/L"), referenceRange=[{"low": quantity(120, "g/L")}]),
        observation("12851-2", valueString="Monoclonal IgG kappa"),
        observation("36916-5", valueQuantity={**quantity(1, "mg/L", "mg/L"), "comparator": "<"}),
        observation(
            "58410-2", component=[{"code": {"coding": [{"code": "742-7"}]}, **ucum(1.2, "10*9/L")}]
        ),
        condition("C90.00"),
    ]
    with (DATA / "uscore" / "DiagnosticReport-chest-xray-report.json").open(encoding="utf-8") as f:
        examples.append(json.load(f))
    return examples


EXAMPLES = _examples()


def _has(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)


def _replace(resource: Any, path: list[str | int], value: Any) -> Any:
    """A deep copy of `resource` with the element at `path` (as far as it exists) replaced."""
    mutated = copy.deepcopy(resource)
    node = mutated
    for step in path[:-1]:
        if not _has(node, step):
            break
        node = node[step]
    last = path[-1]
    if isinstance(node, dict) or _has(node, last):
        node[last] = value
    return mutated


def _paths(value: Any, prefix: list[str | int]) -> list[list[str | int]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, [*prefix, key])
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, [*prefix, index])
    return found


@st.composite
def mutated_resources(draw: st.DrawFn) -> Any:
    resource = draw(st.sampled_from(EXAMPLES))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(resource, [])))
        resource = _replace(resource, path, draw(json_values))
    return resource


def _check(documents: Any) -> None:
    record = map_patient_record(documents, PATIENT_ID)
    assert isinstance(record, PatientRecord)
    for lab in record.labs:
        assert lab.value is None or lab.evaluable
        assert lab.effective.tzinfo is not None


@SETTINGS
@given(st.lists(json_values, max_size=4))
def test_arbitrary_json_documents_never_raise(documents: list[Any]) -> None:
    _check(documents)


@SETTINGS
@given(st.lists(json_values, max_size=4))
def test_arbitrary_json_in_place_of_bundle_entries_never_raises(resources: list[Any]) -> None:
    _check([{"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}])


@SETTINGS
@given(st.lists(mutated_resources(), min_size=1, max_size=4))
def test_mutated_real_resources_never_raise(resources: list[Any]) -> None:
    _check([bundle(*resources), *resources])


def _recognised(resource: dict[str, Any]) -> bool:
    code = resource.get("code")
    if isinstance(code, dict) and recognise(code.get("coding")) is not None:
        return True
    parts = resource.get("component")
    return isinstance(parts, list) and any(
        isinstance(part, dict)
        and isinstance(part.get("code"), dict)
        and recognise(part["code"].get("coding")) is not None
        for part in parts
    )


@SETTINGS
@given(mutated_resources())
def test_a_broken_lab_observation_gives_problems_not_silence(resource: Any) -> None:
    """A recognised lab Observation is used, or a problem says why not (never silent)."""
    record = map_patient_record([bundle(patient(), resource)], PATIENT_ID)
    silently_ignorable = (
        not isinstance(resource, dict)
        or resource.get("resourceType") != "Observation"
        or (isinstance(resource.get("status"), str) and resource["status"] in IGNORED_STATUSES)
        or not _recognised(resource)
    )
    assert record.labs or record.problems or silently_ignorable
