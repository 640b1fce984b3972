"""Who may call the companion app's reader endpoints: an OpenID Connect ``id_token`` of a SMART
launch (issue 13).

The app runs in the clinician's browser and keeps its SMART tokens there; the service never sees
the access token. To read a report or normalise results for it, the app sends the ``id_token``
its EHR issued at the launch (scope ``openid fhirUser``) as ``Authorization: Bearer``. It is
checked against ``MARROW_CDS_SMART_ISSUERS`` (the jwks.py issuers file format: ``iss`` and
``jwks_url`` and/or inline ``jwks``), with the keys cached and rotated by ``jwks.JwksCache``:

- ``alg`` asymmetric (RS/ES/PS 256/384/512), a ``kid`` the issuer's key set has, the signature;
- ``iss`` listed, ``aud`` (a string or list) names ``MARROW_CDS_SMART_CLIENT_ID``;
- ``exp`` in the future, ``iat`` not in the future (60 s skew), lifetime at most one hour.

The id_token is sent on every call of one session, so no jti replay check (an id_token is a
statement of who logged in, not a one-time request token); its short life bounds its use. Any
failure is a bare 401 (``errors.Unauthorized``) with the reason logged, never the token.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from cds_hooks.security.auth import AuthFailure, _b64_json, audience_matches, bearer_token
from cds_hooks.security.jwks import (
    ASYMMETRIC_ALGORITHMS,
    JwksCache,
    TrustedIssuer,
    load_trusted_issuers,
)

log = logging.getLogger(__name__)

CLOCK_SKEW_S = 60
MAX_LIFETIME_S = 3600
MAX_TOKEN_BYTES = 8 * 1024


@dataclass(frozen=True)
class AppUser:
    iss: str
    sub: str | None
    fhir_user: str | None


class IdTokenVerifier:
    def __init__(
        self,
        issuers: Mapping[str, TrustedIssuer],
        client_id: str,
        jwks: JwksCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuers = dict(issuers)
        self.client_id = client_id
        self.jwks = jwks or JwksCache()
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Any) -> IdTokenVerifier:
        issuers = load_trusted_issuers(getattr(settings, "smart_issuers", None))
        return cls(issuers, getattr(settings, "smart_client_id", "marrow-cds-app"))

    def verify_header(self, authorization: str | None) -> AppUser:
        return self.verify(bearer_token(authorization))

    def verify(self, token: str) -> AppUser:
        try:
            return self._verify(token)
        except AuthFailure:
            raise
        except Exception as exc:  # fail closed
            raise AuthFailure("malformed_token") from exc

    def _verify(self, token: str) -> AppUser:
        if len(token) > MAX_TOKEN_BYTES or not token.isascii() or token.count(".") != 2:
            raise AuthFailure("malformed_token")
        head, body, _ = token.split(".")
        header, claims = _b64_json(head), _b64_json(body)
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS:
            raise AuthFailure("alg_not_allowed")
        if not isinstance(kid, str) or not kid:
            raise AuthFailure("missing_kid")
        if "crit" in header or "zip" in header:
            raise AuthFailure("crit_not_supported")
        iss = claims.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthFailure("unknown_issuer")
        key = self.jwks.key_for(issuer, kid)
        if key is None:
            raise AuthFailure("unknown_kid")
        try:
            verified = jwt.decode(token, key, algorithms=[alg]).claims
        except (JoseError, ValueError) as exc:
            raise AuthFailure("bad_signature") from exc
        if "aud" not in verified or not audience_matches(verified["aud"], self.client_id):
            raise AuthFailure("wrong_audience")
        now = self.clock()
        exp, iat = _time(verified, "exp"), _time(verified, "iat")
        if exp <= now - CLOCK_SKEW_S:
            raise AuthFailure("expired")
        if iat > now + CLOCK_SKEW_S:
            raise AuthFailure("issued_in_future")
        if exp - iat > MAX_LIFETIME_S:
            raise AuthFailure("lifetime_too_long")
        sub, fhir_user = verified.get("sub"), verified.get("fhirUser")
        return AppUser(
            iss=issuer.iss,
            sub=sub if isinstance(sub, str) else None,
            fhir_user=fhir_user if isinstance(fhir_user, str) else None,
        )


def _time(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthFailure("bad_claims")
    number = float(value)
    if not math.isfinite(number):
        raise AuthFailure("bad_claims")
    return number
