"""TokenVerifier: every rule of CDS-HOOKS.md "Security", one failure mode per test.

These run the verifier directly (no HTTP); tests/security/test_auth_http.py checks that the same
failures reach a client as a bare 401.
"""

from __future__ import annotations

import hmac
import json
import time
from pathlib import Path

import pytest
import responses
from sqlalchemy import func, select

from cds_hooks.security.auth import AuthFailure, TokenVerifier, audience_matches
from cds_hooks.security.jti_replay import ReplayStore
from cds_hooks.security.jwks import (
    JwksCache,
    TrustConfigError,
    load_trusted_issuers,
    parse_trusted_issuers,
)
from cds_hooks.storage import migrations
from cds_hooks.storage.records import JwtReplayRow, make_engine
from tests.support.jwt import ISS, JWKS_URL, Client, b64, jwks_of, new_ec_key, new_rsa_key, unsigned

AUD = "https://cds.example.org/cds-services/marrow-patient-view"


@pytest.fixture(scope="module")
def ec_key():
    return new_ec_key("ec-1")


@pytest.fixture(scope="module")
def rsa_key():
    return new_rsa_key("rsa-1")


@pytest.fixture
def engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'replay.sqlite3'}")
    migrations.upgrade(engine)
    yield engine
    engine.dispose()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier_for(entries, engine, **kwargs) -> TokenVerifier:
    issuers = parse_trusted_issuers({"issuers": entries})
    return TokenVerifier(issuers, kwargs.pop("jwks", JwksCache()), ReplayStore(engine), **kwargs)


@pytest.fixture
def inline_verifier(ec_key, rsa_key, engine):
    """Trusts ISS with both keys inline and JWKS_URL as its listed jku."""
    entry = {"iss": ISS, "jwks_url": JWKS_URL, "jwks": jwks_of(ec_key, rsa_key)}
    return verifier_for([entry], engine)


def rejected(verifier: TokenVerifier, token: str, aud: str = AUD) -> str:
    with pytest.raises(AuthFailure) as info:
        verifier.verify(token, aud)
    return info.value.reason


# ------------------------------------------------------------------------------ accepted


def test_valid_es384_token_is_accepted(inline_verifier, ec_key):
    client = inline_verifier.verify(Client(ec_key).sign(AUD, sub="ehr-app"), AUD)
    assert client.iss == ISS
    assert client.sub == "ehr-app"


def test_valid_rs384_token_is_accepted(inline_verifier, rsa_key):
    assert inline_verifier.verify(Client(rsa_key).sign(AUD), AUD).iss == ISS


def test_token_without_jku_uses_the_configured_keys(inline_verifier, ec_key):
    assert inline_verifier.verify(Client(ec_key, jku=None).sign(AUD), AUD).iss == ISS


def test_aud_may_differ_by_one_trailing_slash(inline_verifier, ec_key):
    assert inline_verifier.verify(Client(ec_key).sign(AUD + "/"), AUD).iss == ISS
    assert audience_matches([AUD, "https://other.example"], AUD + "/")


# ------------------------------------------------------------------------------ algorithm


def test_alg_none_is_refused(inline_verifier, ec_key):
    client = Client(ec_key)
    token = unsigned(client.header(alg="none"), client.claims(AUD))
    assert rejected(inline_verifier, token) == "alg_not_allowed"


def test_hs256_with_the_public_key_as_secret_is_refused(inline_verifier, ec_key):
    """Algorithm confusion: an attacker HMACs with the (public) JWK text as the secret."""
    client = Client(ec_key)
    header = client.header(alg="HS256")
    signing_input = (
        b64(json.dumps(header).encode()) + "." + b64(json.dumps(client.claims(AUD)).encode())
    )
    secret = json.dumps(ec_key.as_dict(private=False)).encode()
    signature = hmac.new(secret, signing_input.encode(), "sha256").digest()
    token = signing_input + "." + b64(signature)
    assert rejected(inline_verifier, token) == "alg_not_allowed"


def test_alg_that_does_not_match_the_key_is_refused(inline_verifier, ec_key, rsa_key):
    """A token claiming RS384 under the EC key's kid: the key says ES384."""
    forged = Client(rsa_key).sign(AUD, header={"kid": ec_key.kid})
    assert rejected(inline_verifier, forged) == "alg_not_allowed"


def test_signature_by_an_unknown_key_under_a_known_kid_is_refused(inline_verifier):
    impostor = new_ec_key("ec-1")  # same kid, different key
    assert rejected(inline_verifier, Client(impostor).sign(AUD)) == "bad_signature"


