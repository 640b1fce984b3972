"""Small builders of FHIR R4 JSON for the mapper tests (plain dicts, as an EHR sends them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PATIENT_ID = "p1"


def fhir_bundle(
    resources: Iterable[dict[str, Any]],
    *,
    bundle_type: str = "searchset",
    total: bool = False,
    full_url_base: str | None = None,
    search_mode: bool = False,
    next_url: str | None = None,
) -> dict[str, Any]:
    """The test kit's one Bundle builder; each tier's `bundle()` says which parts its EHR sends:
    `total`, each entry's `fullUrl` (`<full_url_base>/<type>/<id>`) and `search.mode` "match",
    and a `next` link (paging)."""
    items = list(resources)
    document: dict[str, Any] = {"resourceType": "Bundle", "type": bundle_type}
    if total:
        document["total"] = len(items)
    entries = []
    for resource in items:
        entry: dict[str, Any] = {}
        if full_url_base is not None:
            entry["fullUrl"] = f"{full_url_base}/{resource['resourceType']}/{resource['id']}"
        entry["resource"] = resource
        if search_mode:
            entry["search"] = {"mode": "match"}
        entries.append(entry)
    document["entry"] = entries
    if next_url:
        document["link"] = [{"relation": "next", "url": next_url}]
    return document


def quantity(value: Any, unit: str | None = None, code: str | None = None) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value}
    if unit is not None:
        q["unit"] = unit
    if code is not None:
        q["system"] = "http://unitsofmeasure.org"
        q["code"] = code
    return q


def observation(
    loinc: str,
    *,
    oid: str = "o1",
    when: str | None = "2026-01-10T09:00:00Z",
    status: str = "final",
    subject: str = f"Patient/{PATIENT_ID}",
    **value: Any,
) -> dict[str, Any]:
    """An Observation; `value` holds value[x] / referenceRange / component etc. as keywords."""
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": subject},
    }
    if when is not None:
        obs["effectiveDateTime"] = when
    obs.update(value)
    return obs


def ucum(value: Any, code: str, **extra: Any) -> dict[str, Any]:
    """An Observation value in a UCUM unit: `valueQuantity` with code and unit text."""
    return {"valueQuantity": quantity(value, code, code), **extra}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A searchset of bare entries (the mapper tests)."""
    return fhir_bundle(resources)


def patient(gender: str | None = "female", birth: str | None = "1950-03-04") -> dict[str, Any]:
    p: dict[str, Any] = {"resourceType": "Patient", "id": PATIENT_ID}
    if gender is not None:
        p["gender"] = gender
    if birth is not None:
        p["birthDate"] = birth
    return p


def condition(
    code: str,
    system: str = "http://hl7.org/fhir/sid/icd-10-cm",
    *,
    cid: str = "c1",
    clinical: str | None = "active",
    verification: str | None = "confirmed",
) -> dict[str, Any]:
    c: dict[str, Any] = {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [{"system": system, "code": code, "display": f"dx {code}"}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "recordedDate": "2025-05-01",
    }
    if clinical is not None:
        c["clinicalStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": clinical,
                }
            ]
        }
    if verification is not None:
        c["verificationStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": verification,
                }
            ]
        }
    return c
