"""Start-up warm-up: after `fhir_mappers.warm_up()` a request imports no R4B model.

fhir.resources imports an element's model the first time it validates a value of that type; the
warm-up imports them all for the resources the strict check validates, so that no call (each
gunicorn worker's first) pays the imports. Checked in a fresh interpreter: this test process has
imported the models already."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import sys
import fhir_mappers
from fhir_mappers import strict

fhir_mappers.warm_up()
before = set(sys.modules)
patient = {
    "resourceType": "Patient", "id": "p1", "meta": {"lastUpdated": "2024-03-01T10:00:00Z"},
    "identifier": [{"system": "urn:oid:1.2.3", "value": "12345"}],
    "name": [{"family": "Example", "given": ["Ann"]}], "gender": "female",
    "birthDate": "1958-04-12", "telecom": [{"system": "phone", "value": "555"}],
    "address": [{"city": "Leeds", "period": {"start": "2020-01-01"}}],
    "contact": [{"relationship": [{"text": "daughter"}], "name": {"text": "B"}}],
    "extension": [{"url": "http://example.org/x", "valueAge": {"value": 3}}],
    "managingOrganization": {"reference": "Organization/o1"},
}
condition = {
    "resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}]},
    "onsetAge": {"value": 60}, "note": [{"text": "x"}], "evidence": [{"detail": [{}]}],
    "stage": [{"summary": {"text": "I"}}], "recorder": {"reference": "Practitioner/1"},
}
observation = {
    "resourceType": "Observation", "id": "o1", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
    "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-11-20T10:00:00Z",
    "valueQuantity": {"value": 11.1, "unit": "g/dL"},
    "referenceRange": [{"low": {"value": 12}, "appliesTo": [{"text": "women"}],
                        "age": {"low": {"value": 18}}}],
    "component": [{"code": {"text": "x"}, "valueSampledData": {"origin": {"value": 0},
                   "period": 1, "dimensions": 1}}],
}
strict.resource_problem("Patient", patient)
strict.resource_problem("Condition", condition)
strict.observation_problem(observation, [0])
print(sorted(m for m in set(sys.modules) - before if m.startswith("fhir")))
"""


def test_a_request_after_the_warm_up_imports_no_fhir_model() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
