"""FHIR R4 JSON -> the domain model of `logic.model`.

Public entry point: `map_patient_record(documents, patient_id, *, gaps=()) -> PatientRecord`.
`warm_up()` loads the UCUM registry and the R4B models so that no request pays for them.
"""

from __future__ import annotations

from fhir_mappers.limits import (
    REPORT_READING_LIMIT_CHARS,
    REPORT_READING_LIMIT_SENTENCES,
    Stop,
    WorkStopped,
)
from fhir_mappers.record import map_patient_record, select_documents, warm_up

__all__ = [
    "REPORT_READING_LIMIT_CHARS",
    "REPORT_READING_LIMIT_SENTENCES",
    "Stop",
    "WorkStopped",
    "map_patient_record",
    "select_documents",
    "warm_up",
]
