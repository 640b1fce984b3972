"""The R4B validator as the strict check's shortcuts are tested against it: does R4B itself
accept this value? (One home for `tests/service/test_strict_*.py`.)"""

from __future__ import annotations

from typing import Any

from fhir_mappers import strict


def r4b_accepts(type_name: str, value: Any) -> bool:
    validate = strict._validator(type_name)
    try:
        validate(value)
    except Exception:  # noqa: BLE001 - any refusal by the R4B validator
        return False
    return True
