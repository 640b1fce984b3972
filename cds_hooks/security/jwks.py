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
- one fetch per issuer at a time and never under a lock: a known kid is answered at once while a
  fetch runs, so a slow or drip-feeding JWKS endpoint cannot stall clients with valid keys;
- a failed refresh keeps the keys we had (an issuer outage does not lock every client out) and is
  logged with a reason code.
The fetch uses its own `requests.Session` (``trust_env`` off: no proxy or CA bundle from the
environment) with explicit connect/read timeouts, no redirects, no compression, an overall
wall-clock deadline (connect + read timeout) and a byte cap.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
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


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


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
    #: Set while no fetch is in flight; cleared by the one caller that starts a fetch. The lock
    #: only guards these fields and is never held during network I/O.
    idle: threading.Event = field(default_factory=_set_event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class JwksCache:
    """Signing keys per trusted issuer, fetched from its jwks_url and rotated on an unknown kid.

    Single flight, no lock held during network I/O: at most one fetch per issuer is in flight.
    A known kid is answered from the cache at once, also while a fetch runs (a stale cache is
    refreshed in the background). A caller with an unknown kid that finds a fetch in flight waits
    for it, at most until that fetch's deadline. Every fetch has an overall wall-clock deadline
    (connect + read timeout): the body is read in small pieces, the time checked after each and
    the socket timeout shortened to what is left; the fetch runs in a worker thread so that even
    a server dripping its headers cannot hold a caller past the deadline.
    """

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
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy, netrc or CA bundle from the environment
        self._session = session
        self._refetch_interval = refetch_interval
        self._max_age = max_age
        self._timeout = (connect_timeout, read_timeout)
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: dict[str, _Fetched] = {}
        self._entries_lock = threading.Lock()

    @property
    def fetch_deadline_s(self) -> float:
        """The longest a fetch may take, start to last byte."""
        return self._timeout[0] + self._timeout[1]

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
            key = entry.keys.get(kid)
            stale = entry.fetched_at is None or now - entry.fetched_at >= self._max_age
            in_flight = not entry.idle.is_set()
            start = (stale or key is None) and not in_flight and self._may_fetch(entry, now)
            if start:
                entry.idle.clear()
                entry.attempted_at = now
        if key is not None:
            if start:  # known kid, stale cache: refresh without making this caller wait
                threading.Thread(
                    target=self._refresh, args=(issuer, entry), daemon=True, name="jwks-refresh"
                ).start()
            return key
        if start:
            self._refresh(issuer, entry)
        elif in_flight:
            entry.idle.wait(self.fetch_deadline_s + 0.5)
        with entry.lock:
            return entry.keys.get(kid)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no fetch is in flight (tests, shutdown); False on timeout."""
        with self._entries_lock:
            entries = list(self._entries.values())
        return all(entry.idle.wait(timeout) for entry in entries)

    def _entry(self, iss: str) -> _Fetched:
        with self._entries_lock:
            return self._entries.setdefault(iss, _Fetched())

    def _may_fetch(self, entry: _Fetched, now: float) -> bool:
        return entry.attempted_at is None or now - entry.attempted_at >= self._refetch_interval

    def _refresh(self, issuer: TrustedIssuer, entry: _Fetched) -> None:
        """Fetch the issuer's JWKS (this caller owns the single flight) and release the flight."""
        assert issuer.jwks_url is not None
        try:
            keys = self._fetch_within_deadline(issuer.jwks_url)
        except JwksFetchError as exc:
            log.warning(
                "jwks_fetch_failed",
                extra={"reason": exc.reason, "iss": issuer.iss, "kept_keys": len(entry.keys)},
            )
            with entry.lock:
                entry.idle.set()
            return
        with entry.lock:
            entry.keys = keys
            entry.fetched_at = self._clock()
            entry.idle.set()
        log.info("jwks_fetched", extra={"iss": issuer.iss, "keys": len(keys)})

    def _fetch_within_deadline(self, url: str) -> dict[str, Key]:
        """The fetch in a worker thread, abandoned at the deadline whatever it is doing."""
        deadline = time.monotonic() + self.fetch_deadline_s
        outcome: dict[str, Any] = {}
        finished = threading.Event()

        def work() -> None:
            try:
                outcome["keys"] = import_public_keys(self._fetch(url, deadline), source="fetch")
            except JwksFetchError as exc:
                outcome["error"] = exc.reason
            except Exception as exc:  # noqa: BLE001 - thread boundary: a worker never dies silently; reason code only
                outcome["error"] = f"jwks_error_{type(exc).__name__}"
            finally:
                finished.set()

        threading.Thread(target=work, daemon=True, name="jwks-fetch").start()
        if not finished.wait(max(0.0, deadline - time.monotonic()) + 0.2):
            raise JwksFetchError("jwks_timeout")
        if "error" in outcome:
            raise JwksFetchError(outcome["error"])
        keys: dict[str, Key] = outcome["keys"]
        return keys

    def _fetch(self, url: str, deadline: float) -> Any:
        try:
            with self._session.get(
                url,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
                headers={
                    "Accept": "application/json, application/jwk-set+json",
                    "Accept-Encoding": "identity",
                },
            ) as response:
                if response.status_code != 200:
                    raise JwksFetchError(f"jwks_http_{response.status_code}")
                body = _read_capped(response.raw, self._max_bytes, deadline, self._timeout[1])
        except requests.Timeout as exc:
            raise JwksFetchError("jwks_timeout") from exc
        except requests.RequestException as exc:
            raise JwksFetchError("jwks_unreachable") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise JwksFetchError("jwks_invalid_json") from exc


_READ_PIECE = 1024


def _shorten_socket_timeout(raw: Any, seconds: float) -> None:
    """Make the next read on the response's socket wait at most ``seconds``."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.01))


def _read_capped(raw: Any, max_bytes: int, deadline: float, read_timeout: float) -> bytes:
    """The body, read in small pieces (``read1``: whatever has arrived), checking the byte cap
    and the wall-clock deadline after every piece: a server dripping one byte at a time is cut
    off at the deadline, not after one read timeout per byte."""
    body = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise JwksFetchError("jwks_timeout")
        _shorten_socket_timeout(raw, min(read_timeout, remaining))
        try:
            chunk = raw.read1(_READ_PIECE)
        except (TimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
            raise JwksFetchError("jwks_timeout") from exc
        except (OSError, urllib3.exceptions.HTTPError) as exc:
            raise JwksFetchError("jwks_unreachable") from exc
        if not chunk:
            return bytes(body)
        body.extend(chunk)
        if len(body) > max_bytes:
            raise JwksFetchError("jwks_too_large")
