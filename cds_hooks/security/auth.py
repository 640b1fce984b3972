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
malformed_token             at most MAX_TOKEN_BYTES; three base64url parts; header and claims are
                            UTF-8 JSON objects (no duplicate member, no NaN, bounded nesting);
                            any other parsing error of the token also lands here
alg_not_allowed             ``alg`` is asymmetric: ES256/384/512, RS256/384/512, PS256/384/512
                            (``none`` and ``HS*`` are refused before any key is looked at)
missing_kid                 ``kid`` is a non-empty string
bad_typ                     ``typ`` is ``JWT`` (case-insensitive, RFC 7519 5.1)
crit_not_supported          no ``crit`` and no ``zip`` header (we implement no JWS extension;
                            RFC 7515 4.1.11: a ``crit`` we do not understand must be refused)
unknown_issuer              ``iss`` is in the trusted-issuers file
jku_not_listed              a ``jku``, if sent, is exactly the issuer's configured ``jwks_url``
unknown_kid                 the issuer's JWKS (inline, or fetched and cached) has the ``kid``
bad_signature               the signature verifies with that key and algorithm
bad_claims                  ``exp``, ``iat`` (``nbf``) finite numbers (no bool, string, NaN,
                            Infinity) within year 1970..9999; ``jti`` a string of 1..255
                            characters without control characters; ``aud`` strings
expired                     ``exp`` > now - skew
issued_in_future            ``iat`` <= now + skew (and ``nbf``, if sent, <= now + skew)
lifetime_too_long           ``exp`` - ``iat`` <= MAX_LIFETIME_S (the replay window: a token
                            living longer than the jti cache could be replayed after purge)
wrong_audience              ``aud`` (or one of them) is the URL called, see ``expected_audience``
tenant_not_allowed          the issuer lists ``tenants``: the ``tenant`` claim is one of them
replayed                    the (``iss``, ``jti``) pair was never seen (``replay.py``, database)
bad_jti                     the replay store refused the jti as data (``replay.InvalidJti``);
                            only a connectivity error switches it to this process's memory
==========================  =====================================================================

Any failure answers a bare 401: empty body and ``WWW-Authenticate: Bearer realm="marrow-cds"``
(``errors.Unauthorized``); the reason is in the log only, so a caller learns nothing. An
unexpected exception while verifying (a type confusion not foreseen above) is also a 401, logged
as ``verification_error`` with the exception type: verification fails closed, never a 500.

The audience is ``MARROW_CDS_PUBLIC_BASE_URL`` + the request path, never anything derived from
the request's ``Host`` or ``X-Forwarded-*`` headers (a client could choose them). With JWTs
required and no public base URL configured (settings refuses to start so; this is the
belt-and-braces) every token is refused with ``no_public_base_url``. One trailing ``/``
difference is tolerated (EHRs type ``aud`` by hand), nothing else: scheme, host, port and path
must be those of the configured base.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

from flask import Flask, g, request
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import Engine

from cds_hooks.errors import Unauthorized
from cds_hooks.security.jti_replay import InvalidJti, ReplayStore
from cds_hooks.security.jwks import (
    ASYMMETRIC_ALGORITHMS,
    JwksCache,
    TrustedIssuer,
    load_trusted_issuers,
)

log = logging.getLogger(__name__)

CLOCK_SKEW_S = 60
#: The longest token lifetime accepted; also how long a jti is remembered (CDS-HOOKS.md: "cache
#: about one hour"). The sandbox issues 300 s tokens.
MAX_LIFETIME_S = 3600
MAX_TOKEN_BYTES = 8 * 1024
MAX_JTI_LENGTH = 255
MAX_KID_LENGTH = 255
#: exp/iat/nbf beyond these are not real times (year 9999 is datetime's limit).
_EARLIEST_TIME = 0.0
_LATEST_TIME = 253402300799.0
#: Errors that parsing or checking attacker-controlled JSON can raise besides AuthFailure.
_PARSE_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    RecursionError,
    OverflowError,
    UnicodeError,
    binascii.Error,
    JoseError,
)

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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("duplicate member")
    return value


