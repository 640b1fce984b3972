"""Trusted issuers of client JWTs and the cache of their signing keys (JWKS).

Nothing is trusted by default. An integrator lists, in a JSON file named by
`MARROW_CDS_TRUSTED_ISSUERS`, every CDS client allowed to call the service:

    {"issuers": [{"iss": "https://sandbox.cds-hooks.org",
                  "jwks_url": "https://sandbox.cds-hooks.org/.well-known/jwks.json",
                  "jwks": {"keys": [...]},
                  "tenants": ["..."]}]}

`jwks_url` and/or inline `jwks` are required; `tenants` is optional (absent: any tenant). Keys are
only ever fetched from the configured `jwks_url`: a token's `jku` header is never followed unless it
is exactly that URL (the check is in auth.py).

The cache (CDS-HOOKS.md, Security: "cache JWKS by kid"):
- inline keys are used as they are, never refetched;
- fetched keys are kept for `max_age` seconds, then refreshed on the next use;
- a token whose `kid` is unknown triggers a refetch (key rotation), but at most once every
  `refetch_interval` seconds per issuer, so forged kids cannot make us hammer the issuer;
- a failed refresh keeps the keys we had (an issuer outage does not lock every client out) and is
  logged with a reason code.
The fetch uses its own `requests.Session` with explicit connect/read timeouts, no redirects, an
overall deadline and a byte cap.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

log = logging.getLogger(__name__)

#: The only JWS algorithms a client may sign with: asymmetric ones (CDS-HOOKS.md, Security).
ASYMMETRIC_ALGORITHMS: frozenset[str] = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
)
_ASYMMETRIC_KEY_TYPES = frozenset({"EC", "RSA"})
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_LOOPBACK_HOSTS = frozenset({"localhost"})

DEFAULT_REFETCH_INTERVAL_S = 60.0
DEFAULT_MAX_AGE_S = 3600.0
DEFAULT_CONNECT_TIMEOUT_S = 2.0
DEFAULT_READ_TIMEOUT_S = 3.0
DEFAULT_MAX_JWKS_BYTES = 64 * 1024
MAX_KEYS_PER_SET = 50


class TrustConfigError(ValueError):
    """The trusted-issuers file is missing, unreadable or wrongly shaped (a start-up error)."""


class JwksFetchError(Exception):
    """A JWKS could not be fetched or read; `reason` is a short code safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TrustedIssuer:
    """One CDS client allowed to call us: its `iss`, where its keys are, and its tenants."""

    iss: str
    jwks_url: str | None = None
    inline_keys: Mapping[str, Key] = field(default_factory=dict)
    tenants: frozenset[str] | None = None


# ------------------------------------------------------------------------------ configuration


