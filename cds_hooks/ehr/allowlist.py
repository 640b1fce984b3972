"""URL prefixes for the FHIR allowlist, matched on parsed parts, never by ``startswith``.

``https://ehr.example.org/fhir`` allows ``https://ehr.example.org/fhir/Patient/1`` but not
``https://ehr.example.org.evil.com/fhir``, ``https://ehr.example.org/fhirevil``,
``https://user@ehr.example.org/fhir`` or ``https://ehr.example.org/fhir/../admin``.
Plain http is accepted only for loopback hosts (localhost, 127.0.0.0/8, ::1).

Paths are refused, not normalised, when a server could read them differently from us: a dot
segment (also percent-encoded, ``%2e%2e``, or encoded twice, ``%252e``), any ``;`` (path
parameters: Tomcat and Jetty read ``/fhir/..;/admin`` as ``/admin``), a backslash, whitespace or
control characters, and any ``#`` fragment. A query is allowed only where FHIR needs one (search
URLs and ``next`` links), never in ``fhirServer`` or an allowlist entry (``allow_query=False``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from cds_hooks.settings import SettingsError

_DEFAULT_PORTS = {"https": 443, "http": 80}
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")  # controls, whitespace, backslash


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class UrlPrefix:
    scheme: str
    host: str
    port: int
    path: str  # without trailing slash ("" for the root)

    @classmethod
    def parse(cls, url: str, *, allow_query: bool = True) -> UrlPrefix | None:
        """The parts of an absolute http(s) URL, or None when it is unusable or unsafe
        (``allow_query=False``: a base URL, which must not carry a query either)."""
        if _UNSAFE_CHARACTERS.search(url) or "#" in url or (not allow_query and "?" in url):
            return None
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower().rstrip(".")
        if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
            return None
        if scheme == "http" and not is_loopback(host):
            return None
        path = unquote(parts.path)
        if "%" in path or ";" in path or _UNSAFE_CHARACTERS.search(path):
            return None  # encoded twice, path parameters, or an encoded control / backslash
        if any(segment in {".", ".."} for segment in path.split("/")):
            return None
        return cls(scheme, host, port or _DEFAULT_PORTS[scheme], path.rstrip("/"))

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.path}"


def under_prefix(url: str, prefix: UrlPrefix) -> bool:
    """True when ``url`` is ``prefix`` or below it (same scheme, host, port; path segments)."""
    target = UrlPrefix.parse(url)
    if target is None:
        return False
    if (target.scheme, target.host, target.port) != (prefix.scheme, prefix.host, prefix.port):
        return False
    return target.path == prefix.path or target.path.startswith(prefix.path + "/")


def parse_allowlist(entries: Iterable[str]) -> tuple[UrlPrefix, ...]:
    """Parse MARROW_CDS_FHIR_ALLOWLIST; an unusable entry stops start-up (fail loudly)."""
    prefixes = []
    for entry in entries:
        prefix = UrlPrefix.parse(entry, allow_query=False)
        if prefix is None:
            raise SettingsError(
                f"MARROW_CDS_FHIR_ALLOWLIST entry {entry!r} is not an https base URL "
                "(plain http only for localhost / loopback addresses; no query, fragment, "
                "';' or dot segments)"
            )
        prefixes.append(prefix)
    return tuple(prefixes)
