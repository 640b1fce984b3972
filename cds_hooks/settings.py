"""Typed settings, read once from environment variables prefixed ``MARROW_CDS_``.

Every variable is documented in README.md (configuration table). ``Settings.from_env`` is the only
place that reads the environment; the rest of the service receives the frozen object.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "MARROW_CDS_"
DEFAULT_DB_FILENAME = "marrow-cds.sqlite3"
HASH_KEY_FILENAME = "patient-id-hash.key"

# Memory bounds of one hook call (deploy/README.md "Sizing" has the arithmetic): the request
# body, one FHIR answer, and all FHIR answers of the call together.
MiB = 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 8 * MiB
DEFAULT_FETCH_MAX_BYTES = 8 * MiB
DEFAULT_FETCH_MAX_TOTAL_BYTES = 16 * MiB

# Time and concurrency bounds of hook calls (README "Limits", issue 16). The call's deadline
# defaults to 3 s, or the fallback fetch budget + 1 s when that is larger (the fetch is part of
# the call and never gets more than what remains of it, less FETCH_RESERVE_S for the rest).
DEFAULT_HOOK_DEADLINE_S = 3.0
DEADLINE_OVER_FETCH_S = 1.0
DEFAULT_EVALUATION_SLOTS = 2
DEFAULT_SLOT_WAIT_S = 0.25

# Placeholders of deploy/k8s/secret.yaml: a key still holding one must not start the service.
PLACEHOLDER_MARKERS = ("REPLACE", "CHANGE-ME", "CHANGEME")


class SettingsError(ValueError):
    """A MARROW_CDS_ variable has a value the service cannot use (raised at start-up)."""


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(PREFIX + name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name}={raw!r} is not a number") from exc
    if not 0 < value < float("inf"):  # also refuses nan
        raise SettingsError(f"{PREFIX}{name} must be a finite number > 0")
    return value


def _nonnegative_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name}={raw!r} is not a number") from exc
    if not 0 <= value < float("inf"):
        raise SettingsError(f"{PREFIX}{name} must be >= 0")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name}={raw!r} is not an integer") from exc
    if value <= 0:
        raise SettingsError(f"{PREFIX}{name} must be > 0")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _get(env, name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{PREFIX}{name}={raw!r} is not a boolean (use 1 or 0)")


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = _get(env, name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Configuration of one app instance (README: "Configuration")."""

    database_url: str
    patient_hash_key: bytes = field(repr=False)
    fhir_allowlist: tuple[str, ...] = ()
    fetch_budget_s: float = 2.0
    connect_timeout_s: float = 0.5
    read_timeout_s: float = 1.5
    fetch_max_pages: int = 5
    fetch_max_bytes: int = DEFAULT_FETCH_MAX_BYTES
    fetch_workers: int = 8
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    cors_origins: tuple[str, ...] = ("*",)
    public_base_url: str | None = None
    migrate_on_start: bool = True
    log_level: str = "INFO"
    require_jwt: bool = True  # auth.py: every /cds-services call needs a trusted client JWT
    trusted_issuers: str | None = None  # path of the trusted-issuers JSON file (jwks.py)
    fetch_max_total_bytes: int = DEFAULT_FETCH_MAX_TOTAL_BYTES  # all fetches of one hook call
    # Total time of one hook call (deadline.py): past it the call answers 503 and its work stops.
    hook_deadline_s: float = DEFAULT_HOOK_DEADLINE_S
    # Calls under /cds-services evaluated at once per process (admission.py); a call waits at
    # most slot_wait_s for one, else 503 + Retry-After. Probes and documentation are not limited.
    evaluation_slots: int = DEFAULT_EVALUATION_SLOTS
    slot_wait_s: float = DEFAULT_SLOT_WAIT_S
    # The SMART companion app (cds_hooks/smart_app, issue 13): the client id the EHR registered
    # it under, and the path of an issuers JSON file (jwks.py format) of the EHR authorization
    # servers whose OpenID id_tokens the app's reader endpoints accept (none: they answer 401).
    smart_client_id: str = "marrow-cds-app"
    smart_issuers: str | None = None

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        instance_path: str | os.PathLike[str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Read the MARROW_CDS_ variables of ``env`` (default: the process environment).

        ``instance_path`` is where the defaults live (SQLite file, patient-id hash key), unless
        MARROW_CDS_INSTANCE_PATH names another folder;
        ``overrides`` replace fields after reading (tests, the ``evaluate`` command).
        """
        env = os.environ if env is None else env
        configured_instance = _get(env, "INSTANCE_PATH")  # e.g. a container's writable volume
        if configured_instance is not None:
            instance = Path(configured_instance)
        else:
            instance = Path(instance_path) if instance_path is not None else Path("instance")
        database_url = _get(env, "DATABASE_URL") or _default_sqlite_url(instance)
        public_base_url = _get(env, "PUBLIC_BASE_URL")
        level = (_get(env, "LOG_LEVEL") or "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise SettingsError(f"{PREFIX}LOG_LEVEL={level!r} is not a logging level")
        fetch_budget_s = _float(env, "FETCH_BUDGET_SECONDS", 2.0)
        default_deadline = max(DEFAULT_HOOK_DEADLINE_S, fetch_budget_s + DEADLINE_OVER_FETCH_S)
        settings = cls(
            database_url=database_url,
            patient_hash_key=_hash_key(env, instance),
            fhir_allowlist=_list(env, "FHIR_ALLOWLIST", ()),
            fetch_budget_s=fetch_budget_s,
            connect_timeout_s=_float(env, "FETCH_CONNECT_TIMEOUT_SECONDS", 0.5),
            read_timeout_s=_float(env, "FETCH_READ_TIMEOUT_SECONDS", 1.5),
            fetch_max_pages=_int(env, "FETCH_MAX_PAGES", 5),
            fetch_max_bytes=_int(env, "FETCH_MAX_BYTES", DEFAULT_FETCH_MAX_BYTES),
            fetch_max_total_bytes=_int(env, "FETCH_MAX_TOTAL_BYTES", DEFAULT_FETCH_MAX_TOTAL_BYTES),
            fetch_workers=_int(env, "FETCH_WORKERS", 8),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            cors_origins=_list(env, "CORS_ORIGINS", ("*",)),
            public_base_url=public_base_url.rstrip("/") if public_base_url else None,
            migrate_on_start=_bool(env, "MIGRATE_ON_START", True),
            log_level=level,
            require_jwt=_bool(env, "REQUIRE_JWT", True),
            trusted_issuers=_get(env, "TRUSTED_ISSUERS"),
            hook_deadline_s=_float(env, "HOOK_DEADLINE_SECONDS", default_deadline),
            evaluation_slots=_int(env, "EVALUATION_SLOTS", DEFAULT_EVALUATION_SLOTS),
            slot_wait_s=_nonnegative_float(env, "SLOT_WAIT_SECONDS", DEFAULT_SLOT_WAIT_S),
            smart_client_id=_get(env, "SMART_CLIENT_ID") or "marrow-cds-app",
            smart_issuers=_get(env, "SMART_ISSUERS"),
        )
        settings = replace(settings, **overrides) if overrides else settings
        _check_public_base_url(settings)
        return settings


def _check_public_base_url(settings: Settings) -> None:
    """The public base URL decides the JWT ``aud`` and the card links. Without it they would come
    from the request's ``Host`` header, which the caller chooses: with JWTs required, refuse."""
    url = settings.public_base_url
    if url is None:
        if settings.require_jwt:
            raise SettingsError(
                f"{PREFIX}PUBLIC_BASE_URL is required when {PREFIX}REQUIRE_JWT=1: set it to the "
                "URL clients call, up to (not including) /cds-services, e.g. "
                "https://cds.hospital.example/marrow (the JWT aud and the card links are built "
                "from it, never from the Host header)"
            )
        return
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or "?" in url
        or "#" in url
        or any(c.isspace() for c in url)
    ):
        raise SettingsError(
            f"{PREFIX}PUBLIC_BASE_URL={url!r} is not an absolute http(s) URL without "
            "user-info, query or fragment"
        )


def _default_sqlite_url(instance: Path) -> str:
    instance.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(instance / DEFAULT_DB_FILENAME).resolve()}"


def _hash_key(env: Mapping[str, str], instance: Path) -> bytes:
    """The HMAC key for patient ids: MARROW_CDS_PATIENT_HASH_KEY, or a key file in the instance
    folder created once (so that hashes stay comparable across restarts of one installation).
    Replicas sharing a database must share the key: set the variable."""
    raw = _get(env, "PATIENT_HASH_KEY")
    if raw is not None:
        if any(marker in raw.upper() for marker in PLACEHOLDER_MARKERS):
            raise SettingsError(
                f"{PREFIX}PATIENT_HASH_KEY is still the template's placeholder: set it to a "
                "random value, e.g. $(openssl rand -hex 32)"
            )
        if len(raw) < 16:
            raise SettingsError(f"{PREFIX}PATIENT_HASH_KEY must be at least 16 characters")
        return raw.encode()
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / HASH_KEY_FILENAME
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    key = path.read_text().strip()
    if len(key) < 16:
        raise SettingsError(
            f"{path} holds no usable key: delete it or set {PREFIX}PATIENT_HASH_KEY"
        )
    return key.encode()