def test_tampered_claims_break_the_signature(inline_verifier, ec_key):
    token = Client(ec_key).sign(AUD)
    header, _, signature = token.split(".")
    claims = Client(ec_key).claims(AUD, sub="someone-else")
    tampered = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    assert rejected(inline_verifier, tampered) == "bad_signature"


# ------------------------------------------------------------------------------ header


def test_missing_kid_is_refused(inline_verifier, ec_key):
    token = Client(ec_key).sign(AUD, header={"kid": None})
    assert rejected(inline_verifier, token) == "missing_kid"


def test_typ_other_than_jwt_is_refused(inline_verifier, ec_key):
    token = Client(ec_key).sign(AUD, header={"typ": "at+jwt"})
    assert rejected(inline_verifier, token) == "bad_typ"


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "!!!.???.x", b64(b"[1]") + "." + b64(b"{}") + ".x"],
    ids=["empty", "one-part", "two-parts", "four-parts", "not-base64", "header-not-object"],
)
def test_malformed_tokens_are_refused(inline_verifier, token):
    assert rejected(inline_verifier, token) == "malformed_token"


# ------------------------------------------------------------------------------ issuer and keys


def test_unknown_issuer_is_refused(inline_verifier, ec_key):
    token = Client(ec_key, iss="https://evil.example").sign(AUD)
    assert rejected(inline_verifier, token) == "unknown_issuer"


def test_jku_not_listed_for_the_issuer_is_refused(inline_verifier, ec_key):
    token = Client(ec_key, jku="https://evil.example/jwks.json").sign(AUD)
    assert rejected(inline_verifier, token) == "jku_not_listed"


def test_jku_is_refused_for_an_issuer_configured_with_inline_keys_only(ec_key, engine):
    verifier = verifier_for([{"iss": ISS, "jwks": jwks_of(ec_key)}], engine)
    assert rejected(verifier, Client(ec_key, jku=JWKS_URL).sign(AUD)) == "jku_not_listed"
    assert verifier.verify(Client(ec_key, jku=None).sign(AUD), AUD).iss == ISS


def test_unknown_kid_is_refused_without_a_jwks_url(ec_key, engine):
    verifier = verifier_for([{"iss": ISS, "jwks": jwks_of(ec_key)}], engine)
    stranger = new_ec_key("ec-unknown")
    assert rejected(verifier, Client(stranger, jku=None).sign(AUD)) == "unknown_kid"


@responses.activate
def test_keys_are_fetched_from_the_listed_jwks_url_and_cached(ec_key, engine):
    responses.get(JWKS_URL, json=jwks_of(ec_key))
    verifier = verifier_for([{"iss": ISS, "jwks_url": JWKS_URL}], engine)
    for _ in range(3):
        assert verifier.verify(Client(ec_key).sign(AUD), AUD).iss == ISS
    assert len(responses.calls) == 1


@responses.activate
def test_key_rotation_unknown_kid_refetches_the_jwks_once(ec_key, engine):
    """The issuer rotates to a new key: the first token with the new kid triggers one refetch;
    a flood of forged kids right after does not trigger more (rate limit per issuer)."""
    clock = FakeClock()
    rotated = new_ec_key("ec-2")
    responses.get(JWKS_URL, json=jwks_of(ec_key))
    responses.get(JWKS_URL, json=jwks_of(ec_key, rotated))
    jwks = JwksCache(refetch_interval=60, clock=clock)
    verifier = verifier_for([{"iss": ISS, "jwks_url": JWKS_URL}], engine, jwks=jwks)

    assert verifier.verify(Client(ec_key).sign(AUD), AUD).iss == ISS
    clock.now += 61
    assert verifier.verify(Client(rotated).sign(AUD), AUD).iss == ISS
    assert len(responses.calls) == 2

    for i in range(20):
        forged = Client(new_ec_key(f"forged-{i}")).sign(AUD)
        assert rejected(verifier, forged) == "unknown_kid"
    assert len(responses.calls) == 2  # no fetch storm
    clock.now += 61
    assert rejected(verifier, Client(new_ec_key("forged-late")).sign(AUD)) == "unknown_kid"
    assert len(responses.calls) == 3  # one more after the interval


