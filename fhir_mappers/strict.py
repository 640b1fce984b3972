"""Strict FHIR R4B check (fhir.resources.R4B) of what the record actually uses.

The tolerant readers decide what a value means; this module only records, as MappingProblems,
what strict R4B rejects in the resources the record uses ("read where clear", CDS-HOOKS.md:
"such a resource must not vanish silently").

Cost matters (a whole R4B Observation takes about 0.2 ms to validate), so a lab Observation is
checked element by element, and only on the elements the lab reader read (code, subject,
effective[x], issued, value[x], interpretation, referenceRange, the component used), each with
its R4B datatype model. Elements that repeat across results (the code, a reference range) are
validated once per distinct content (a bounded in-process cache keyed by digests: it holds no
patient data; see PER_RECORD_ELEMENTS). Conditions and the Patient are few and are validated
whole, without a cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, get_args

import orjson

if TYPE_CHECKING:
    from pydantic import ValidationError

MAX_ERRORS = 3
# Validation results are remembered by a 16-byte BLAKE2b digest of (type, content), never by the
# content itself, so the process-wide cache holds no patient data. The subject reference (one per
# patient, easy to enumerate) is remembered only for the record being mapped (`memo`).
PER_RECORD_ELEMENTS = frozenset({"subject"})
_CACHE_LIMIT = 8192
_cache: dict[bytes, tuple[str, ...]] = {}
_validators: dict[str, Callable[[Any], object]] = {}

# Primitive values (a time, a string) are mostly different in every result and cost about as
# much to validate as to digest: validated each time, not remembered (they would only fill the
# cache and push the codes and ranges that do repeat out of it).
NOT_REMEMBERED = frozenset({"dateTime", "instant", "string", "integer"})

# The shape nearly every lab time comes in ("2026-11-27T10:42:02+00:00", "...Z"). Such a time is
# valid R4B dateTime and instant when it also matches the type's own R4B pattern, is a real
# calendar date (`datetime.fromisoformat`) and its seconds are not the leap second 60: then it
# is not handed to the R4B validator (4.5 us a time; 117 times in a 1,000-Observation call).
# Anything else is validated as before. Only an answer "valid" is given this way: never a
# message of its own (tests/service/test_strict_times.py: no time it passes is refused by R4B).
_PLAIN_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
_TIME_PATTERNS: dict[str, re.Pattern[str]] = {}  # "dateTime", "instant": R4B's own patterns


def plainly_valid_time(type_name: str, value: str) -> bool:
    """`value` is a dateTime / instant of the common full shape that R4B accepts (above)."""
    pattern = _TIME_PATTERNS.get(type_name)
    if pattern is None or _PLAIN_TIME.fullmatch(value) is None or value[17:19] == "60":
        return False
    if pattern.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


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
    from fhir_core.types import (
        DateTime,
        DateTimeType,
        Instant,
        InstantType,
        IntegerType,
        StringType,
    )
    from pydantic import TypeAdapter

    _TIME_PATTERNS.setdefault("dateTime", DateTime.pattern)
    _TIME_PATTERNS.setdefault("instant", Instant.pattern)

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


def _digest(type_name: str, value: object) -> bytes | None:
    try:
        content = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):  # not JSON (non-str keys, huge ints, depth)
        return None
    if b"null" in content:  # orjson writes NaN and None alike: do not remember
        return None
    return hashlib.blake2b(_prefix(type_name) + content, digest_size=16).digest()


def _prefix(type_name: str) -> bytes:
    prefix = _prefixes.get(type_name)
    if prefix is None:
        prefix = _prefixes[type_name] = type_name.encode() + b"\0"
    return prefix


_prefixes: dict[str, bytes] = {}


def _located(found: tuple[str, ...], where: str) -> tuple[str, ...]:
    return tuple(m.replace("\0", where) for m in found) if found else ()


def _messages(
    type_name: str, value: object, where: str, memo: dict[bytes, tuple[str, ...]] | None
) -> tuple[str, ...]:
    """R4B's complaints about `value` as `type_name`, located at `where`; remembered in `memo`."""
    if type(value) is str and type_name in _TIME_PATTERNS and plainly_valid_time(type_name, value):
        return ()
    key = _digest(type_name, value) if memo is not None else None
    if key is not None and memo is not None:
        known = memo.get(key)
        if known is not None:
            return _located(known, where)
    validate = _validators.get(type_name) or _validator(type_name)
    try:
        validate(value)
        found: tuple[str, ...] = ()
    except _validation_error() as exc:
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
    except Exception as exc:  # noqa: BLE001 - a value pydantic cannot even look at
        found = (f"\0: {type(exc).__name__}",)
    if key is not None and memo is not None:
        if len(memo) >= _CACHE_LIMIT:
            memo.clear()
        memo[key] = found
    return _located(found, where)


