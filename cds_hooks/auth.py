"""Who may call: verification of the CDS client's JWT (CDS-HOOKS.md, Security).

Every request under ``/cds-services`` (discovery, services, feedback) must carry
``Authorization: Bearer <JWT>`` signed by a trusted issuer (``jwks.py``). Not protected:
``/healthz``, ``/readyz`` (probes), ``/openapi.json`` and ``/rules`` (public documentation, no
patient data), and CORS preflights (``OPTIONS``: browsers never send credentials on a preflight).

The checks, in order, each with the reason code that is logged when it fails (never the token):

==========================  =====================================================================
reason                      check
==========================  =====================================================================
missing_token               an ``Authorization: Bearer`` header is present
malformed_token             three base64url parts, JSON header and claims objects
alg_not_allowed             ``alg`` is asymmetric: ES256/384/512, RS256/384/512, PS256/384/512
                            (``none`` and ``HS*`` are refused before any key is looked at)
missing_kid                 ``kid`` is a non-empty string
bad_typ                     ``typ`` is ``JWT`` (case-insensitive, RFC 7519 5.1)
unknown_issuer              ``iss`` is in the trusted-issuers file
jku_not_listed              a ``jku``, if sent, is exactly the issuer's configured ``jwks_url``
unknown_kid                 the issuer's JWKS (inline, or fetched and cached) has the ``kid``
bad_signature               the signature verifies with that key and algorithm
bad_claims                  ``exp``, ``iat`` numbers; ``jti``, ``aud`` present and well typed
expired                     ``exp`` > now - skew
issued_in_future            ``iat`` <= now + skew (and ``nbf``, if sent, <= now + skew)
lifetime_too_long           ``exp`` - ``iat`` <= MAX_LIFETIME_S (the replay window: a token
                            living longer than the jti cache could be replayed after purge)
wrong_audience              ``aud`` (or one of them) is the URL called, see ``expected_audience``
tenant_not_allowed          the issuer lists ``tenants``: the ``tenant`` claim is one of them
replayed                    the (``iss``, ``jti``) pair was never seen (``replay.py``, database)
==========================  =====================================================================

Any failure answers a bare 401: empty body and ``WWW-Authenticate: Bearer realm="marrow-cds"``
(``errors.Unauthorized``); the reason is in the log only, so a caller learns nothing.

The audience: ``MARROW_CDS_PUBLIC_BASE_URL`` + the request path when the service runs behind a
proxy, otherwise ``request.base_url`` (the URL as the server saw it, without query string). One
trailing ``/`` difference is tolerated (EHRs type ``aud`` by hand), nothing else: scheme, host,
port and path must be those called.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import Engine

from .errors import Unauthorized
from .jwks import ASYMMETRIC_ALGORITHMS, JwksCache, TrustedIssuer, load_trusted_issuers
from .replay import ReplayStore

log = logging.getLogger(__name__)

CLOCK_SKEW_S = 60
#: The longest token lifetime accepted; also how long a jti is remembered (CDS-HOOKS.md: "cache
#: about one hour"). The sandbox issues 300 s tokens.
MAX_LIFETIME_S = 3600
MAX_TOKEN_BYTES = 16 * 1024
MAX_JTI_LENGTH = 255

PROTECTED_PREFIX = "/cds-services"


class AuthFailure(Exception):
    """A token was refused; ``reason`` is one of the codes in the module docstring."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedClient:
    """What a verified token tells us about the caller (kept on ``flask.g.cds_client``)."""

    iss: str
    jti: str
    sub: str | None = None
    tenant: str | None = None


# ------------------------------------------------------------------------------ verification


