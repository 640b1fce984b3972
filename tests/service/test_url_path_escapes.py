"""Allowlist escapes found by the security review (reproducers ssrf.py / ssrf2.py): path
parameters (``..;``, read as ``..`` by Tomcat and Jetty), encoded or twice-encoded dot segments,
whitespace, fragments, and a query in ``fhirServer``. None of them is ever contacted; a ``next``
link with a query (how FHIR servers page) is still followed."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from cds_hooks.ehr.allowlist import UrlPrefix, parse_allowlist, under_prefix
from cds_hooks.settings import SettingsError
from logic.model import DataDomain
from tests.support.service import (
    FHIR,
    assert_operation_outcome,
    post_hook,
    request_without_prefetch,
)

ALLOWED = UrlPrefix.parse(FHIR)

ESCAPING_SERVERS = [
    f"{FHIR}/..;/admin",
    f"{FHIR}/;/../../admin",
    f"{FHIR}/..;jsessionid=1/admin",
    f"{FHIR}/x;y",
    f"{FHIR}/%2e%2e/admin",
    f"{FHIR}/%2E%2E;/admin",
    f"{FHIR}/%252e%252e/admin",
    f"{FHIR}/%3b/admin",
    f"{FHIR}/%5c../admin",
    f"{FHIR}\t",
    f" {FHIR}",
    f"{FHIR}#@evil.com",
    f"{FHIR}#",
    f"{FHIR}?x=@evil.com",
    f"{FHIR}?",
]


@pytest.mark.parametrize("url", ESCAPING_SERVERS)
def test_escaping_urls_are_not_under_the_allowlisted_prefix(url: str) -> None:
    assert ALLOWED is not None
    assert UrlPrefix.parse(url, allow_query=False) is None
    if "?" not in url:
        assert not under_prefix(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [f"{FHIR}/Observation?patient=1&code=718-7,30313-1&_count=20", f"{FHIR}/Observation?page=2"],
)
def test_search_and_next_urls_keep_their_query(url: str) -> None:
    assert ALLOWED is not None
    assert under_prefix(url, ALLOWED)
    assert UrlPrefix.parse(url, allow_query=False) is None  # ... but are never a base URL


@pytest.mark.parametrize("entry", [f"{FHIR}?tenant=a", f"{FHIR}#x", f"{FHIR}/..;/admin"])
def test_allowlist_entry_with_query_fragment_or_path_parameter_stops_start_up(entry: str) -> None:
    with pytest.raises(SettingsError, match="FHIR_ALLOWLIST"):
        parse_allowlist([entry])


@pytest.mark.parametrize("server", ESCAPING_SERVERS)
def test_escaping_fhir_server_is_never_contacted_and_412_without_prefetch(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    server: str,
) -> None:
    body = request_without_prefetch(example_request)
    body["fhirServer"] = server
    response = post_hook(client, body)
    assert_operation_outcome(response, 412, "incomplete")
    assert len(fhir.calls) == 0


def test_fhir_server_with_a_query_gives_no_data_but_the_prefetch_is_used(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["fhirServer"] = f"{FHIR}?_format=json"
    del example_request["prefetch"]["labs"]
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 0
    gaps = {gap.domain: gap.reason for gap in mapper_calls[0]["gaps"]}
    assert "allowlist" in gaps[DataDomain.LABS]


def _labs_page(next_url: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [],
        "link": [{"relation": "next", "url": next_url}],
    }


@pytest.mark.parametrize(
    "next_url",
    [
        f"{FHIR}/..;/admin/page2",
        f"{FHIR}/Observation;jsessionid=1?page=2",
        f"{FHIR}/%2e%2e/admin/page2",
        f"{FHIR}/Observation?page=2#frag",
    ],
)
def test_escaping_next_link_is_not_followed(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
    next_url: str,
) -> None:
    example_request["prefetch"]["labs"] = _labs_page(next_url)
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 0
    assert DataDomain.LABS in {gap.domain for gap in mapper_calls[0]["gaps"]}


def test_next_link_with_a_query_is_followed(
    client: FlaskClient,
    example_request: dict[str, Any],
    fhir: responses.RequestsMock,
    mapper_calls: list[Any],
) -> None:
    example_request["prefetch"]["labs"] = _labs_page(f"{FHIR}/Observation?page=2&_count=20")
    fhir.get(f"{FHIR}/Observation?page=2&_count=20", json={"resourceType": "Bundle"})
    assert post_hook(client, example_request).status_code == 200
    assert len(fhir.calls) == 1
    assert mapper_calls[0]["gaps"] == ()
