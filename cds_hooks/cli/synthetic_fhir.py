"""FHIR resources the offline tools make up: `read-report`'s normal panel, the audit's synthetic
exports. One builder, so that both send what a laboratory sends (LOINC code, UCUM unit, the
laboratory category, a reference range). Synthetic: never a patient's values."""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
_LABORATORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory",
        }
    ]
}


def lab_observation(
    obs_id: str,
    patient_id: str,
    loinc: str,
    display: str,
    value: float,
    unit: str,
    when: str,
    low: float | None = None,
    high: float | None = None,
) -> dict[str, Any]:
    """A final laboratory Observation with a UCUM quantity (and its reference range, if given)."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "category": [_LABORATORY],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    reference: dict[str, Any] = {}
    if low is not None:
        reference["low"] = {"value": low, "unit": unit, "system": UCUM, "code": unit}
    if high is not None:
        reference["high"] = {"value": high, "unit": unit, "system": UCUM, "code": unit}
    if reference:
        resource["referenceRange"] = [reference]
    return resource
