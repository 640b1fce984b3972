"""Hostile and malformed tokens (security review, jwt1/jwt2): each is a bare 401, never a 500.

Every input of the review's reproducers is here, sent through HTTP: type confusion in the header
(alg/kid/jku/typ/crit as lists, objects or numbers), nesting deep enough to exhaust the JSON
parser, invalid UTF-8, oversized tokens, and signed tokens whose exp/iat are NaN, Infinity,
strings or booleans. The log names a reason code and never the token.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.support.app import BASE, bearer, captured_logs, jwt_app
from tests.support.jwt import Client, b64, new_ec_key, unsigned

DISCOVERY = "/cds-services"
AUD = BASE + DISCOVERY


@pytest.fixture(scope="module")
def signer() -> Client:
    return Client(new_ec_key("ec-malformed-1"))


@pytest.fixture
def http(tmp_path, monkeypatch, signer):
    return jwt_app(tmp_path, monkeypatch, client=signer).test_client()


def assert_bare_401(response) -> None:
    assert response.status_code == 401, response.get_data()[:200]
    assert response.get_data() == b""
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def _hostile_tokens(c: Client) -> dict[str, str]:
    hdr, cl = c.header(), c.claims(AUD)
    good = c.sign(AUD)
    h, p, s = good.split(".")
    sig = b"x" * 96
    claims_b64 = b64(json.dumps(cl).encode())
    return {
        # jwt1.py
        "alg list": unsigned({**hdr, "alg": ["ES384"]}, cl),
        "alg dict": unsigned({**hdr, "alg": {"a": 1}}, cl),
        "alg number": unsigned({**hdr, "alg": 384}, cl),
        "nested header array": b64(b"[" * 3000 + b"]" * 3000) + "." + claims_b64 + ".AA",
        "nested header object": b64(b'{"a":' * 2000 + b"1" + b"}" * 2000)
        + "."
        + claims_b64
        + ".AA",
        "nested claims": b64(json.dumps(hdr).encode())
        + "."
        + b64(b"[" * 3000 + b"]" * 3000)
        + ".AA",
        "nested claims object": b64(json.dumps(hdr).encode())
        + "."
        + b64(b'{"a":' * 1500 + b"1" + b"}" * 1500)
        + ".AA",
        "header not utf-8": b64(b"\xff\xfe") + "." + claims_b64 + ".AA",
        "iss list": unsigned(hdr, {**cl, "iss": ["x"]}),
        "iss object": unsigned(hdr, {**cl, "iss": {"a": 1}}),
        "kid list": unsigned({**hdr, "kid": ["x"]}, cl),
        "kid number": unsigned({**hdr, "kid": 7}, cl),
        "kid object": unsigned({**hdr, "kid": {"a": 1}}, cl),
        "kid with NUL": unsigned({**hdr, "kid": "k\x00"}, cl),
        "jku list": unsigned({**hdr, "jku": ["x"]}, cl),
        "typ object": unsigned({**hdr, "typ": {"a": 1}}, cl),
        "typ list": unsigned({**hdr, "typ": ["JWT"]}, cl),
        "huge token": "a" * 20000 + ".b.c",
        "just over 8 KiB": unsigned({**hdr, "pad": "p" * 8200}, cl),
        "alg none": unsigned({**hdr, "alg": "none"}, cl),
        "alg HS384": unsigned({**hdr, "alg": "HS384"}, cl),
        # jwt2.py
        "crit string": unsigned({**hdr, "crit": "exp"}, cl, sig),
        "crit unknown": unsigned({**hdr, "crit": ["foo"], "foo": 1}, cl, sig),
        "crit b64": unsigned({**hdr, "crit": ["b64"], "b64": False}, cl, sig),
        "crit dict": unsigned({**hdr, "crit": {"a": 1}}, cl, sig),
        "zip": unsigned({**hdr, "zip": "DEF"}, cl, sig),
        "signature not base64": f"{h}.{p}.!!!!",
        "signature empty": f"{h}.{p}.",
        "signature one char": f"{h}.{p}.A",
        "payload with bad base64 characters": f"{h}.{p}*.{s}",
        "four parts": good + ".x",
        "claims array": ".".join((h, b64(b'["a"]'), s)),
        "header int": b64(b"1") + "." + p + "." + s,
        "header lone surrogate": b64(b'{"alg":"ES384","kid":"\\ud800","typ":"JWT"}') + f".{p}.{s}",
        "kid huge": unsigned({**hdr, "kid": "k" * 6000}, cl),
        "jwk in header": unsigned({**hdr, "jwk": c.key.as_dict(private=False)}, cl, sig),
        "x5u": unsigned({**hdr, "x5u": "https://evil/x"}, cl, sig),
        "duplicate alg member": b64(b'{"alg":"ES384","alg":"none","kid":"k","typ":"JWT"}')
        + f".{p}.{s}",
        "NaN in header": b64(b'{"alg":"ES384","kid":"k","typ":"JWT","x":NaN}') + f".{p}.{s}",
        "non-ascii token": good + "\u00e9",
    }


@pytest.mark.parametrize("case", list(_hostile_tokens(Client(new_ec_key("names")))))
def test_hostile_token_is_a_bare_401_with_a_reason_and_no_token(http, signer, case):
    token = _hostile_tokens(signer)[case]
    with captured_logs() as logs:
        response = http.get(DISCOVERY, headers=bearer(token))
    assert_bare_401(response)
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    rejected = [line for line in lines if line["message"].startswith("JWT rejected")]
    assert rejected, lines
    assert token[:40] not in logs.getvalue()
    assert not [line for line in lines if line["level"] == "ERROR"]


def _signed_with_times(c: Client, **times) -> str:
    """A correctly signed token whose claims hold the given exp/iat/nbf values verbatim."""
    now = int(time.time())
    claims = c.claims(AUD, iat=now, exp=now + 300)
    claims.update(times)
    from joserfc import jwt

    return jwt.encode(c.header(), claims, c.key, algorithms=["ES384"], default_type=None)


@pytest.mark.parametrize(
    "times",
    [
        {"exp": float("nan")},
        {"iat": float("nan")},
        {"exp": float("inf")},
        {"iat": float("-inf")},
        {"nbf": float("nan")},
        {"exp": "9999999999"},
        {"iat": str(int(time.time()))},
        {"exp": True},
        {"iat": False},
        {"exp": None},
        {"exp": [1]},
        {"exp": 10**30},
        {"iat": -(10**30)},
        {"exp": 1e308},
        {"nbf": 10**400},
    ],
    ids=lambda times: ",".join(f"{k}={str(v)[:12]}" for k, v in times.items()),
)
def test_exp_iat_nbf_that_are_not_finite_numbers_are_a_bare_401(http, signer, times):
    assert_bare_401(http.get(DISCOVERY, headers=bearer(_signed_with_times(signer, **times))))


def test_a_valid_token_still_passes(http, signer):
    assert http.get(DISCOVERY, headers=bearer(signer.sign(AUD))).status_code == 200


# ------------------------------------------------------------------------------ audience (item 8)


def test_host_header_cannot_choose_the_audience(http, signer):
    """aud is the configured public base URL: a token for another host is refused even when the
    request's Host (and X-Forwarded-Proto) claims to be that host."""
    for other, headers in (
        ("http://other-service.example", {"Host": "other-service.example"}),
        (
            "https://other-service.example",
            {"Host": "other-service.example", "X-Forwarded-Proto": "https"},
        ),
    ):
        token = signer.sign(other + DISCOVERY)
        assert_bare_401(http.get(DISCOVERY, headers={**bearer(token), **headers}))


def test_configured_base_decides_even_with_a_different_host_header(http, signer):
    token = signer.sign(AUD)
    response = http.get(DISCOVERY, headers={**bearer(token), "Host": "other-service.example"})
    assert response.status_code == 200


def test_without_a_public_base_url_every_token_is_refused():
    """Belt and braces (settings refuses to start so): no configured base, no audience."""
    from flask import Flask

    from cds_hooks.security.auth import AuthFailure, expected_audience

    with Flask(__name__).test_request_context("/cds-services", base_url="http://localhost"):
        with pytest.raises(AuthFailure) as info:
            expected_audience(None)
        assert info.value.reason == "no_public_base_url"
        assert (
            expected_audience("https://cds.example.org") == "https://cds.example.org/cds-services"
        )