def _validation_error() -> type[ValidationError]:
    from pydantic import ValidationError

    return ValidationError


def _problem_text(messages: Sequence[str]) -> str | None:
    if not messages:
        return None
    shown = "; ".join(messages[:MAX_ERRORS])
    more = len(messages) - MAX_ERRORS
    if more > 0:
        shown += f" (and {more} more)"
    return f"not valid FHIR R4B (read where its meaning is clear): {shown}"


def observation_problem(
    resource: Mapping[str, Any],
    components: Sequence[int],
    memo: dict[bytes, tuple[str, ...]] | None = None,
) -> str | None:
    """What R4B rejects in the elements of a lab Observation that were read, or None.

    `memo` remembers the per-record elements (the subject) across the record's Observations.
    """
    messages: list[str] = []
    for element, type_name in OBSERVATION_ELEMENTS.items():
        if element in resource:
            remember = memo if element in PER_RECORD_ELEMENTS else _cache
            if type_name in NOT_REMEMBERED:
                remember = None
            messages.extend(_messages(type_name, resource[element], element, remember))
    parts = resource.get("component")
    for index in components:
        if isinstance(parts, list) and index < len(parts):
            where = f"component[{index}]"
            messages.extend(_messages("ObservationComponent", parts[index], where, _cache))
    for required in ("status", "code"):
        if required not in resource:
            messages.append(f"{required}: Field required")
    return _problem_text(messages)


def resource_problem(type_name: str, resource: Mapping[str, Any]) -> str | None:
    """What R4B rejects in a whole Condition or Patient, or None."""
    return _problem_text(_messages(type_name, dict(resource), type_name, None))


def warm_up() -> None:
    """Build the R4B validators now (the first use of each costs tens of milliseconds), and
    import the models of every element they may meet (`_load_element_models`)."""
    for type_name in {*OBSERVATION_ELEMENTS.values(), "ObservationComponent"}:
        _validator(type_name)
    resource_problem("Condition", {"resourceType": "Condition"})
    resource_problem("Patient", {"resourceType": "Patient"})
    _load_element_models()


_element_models_loaded = False


def _load_element_models() -> None:
    """Import the R4B model of every element type a Patient, Condition or Observation can hold,
    once per process. fhir.resources imports an element's model the first time a value of that
    type is validated (HumanName, Identifier, Meta, Coding ...): without this, the first calls
    that meet them (each gunicorn worker's first patient) pay the imports, some 18 ms."""
    global _element_models_loaded
    if _element_models_loaded:
        return
    _element_models_loaded = True
    from fhir.resources.R4B.condition import Condition
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient
    from fhir_core.types import FhirBase

    seen: set[type] = set()
    models: list[type] = [Patient, Condition, Observation]
    while models:
        model = models.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in getattr(model, "model_fields", {}).values():
            for kind in _types_in(field.annotation):
                if issubclass(kind, FhirBase) and hasattr(kind, "_model_klass"):
                    models.append(kind.get_model_klass())


def _types_in(annotation: object) -> Iterator[type]:
    """The classes named in an annotation (`list[X] | None` -> list, X, NoneType)."""
    if isinstance(annotation, type):
        yield annotation
    for argument in get_args(annotation):
        yield from _types_in(argument)
