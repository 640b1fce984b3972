"""Strict FHIR R4B check (fhir.resources.R4B) of what the record actually uses.

The tolerant readers decide what a value means; this module only records, as MappingProblems,
what strict R4B rejects in the resources the record uses ("read where clear", CDS-HOOKS.md:
"such a resource must not vanish silently").

Cost matters (a whole R4B Observation takes about 0.2 ms to validate), so a lab Observation is
checked element by element, and only on the elements the lab reader read (code, subject,
effective[x], issued, value[x], interpretation, referenceRange, the component used), each with
its R4B datatype model. Elements that repeat across results (the code, the subject, a
reference range) are validated once per distinct content. Conditions and the Patient are few
and are validated whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

MAX_ERRORS = 3
_CACHE_LIMIT = 4096
_cache: dict[bytes, tuple[str, ...]] = {}
_validators: dict[str, Callable[[Any], object]] = {}

# Observation element -> R4B type name (see `_validator`).
OBSERVATION_ELEMENTS: dict[str, str] = {
    "code": "CodeableConcept",
    "subject": "Reference",
    "effectiveDateTime": "dateTime",
    "effectivePeriod": "Period",
    "effectiveInstant": "instant",
    "issued": "instant",
    "valueQuantity": "Quantity",
    "valueCodeableConcept": "CodeableConcept",
    "valueString": "string",
    "valueRatio": "Ratio",
    "valueInteger": "integer",
    "dataAbsentReason": "CodeableConcept",
    "interpretation": "CodeableConcept[]",
    "referenceRange": "ObservationReferenceRange[]",
}


def _validator(type_name: str) -> Callable[[Any], object]:
    """A callable that raises pydantic.ValidationError when the R4B type rejects a value."""
    found = _validators.get(type_name)
    if found is not None:
        return found
    from fhir.resources.R4B.codeableconcept import CodeableConcept
    from fhir.resources.R4B.condition import Condition
    from fhir.resources.R4B.observation import (
        ObservationComponent,
        ObservationReferenceRange,
    )
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.period import Period
    from fhir.resources.R4B.quantity import Quantity
    from fhir.resources.R4B.ratio import Ratio
    from fhir.resources.R4B.reference import Reference
    from fhir_core.types import DateTimeType, InstantType, IntegerType, StringType
    from pydantic import TypeAdapter

    models: dict[str, Any] = {
        "CodeableConcept": CodeableConcept,
        "Reference": Reference,
        "Period": Period,
        "Quantity": Quantity,
        "Ratio": Ratio,
        "ObservationReferenceRange": ObservationReferenceRange,
        "ObservationComponent": ObservationComponent,
        "Condition": Condition,
        "Patient": Patient,
    }
    primitives: dict[str, Any] = {
        "dateTime": DateTimeType,
        "instant": InstantType,
        "integer": IntegerType,
        "string": StringType,
    }
    base = type_name.removesuffix("[]")
    target = models.get(base) or primitives[base]
    validate: Callable[[Any], object]
    if type_name.endswith("[]"):
        validate = TypeAdapter(list[target]).validate_python  # type: ignore[valid-type]
    elif base in models:
        validate = target.model_validate
    else:
        validate = TypeAdapter(target).validate_python
    _validators[type_name] = validate
    return validate


def _messages(type_name: str, value: object, where: str) -> tuple[str, ...]:
    from pydantic import ValidationError

    try:
        key: bytes | None = type_name.encode() + b"\0" + orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        key = None
    if key is not None and b"null" in key:  # orjson writes NaN and None alike: no cache
        key = None
    if key is not None and key in _cache:
        return tuple(m.replace("\0", where) for m in _cache[key])
    try:
        _validator(type_name)(value)
        found: tuple[str, ...] = ()
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        found = tuple(
            "\0"
            + "".join(
                f".{part}" if isinstance(part, str) else f"[{part}]"
                for part in error.get("loc", ())
            )
            + f": {str(error.get('msg', 'invalid'))[:160]}"
            for error in errors
        )
    except Exception as exc:  # a value pydantic cannot even look at
        found = (f"\0: {type(exc).__name__}",)
    if key is not None:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[key] = found
    return tuple(m.replace("\0", where) for m in found)


def _problem_text(messages: Sequence[str]) -> str | None:
    if not messages:
        return None
    shown = "; ".join(messages[:MAX_ERRORS])
    more = len(messages) - MAX_ERRORS
    if more > 0:
        shown += f" (and {more} more)"
    return f"not valid FHIR R4B (read where its meaning is clear): {shown}"


def observation_problem(resource: Mapping[str, Any], components: Sequence[int]) -> str | None:
    """What R4B rejects in the elements of a lab Observation that were read, or None."""
    messages: list[str] = []
    for element, type_name in OBSERVATION_ELEMENTS.items():
        if element in resource:
            messages.extend(_messages(type_name, resource[element], element))
    parts = resource.get("component")
    for index in components:
        if isinstance(parts, list) and index < len(parts):
            where = f"component[{index}]"
            messages.extend(_messages("ObservationComponent", parts[index], where))
    for required in ("status", "code"):
        if required not in resource:
            messages.append(f"{required}: Field required")
    return _problem_text(messages)


def resource_problem(type_name: str, resource: Mapping[str, Any]) -> str | None:
    """What R4B rejects in a whole Condition or Patient, or None."""
    return _problem_text(_messages(type_name, dict(resource), type_name))


def warm_up() -> None:
    """Build the R4B validators now (the first use of each costs tens of milliseconds)."""
    for type_name in {*OBSERVATION_ELEMENTS.values(), "ObservationComponent"}:
        _validator(type_name)
    resource_problem("Condition", {"resourceType": "Condition"})
    resource_problem("Patient", {"resourceType": "Patient"})