@responses.activate
def test_jwks_outage_keeps_the_cached_keys(ec_key, engine):
    clock = FakeClock()
    responses.get(JWKS_URL, json=jwks_of(ec_key))
    responses.get(JWKS_URL, status=503)
    jwks = JwksCache(max_age=10, refetch_interval=1, clock=clock)
    verifier = verifier_for([{"iss": ISS, "jwks_url": JWKS_URL}], engine, jwks=jwks)
    assert verifier.verify(Client(ec_key).sign(AUD), AUD).iss == ISS
    clock.now += 11  # cache stale: refresh attempted (in the background), fails, old keys kept
    assert verifier.verify(Client(ec_key).sign(AUD), AUD).iss == ISS
    assert jwks.wait_idle(10)
    assert len(responses.calls) == 2
    assert verifier.verify(Client(ec_key).sign(AUD), AUD).iss == ISS


@responses.activate
@pytest.mark.parametrize(
    "reply",
    [
        {"body": b"{" * 10},
        {"body": json.dumps({"keys": "nope"})},
        {"body": b" " * (70 * 1024) + b"{}"},
        {"status": 302, "headers": {"Location": "https://evil.example/jwks.json"}},
    ],
    ids=["invalid-json", "not-a-key-set", "over-size-cap", "redirect-not-followed"],
)
def test_unusable_jwks_answers_refuse_the_token(ec_key, engine, reply):
    responses.get(JWKS_URL, **reply)
    responses.get("https://evil.example/jwks.json", json=jwks_of(ec_key))
    verifier = verifier_for([{"iss": ISS, "jwks_url": JWKS_URL}], engine)
    assert rejected(verifier, Client(ec_key).sign(AUD)) == "unknown_kid"
    assert all(call.request.url == JWKS_URL for call in responses.calls)


def test_jwks_endpoint_that_hangs_is_bounded(ec_key, engine, slow_http_server):
    """A JWKS server that accepts and never answers: the read timeout ends the wait."""
    url = slow_http_server
    verifier = TokenVerifier(
        parse_trusted_issuers({"issuers": [{"iss": ISS, "jwks_url": url}]}),
        JwksCache(connect_timeout=0.5, read_timeout=0.5),
        ReplayStore(engine),
    )
    started = time.monotonic()
    assert rejected(verifier, Client(ec_key, jku=url).sign(AUD)) == "unknown_kid"
    assert time.monotonic() - started < 30  # loose: it returned at all, well before a hang


# ------------------------------------------------------------------------------ claims


def test_expired_token_is_refused(inline_verifier, ec_key):
    now = int(time.time())
    token = Client(ec_key).sign(AUD, iat=now - 600, exp=now - 120)
    assert rejected(inline_verifier, token) == "expired"


def test_token_expired_within_the_clock_skew_is_accepted(inline_verifier, ec_key):
    now = int(time.time())
    token = Client(ec_key).sign(AUD, iat=now - 300, exp=now - 20)
    assert inline_verifier.verify(token, AUD).iss == ISS


def test_iat_in_the_future_is_refused(inline_verifier, ec_key):
    now = int(time.time())
    token = Client(ec_key).sign(AUD, iat=now + 600, exp=now + 900)
    assert rejected(inline_verifier, token) == "issued_in_future"


def test_nbf_in_the_future_is_refused(inline_verifier, ec_key):
    now = int(time.time())
    assert rejected(inline_verifier, Client(ec_key).sign(AUD, nbf=now + 600)) == "issued_in_future"


def test_lifetime_beyond_the_replay_window_is_refused(inline_verifier, ec_key):
    now = int(time.time())
    token = Client(ec_key).sign(AUD, iat=now, exp=now + 24 * 3600)
    assert rejected(inline_verifier, token) == "lifetime_too_long"


@pytest.mark.parametrize(
    "claims",
    [{"exp": None}, {"iat": None}, {"jti": None}, {"exp": "soon"}, {"iat": True}, {"jti": 7}],
    ids=["no-exp", "no-iat", "no-jti", "exp-string", "iat-bool", "jti-number"],
)
def test_missing_or_mistyped_claims_are_refused(inline_verifier, ec_key, claims):
    assert rejected(inline_verifier, Client(ec_key).sign(AUD, **claims)) == "bad_claims"


@pytest.mark.parametrize(
    "aud",
    [
        "https://cds.example.org/cds-services/other-service",
        "https://cds.example.org/cds-services",
        "http://cds.example.org/cds-services/marrow-patient-view",
        "https://evil.example/cds-services/marrow-patient-view",
        None,
    ],
    ids=["other-service", "base-only", "http-scheme", "other-host", "no-aud"],
)
def test_wrong_audience_is_refused(inline_verifier, ec_key, aud):
    assert rejected(inline_verifier, Client(ec_key).sign(AUD, aud=aud)) == "wrong_audience"