def _b64_json(segment: str) -> dict[str, Any]:
    """A base64url segment holding a JSON object; AuthFailure("malformed_token") otherwise."""
    if not segment.isascii() or not segment.replace("-", "").replace("_", "").isalnum():
        raise AuthFailure("malformed_token")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(
            raw.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except _PARSE_ERRORS as exc:  # RecursionError: nesting too deep for the parser
        raise AuthFailure("malformed_token") from exc
    if not isinstance(value, dict):
        raise AuthFailure("malformed_token")
    return value


def _plain_string(value: Any, max_length: int) -> TypeGuard[str]:
    """A non-empty string of at most max_length characters, no control/surrogate characters."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)
    )


def _number(claims: Mapping[str, Any], name: str) -> float:
    """A NumericDate (RFC 7519 2): a finite JSON number within datetime's range."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthFailure("bad_claims")
    if isinstance(value, int) and not _EARLIEST_TIME <= value <= _LATEST_TIME:
        raise AuthFailure("bad_claims")
    number = float(value)
    if not math.isfinite(number) or not _EARLIEST_TIME <= number <= _LATEST_TIME:
        raise AuthFailure("bad_claims")
    return number


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
        """The verified caller, or AuthFailure(reason). ``audience``: the URL that was called.

        Fails closed: whatever goes wrong inside is an AuthFailure, never another exception.
        """
        try:
            return self._verify(token, audience)
        except AuthFailure:
            raise
        except _PARSE_ERRORS as exc:
            raise AuthFailure("malformed_token") from exc
        except Exception as exc:  # an unforeseen case must still be a 401, never a 500
            log.error("JWT verification error", extra={"error": type(exc).__name__})
            raise AuthFailure("verification_error") from exc

    def _verify(self, token: str, audience: str) -> VerifiedClient:
        """Every check, in this order: shape, header, issuer, signature, claims, then the jti
        (only a token that passed every other check may take its jti)."""
        header, unverified_claims = _split(token)
        alg, kid = _checked_header(header)
        issuer = self._issuer(header, unverified_claims)
        claims = self._verified_claims(token, issuer, alg, kid)
        expires_at = self._check_times(claims)
        jti, tenant = _checked_claims(claims, issuer, audience)
        try:
            fresh = self.replay.first_use(issuer.iss, jti, expires_at)
        except InvalidJti:
            raise AuthFailure("bad_jti") from None
        if not fresh:
            raise AuthFailure("replayed")
        sub = claims.get("sub")
        return VerifiedClient(
            iss=issuer.iss,
            jti=jti,
            sub=sub if isinstance(sub, str) else None,
            tenant=tenant,
        )

    def _issuer(self, header: dict[str, Any], unverified_claims: dict[str, Any]) -> TrustedIssuer:
        """The trusted issuer the token names; a `jku` must be that issuer's listed JWKS URL."""
        iss = unverified_claims.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthFailure("unknown_issuer")
        jku = header.get("jku")
        if jku is not None and (
            not isinstance(jku, str) or issuer.jwks_url is None or jku != issuer.jwks_url
        ):
            raise AuthFailure("jku_not_listed")
        return issuer

    def _verified_claims(
        self, token: str, issuer: TrustedIssuer, alg: str, kid: str
    ) -> dict[str, Any]:
        """The claims, once the signature is checked with the issuer's key `kid`."""
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
        claims: dict[str, Any] = verified.claims
        if claims.get("iss") != issuer.iss:  # cannot differ, the same bytes were decoded
            raise AuthFailure("unknown_issuer")
        return claims

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


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, unverified claims) of a compact JWS of bounded size."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES or not token.isascii():
        raise AuthFailure("malformed_token")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise AuthFailure("malformed_token")
    return _b64_json(parts[0]), _b64_json(parts[1])


def _checked_header(header: dict[str, Any]) -> tuple[str, str]:
    """(alg, kid) of a header that names an asymmetric algorithm, a key, typ JWT and no
    extension the service does not implement."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS:
        raise AuthFailure("alg_not_allowed")
    kid = header.get("kid")
    if not _plain_string(kid, MAX_KID_LENGTH):
        raise AuthFailure("missing_kid")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise AuthFailure("bad_typ")
    if "crit" in header or "zip" in header or "b64" in header:
        raise AuthFailure("crit_not_supported")
    return alg, kid


def _checked_claims(
    claims: dict[str, Any], issuer: TrustedIssuer, audience: str
) -> tuple[str, str | None]:
    """(jti, tenant) of verified claims with a plain jti, this service as audience and, when the
    issuer lists tenants, one of them."""
    jti = claims.get("jti")
    if not _plain_string(jti, MAX_JTI_LENGTH):  # NUL etc. must never reach the database
        raise AuthFailure("bad_claims")
    if "aud" not in claims or not audience_matches(claims["aud"], audience):
        raise AuthFailure("wrong_audience")
    tenant = claims.get("tenant")
    if issuer.tenants is not None and (not isinstance(tenant, str) or tenant not in issuer.tenants):
        raise AuthFailure("tenant_not_allowed")
    return jti, tenant if isinstance(tenant, str) else None


# ------------------------------------------------------------------------------ Flask wiring


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthFailure("missing_token")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthFailure("missing_token")
    return token.strip()


def expected_audience(public_base_url: str | None) -> str:
    """The URL the client called, as it should appear in ``aud``: the configured public base
    URL + the request path. Never built from the request's Host (the caller chooses it)."""
    if not public_base_url:
        raise AuthFailure("no_public_base_url")
    return public_base_url.rstrip("/") + request.path


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
    if not public_base_url:
        log.error(
            "MARROW_CDS_PUBLIC_BASE_URL is not set: every call to /cds-services is refused "
            "(the token audience must be the service's public URL)"
        )

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
