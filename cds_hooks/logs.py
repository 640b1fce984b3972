"""Structured JSON logs: one object per line, carrying ``hookInstance``.

What may be logged is decided here, not at each call site:

- ``JsonFormatter`` writes only the message, a fixed set of safe context fields
  (``SAFE_FIELDS``) and, for an exception, its type and stack frames (file, line, function),
  never its message or source lines (they may hold patient data).
- ``RedactingFilter`` scrubs ``Authorization`` headers, bearer tokens, JWTs and
  ``access_token`` values from every message before any handler sees it.

The request log (one line per request) is written by ``log_request`` from ``cds_hooks/__init__``.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_LOGGER = "marrow_cds.request"

# Context fields that may appear in a log line. Anything else passed via ``extra`` is dropped.
SAFE_FIELDS = (
    "hookInstance",
    "service",
    "hook",
    "method",
    "path",
    "status",
    "duration_ms",
    "rule_ids",
    "cards",
    "gaps",
    "error",
    "fhir_status",
    "fhir_host",
    "pages",
    "stored",
    "duplicates",
    "revision",
)

_SECRET_PATTERNS = (
    re.compile(r"(?i)(authorization\s*[:=]\s*)(\"?)[^\s\",}]+(\s+[^\s\",}]+)?"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(r"(?i)(\"?access_token\"?\s*[:=]\s*\"?)[^\s\",}]+"),
    re.compile(r"()eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # a JWT
)


def redact(text: str) -> str:
    """Mask anything that looks like a credential."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{'[redacted]'}", text)
    return text


class RedactingFilter(logging.Filter):
    """Scrubs credentials from the message and arguments of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a log filter must never lose the record (broken format string or argument)
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in SAFE_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _, tb = record.exc_info
            entry["exception"] = exc_type.__name__
            # Frames only (file, line, function): source lines may hold literal values.
            entry["stack"] = [
                f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)
            ]
        return orjson.dumps(entry, default=str).decode()


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the *current* ``sys.stderr`` (gunicorn, pytest's capture may replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """Route the service's loggers (``cds_hooks``, ``marrow_cds``) to stderr as JSON.

    Idempotent: calling it again (another app in the same process) changes only the level.
    """
    for name in ("cds_hooks", "marrow_cds", "fhir_mappers", "logic"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = StderrHandler()
            handler.setFormatter(JsonFormatter())
            handler.addFilter(RedactingFilter())
            logger.addHandler(handler)
            logger.propagate = False


def log_request(**fields: Any) -> None:
    """The one line per request (fields from ``SAFE_FIELDS``)."""
    logging.getLogger(REQUEST_LOGGER).info("request", extra=fields)