# ------------------------------------------------------------------------------ tenant


@pytest.fixture
def tenant_verifier(ec_key, engine):
    entry = {"iss": ISS, "jwks": jwks_of(ec_key), "tenants": ["hospital-a"]}
    return verifier_for([entry], engine)


def test_listed_tenant_is_accepted(tenant_verifier, ec_key):
    client = Client(ec_key, jku=None, extra_claims={"tenant": "hospital-a"})
    assert tenant_verifier.verify(client.sign(AUD), AUD).tenant == "hospital-a"


@pytest.mark.parametrize(
    "tenant", ["hospital-b", None, ["hospital-a"]], ids=["other", "none", "list"]
)
def test_tenant_not_allowed_is_refused(tenant_verifier, ec_key, tenant):
    client = Client(ec_key, jku=None, extra_claims={"tenant": tenant})
    assert rejected(tenant_verifier, client.sign(AUD)) == "tenant_not_allowed"


# ------------------------------------------------------------------------------ replay


def test_replayed_jti_is_refused(inline_verifier, ec_key):
    token = Client(ec_key).sign(AUD)
    inline_verifier.verify(token, AUD)
    assert rejected(inline_verifier, token) == "replayed"


def test_jti_is_shared_through_the_database_between_workers(ec_key, engine):
    """Two verifiers (two workers) on one database: a token used on one is refused by the other."""
    entry = {"iss": ISS, "jwks": jwks_of(ec_key)}
    worker_1 = verifier_for([entry], engine)
    worker_2 = verifier_for([entry], engine)
    token = Client(ec_key, jku=None).sign(AUD)
    worker_1.verify(token, AUD)
    assert rejected(worker_2, token) == "replayed"


def test_rejected_token_does_not_consume_its_jti(inline_verifier, ec_key):
    client = Client(ec_key)
    jti = "the-same-jti"
    assert rejected(inline_verifier, client.sign(AUD + "x", jti=jti)) == "wrong_audience"
    assert inline_verifier.verify(client.sign(AUD, jti=jti), AUD).jti == jti


def test_expired_jtis_are_purged(engine):
    clock = FakeClock()
    clock.now = time.time()
    store = ReplayStore(engine, clock=clock)
    from datetime import UTC, datetime, timedelta

    soon = datetime.now(UTC) + timedelta(seconds=100)
    assert store.first_use(ISS, "a", soon)
    assert store.first_use(ISS, "b", soon + timedelta(hours=1))
    clock.now += 200
    assert store.purge_expired() == 1
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(JwtReplayRow)) == 1


def test_database_down_falls_back_to_this_process(tmp_path):
    """No database: replays to this worker are still refused (replay.py docstring)."""
    from datetime import UTC, datetime, timedelta

    missing = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite3'}")
    store = ReplayStore(missing)
    until = datetime.now(UTC) + timedelta(minutes=5)
    assert store.first_use(ISS, "jti-1", until)
    assert not store.first_use(ISS, "jti-1", until)


# ------------------------------------------------------------------------------ configuration


def test_trusted_issuers_file_round_trip(tmp_path, ec_key):
    path = tmp_path / "issuers.json"
    doc = {
        "issuers": [{"iss": ISS, "jwks_url": JWKS_URL, "jwks": jwks_of(ec_key), "tenants": ["t"]}]
    }
    path.write_text(json.dumps(doc))
    issuer = load_trusted_issuers(path)[ISS]
    assert issuer.jwks_url == JWKS_URL
    assert set(issuer.inline_keys) == {"ec-1"}
    assert issuer.tenants == frozenset({"t"})


def test_no_file_means_nobody_is_trusted():
    assert load_trusted_issuers(None) == {}


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"issuers": [{"jwks_url": JWKS_URL}]},
        {"issuers": [{"iss": ISS}]},
        {"issuers": [{"iss": ISS, "jwks_url": "http://ehr.example.org/jwks.json"}]},
        {"issuers": [{"iss": ISS, "jwks_url": JWKS_URL, "tenants": "t"}]},
        {"issuers": [{"iss": ISS, "jwks_url": JWKS_URL}, {"iss": ISS, "jwks_url": JWKS_URL}]},
    ],
    ids=["no-issuers", "no-iss", "no-keys", "plain-http", "tenants-not-list", "duplicate"],
)
def test_bad_trusted_issuer_files_stop_start_up(document):
    with pytest.raises(TrustConfigError):
        parse_trusted_issuers(document)


