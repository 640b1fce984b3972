"""The FHIR resource id: the one pattern the service checks an id with.

FHIR R4 `id`: 1 to 64 characters of A-Z, a-z, 0-9, "-" and ".". A hook's `context.patientId`,
an id written into a drafted ServiceRequest, a reference read from a DiagnosticReport or an
audit export, and a FHIR reference removed from clinician-facing text all use this pattern.
"""

from __future__ import annotations

import re
from typing import Final

# The pattern as text, for building larger patterns ("Patient/{FHIR_ID_PATTERN}") and for the
# OpenAPI document.
FHIR_ID_PATTERN: Final = r"[A-Za-z0-9\-.]{1,64}"
FHIR_ID: Final = re.compile(FHIR_ID_PATTERN)


def is_fhir_id(value: object) -> bool:
    """`value` is a string that is a valid FHIR resource id."""
    return isinstance(value, str) and FHIR_ID.fullmatch(value) is not None
