"""The strict R4B check's shortcut for plain elements and Patients (`fhir_mappers.strict.
_PLAIN_SHAPES`, the sibling of the lab times' shortcut in test_strict_times.py).

A Reference (a lab's subject), Quantity (its value) or Patient made only of plain members
(printable ASCII text, codes and URIs R4B's patterns accept, finite numbers, real full
dates) is called valid without the R4B validator. The shortcut may only ever answer "valid", and
only for a value R4B accepts: values generated from each shortcut's own members (valid and
invalid leaves, missing and unknown members, empty lists and objects) that it passes are checked
against R4B itself; and the shortcut is taken for the elements the service meets every day."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers import strict
from tests.support.r4b import r4b_accepts

VALID_TEXT = (
    "a", "a b", "718-7", "g/dL", "10*3/uL", "mL/min/{1.73_m2}", "http://loinc.org",
    "http://unitsofmeasure.org", "Patient/p-1", "Hemoglobin [Mass/volume] in Blood", "F",
    "female", "official", "bench-patient-1", "A.b-1", "1958-04-12", "2000-02-29",
    "2024-03-01T10:00:00+00:00", "2026-11-27T10:42:02Z", "Patient", "~!@#$%^&*()_+`{}|:<>?",
)  # fmt: skip
TRICKY_TEXT = (
    "", " ", "  ", "a  b", " a", "a ", "x\ty", "a\nb", "\r", "caf\u00e9", "\u00b5mol/L", "\x00",
    "\x7f", "\u2028", "\u00a0", "x" * 70, "x" * 300, "1958-02-29", "1899-12-31", "2100-01-01",
    "1958-4-12", "2024-03-01T10:00:00", "2024-03-01T10:00:60Z", "2024-13-01T10:00:00Z",
    "patient", "Patient ",
)  # fmt: skip
NUMBERS = (0, 1, -1, 10**20, 1.5, -0.0, 1e16, 1e-7, 1e308, float("inf"), float("nan"))
LEAF = st.one_of(
    st.sampled_from(VALID_TEXT),
    st.sampled_from(VALID_TEXT),
    st.sampled_from(NUMBERS),
    st.booleans(),
    st.sampled_from(TRICKY_TEXT),
    st.text(max_size=8),
    st.sampled_from((None, [], {}, ["a"], {"a": "b"})),
)
# As EHRs send them (benchmarks/patient_data.py has the same shapes).
QUANTITY = {"value": 13.4, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"}
OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "code": {
        "coding": [
            {
                "system": "http://loinc.org",
                "code": "718-7",
                "display": "Hemoglobin [Mass/volume] in Blood",
            }
        ],
        "text": "Hemoglobin [Mass/volume] in Blood",
    },
    "subject": {"reference": "Patient/bench-patient-1"},
    "valueQuantity": QUANTITY,
    "referenceRange": [{"low": {**QUANTITY, "value": 12.0}, "high": {**QUANTITY, "value": 15.5}}],
}
PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "bench-patient-1",
    "meta": {"lastUpdated": "2024-03-01T10:00:00+00:00"},
    "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"}],
    "name": [{"family": "Example", "given": ["Bench"]}],
    "gender": "female",
    "birthDate": "1958-04-12",
}
UNKNOWN_MEMBERS = ("extension", "id", "_value", "comparator", "type", "userSelected", "period")


SAMPLES = (*VALID_TEXT, *TRICKY_TEXT, *NUMBERS, True, False)


def _strategy(plain: strict.Plain, depth: int = 0, *, plain_only: bool = False) -> Any:
    """Values of the shortcut's own shape. `plain_only`: every leaf one the leaf's check
    passes, every member known, lists not empty (the shortcut passes them all); else most of
    them so and some not (any leaf, unknown members, empty lists), to try its edges."""
    parts = strict.SHAPE_PARTS.get(plain)
    if parts is None or depth > 4:  # a leaf: the samples this leaf's check passes
        fitting = st.sampled_from([value for value in SAMPLES if plain(value)])
        return fitting if plain_only else st.one_of(fitting, LEAF)
    if isinstance(parts, dict):
        members = {
            name: _strategy(member, depth + 1, plain_only=plain_only)
            for name, member in parts.items()
        }
        required = {name: members.pop(name) for name in ("resourceType",) if name in members}
        if not required:  # at least one member: an empty object is no plain value
            objects = st.fixed_dictionaries({}, optional=members).filter(bool)
        else:
            objects = st.fixed_dictionaries(required, optional=members)
        if plain_only:
            return objects
        with_unknown = st.tuples(objects, st.sampled_from(UNKNOWN_MEMBERS), LEAF).map(
            lambda t: {**t[0], t[1]: t[2]}
        )
        return st.one_of(objects, with_unknown, LEAF, st.just({}))
    items = _strategy(parts, depth + 1, plain_only=plain_only)
    if plain_only:
        return st.lists(items, min_size=1, max_size=3)
    return st.one_of(st.lists(items, max_size=3), LEAF)


@pytest.fixture(scope="module", autouse=True)
def _validators() -> None:
    strict.warm_up()


@pytest.mark.parametrize("type_name", sorted(strict._PLAIN_SHAPES))
def test_plain_values_pass_the_shortcut_and_r4b_accepts_them(type_name: str) -> None:
    plain = strict._PLAIN_SHAPES[type_name]

    @settings(max_examples=600, deadline=None)
    @given(_strategy(plain, plain_only=True))
    def check(value: Any) -> None:
        assert plain(value), value
        assert r4b_accepts(type_name, value), (type_name, value)

    check()


@pytest.mark.parametrize("type_name", sorted(strict._PLAIN_SHAPES))
def test_near_plain_values_the_shortcut_passes_r4b_accepts(type_name: str) -> None:
    plain = strict._PLAIN_SHAPES[type_name]
    passed: list[Any] = []

    @settings(max_examples=1500, deadline=None)
    @given(st.one_of(_strategy(plain), _strategy(plain, plain_only=True)))
    def check(value: Any) -> None:
        if plain(value):
            passed.append(value)
            assert r4b_accepts(type_name, value), (type_name, value)

    check()
    assert passed  # some pass: the edges are tried from both sides


def test_the_shortcut_is_taken_for_everyday_elements() -> None:
    """A lab Observation's subject and value and a Patient as EHRs send them pass it, and
    R4B accepts them; with non-ASCII text or an extension the validator decides as before."""
    strict.warm_up()
    observation = OBSERVATION
    for element in ("subject", "valueQuantity"):
        type_name = strict.OBSERVATION_ELEMENTS[element]
        assert strict._PLAIN_SHAPES[type_name](observation[element]), element
        assert r4b_accepts(type_name, observation[element])
    patient = PATIENT
    assert strict._PLAIN_SHAPES["Patient"](patient)
    assert r4b_accepts("Patient", patient)
    assert not strict._PLAIN_SHAPES["Patient"]({**patient, "name": [{"family": "M\u00fcller"}]})
    assert not strict._PLAIN_SHAPES["Patient"]({**patient, "extension": []})
    assert not strict._PLAIN_SHAPES["Patient"]({**patient, "resourceType": "Person"})


def test_messages_are_the_same_with_and_without_the_shortcut() -> None:
    """An element the shortcut does not pass still gets R4B's own message."""
    strict.warm_up()
    bad = {"value": 13.4, "unit": "g/dL", "code": "g /dL "}
    assert not strict._PLAIN_SHAPES["Quantity"](bad)
    assert strict._messages("Quantity", bad, "valueQuantity", None)
    assert strict.resource_problem(
        "Patient", {"resourceType": "Patient", "birthDate": "1958-02-29"}
    )
