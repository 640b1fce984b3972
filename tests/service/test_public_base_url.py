"""MARROW_CDS_PUBLIC_BASE_URL, not the Host header, decides card links (security review: with it
unset a caller chose the links through Host, and ``Host: a b`` gave a 500).

With JWTs required the service refuses to start without it (the JWT `aud` must not come from
Host either); in a local trial without JWTs Host stands in, and a malformed one is a 400.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cds_hooks.settings import Settings, SettingsError
from tests.support.service import assert_operation_outcome, post_hook


def test_jwt_required_without_public_base_url_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"PUBLIC_BASE_URL is required when .*REQUIRE_JWT=1"):
        Settings.from_env({"MARROW_CDS_PATIENT_HASH_KEY": "k" * 32}, instance_path=tmp_path)
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
        Settings.from_env(
            {"MARROW_CDS_REQUIRE_JWT": "0", "MARROW_CDS_PATIENT_HASH_KEY": "k" * 32},
            instance_path=tmp_path,
            require_jwt=True,  # overrides are checked too
        )


def test_jwt_required_with_public_base_url_starts(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "MARROW_CDS_PATIENT_HASH_KEY": "k" * 32,
            "MARROW_CDS_PUBLIC_BASE_URL": "https://cds.hospital.example/marrow/",
        },
        instance_path=tmp_path,
    )
    assert settings.require_jwt
    assert settings.public_base_url == "https://cds.hospital.example/marrow"


def test_local_trial_without_jwt_needs_no_public_base_url(tmp_path: Path) -> None:
    env = {"MARROW_CDS_REQUIRE_JWT": "0", "MARROW_CDS_PATIENT_HASH_KEY": "k" * 32}
    assert Settings.from_env(env, instance_path=tmp_path).public_base_url is None


@pytest.mark.parametrize(
    "url",
    [
        "cds.hospital.example",
        "ftp://cds.hospital.example",
        "https://cds.hospital.example/marrow?x=1",
        "https://cds.hospital.example/#x",
        "https://user@cds.hospital.example",
        "https://cds.hospital.example:99999",
        "https://cds hospital.example",
    ],
)
def test_unusable_public_base_url_stops_start_up(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
        Settings.from_env(
            {"MARROW_CDS_PATIENT_HASH_KEY": "k" * 32, "MARROW_CDS_PUBLIC_BASE_URL": url},
            instance_path=tmp_path,
        )


def _links(response: Any) -> list[str]:
    cards = response.get_json()["cards"]
    assert cards
    return [card["source"]["url"] for card in cards] + [
        link["url"] for card in cards for link in card.get("links", [])
    ]


def test_card_links_come_from_public_base_url_whatever_the_host_header(
    make_app: Any, example_request: dict[str, Any]
) -> None:
    client = make_app(PUBLIC_BASE_URL="https://cds.hospital.example/marrow").test_client()
    for host in ("evil.example", "a b"):
        response = post_hook(client, example_request, headers={"Host": host})
        assert response.status_code == 200
        links = _links(response)
        base = "https://cds.hospital.example/marrow"
        # the rule catalogue, and the companion app's launch URL (issue 13, `smart` link)
        assert all(url.startswith(f"{base}/rules") or url == f"{base}/app/launch" for url in links)


@pytest.mark.parametrize(
    "host", ["a b", "", "a:b:c", "[::1", "x/y", "a\\b", "host:99999", "h%20", "ex ample:80"]
)
def test_malformed_host_without_public_base_url_is_a_400_not_a_500(
    client: Any, example_request: dict[str, Any], host: str
) -> None:
    response = post_hook(client, example_request, headers={"Host": host})
    assert_operation_outcome(response, 400, "invalid")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8080", "[::1]:8080", "cds.example.org."])
def test_well_formed_host_still_serves_a_local_trial(
    client: Any, example_request: dict[str, Any], host: str
) -> None:
    response = post_hook(client, example_request, headers={"Host": host})
    assert response.status_code == 200
    assert all(
        f"://{host}/rules" in url or url.endswith(f"://{host}/app/launch")
        for url in _links(response)
    )
