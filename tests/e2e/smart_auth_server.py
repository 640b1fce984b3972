"""A small SMART App Launch 2.0 authorization server on loopback, in front of a FHIR server, for
the companion app's end-to-end test (issue 13). Test-only; no login page (it approves at once,
as the SMART launcher does with "skip login").

One process-local HTTP server (http.server, threads) on 127.0.0.1:

- ``GET  /fhir/R4/.well-known/smart-configuration``: the SMART configuration (PKCE S256 only);
- ``GET  /auth/authorize``: checks ``response_type=code``, the registered ``client_id`` and
  ``redirect_uri`` (exact), ``aud`` = the FHIR base, ``code_challenge_method=S256`` and a
  challenge, and ``launch`` (an EHR launch registered with `register_launch`; without it the
  scope must ask ``launch/patient``: a standalone launch gets `default_patient`); then 302 to the
  redirect URI with a one-time code and the state;
- ``POST /auth/token``: the code once, the same ``client_id`` and ``redirect_uri``, and the PKCE
  check ``BASE64URL(SHA256(code_verifier)) == code_challenge``; answers the access token of the
  FHIR server, ``patient``, ``appContext`` of the launch, the granted scope (SMART v2 ``.rs``, or
  v1 ``.read`` with ``v1_scopes``) and an RS256 ``id_token`` (iss = the FHIR base, aud = the
  client id, ``fhirUser``) signed with a key published at ``GET /auth/jwks``;
- every other ``/fhir/R4/...`` request is forwarded to the upstream FHIR server with its
  ``Authorization`` header; bodies have the upstream origin rewritten to this one (``next``
  links, fullUrls). CORS is answered for the app's origin (browsers call these from the app).

`events` records what happened (never the token) for the test's assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

FHIR_PATH = "/fhir/R4"
GRANTED_V2 = (
    "launch openid fhirUser patient/Observation.rs patient/DiagnosticReport.rs "
    "patient/Condition.rs patient/Patient.rs"
)


def _b64url_sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class SmartAuthServer:
    upstream: str  # upstream FHIR base, e.g. http://127.0.0.1:4100/fhir/R4
    upstream_token: str
    client_id: str
    redirect_uri: str
    default_patient: str
    v1_scopes: bool = False
    origin: str = ""
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(
            2048, parameters={"kid": "marrow-e2e-smart", "alg": "RS256", "use": "sig"}
        )
    )
    launches: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def fhir_base(self) -> str:
        return f"{self.origin}{FHIR_PATH}"

    @property
    def jwks_url(self) -> str:
        return f"{self.origin}/auth/jwks"

    def register_launch(self, patient: str, app_context: str | None) -> str:
        launch = secrets.token_urlsafe(12)
        self.launches[launch] = {"patient": patient, "appContext": app_context}
        return launch

    def issuers_document(self) -> dict[str, Any]:
        """The MARROW_CDS_SMART_ISSUERS file trusting this server's id_tokens."""
        return {"issuers": [{"iss": self.fhir_base, "jwks_url": self.jwks_url}]}

    def id_token(self, patient: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.fhir_base,
            "aud": self.client_id,
            "sub": "e2e-practitioner",
            "fhirUser": f"{self.fhir_base}/Practitioner/e2e-practitioner",
            "iat": now,
            "exp": now + 300,
            "patient": patient,
        }
        header = {"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.key)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    # ---------------------------------------------------------------- helpers
    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
        self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Vary", "Origin")

    def _json(self, status: int, body: Any, content_type: str = "application/json") -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(payload)

    def _event(self, **fields: Any) -> None:
        with self.server.smart.lock:
            self.server.smart.events.append(fields)

    # ---------------------------------------------------------------- routes
    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Max-Age", "60")
        self.end_headers()

    def do_GET(self) -> None:
        smart = self.server.smart
        parts = urlsplit(self.path)
        if parts.path == f"{FHIR_PATH}/.well-known/smart-configuration":
            self._event(kind="discovery")
            self._json(
                200,
                {
                    "issuer": smart.fhir_base,
                    "authorization_endpoint": f"{smart.origin}/auth/authorize",
                    "token_endpoint": f"{smart.origin}/auth/token",
                    "jwks_uri": smart.jwks_url,
                    "grant_types_supported": ["authorization_code"],
                    "code_challenge_methods_supported": ["S256"],
                    "scopes_supported": GRANTED_V2.split(),
                    "capabilities": [
                        "launch-ehr",
                        "launch-standalone",
                        "client-public",
                        "context-ehr-patient",
                        "context-standalone-patient",
                        "sso-openid-connect",
                        "permission-v2",
                        "permission-v1",
                    ],
                },
            )
            return
        if parts.path == "/auth/jwks":
            self._json(200, {"keys": [smart.key.as_dict(private=False)]})
            return
        if parts.path == "/auth/authorize":
            self._authorize(parse_qs(parts.query))
            return
        if parts.path.startswith(FHIR_PATH):
            self._proxy()
            return
        self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        if urlsplit(self.path).path == "/auth/token":
            length = int(self.headers.get("Content-Length") or 0)
            self._token(parse_qs(self.rfile.read(length).decode()))
            return
        self._json(404, {"error": "not found"})

    def _authorize(self, query: dict[str, list[str]]) -> None:
        smart = self.server.smart
        q = {k: v[0] for k, v in query.items()}
        problems = []
        if q.get("response_type") != "code":
            problems.append("response_type")
        if q.get("client_id") != smart.client_id:
            problems.append("client_id")
        if q.get("redirect_uri") != smart.redirect_uri:
            problems.append("redirect_uri")
        if q.get("aud") != smart.fhir_base:
            problems.append("aud")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            problems.append("pkce")
        scope = q.get("scope", "").split()
        launch = q.get("launch")
        if launch is not None:
            context = smart.launches.get(launch)
            if context is None or "launch" not in scope:
                problems.append("launch")
        elif "launch/patient" in scope:
            context = {"patient": smart.default_patient, "appContext": None}
        else:
            context = None
            problems.append("no patient context")
        self._event(
            kind="authorize",
            launch=launch is not None,
            scope=scope,
            problems=problems,
            method=q.get("code_challenge_method"),
        )
        if problems:
            self._json(400, {"error": "invalid_request", "error_description": ", ".join(problems)})
            return
        code = secrets.token_urlsafe(16)
        smart.codes[code] = {"challenge": q["code_challenge"], "context": context, "scope": scope}
        target = f"{smart.redirect_uri}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _token(self, form: dict[str, list[str]]) -> None:
        smart = self.server.smart
        f = {k: v[0] for k, v in form.items()}
        with smart.lock:
            grant = smart.codes.pop(f.get("code", ""), None)  # one use
        problems = []
        if f.get("grant_type") != "authorization_code" or grant is None:
            problems.append("code")
        if f.get("client_id") != smart.client_id or f.get("redirect_uri") != smart.redirect_uri:
            problems.append("client")
        verifier = f.get("code_verifier", "")
        pkce_ok = (
            grant is not None
            and 43 <= len(verifier) <= 128
            and (_b64url_sha256(verifier) == grant["challenge"])
        )
        if not pkce_ok:
            problems.append("pkce")
        self._event(kind="token", pkce_verified=pkce_ok, problems=problems)
        if problems or grant is None:
            self._json(400, {"error": "invalid_grant", "error_description": ", ".join(problems)})
            return
        patient = grant["context"]["patient"]
        scope = GRANTED_V2
        if smart.v1_scopes:
            scope = scope.replace(".rs", ".read")
        body: dict[str, Any] = {
            "access_token": smart.upstream_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": scope,
            "patient": patient,
            "id_token": smart.id_token(patient),
        }
        if grant["context"].get("appContext"):
            body["appContext"] = grant["context"]["appContext"]
        self._json(200, body)

    def _proxy(self) -> None:
        smart = self.server.smart
        target = smart.upstream + self.path[len(FHIR_PATH) :]
        headers = {"Accept": self.headers.get("Accept") or "application/fhir+json"}
        if self.headers.get("Authorization"):
            headers["Authorization"] = self.headers["Authorization"]
        self._event(
            kind="fhir",
            path=self.path.split("?")[0],
            authorized=self.headers.get("Authorization") == f"Bearer {smart.upstream_token}",
        )
        request = urllib.request.Request(target, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        upstream_origin = f"{urlsplit(smart.upstream).scheme}://{urlsplit(smart.upstream).netloc}"
        payload = payload.replace(upstream_origin.encode(), smart.origin.encode())
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    smart: SmartAuthServer


@contextmanager
def running(smart: SmartAuthServer) -> Iterator[SmartAuthServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.smart = smart
    smart.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield smart
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
