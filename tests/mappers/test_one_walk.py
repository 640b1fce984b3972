"""One walk over the documents (issue 11, speed): what `select_documents` meets on the mapper's
walk serves the report fetch (`report_content.needs`) and the placed orders
(`service_requests`) exactly as their own walks did, and `map_patient_record` with the
selection answers what it answers without one."""

from __future__ import annotations

import random
from typing import Any

import pytest

from fhir_mappers import map_patient_record, select_documents
from fhir_mappers import report_content as rc
from fhir_mappers import service_requests as sr
from tests.support.fhir import PATIENT_ID, observation, patient, ucum

OTHER = "someone-else"


def _report(n: int, rtype: str, subject: str) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": rtype, "status": "final"}
    if n % 5:
        resource["id"] = f"r{n % 7}"  # some share an id: the first copy wins
    if rtype == "DiagnosticReport":
        resource["code"] = {"coding": [{"system": "http://loinc.org", "code": "24968-0"}]}
        resource["conclusion"] = "Heterogeneous marrow signal."
        resource["effectiveDateTime"] = f"2026-0{1 + n % 9}-05T10:00:00Z"
        if n % 3 == 0:
            resource["result"] = [{"reference": f"Observation/o{n % 4}"}]
        else:
            resource["presentedForm"] = [{"contentType": "text/plain", "url": f"Binary/b{n}"}]
    else:
        resource["type"] = {"text": "MRI lumbar spine"}
        resource["date"] = f"2026-0{1 + n % 9}-06T10:00:00Z"
        resource["content"] = [{"attachment": {"contentType": "text/plain", "url": f"Binary/d{n}"}}]
    resource["subject"] = {"reference": subject}
    return resource


def _order(n: int, subject: str) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": f"s{n % 6}",
        "status": "active",
        "intent": "order",
        "authoredOn": "2026-05-02T10:15:00+02:00",
        "code": {"coding": [{"system": "http://loinc.org", "code": "24967-2"}]},
        "subject": {"reference": subject},
    }


def _resource(rng: random.Random, n: int) -> Any:
    subject = rng.choice(
        [f"Patient/{PATIENT_ID}", f"urn:uuid:{PATIENT_ID}", f"Patient/{OTHER}", "x"]
    )
    kind = rng.randrange(8)
    if kind == 0:
        return _report(n, "DiagnosticReport", subject)
    if kind == 1:
        return _report(n, "DocumentReference", subject)
    if kind == 2:
        return _order(n, subject)
    if kind == 3:
        lab = observation("718-7", oid=f"o{n % 4}", **ucum(9 + n % 5, "g/dL"))
        lab["subject"] = {"reference": subject}
        return lab
    if kind == 4:
        return patient()
    if kind == 5:
        return rng.choice([None, 3, "text", [], {"resourceType": "OperationOutcome"}])
    return {"resourceType": "Condition", "id": f"c{n}", "subject": {"reference": subject}}


def _bundle(rng: random.Random, depth: int, nested: bool) -> dict[str, Any]:
    entries: list[Any] = []
    for n in range(rng.randrange(6)):
        if nested and depth < 5 and rng.random() < 0.2:
            entries.append({"resource": _bundle(rng, depth + 1, nested)})
        else:
            item = _resource(rng, n + 10 * depth)
            entries.append({"resource": item, "fullUrl": f"urn:uuid:e{n}"} if n % 4 else item)
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def _documents(seed: int, nested: bool) -> list[Any]:
    rng = random.Random(seed)
    documents: list[Any] = []
    for n in range(rng.randrange(1, 6)):
        documents.append(_bundle(rng, 0, nested) if rng.random() < 0.7 else _resource(rng, n))
    return documents


@pytest.mark.parametrize("nested", [False, True])
def test_the_walk_meets_what_the_other_walks_find(nested: bool) -> None:
    for seed in range(300):
        documents = _documents(seed, nested)
        walked = select_documents(documents, PATIENT_ID)
        assert walked is not None
        own = list(sr._service_requests(documents))
        assert [id(r) for r in walked.service_requests] == [id(r) for r in own], seed
        reports = rc._walk(documents, rc._REPORT_TYPES)
        if walked.report_resources is None:
            assert nested
            continue
        assert [id(r) for r in walked.report_resources] == [id(r) for r in reports], seed
        met = rc.needs(documents, PATIENT_ID, met=walked.report_resources)
        found = rc.needs(documents, PATIENT_ID)
        assert met == found
        assert met.reports == found.reports


@pytest.mark.parametrize("nested", [False, True])
def test_the_mapper_and_the_orders_answer_the_same_with_the_walk(nested: bool) -> None:
    for seed in range(200):
        documents = _documents(seed, nested)
        walked = select_documents(documents, PATIENT_ID)
        assert walked is not None
        alone = map_patient_record(documents, PATIENT_ID)
        assert map_patient_record(documents, PATIENT_ID, selection=walked) == alone, seed
        orders = sr.read_placed_orders(documents, PATIENT_ID)
        given = sr.read_placed_orders(
            documents, PATIENT_ID, service_requests=walked.service_requests
        )
        assert given == orders, seed


def test_a_bundle_inside_a_bundle_leaves_the_report_order_to_the_report_walk() -> None:
    inner = {"resourceType": "Bundle", "entry": [{"resource": _report(1, "DiagnosticReport", "")}]}
    documents = [{"resourceType": "Bundle", "entry": [{"resource": inner}]}]
    walked = select_documents(documents, PATIENT_ID)
    assert walked is not None
    assert walked.report_resources is None


def test_junk_documents_give_the_same_problems_with_the_walk() -> None:
    for documents in ("text", b"bytes", 3, None, {"resourceType": "Patient", "id": PATIENT_ID}):
        walked = select_documents(documents, PATIENT_ID)
        assert walked is not None
        alone = map_patient_record(documents, PATIENT_ID)  # type: ignore[arg-type]
        given = map_patient_record(documents, PATIENT_ID, selection=walked)  # type: ignore[arg-type]
        assert given == alone