def _is_loopback_host(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_jwks_url(url: str) -> str:
    """A JWKS URL must be https; plain http only for a loopback address (local testing)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise TrustConfigError("jwks_url must be an absolute URL")
    if parts.username or parts.password:
        raise TrustConfigError("jwks_url must not carry credentials")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _is_loopback_host(parts.hostname):
        return url
    raise TrustConfigError("jwks_url must use https (http only for loopback addresses)")


def import_public_keys(jwks: Any, *, source: str) -> dict[str, Key]:
    """Read a JWKS object into {kid: key}, keeping only public asymmetric signing keys with a kid.

    Raises JwksFetchError/TrustConfigError (by `source`) when the object is not a JWKS at all;
    individual keys that are unusable (no kid, symmetric, encryption-only) are skipped.
    """
    fail: Callable[[str], Exception] = TrustConfigError if source == "config" else JwksFetchError
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise fail("jwks_not_a_key_set")
    if len(jwks["keys"]) > MAX_KEYS_PER_SET:
        raise fail("jwks_too_many_keys")
    keys: dict[str, Key] = {}
    for raw in jwks["keys"]:
        if not isinstance(raw, dict):
            continue
        kid = raw.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        if raw.get("kty") not in _ASYMMETRIC_KEY_TYPES or raw.get("use", "sig") != "sig":
            continue
        if raw.get("alg") is not None and raw.get("alg") not in ASYMMETRIC_ALGORITHMS:
            continue
        if source == "config" and _PRIVATE_MEMBERS & raw.keys():
            raise TrustConfigError(f"inline key {kid!r} contains private key material")
        public = {k: v for k, v in raw.items() if k not in _PRIVATE_MEMBERS}
        try:
            keys[kid] = JWKRegistry.import_key(public)
        except (JoseError, ValueError, TypeError) as exc:
            if source == "config":
                raise TrustConfigError(f"inline key {kid!r} cannot be read") from exc
            continue
    return keys


def _issuer_from_json(entry: Any) -> TrustedIssuer:
    if not isinstance(entry, dict):
        raise TrustConfigError("each issuer must be an object")
    iss = entry.get("iss")
    if not isinstance(iss, str) or not iss:
        raise TrustConfigError("each issuer needs a non-empty 'iss'")
    jwks_url = entry.get("jwks_url")
    if jwks_url is not None:
        if not isinstance(jwks_url, str):
            raise TrustConfigError(f"issuer {iss!r}: jwks_url must be a string")
        check_jwks_url(jwks_url)
    inline: dict[str, Key] = {}
    if entry.get("jwks") is not None:
        inline = import_public_keys(entry["jwks"], source="config")
    if jwks_url is None and not inline:
        raise TrustConfigError(f"issuer {iss!r}: give a jwks_url or inline jwks with a key")
    tenants = entry.get("tenants")
    if tenants is not None and (
        not isinstance(tenants, list) or not all(isinstance(t, str) and t for t in tenants)
    ):
        raise TrustConfigError(f"issuer {iss!r}: tenants must be a list of strings")
    return TrustedIssuer(
        iss=iss,
        jwks_url=jwks_url,
        inline_keys=inline,
        tenants=frozenset(tenants) if tenants is not None else None,
    )


def parse_trusted_issuers(document: Any) -> dict[str, TrustedIssuer]:
    """{"issuers": [...]} -> {iss: TrustedIssuer}. Raises TrustConfigError on any mistake."""
    if not isinstance(document, dict) or not isinstance(document.get("issuers"), list):
        raise TrustConfigError('the trusted-issuers file must be {"issuers": [...]}')
    issuers: dict[str, TrustedIssuer] = {}
    for entry in document["issuers"]:
        issuer = _issuer_from_json(entry)
        if issuer.iss in issuers:
            raise TrustConfigError(f"issuer {issuer.iss!r} is listed twice")
        issuers[issuer.iss] = issuer
    return issuers


def load_trusted_issuers(path: str | Path | None) -> dict[str, TrustedIssuer]:
    """Read the trusted-issuers file; no path means no trusted issuer (every token is refused)."""
    if path is None or str(path) == "":
        return {}
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TrustConfigError(f"cannot read trusted issuers file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise TrustConfigError(f"trusted issuers file {path} is not valid JSON") from exc
    return parse_trusted_issuers(document)


# ------------------------------------------------------------------------------ cache


@dataclass
class _Fetched:
    keys: dict[str, Key] = field(default_factory=dict)
    fetched_at: float | None = None  # last successful fetch
    attempted_at: float | None = None  # last attempt, successful or not
    lock: threading.Lock = field(default_factory=threading.Lock)


class JwksCache:
    """Signing keys per trusted issuer, fetched from its jwks_url and rotated on an unknown kid."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        refetch_interval: float = DEFAULT_REFETCH_INTERVAL_S,
        max_age: float = DEFAULT_MAX_AGE_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        read_timeout: float = DEFAULT_READ_TIMEOUT_S,
        max_bytes: int = DEFAULT_MAX_JWKS_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session or requests.Session()
        self._refetch_interval = refetch_interval
        self._max_age = max_age
        self._timeout = (connect_timeout, read_timeout)
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: dict[str, _Fetched] = {}
        self._entries_lock = threading.Lock()

    def key_for(self, issuer: TrustedIssuer, kid: str) -> Key | None:
        """The issuer's key with this kid, or None when it has none (after at most one refetch)."""
        inline = issuer.inline_keys.get(kid)
        if inline is not None:
            return inline
        if issuer.jwks_url is None:
            return None
        entry = self._entry(issuer.iss)
        with entry.lock:
            now = self._clock()
            stale = entry.fetched_at is None or now - entry.fetched_at >= self._max_age
            if (stale or kid not in entry.keys) and self._may_fetch(entry, now):
                self._refresh(issuer, entry, now)
            return entry.keys.get(kid)

    def _entry(self, iss: str) -> _Fetched:
        with self._entries_lock:
            return self._entries.setdefault(iss, _Fetched())

    def _may_fetch(self, entry: _Fetched, now: float) -> bool:
        return entry.attempted_at is None or now - entry.attempted_at >= self._refetch_interval

    def _refresh(self, issuer: TrustedIssuer, entry: _Fetched, now: float) -> None:
        assert issuer.jwks_url is not None
        entry.attempted_at = now
        try:
            document = self._fetch(issuer.jwks_url)
            keys = import_public_keys(document, source="fetch")
        except JwksFetchError as exc:
            log.warning(
                "jwks_fetch_failed",
                extra={"reason": exc.reason, "iss": issuer.iss, "kept_keys": len(entry.keys)},
            )
            return
        entry.keys = keys
        entry.fetched_at = now
        log.info("jwks_fetched", extra={"iss": issuer.iss, "keys": len(keys)})

    def _fetch(self, url: str) -> Any:
        deadline = time.monotonic() + self._timeout[0] + self._timeout[1]
        try:
            with self._session.get(
                url,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json, application/jwk-set+json"},
            ) as response:
                if response.status_code != 200:
                    raise JwksFetchError(f"jwks_http_{response.status_code}")
                body = _read_capped(response.iter_content(8192), self._max_bytes, deadline)
        except requests.Timeout as exc:
            raise JwksFetchError("jwks_timeout") from exc
        except requests.RequestException as exc:
            raise JwksFetchError("jwks_unreachable") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise JwksFetchError("jwks_invalid_json") from exc


def _read_capped(chunks: Iterable[bytes], max_bytes: int, deadline: float) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body.extend(chunk)
        if len(body) > max_bytes:
            raise JwksFetchError("jwks_too_large")
        if time.monotonic() > deadline:
            raise JwksFetchError("jwks_timeout")
    return bytes(body)
