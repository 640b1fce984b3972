"""End to end, in a real browser: the companion app launched from a card (issue 13).

Pieces, all on loopback:
- the Medplum FHIR server of this tier (conftest.py: the Synthea patient plus the marrow sample),
  and a second Medplum loaded with the README example patient (for its screenshots);
- `smart_auth_server`: a SMART authorization server written for this test, in front of Medplum
  (EHR launch, PKCE S256, a token with the patient and the card's appContext, an RS256
  id_token), forwarding FHIR requests to Medplum with the token the app sends;
- the service (the Flask app under a real WSGI server; the reader endpoints require the id_token);
- Debian's Chromium driven by Playwright with its executable path (no browser download).

The card comes from a real patient-view call against Medplum; its `smart` link is launched as an
EHR does: `<url>?iss=<FHIR base>&launch=<id>`. Checked: the launch (PKCE verified by the server),
the charts (one drawn point per result the service read; haemoglobin as many as Medplum holds in
the last three years), the highlighted report spans, the timeline, the decision, keyboard
selection of a point, that the access token never reached the service, and that the browser made
no request outside loopback. Screenshots: /tmp/smart_app_*.png.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright import sync_api
from werkzeug.serving import make_server

from tests.support.chromium import chromium_browser

from . import conftest as e2e
from .conftest import MedplumServer
from .smart_auth_server import SmartAuthServer, running

pytestmark = pytest.mark.e2e

CLIENT_ID = "marrow-cds-app"
REPO = Path(__file__).resolve().parents[2]
README_EXAMPLE = REPO / "examples" / "patient-view-heterogeneous-marrow.json"
INDEX_MRI = "DiagnosticReport/marrow-e2e-mri-index"
CHART_KEYS = ("haemoglobin", "calcium", "creatinine", "egfr", "flc-ratio", "m-protein")
VIEWPORT = {"width": 1280, "height": 800}
# WCAG 2 contrast ratio of the text of each marked span, legend entry, class badge and chart label
# against its own background (white where it has none: the page and the SVG are white).
CONTRAST_JS = """() => {
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (colour) => {
    const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map(Number).map(channel);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const out = [];
  const selector = '#legend mark, .badge, #report mark, .tick, .threshold-label, .chart figcaption';
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    const svg = el instanceof SVGElement;
    const fg = svg ? style.fill : style.color;
    let bg = style.backgroundColor;
    if (svg || bg === 'rgba(0, 0, 0, 0)') bg = 'rgb(255, 255, 255)';
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    out.push([el.textContent.slice(0, 30), (hi + 0.05) / (lo + 0.05)]);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_browser()


# ------------------------------------------------------------------------------ the stack


class _Dispatch:
    """WSGI entry whose app is set once the port (so the public base URL) is known; records
    every Authorization header the service received."""

    def __init__(self) -> None:
        self.app: Any = None
        self.seen: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_AUTHORIZATION"):
            self.seen.append(environ["HTTP_AUTHORIZATION"])
        return self.app(environ, start_response)


@dataclass
class Stack:
    origin: str  # the service
    smart: SmartAuthServer
    fhir: MedplumServer
    seen_authorization: list[str]
    hook_client: Any  # a test client of the service without JWTs, for the hook call


@contextmanager
def stack(
    fhir: MedplumServer, tmp_path: Path, patient: str, *, v1_scopes: bool = False
) -> Iterator[Stack]:
    from cds_hooks import create_app

    dispatch = _Dispatch()
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    origin = f"http://127.0.0.1:{server.server_port}"
    smart = SmartAuthServer(
        upstream=fhir.base_url,
        upstream_token=fhir.token,
        client_id=CLIENT_ID,
        redirect_uri=f"{origin}/app/",
        default_patient=patient,
        v1_scopes=v1_scopes,
    )
    with running(smart):
        issuers = tmp_path / "smart-issuers.json"
        issuers.write_text(json.dumps(smart.issuers_document()))
        common: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path / 'smart-e2e.sqlite3'}",
            "patient_hash_key": b"e2e-patient-hash-key-0123456789",
            "public_base_url": origin,
            "smart_client_id": CLIENT_ID,
            "smart_issuers": str(issuers),
            "fhir_allowlist": (fhir.base_url,),
            "fetch_budget_s": 10.0,
            "read_timeout_s": 8.0,
            "connect_timeout_s": 2.0,
            "hook_deadline_s": 15.0,
            "log_level": "WARNING",
        }
        dispatch.app = create_app(require_jwt=True, **common)
        hook_app = create_app(require_jwt=False, **common)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with hook_app.test_client() as hook_client:
                yield Stack(origin, smart, fhir, dispatch.seen, hook_client)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def primary_card(s: Stack, patient: str) -> dict[str, Any]:
    response = s.hook_client.post(
        "/cds-services/heterogeneous-marrow",
        json={
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "fhirServer": s.fhir.base_url,
            "fhirAuthorization": {
                "access_token": s.fhir.token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "patient/*.read",
                "subject": "marrow-cds",
            },
            "context": {"userId": "Practitioner/e2e", "patientId": patient},
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    cards = [c for c in response.get_json()["cards"] if c["source"].get("url", "").count("#R")]
    assert len(cards) == 1, response.get_json()
    return cards[0]


def smart_link(card: dict[str, Any]) -> dict[str, Any]:
    links = [link for link in card["links"] if link["type"] == "smart"]
    assert len(links) == 1, card["links"]
    return links[0]


def launch(
    browser: Any, s: Stack, link: dict[str, Any], patient: str
) -> tuple[Any, Any, list[str]]:
    """Open the app as the EHR does from the card link; the page once it says it is ready."""
    launch_id = s.smart.register_launch(patient, link.get("appContext"))
    context = browser.new_context(viewport=VIEWPORT)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{link['url']}?iss={s.smart.fhir_base}&launch={launch_id}", timeout=30_000)
    try:
        page.wait_for_selector("body[data-ready='true']", timeout=60_000)
    except sync_api.TimeoutError:
        raise AssertionError(
            f"the app did not get ready: status {page.locator('#status').inner_text()!r}, "
            f"errors {errors}"
        ) from None
    assert errors == []
    return context, page, requests


def fhir_count(fhir: MedplumServer, patient: str, loinc: str, years: int = 3) -> int:
    """Final results of one LOINC code in the last `years` years, counted on the FHIR server."""
    url = f"{fhir.base_url}/Observation?patient={patient}&code=http://loinc.org|{loinc}&_count=50"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {fhir.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        bundle = json.load(response)
    since = datetime.now(UTC) - timedelta(days=round(365.25 * years))
    count = 0
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        when = datetime.fromisoformat(resource["effectiveDateTime"].replace("Z", "+00:00"))
        if resource.get("status") == "final" and since <= when <= datetime.now(UTC):
            count += 1
    assert "next" not in {link["relation"] for link in bundle.get("link", [])}
    return count


def only_loopback(requests: list[str]) -> None:
    hosts = {urlsplit(url).hostname for url in requests}
    assert hosts <= {"127.0.0.1"}, f"requests outside loopback: {sorted(hosts)}"


# ------------------------------------------------------------------------------ tests


def test_ehr_launch_from_the_card_shows_trends_and_the_report_as_read(
    browser: Any, medplum: MedplumServer, tmp_path: Path
) -> None:
    patient = medplum.patient_id
    with stack(medplum, tmp_path, patient) as s:
        card = primary_card(s, patient)
        link = smart_link(card)
        assert link["url"] == f"{s.origin}/app/launch"
        app_context = json.loads(link["appContext"])
        assert app_context["rule"] == "R4"
        assert app_context["indexReport"] == INDEX_MRI
        assert "Observation/marrow-e2e-hb" in app_context["evidence"]

        context, page, requests = launch(browser, s, link, patient)
        try:
            # the launch: EHR launch with PKCE S256, verified by the authorization server
            kinds = [e["kind"] for e in s.smart.events]
            assert kinds[:3] == ["discovery", "authorize", "token"], kinds
            authorize = next(e for e in s.smart.events if e["kind"] == "authorize")
            assert authorize["launch"]
            assert authorize["method"] == "S256"
            assert authorize["problems"] == []
            assert "patient/Observation.rs" in authorize["scope"]
            token = next(e for e in s.smart.events if e["kind"] == "token")
            assert token["pkce_verified"]
            assert token["problems"] == []
            fhir = [e for e in s.smart.events if e["kind"] == "fhir"]
            assert fhir
            assert all(e["authorized"] for e in fhir)
            # the code and state left the address bar
            assert "code=" not in page.url
            assert page.url.endswith("/app/")

            # the charts: every result the service read is one point, keyboard-focusable
            hb_in_fhir = fhir_count(medplum, patient, "718-7")
            assert hb_in_fhir >= 3  # the sample's two-year drift: 12.9, 12.3, 11.2
            for key in CHART_KEYS:
                figure = page.locator(f"figure[data-chart='{key}']")
                drawn = figure.locator(".point").count()
                assert drawn == int(figure.get_attribute("data-points") or -1), key
                assert drawn >= 1, f"no point on the {key} chart"
            hb = page.locator("figure[data-chart='haemoglobin']")
            assert hb.locator(".point").count() == hb_in_fhir
            for ref in ("marrow-e2e-hb-2y", "marrow-e2e-hb-1y", "marrow-e2e-hb"):
                assert hb.locator(f".point[data-reference='Observation/{ref}']").count() == 1
            assert hb.locator(".threshold").count() >= 1
            assert hb.locator(".range-band").count() == 1
            calcium = page.locator("figure[data-chart='calcium']")
            # albumin-corrected computed from the same-day calcium and albumin, and the total
            assert calcium.locator("circle.point").count() >= 1
            assert calcium.locator("rect.point").count() >= 1

            # keyboard: a point opens its Observation
            point = hb.locator(".point[data-reference='Observation/marrow-e2e-hb']")
            point.focus()
            page.keyboard.press("Enter")
            detail = page.locator("#point-detail")
            assert detail.get_attribute("data-reference") == "Observation/marrow-e2e-hb"
            assert "11.2" in detail.inner_text()

            # the MRI timeline with the reader's classes, the card's report marked
            index = page.locator(f"#timeline li[data-reference='{INDEX_MRI}']")
            assert index.get_attribute("data-class") == "DIFFUSE"
            assert "index" in (index.get_attribute("class") or "")
            prior = page.locator(
                "#timeline li[data-reference='DiagnosticReport/marrow-e2e-mri-prior']"
            )
            assert prior.count() == 1

            # the index report with the reader's spans highlighted
            report = page.locator("#report")
            assert report.get_attribute("data-reference") == INDEX_MRI
            target = report.locator("mark[data-kinds~='marrow-signal']").first
            assert target.is_visible()
            assert "heterogeneous" in target.inner_text().lower()
            colour = target.evaluate("el => getComputedStyle(el).backgroundColor")
            assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
            negated = report.locator("mark.mod-negated")
            assert negated.count() >= 1
            assert any(
                "lesion" in t.lower() or "fracture" in t.lower() for t in negated.all_inner_texts()
            )
            assert report.locator("mark.cat-worrisome").count() >= 1

            # accessible colours: every marked text, badge and chart label >= 4.5:1 (WCAG AA)
            contrast = page.evaluate(CONTRAST_JS)
            assert len(contrast) > 20
            assert [(text, ratio) for text, ratio in contrast if not ratio >= 4.5] == []
            # every chart has its values as a table for screen readers
            assert page.locator("figure[data-chart='haemoglobin'] table.sr-only tr").count() == (
                hb_in_fhir + 1
            )

            # the decision and the rule behind it
            assert page.locator("#decision .decision-rule[data-rule='R4']").count() == 1
            flags = page.locator("#decision li[data-flag]").evaluate_all(
                "els => els.map(e => e.dataset.flag)"
            )
            assert set(app_context["flags"]) == set(flags)

            page.screenshot(path="/tmp/smart_app_medplum_sample.png")
            page.locator("#trends").screenshot(path="/tmp/smart_app_medplum_trends.png")
        finally:
            context.close()

    # tokens stay in the browser: the service saw id_tokens only, never the FHIR access token
    assert s.seen_authorization, "the app never called the reader endpoints"
    assert all(medplum.token not in header for header in s.seen_authorization)
    only_loopback(requests)


def test_standalone_launch_on_a_smart_v1_server(
    browser: Any, medplum: MedplumServer, tmp_path: Path
) -> None:
    """No card, no launch id: the standalone launch asks launch/patient; the server grants
    SMART v1 `.read` scopes; the app shows the trends without a decision."""
    patient = medplum.patient_id
    with stack(medplum, tmp_path, patient, v1_scopes=True) as s:
        context = browser.new_context(viewport=VIEWPORT)
        requests: list[str] = []
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        try:
            page.goto(f"{s.origin}/app/launch", timeout=30_000)
            page.fill("#iss", s.smart.fhir_base)
            page.keyboard.press("Enter")
            page.wait_for_selector("body[data-ready='true']", timeout=60_000)
            authorize = next(e for e in s.smart.events if e["kind"] == "authorize")
            assert not authorize["launch"]
            assert "launch/patient" in authorize["scope"]
            assert page.locator("#decision .decision-rule").count() == 0
            assert page.locator("figure[data-chart='haemoglobin'] .point").count() >= 3
        finally:
            context.close()
    only_loopback(requests)


# ------------------------------------------------------------------------------ README patient


@pytest.fixture(scope="module")
def readme_fhir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MedplumServer]:
    """A second Medplum holding the README example patient (its prefetch resources)."""
    reason = e2e._why_medplum_cannot_run()
    if reason is not None:
        pytest.skip(f"Medplum FHIR server unavailable: {reason}; {e2e.INSTALL_HINT}")
    example = json.loads(README_EXAMPLE.read_text())
    resources: list[dict[str, Any]] = []
    for value in example["prefetch"].values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            resources += [entry["resource"] for entry in value.get("entry", [])]
        elif isinstance(value, dict) and value.get("resourceType"):
            resources.append(value)
    folder = tmp_path_factory.mktemp("readme-fhir")
    bundle = folder / "readme-example.json"
    bundle.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": r} for r in resources],
            }
        )
    )
    token = secrets.token_urlsafe(24)
    with (folder / "server.stderr").open("w") as stderr:
        process = subprocess.Popen(
            [
                str(e2e.NODE),
                str(e2e.MEDPLUM_DIR / "server.mjs"),
                "--port",
                "0",
                "--load",
                str(bundle),
            ],
            cwd=e2e.MEDPLUM_DIR,
            env={**os.environ, "MARROW_E2E_FHIR_TOKEN": token},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        port = e2e._wait_for_ready(process, e2e.START_TIMEOUT_S)
        origin = f"http://127.0.0.1:{port}"
        yield MedplumServer(f"{origin}/fhir/R4", origin, token, example["context"]["patientId"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


def test_readme_example_patient_screenshots(
    browser: Any, readme_fhir: MedplumServer, tmp_path: Path
) -> None:
    patient = readme_fhir.patient_id
    with stack(readme_fhir, tmp_path, patient) as s:
        link = smart_link(primary_card(s, patient))
        context, page, requests = launch(browser, s, link, patient)
        try:
            hb = page.locator("figure[data-chart='haemoglobin'] .point")
            assert hb.count() == 1
            assert "11.1" in (hb.first.get_attribute("aria-label") or "")
            report = page.locator("#report")
            assert report.get_attribute("data-reference") == "DiagnosticReport/mri-ls-1"
            assert report.locator("mark.cat-target").count() >= 1
            page.screenshot(path="/tmp/smart_app_charts.png")
            page.locator("#imaging").screenshot(path="/tmp/smart_app_report.png")
            page.screenshot(path="/tmp/smart_app_full.png", full_page=True)
        finally:
            context.close()
    only_loopback(requests)
    for name in ("charts", "report", "full"):
        assert Path(f"/tmp/smart_app_{name}.png").stat().st_size > 10_000
