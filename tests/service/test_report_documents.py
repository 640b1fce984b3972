"""Issue 17 through HTTP: the report text where the EHR keeps it (a Binary by url, in HTML, RTF
or PDF; a DocumentReference only; narrative result Observations), fetched from the mocked FHIR
server with ``responses``, answered both ways a server may answer (raw bytes, FHIR Binary)."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient

from tests.support.report_documents import (
    REPORT_TEXT,
    document_reference,
    scanned_pdf,
    to_html,
    to_pdf,
    to_rtf,
)
from tests.support.service import FHIR, TOKEN, post_hook

REPORT = "DiagnosticReport/mri-ls-1"
FHIR_JSON = "application/fhir+json; charset=utf-8"


def cards_of(response: Any) -> list[tuple[str, str, str]]:
    """What a clinician sees of each card: topic, indicator, summary (uuids and timing aside)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return [
        (c["source"]["topic"]["code"], c["indicator"], c["summary"])
        for c in response.get_json()["cards"]
    ]


def index_report(body: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = body["prefetch"]["imaging"]["entry"][0]["resource"]
    return report


def with_auth(body: dict[str, Any]) -> dict[str, Any]:
    body["fhirServer"] = FHIR
    body["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/DiagnosticReport.read patient/DocumentReference.read patient/Binary.read",
        "subject": "marrow-cds",
    }
    return body


def by_url(example: dict[str, Any], content_type: str, url: str) -> dict[str, Any]:
    """The example with its report's presentedForm replaced by a url (no inline data)."""
    body = with_auth(copy.deepcopy(example))
    index_report(body)["presentedForm"] = [{"contentType": content_type, "url": url}]
    return body


def binary_resource(content_type: str, data: bytes) -> str:
    return json.dumps(
        {
            "resourceType": "Binary",
            "id": "b1",
            "contentType": content_type,
            "data": base64.b64encode(data).decode(),
        }
    )


def data_quality(response: Any) -> str:
    [card] = [
        c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "data-quality"
    ]
    return f"{card['summary']}\n{card['detail']}"


RENDERINGS = {
    "text/html": lambda: to_html(REPORT_TEXT).encode(),
    "text/rtf": lambda: to_rtf(REPORT_TEXT),
    "application/pdf": lambda: to_pdf(REPORT_TEXT, lines_per_page=4),
}


@pytest.fixture
def client(make_app: Callable[..., Flask]) -> FlaskClient:
    """These tests compare cards, not time: budgets wide enough that a loaded CI machine parsing
    a PDF never meets the deadline (the deadline has its own tests, tests/reader_limits)."""
    app = make_app(MARROW_CDS_HOOK_DEADLINE_SECONDS="60", MARROW_CDS_FETCH_BUDGET_SECONDS="45")
    return app.test_client()


@pytest.mark.parametrize("content_type", sorted(RENDERINGS))
@pytest.mark.parametrize("answer", ["raw", "binary-resource"])
@pytest.mark.parametrize("url", ["Binary/b1", f"{FHIR}/Binary/b1"], ids=["relative", "absolute"])
def test_binary_by_url_gives_the_same_cards_as_the_inline_text(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    content_type: str,
    answer: str,
    url: str,
) -> None:
    inline = cards_of(post_hook(client, example_request))
    data = RENDERINGS[content_type]()
    if answer == "raw":
        fhir.get(f"{FHIR}/Binary/b1", body=data, content_type=content_type)
    else:
        fhir.get(
            f"{FHIR}/Binary/b1",
            body=binary_resource(content_type, data),
            content_type=FHIR_JSON,
        )

    response = post_hook(client, by_url(example_request, content_type, url))

    assert cards_of(response) == inline
    assert inline[0][0] == "marrow-biopsy-indicated"
    [call] = fhir.calls  # the Binary was read, once, with the token and its own type asked for
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.request.headers["Accept"] == content_type


def test_server_refusing_the_document_type_is_asked_for_the_binary_resource(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    inline = cards_of(post_hook(client, example_request))
    pdf = to_pdf(REPORT_TEXT)
    fhir.get(
        f"{FHIR}/Binary/b1",
        status=406,
        match=[responses.matchers.header_matcher({"Accept": "application/pdf"})],
    )
    fhir.get(
        f"{FHIR}/Binary/b1",
        body=binary_resource("application/pdf", pdf),
        content_type=FHIR_JSON,
        match=[responses.matchers.header_matcher({"Accept": "application/fhir+json"})],
    )
    response = post_hook(client, by_url(example_request, "application/pdf", "Binary/b1"))
    assert cards_of(response) == inline
    assert [c.request.headers["Accept"] for c in fhir.calls] == [
        "application/pdf",
        "application/fhir+json",
    ]


def test_document_reference_only_gives_the_same_cards(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    inline = cards_of(post_hook(client, example_request))
    body = with_auth(copy.deepcopy(example_request))
    when = index_report(body)["effectiveDateTime"]
    document = document_reference(
        attachment={"contentType": "application/pdf", "url": "Binary/b1"}, when=when
    )
    body["prefetch"]["imaging"] = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    body["prefetch"]["imagingDocuments"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": document}],
    }
    fhir.get(f"{FHIR}/Binary/b1", body=to_pdf(REPORT_TEXT), content_type="application/pdf")
    response = post_hook(client, body)
    assert cards_of(response) == inline
    assert "DocumentReference/doc-mri-1" in {
        i.get("reference")
        for i in response.get_json()["cards"][0]["extension"]["org.marrow-cds.evidence"]
    }


def test_document_reference_is_fetched_when_not_prefetched(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    inline = cards_of(post_hook(client, example_request))
    body = with_auth(copy.deepcopy(example_request))
    when = index_report(body)["effectiveDateTime"]
    body["prefetch"]["imaging"] = None
    del body["prefetch"]["imagingDocuments"]
    document = document_reference(
        attachment={"contentType": "text/html", "url": "Binary/b1"}, when=when
    )
    fhir.get(
        f"{FHIR}/DocumentReference",
        json={"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": document}]},
    )
    fhir.get(f"{FHIR}/Binary/b1", body=to_html(REPORT_TEXT), content_type="text/html")
    assert cards_of(post_hook(client, body)) == inline
    query = fhir.calls[0].request.url
    assert "DocumentReference?patient=example-marrow-1" in query
    assert "18748-4" in query


def test_narrative_result_observations_are_fetched_and_read(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    inline = cards_of(post_hook(client, example_request))
    body = with_auth(copy.deepcopy(example_request))
    report = index_report(body)
    del report["presentedForm"]
    report["result"] = [{"reference": "Observation/n1"}, {"reference": "Observation/n2"}]
    findings = REPORT_TEXT.split("IMPRESSION:")[0]
    impression = REPORT_TEXT.split("IMPRESSION:\n")[1]

    def narrative(oid: str, code: str, text: str) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": oid,
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": "Patient/example-marrow-1"},
            "valueString": text,
        }

    fhir.get(
        f"{FHIR}/Observation",
        json={
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [
                {"resource": narrative("n1", "18782-3", findings)},
                {"resource": narrative("n2", "19005-8", impression)},
            ],
        },
        match=[responses.matchers.query_param_matcher({"_id": "n1,n2"})],
    )
    assert cards_of(post_hook(client, body)) == inline


@pytest.mark.parametrize(
    ("status", "said"),
    [(401, "not given access"), (403, "read access to Binary"), (404, "does not have")],
)
def test_binary_that_cannot_be_read_gives_a_data_quality_card_naming_the_report(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    status: int,
    said: str,
) -> None:
    fhir.get(f"{FHIR}/Binary/b1", status=status, json={"resourceType": "OperationOutcome"})
    response = post_hook(client, by_url(example_request, "application/pdf", "Binary/b1"))
    assert [topic for topic, _, _ in cards_of(response)] == ["data-quality"]
    text = data_quality(response)
    assert "No recommendation was made" in text
    assert REPORT in text
    assert "MRI lumbar spine without contrast" in text
    assert said in text
    assert str(status) not in text.replace(REPORT, "")  # no HTTP status in clinical text


def test_binary_timeout_gives_a_data_quality_card(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    fhir.get(f"{FHIR}/Binary/b1", body=requests.exceptions.ReadTimeout())
    response = post_hook(client, by_url(example_request, "text/html", "Binary/b1"))
    assert [topic for topic, _, _ in cards_of(response)] == ["data-quality"]
    assert "did not send the report document in time" in data_quality(response)


def test_scanned_pdf_gives_a_data_quality_card(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    fhir.get(f"{FHIR}/Binary/b1", body=scanned_pdf(), content_type="application/pdf")
    response = post_hook(client, by_url(example_request, "application/pdf", "Binary/b1"))
    assert [topic for topic, _, _ in cards_of(response)] == ["data-quality"]
    assert "scanned image" in data_quality(response)


def test_no_fhir_server_is_said_and_nothing_is_fetched(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    body = by_url(example_request, "text/html", "Binary/b1")
    del body["fhirServer"], body["fhirAuthorization"]
    response = post_hook(client, body)
    assert [topic for topic, _, _ in cards_of(response)] == ["data-quality"]
    assert "no FHIR server address" in data_quality(response)
    assert len(fhir.calls) == 0


def test_binary_outside_fhir_server_is_not_contacted(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    body = by_url(example_request, "text/html", "https://elsewhere.example.net/Binary/b1")
    response = post_hook(client, body)
    assert [topic for topic, _, _ in cards_of(response)] == ["data-quality"]
    assert "outside the EHR's FHIR server" in data_quality(response)
    assert len(fhir.calls) == 0


def test_binary_without_a_token_is_asked_without_one(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    """A prefetch-only client (the CDS Hooks sandbox outside a SMART launch) sends no token: the
    read is tried as the other fallback queries are, and a refusal is said on a card."""
    fhir.get(f"{FHIR}/Binary/b1", status=401)
    body = by_url(example_request, "text/html", "Binary/b1")
    del body["fhirAuthorization"]
    response = post_hook(client, body)
    assert "Authorization" not in fhir.calls[0].request.headers
    assert "not given access" in data_quality(response)


def test_binary_fetch_counts_in_the_call_byte_allowance(
    make_app: Any, example_request: dict[str, Any], fhir: responses.RequestsMock
) -> None:
    client = make_app(FETCH_MAX_TOTAL_BYTES="1000").test_client()
    fhir.get(f"{FHIR}/Binary/b1", body=to_pdf(REPORT_TEXT), content_type="application/pdf")
    response = post_hook(client, by_url(example_request, "application/pdf", "Binary/b1"))
    assert "too large" in data_quality(response)


# ------------------------------------------------------------------------------ examples

DELIVERY = Path(__file__).resolve().parents[2] / "examples" / "report-delivery"


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in DELIVERY.glob("*.json") if not p.name.startswith("Binary-")),
)
def test_every_delivery_example_gives_the_inline_cards(
    client: FlaskClient, example_request: dict[str, Any], fhir: responses.RequestsMock, name: str
) -> None:
    """README "Integrating with an EHR": each worked example, its Binary served by the EHR's
    FHIR server as the FHIR Binary resource bundled beside it, reads like the inline report."""
    inline = cards_of(post_hook(client, example_request))
    for path in DELIVERY.glob("Binary-*.json"):
        resource = json.loads(path.read_text())
        fhir.get(f"{FHIR}/Binary/{resource['id']}", json=resource)
    body = json.loads((DELIVERY / name).read_text())
    assert cards_of(post_hook(client, body)) == inline
    by_url = "Binary/" in json.dumps(body)
    assert len(fhir.calls) == (1 if by_url else 0)  # the Binary was read (once)


def test_offline_evaluation_says_the_report_document_was_not_fetched(
    example_request: dict[str, Any],
) -> None:
    from datetime import UTC, datetime

    from cds_hooks.cli.evaluate_offline import evaluate_request

    body = by_url(example_request, "application/pdf", "Binary/b1")
    status, answer = evaluate_request(body, datetime(2026, 11, 23, 23, 59, tzinfo=UTC))
    assert status == 200
    [card] = answer["cards"]
    assert card["source"]["topic"]["code"] == "data-quality"
    assert "offline evaluation fetches nothing" in card["detail"]
    assert REPORT in card["detail"]


def test_order_review_reads_the_report_document_too(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    """Order review uses patient-view's data (cds_hooks.services.draft_order_review): the same
    Binary read."""
    example = json.loads((DELIVERY.parent / "order-sign-marrow-workup.json").read_text())
    url = "/cds-services/marrow-order-sign"
    inline = cards_of(post_hook(client, example, url=url))
    body = with_auth(copy.deepcopy(example))
    index_report(body)["presentedForm"] = [{"contentType": "text/rtf", "url": "Binary/b1"}]
    fhir.get(f"{FHIR}/Binary/b1", body=to_rtf(REPORT_TEXT), content_type="text/rtf")
    assert cards_of(post_hook(client, body, url=url)) == inline
    assert len(fhir.calls) == 1