def test_private_key_material_in_the_file_is_refused(ec_key):
    leaked = {"keys": [ec_key.as_dict(private=True)]}
    with pytest.raises(TrustConfigError, match="private"):
        parse_trusted_issuers({"issuers": [{"iss": ISS, "jwks": leaked}]})


def test_http_jwks_url_allowed_on_loopback_only():
    doc = {"issuers": [{"iss": ISS, "jwks_url": "http://127.0.0.1:9999/jwks.json"}]}
    assert parse_trusted_issuers(doc)[ISS].jwks_url == "http://127.0.0.1:9999/jwks.json"


def test_sandbox_shaped_token_is_checked_against_the_bundled_sandbox_key(engine):
    """examples/trusted-issuers.sandbox.json: a token shaped like the sandbox's (ES384, its kid,
    its jku) but signed by someone else passes every header check and fails on the signature."""
    examples = Path(__file__).resolve().parents[2] / "examples" / "trusted-issuers.sandbox.json"
    issuers = load_trusted_issuers(examples)
    verifier = TokenVerifier(issuers, JwksCache(), ReplayStore(engine))
    sandbox = issuers["https://sandbox.cds-hooks.org"]
    kid = next(iter(sandbox.inline_keys))
    impostor = Client(
        new_ec_key(kid), iss=sandbox.iss, jku="https://sandbox.cds-hooks.org/.well-known/jwks.json"
    )
    assert rejected(verifier, impostor.sign(AUD)) == "bad_signature"


class _DownEngine:
    """An engine whose database is unreachable; counts the attempts."""

    class dialect:  # mimics Engine.dialect
        name = "postgresql"

    def __init__(self) -> None:
        self.attempts = 0

    def begin(self):
        from sqlalchemy.exc import OperationalError

        self.attempts += 1
        raise OperationalError("INSERT", {}, ConnectionError("connection timed out"))


def test_unreachable_database_is_not_retried_on_every_call():
    """After a failure the store answers from memory for a while: an unreachable database host
    must not add its connect timeout to every hook call."""
    from datetime import UTC, datetime, timedelta

    clock = FakeClock()
    engine = _DownEngine()
    store = ReplayStore(engine, retry_database_after=10, clock=clock)  # type: ignore[arg-type]
    until = datetime.now(UTC) + timedelta(minutes=5)
    assert store.first_use(ISS, "a", until)
    assert store.first_use(ISS, "b", until)
    assert not store.first_use(ISS, "a", until)
    assert engine.attempts == 1
    clock.now += 11
    assert store.first_use(ISS, "c", until)
    assert engine.attempts == 2


@responses.activate
def test_symmetric_or_encryption_keys_in_a_jwks_are_never_used(engine):
    """A JWKS (compromised or misconfigured) offering an `oct` key or an encryption key under
    the token's kid: neither is used, so no HMAC secret can be planted through the JWKS."""
    from joserfc.jwk import OctKey

    secret = OctKey.generate_key(256, parameters={"kid": "planted"})
    enc = new_ec_key("enc-key")
    enc_public = {**enc.as_dict(private=False), "use": "enc"}
    responses.get(JWKS_URL, json={"keys": [secret.as_dict(private=True), enc_public]})
    verifier = verifier_for([{"iss": ISS, "jwks_url": JWKS_URL}], engine)
    hs = Client(new_ec_key("planted"))
    header = hs.header(alg="HS256")
    signing_input = (
        b64(json.dumps(header).encode()) + "." + b64(json.dumps(hs.claims(AUD)).encode())
    )
    forged = (
        signing_input
        + "."
        + b64(hmac.new(secret.raw_value, signing_input.encode(), "sha256").digest())
    )
    assert rejected(verifier, forged) == "alg_not_allowed"
    assert rejected(verifier, Client(enc, jku=JWKS_URL).sign(AUD)) == "unknown_kid"


def test_ps384_token_is_accepted(engine):
    from joserfc.jwk import RSAKey

    rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-pss", "alg": "PS384"})
    verifier = verifier_for([{"iss": ISS, "jwks": jwks_of(rsa)}], engine)
    token = Client(rsa, jku=None).sign(AUD, header={"alg": "PS384"})
    assert verifier.verify(token, AUD).iss == ISS
