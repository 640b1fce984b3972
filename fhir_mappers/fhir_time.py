"""FHIR date and dateTime parsing, tolerant of what real EHRs send.

FHIR R4 `dateTime` is `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss(.sss)(Z|+hh:mm)`;
a time SHALL carry a zone. Some systems send a time without a zone, which strict R4B models
reject (CDS-HOOKS.md, "Real-world FHIR shapes"). Such a value is still read, as UTC, and the
caller records a MappingProblem with the message returned here: the resource must not vanish.

Every function returns `(value, problem)`; `problem` is None when the value was read as sent.
Nothing here raises on any input. This is the one FHIR time parser: labs, MRI reports, orders,
conditions and the patient all read their dates here, so that one input is read one way (a
zone written `+01:00` or `+0100`, a `T` or a space before the time, a partial date).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

_DATETIME = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?)?)?"
)

# The shape nearly every system sends (a full date, a time to the second, a zone): read without
# the optional parts of `_DATETIME` (the same groups, the same values; anything else, and any
# value this shape cannot build, goes the general way).
_FULL_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})")


@lru_cache(maxsize=256)  # zone texts ("Z", "+01:00"): a handful, none says who the patient is
def _zone(text: str) -> timezone | None:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(value: object) -> tuple[datetime | None, str | None]:
    """Read a FHIR dateTime/instant as a timezone-aware datetime.

    Partial dates take their first instant (1950 -> 1950-01-01T00:00Z) and are reported: the
    moment may be up to a year (a month) early. A time without a zone is taken as UTC and
    reported. Returns (None, reason) when nothing usable was sent.
    """
    if not isinstance(value, str):
        return None, "no dateTime" if value is None else "dateTime is not a string"
    text = value.strip()
    full = _FULL_DATETIME.fullmatch(text)
    if full is not None and _zone(full.group(7)) is not None:
        # `datetime.fromisoformat` reads this shape as the fields and zone above (in C); a
        # value it refuses (day 31 of a short month, hour 24) goes the general way, which says why
        try:
            return datetime.fromisoformat(text).astimezone(UTC), None
        except (ValueError, OverflowError):
            pass
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None, f"'{text[:40]}' is not a FHIR dateTime"
    parts = match.groupdict()
    try:
        fraction = (parts["f"] or "0")[:6].ljust(6, "0")
        zone = UTC
        problem = None
        if parts["H"] is not None:
            if parts["tz"] is None:
                problem = f"dateTime '{text}' has a time but no time zone: UTC assumed"
            else:
                found = _zone(parts["tz"])
                if found is None:
                    return None, f"dateTime '{text[:40]}' has an invalid time zone"
                zone = found
        parsed = datetime(
            int(parts["y"]),
            int(parts["m"] or 1),
            int(parts["d"] or 1),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0),
            int(fraction),
            tzinfo=zone,
        )
    except (ValueError, OverflowError):
        return None, f"'{text[:40]}' is not a valid date or time"
    if parts["d"] is None:
        problem = f"partial date '{text}': first day assumed"
    return parsed.astimezone(UTC), problem


def parse_date(value: object) -> tuple[date | None, str | None]:
    """Read a FHIR date (or the date part of a dateTime), partial dates to their first day.

    A partial date is reported ("1950" -> 1950-01-01, "partial date") because an age computed
    from it may be overstated by up to a year (month) - the caller decides whether that matters.
    """
    if not isinstance(value, str):
        return None, "no date" if value is None else "date is not a string"
    text = value.strip()
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None, f"'{text[:40]}' is not a FHIR date"
    parts = match.groupdict()
    try:
        parsed = date(int(parts["y"]), int(parts["m"] or 1), int(parts["d"] or 1))
    except (ValueError, OverflowError):
        return None, f"'{text[:40]}' is not a valid date"
    if parts["d"] is None:
        return parsed, f"date '{text}' is partial: taken as {parsed.isoformat()}"
    return parsed, None
