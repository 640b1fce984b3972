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
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
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


# ------------------------------------------------------------------ plainly valid shapes
#
# The times' shortcut for a Patient and two elements of a lab Observation as they are nearly
# always sent: a value made only of the members below, each of the plain kind named (printable
# ASCII text, codes, URIs and ids that R4B's own patterns accept; a finite number; a real full
# date), is valid R4B (tests/service/test_strict_shapes.py: generated values of each shape that
# the shortcut passes are accepted by R4B, near misses included). Then neither a digest nor the
# R4B validator is needed. Anything else (another member, an extension, non-ASCII text, an
# empty value) is validated as before. Only "valid" is ever answered this way, never a message.
_TEXT_LIMIT = 4096
_TEXT = re.compile(r"[ -~]+")  # R4B string [ \r\n\t\S]+, here printable ASCII
_CODE = re.compile(r"[!-~]+(?: [!-~]+)*")  # R4B code [^\s]+(\s[^\s]+)*
_URI = re.compile(r"[!-~]+")  # R4B uri \S*
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # R4B id (fhir_core allows up to 255 characters)
_FULL_DATE = re.compile(r"(19[0-9][0-9]|20[0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")

Plain = Callable[[Any], bool]


def _text(value: Any) -> bool:
    return type(value) is str and len(value) <= _TEXT_LIMIT and _TEXT.fullmatch(value) is not None


def _code(value: Any) -> bool:
    return type(value) is str and len(value) <= _TEXT_LIMIT and _CODE.fullmatch(value) is not None


def _uri(value: Any) -> bool:
    return type(value) is str and len(value) <= _TEXT_LIMIT and _URI.fullmatch(value) is not None


def _id(value: Any) -> bool:
    return type(value) is str and _ID.fullmatch(value) is not None


def _decimal(value: Any) -> bool:
    """An int (not a bool) or a finite float: R4B's decimal pattern accepts their str()."""
    kind = type(value)
    return kind is int or (kind is float and math.isfinite(value))


def _boolean(value: Any) -> bool:
    return type(value) is bool


def _full_date(value: Any) -> bool:
    """YYYY-MM-DD of a real day, 1900-2099."""
    if type(value) is not str or _FULL_DATE.fullmatch(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _instant(value: Any) -> bool:
    return type(value) is str and plainly_valid_time("instant", value)


# How each shortcut is made (its members, or the kind of its items): for the tests.
SHAPE_PARTS: dict[Plain, dict[str, Plain] | Plain] = {}


def _list_of(item: Plain) -> Plain:
    def plain(value: Any) -> bool:
        return type(value) is list and bool(value) and all(item(v) for v in value)

    SHAPE_PARTS[plain] = item
    return plain


def _shape(members: dict[str, Plain]) -> Plain:
    """A non-empty JSON object of these members only, each plain."""
    names = frozenset(members)

    def plain(value: Any) -> bool:
        if type(value) is not dict or not value or not names.issuperset(value):
            return False
        for name, member in value.items():  # noqa: SIM110 - a loop: faster than all() here
            if not members[name](member):
                return False
        return True

    SHAPE_PARTS[plain] = members
    return plain


def _resource(resource_type: str, members: dict[str, Plain]) -> Plain:
    """A resource of this type with these members only (besides resourceType), each plain."""

    def its_type(value: Any) -> bool:
        return type(value) is str and value == resource_type

    inner = _shape({"resourceType": its_type, **members})

    def plain(value: Any) -> bool:
        return type(value) is dict and value.get("resourceType") == resource_type and inner(value)

    SHAPE_PARTS[plain] = SHAPE_PARTS[inner]
    return plain


# R4B element type -> its shortcut. Only where it pays: a Patient is validated whole in every
# call (47 -> 5 us), a subject once per record, a lab value nearly always anew (its digest
# rarely repeats). A code or a reference range repeats across results and patients: its
# digest is remembered (1.2-1.5 us), which a walk of its members in Python does not beat.
_PLAIN_SHAPES: dict[str, Plain] = {
    "Reference": _shape({"reference": _text, "display": _text}),
    "Quantity": _shape({"value": _decimal, "unit": _text, "system": _uri, "code": _code}),
    "Patient": _resource(
        "Patient",
        {
            "id": _id,
            "meta": _shape({"versionId": _id, "lastUpdated": _instant}),
            "identifier": _list_of(_shape({"system": _uri, "value": _text})),
            "active": _boolean,
            "name": _list_of(
                _shape(
                    {
                        "use": _code,
                        "text": _text,
                        "family": _text,
                        "given": _list_of(_text),
                        "prefix": _list_of(_text),
                        "suffix": _list_of(_text),
                    }
                )
            ),
            "gender": _code,
            "birthDate": _full_date,
        },
    ),
}


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
    plain = _PLAIN_SHAPES.get(type_name)
    if plain is not None and plain(value):
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
    plain = _PLAIN_SHAPES.get(type_name)
    if plain is not None and plain(resource):
        return None
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
