"""Test-side CDS client: keys and signed tokens, the way an EHR or the sandbox makes them."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

ISS = "https://ehr.example.org"
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand (for `none` and other things a library refuses to sign)."""
    return ".".join(
        (b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature))
    )


def new_ec_key(kid: str) -> ECKey:
    return ECKey.generate_key("P-384", parameters={"kid": kid, "alg": "ES384", "use": "sig"})


def new_rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS384", "use": "sig"})


def jwks_of(*keys: Key) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


@dataclass
class Client:
    """Signs tokens as one issuer. `sign(aud)` gives a fresh valid token for that URL."""

    key: Key
    iss: str = ISS
    jku: str | None = JWKS_URL
    extra_claims: dict[str, Any] = field(default_factory=dict)

    @property
    def alg(self) -> str:
        return str(self.key.get("alg"))

    def header(self, **overrides: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"alg": self.alg, "kid": self.key.kid, "typ": "JWT"}
        if self.jku:
            header["jku"] = self.jku
        header.update(overrides)
        return {k: v for k, v in header.items() if v is not None}

    def claims(self, audience: str | None, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.iss,
            "aud": audience,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
            **self.extra_claims,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, audience: str, *, header: dict[str, Any] | None = None, **claims: Any) -> str:
        hdr = self.header(**(header or {}))
        return jwt.encode(
            hdr,
            self.claims(audience, **claims),
            self.key,
            algorithms=[hdr["alg"]],
            default_type=None,
        )


def issuers_document(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"issuers": list(entries)}