def _b64_json(segment: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise AuthFailure("malformed_token") from exc
    if not isinstance(value, dict):
        raise AuthFailure("malformed_token")
    return value


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthFailure("bad_claims")
    return float(value)


def _strip_slash(url: str) -> str:
    return url[:-1] if url.endswith("/") else url


def audience_matches(aud: Any, expected: str) -> bool:
    """``aud`` (a string or a list of strings) names the URL called, give or take one '/'."""
    candidates = [aud] if isinstance(aud, str) else aud
    if not isinstance(candidates, list) or not all(isinstance(a, str) for a in candidates):
        raise AuthFailure("bad_claims")
    want = _strip_slash(expected)
    return any(_strip_slash(a) == want for a in candidates)


class TokenVerifier:
    """Verifies one bearer token against the trusted issuers; stateless apart from its caches."""

    def __init__(
        self,
        issuers: Mapping[str, TrustedIssuer],
        jwks: JwksCache,
        replay: ReplayStore,
        *,
        clock_skew: float = CLOCK_SKEW_S,
        max_lifetime: float = MAX_LIFETIME_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuers = dict(issuers)
        self.jwks = jwks
        self.replay = replay
        self.clock_skew = clock_skew
        self.max_lifetime = max_lifetime
        self.clock = clock

    def verify(self, token: str, audience: str) -> VerifiedClient:
        """The verified caller, or AuthFailure(reason). ``audience``: the URL that was called."""
        if len(token) > MAX_TOKEN_BYTES:
            raise AuthFailure("malformed_token")
        parts = token.split(".")
        if len(parts) != 3 or not all(parts[:2]):
            raise AuthFailure("malformed_token")
        header = _b64_json(parts[0])
        unverified_claims = _b64_json(parts[1])

        alg = header.get("alg")
        if alg not in ASYMMETRIC_ALGORITHMS:
            raise AuthFailure("alg_not_allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthFailure("missing_kid")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise AuthFailure("bad_typ")

        iss = unverified_claims.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthFailure("unknown_issuer")
        jku = header.get("jku")
        if jku is not None and (issuer.jwks_url is None or jku != issuer.jwks_url):
            raise AuthFailure("jku_not_listed")

        key = self.jwks.key_for(issuer, kid)
        if key is None:
            raise AuthFailure("unknown_kid")
        key_alg = key.get("alg")
        if key_alg is not None and key_alg != alg:
            raise AuthFailure("alg_not_allowed")
        try:
            verified = jwt.decode(token, key, algorithms=[alg])
        except (JoseError, ValueError) as exc:
            raise AuthFailure("bad_signature") from exc
        claims = verified.claims
        if claims.get("iss") != issuer.iss:  # cannot differ, the same bytes were decoded
            raise AuthFailure("unknown_issuer")

        expires_at = self._check_times(claims)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
            raise AuthFailure("bad_claims")
        if "aud" not in claims or not audience_matches(claims["aud"], audience):
            raise AuthFailure("wrong_audience")
        tenant = claims.get("tenant")
        if issuer.tenants is not None and (
            not isinstance(tenant, str) or tenant not in issuer.tenants
        ):
            raise AuthFailure("tenant_not_allowed")
        # Last: only a token that passed every other check may take its jti.
        if not self.replay.first_use(issuer.iss, jti, expires_at):
            raise AuthFailure("replayed")
        sub = claims.get("sub")
        return VerifiedClient(
            iss=issuer.iss,
            jti=jti,
            sub=sub if isinstance(sub, str) else None,
            tenant=tenant if isinstance(tenant, str) else None,
        )

    def _check_times(self, claims: Mapping[str, Any]) -> datetime:
        """exp, iat (and nbf) against the clock; returns until when the jti must be remembered."""
        now = self.clock()
        exp = _number(claims, "exp")
        iat = _number(claims, "iat")
        if exp <= now - self.clock_skew:
            raise AuthFailure("expired")
        if iat > now + self.clock_skew:
            raise AuthFailure("issued_in_future")
        if "nbf" in claims and _number(claims, "nbf") > now + self.clock_skew:
            raise AuthFailure("issued_in_future")
        if exp - iat > self.max_lifetime:
            raise AuthFailure("lifetime_too_long")
        return datetime.fromtimestamp(exp + self.clock_skew, UTC)


# ------------------------------------------------------------------------------ Flask wiring


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthFailure("missing_token")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthFailure("missing_token")
    return token.strip()


def expected_audience(public_base_url: str | None) -> str:
    """The URL the client called, as it should appear in ``aud``."""
    if public_base_url:
        return public_base_url.rstrip("/") + request.path
    return request.base_url


def is_protected(path: str, method: str) -> bool:
    """Discovery, services and feedback need a token; probes, docs and preflights do not."""
    if method == "OPTIONS":
        return False
    return path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")


def init_app(app: Flask, settings: Any, engine: Engine | None = None) -> None:
    """Install JWT verification on ``app`` (called once by ``create_app``).

    ``settings.require_jwt`` false: nothing is installed and a warning is logged (local trial
    only). Otherwise the trusted issuers are read now (a bad file stops start-up), and a
    ``before_request`` hook verifies every protected request. jtis are remembered in the
    service's database: ``engine``, default ``app.extensions["marrow_store"].engine``
    (``replay.py``).
    """
    if not settings.require_jwt:
        log.warning("JWT verification is OFF (MARROW_CDS_REQUIRE_JWT=0): local trial only")
        return
    issuers = load_trusted_issuers(settings.trusted_issuers)
    if not issuers:
        log.warning("no trusted issuers configured: every call to /cds-services is refused")
    if engine is None and "marrow_store" in app.extensions:
        engine = app.extensions["marrow_store"].engine
    verifier = TokenVerifier(issuers, JwksCache(), ReplayStore(engine))
    app.extensions["marrow_auth"] = verifier
    public_base_url: str | None = settings.public_base_url

    @app.before_request
    def _require_jwt() -> None:
        if not is_protected(request.path, request.method):
            return
        try:
            token = bearer_token(request.headers.get("Authorization"))
            g.cds_client = verifier.verify(token, expected_audience(public_base_url))
        except AuthFailure as failure:
            log.warning("JWT rejected: %s", failure.reason, extra={"path": request.path})
            raise Unauthorized() from None
