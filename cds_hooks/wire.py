"""Reading request bodies and writing responses with orjson (no ``request.get_json``: speed).

- ``read_json_object``: media type (415), size (413, also enforced while reading by werkzeug's
  MAX_CONTENT_LENGTH), then ``orjson.loads`` (400 on malformed JSON or a non-object).
- ``validation_error``: a pydantic error as a 400 whose text names fields, never input values
  (they may be patient data or a token).
- ``json_response``: ``orjson.dumps`` of a pydantic model dumped with
  ``mode="json", exclude_none=True`` and then ``prune_empty`` (no null, "", [] or {}); a body
  with no empty member (checked first: cheaper than pruning) is sent as dumped.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, current_app, request
from pydantic import BaseModel, ValidationError

from .errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

KEEP_EMPTY = frozenset({"cards"})  # CDS-HOOKS.md: "cards: []" is required


def is_json_media_type(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def read_json_object() -> dict[str, Any]:
    if not is_json_media_type(request.mimetype):
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, not {request.mimetype or 'absent'!r}"
        )
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    data = request.get_data(cache=False)
    if limit is not None and request.content_length is None and len(data) >= limit:
        # Chunked body: werkzeug stops reading at the limit, so a body that reaches it is
        # (at least) that long; reject it rather than parse a truncated document.
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    if not data:
        raise BadRequest("request body is empty")
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def validation_error(error: ValidationError, what: str) -> BadRequest:
    problems = []
    for item in error.errors(include_input=False, include_url=False)[:10]:
        location = ".".join(str(part) for part in item["loc"]) or "(body)"
        problems.append(f"{location}: {item['msg']}")
    first = error.errors(include_input=False)[0]["loc"] if error.error_count() else ()
    return BadRequest(
        f"invalid {what}: " + "; ".join(problems),
        expression=".".join(str(p) for p in first) or None,
    )


def prune_empty(value: Any, *, top: bool = True) -> Any:
    """Drop None, "", [] and {} members recursively (CDS-HOOKS.md response hygiene); the
    top-level ``cards`` is kept even when empty."""
    if top and isinstance(value, dict):
        pruned = _pruned(value)
        for key in KEEP_EMPTY:
            if key in value and key not in pruned:
                pruned[key] = _pruned(value[key])
        # the members in their original order
        return {k: pruned[k] for k in value if k in pruned}
    return _pruned(value)


def _pruned(value: Any) -> Any:
    """`prune_empty` below the top level, in one pass with a fast path for the JSON types
    (every response goes through it); anything else is compared as `_empty` says."""
    if isinstance(value, dict):
        return _pruned_dict(value)
    if isinstance(value, list):
        return _pruned_list(value)
    return value


def _pruned_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    pruned = {}
    for k, v in value.items():
        kind = type(v)
        if kind is str or kind is int or kind is float or kind is bool:
            if v != "":
                pruned[k] = v
        elif v is not None:
            v = _pruned(v)
            if not _empty(v):
                pruned[k] = v
    return pruned


def _pruned_list(value: list[Any]) -> list[Any]:
    kept = []
    for v in value:
        kind = type(v)
        if kind is str or kind is int or kind is float or kind is bool:
            if v != "":
                kept.append(v)
        elif v is not None:
            v = _pruned(v)
            if not _empty(v):
                kept.append(v)
    return kept


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _has_empty(value: Any) -> bool:
    """Whether `prune_empty` could change `value`: an empty str, list or dict anywhere in it, or
    a member that is not a str, int, float, bool, dict or list (None, or a type only `_empty`
    decides on). False: pruning would return an equal copy, members in the same order."""
    kind = type(value)
    if (kind is not dict and kind is not list) or not value:
        return True
    for v in value.values() if kind is dict else value:
        kind = type(v)
        if kind is str:
            if not v:
                return True
        elif kind is dict or kind is list:
            if _has_empty(v):
                return True
        elif kind is not int and kind is not float and kind is not bool:
            return True
    return False


def json_response(model: BaseModel, status: int = 200) -> Response:
    body = model.model_dump(mode="json", exclude_none=True)
    # The rendered cards have no empty member (tests/cards): checking costs a quarter of
    # pruning, and then the body is sent as dumped (the same bytes as its pruned copy).
    if _has_empty(body):
        body = prune_empty(body)
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def json_body(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")
