"""The companion app on the service side (issue 13): pages, static files, the id_token check of
the reader endpoints, the readings (units normalised by the mappers, three-year window,
thresholds, report spans), bounds, and the `smart` link on the cards."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import RSAKey

from cds_hooks import create_app
from cds_hooks.cli.evaluate_offline import evaluate
from cds_hooks.smart_app import reading
from cds_hooks.smart_app.links import compact_json
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((REPO / "examples" / "patient-view-heterogeneous-marrow.json").read_text())
STATIC = REPO / "cds_hooks" / "smart_app" / "static"
AS_OF = "2026-11-23T23:00:00Z"
ISS = "https://ehr.example.org/fhir"
CLIENT_ID = "marrow-test-app"
PATIENT = EXAMPLE["context"]["patientId"]
KEY = RSAKey.generate_key(2048, parameters={"kid": "ehr-1", "alg": "RS256", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "ehr-1", "alg": "RS256", "use": "sig"})


def id_token(key: RSAKey = KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISS, "aud": CLIENT_ID, "sub": "dr-1", "iat": now, "exp": now + 300}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, body, key)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    issuers = tmp_path / "smart-issuers.json"
    issuers.write_text(
        json.dumps({"issuers": [{"iss": ISS, "jwks": {"keys": [KEY.as_dict(private=False)]}}]})
    )
    return create_app(
        database_url="sqlite://",
        patient_hash_key=b"smart-app-test-key-0123456789",
        require_jwt=True,
        public_base_url="https://cds.example.org/marrow",
        smart_client_id=CLIENT_ID,
        smart_issuers=str(issuers),
    )


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


def auth(token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or id_token()}"}


def prefetch_resources(key: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in EXAMPLE["prefetch"][key]["entry"]]


def record_body(**changes: Any) -> dict[str, Any]:
    body = {
        "patientId": PATIENT,
        "patient": EXAMPLE["prefetch"]["patient"],
        "observations": [EXAMPLE["prefetch"]["labs"]],  # a Bundle is accepted as it came
        "reports": prefetch_resources("imaging"),
        "asOf": AS_OF,
    }
    body.update(changes)
    return body


def chart(answer: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in answer["series"] if c["key"] == key)


# ------------------------------------------------------------------------------ pages


def test_launch_and_app_pages_name_the_client_and_scopes_and_load_only_local_files(
    client: FlaskClient,
) -> None:
    for path in ("/app/launch", "/app/"):
        response = client.get(path)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f'data-client-id="{CLIENT_ID}"' in html
        assert 'data-redirect-uri="https://cds.example.org/marrow/app/"' in html
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "default-src 'none'" in csp
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources
        assert all(s.startswith("/app/static/") or s.startswith("#") for s in sources)
        for source in sources:
            if source.startswith("/app/static/"):
                static = client.get(source)
                assert static.status_code == 200, source
                static.close()  # a file response: its handle is released
    launch = client.get("/app/launch").get_data(as_text=True)
    for scope in (
        "launch",
        "openid",
        "fhirUser",
        "patient/Observation.rs",
        "patient/DiagnosticReport.rs",
        "patient/Condition.rs",
        "patient/Patient.rs",
    ):
        assert scope in launch.split('data-scopes="', 1)[1].split('"', 1)[0].split()


def test_static_files_request_nothing_from_another_server() -> None:
    for path in STATIC.iterdir():
        text = path.read_text()
        urls = set(re.findall(r"https?://[^\s'\"`)]+", text))
        # identifiers, not addresses: the SVG namespace and the LOINC system of a search token
        assert urls <= {"http://www.w3.org/2000/svg", "http://loinc.org|${c}"}, (path.name, urls)
        if path.suffix == ".css":  # no font or image fetched by the style sheet
            assert "@import" not in text
            assert "url(" not in text
            assert "@font-face" not in text


def test_pkce_is_s256_and_tokens_stay_in_session_storage() -> None:
    smart = (STATIC / "smart.js").read_text()
    assert "code_challenge_method: 'S256'" in smart
    assert "crypto.subtle.digest('SHA-256'" in smart
    assert "localStorage" not in smart  # the tab's sessionStorage only
    app = (STATIC / "app.js").read_text()
    assert "idToken" in app
    assert "accessToken" not in app


def test_catalogue_is_public_and_lists_the_codes_to_fetch(client: FlaskClient) -> None:
    answer = client.get("/app/api/catalogue").get_json()
    assert {"718-7", "17861-6", "1751-7", "2160-0", "48378-4", "33358-3"} <= set(answer["labCodes"])
    r4 = next(r for r in answer["rules"] if r["id"] == "R4")
    assert r4["title"]
    assert any(f["id"] == "U-C" and f["thresholds"] for f in answer["flags"])


# ------------------------------------------------------------------------------ id_token


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no token"),
        ({"Authorization": "Bearer not-a-jwt"}, "malformed"),
        (auth(id_token(aud="someone-else")), "another client's token"),
        (auth(id_token(iss="https://other.example.org")), "unknown issuer"),
        (auth(id_token(exp=int(time.time()) - 600)), "expired"),
        (auth(id_token(OTHER_KEY)), "signed by another key"),
        (auth(id_token(iat=int(time.time()) - 10, exp=int(time.time()) + 7200)), "too long"),
    ],
)
def test_reader_endpoints_refuse_without_a_valid_id_token(
    client: FlaskClient, headers: dict[str, str], why: str
) -> None:
    for path, body in (("/app/api/read-report", {"text": "x"}), ("/app/api/record", {})):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 401, why
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_hs256_token_is_refused(client: FlaskClient) -> None:
    from joserfc.jwk import OctKey

    secret = OctKey.import_key("s" * 32)
    now = int(time.time())
    token = jwt.encode(
        {"alg": "HS256", "kid": "ehr-1", "typ": "JWT"},
        {"iss": ISS, "aud": CLIENT_ID, "iat": now, "exp": now + 60},
        secret,
    )
    response = client.post("/app/api/read-report", json={"text": "x"}, headers=auth(token))
    assert response.status_code == 401


# ------------------------------------------------------------------------------ read-report


def test_read_report_returns_the_readers_spans(client: FlaskClient) -> None:
    text = (
        "FINDINGS: Diffusely heterogeneous marrow signal, T1 lower than the discs. "
        "No focal lesion. Possibly red marrow reconversion. A 7 mm lesion at L3."
    )
    response = client.post("/app/api/read-report", json={"text": text}, headers=auth())
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    result = response.get_json()["reading"]
    assert result["class"] in {"DIFFUSE", "FOCAL_EQUIVOCAL", "FOCAL_MULTIPLE", "NONSPECIFIC"}
    spans = result["spans"]
    for span in spans:
        assert result["text"][span["start"] : span["end"]] == span["text"]
    kinds = {s["kind"]: s for s in spans}
    assert "marrow-signal" in kinds
    assert kinds["marrow-signal"]["category"] == "target"
    assert any(s["kind"] == "focal-lesion" and s["negated"] for s in spans)
    assert any(s["category"] == "worrisome" for s in spans)
    assert result["sizes"]
    assert result["text"][result["sizes"][0]["start"] :].startswith("7 mm")


def test_read_report_stops_at_the_reading_limit(client: FlaskClient) -> None:
    sentence = "Diffusely heterogeneous marrow signal in the lumbar spine. "
    text = sentence * (REPORT_READING_LIMIT_CHARS // len(sentence) + 50)
    response = client.post("/app/api/read-report", json={"text": text}, headers=auth())
    assert response.status_code == 200
    result = response.get_json()["reading"]
    assert result["unreadChars"] > 0
    assert result["readingLimitChars"] == REPORT_READING_LIMIT_CHARS


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 400),
        ({"text": 12}, 400),
        ({"text": "x", "contentType": "application/pdf"}, 400),
        ([], 400),
        ({"text": "x", "asOf": "yesterday"}, 400),
    ],
)
def test_read_report_bad_input_is_a_4xx_outcome(
    client: FlaskClient, body: Any, status: int
) -> None:
    response = client.post("/app/api/read-report", json=body, headers=auth())
    assert response.status_code == status
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_read_report_needs_json(client: FlaskClient) -> None:
    response = client.post(
        "/app/api/read-report", data="text", content_type="text/plain", headers=auth()
    )
    assert response.status_code == 415


def test_report_text_and_results_are_never_logged(
    client: FlaskClient, capfd: pytest.CaptureFixture[str]
) -> None:
    marker = "Zebulon-Quartzite-7731"
    text = f"FINDINGS: Heterogeneous marrow signal. Patient {marker}."
    assert (
        client.post("/app/api/read-report", json={"text": text}, headers=auth()).status_code == 200
    )
    body = record_body()
    body["patient"] = {**body["patient"], "name": [{"family": marker}]}
    assert client.post("/app/api/record", json=body, headers=auth()).status_code == 200
    out, err = capfd.readouterr()
    assert marker not in out + err
    assert "11.1" not in err


def test_deadline_answers_503_timeout(tmp_path: Path) -> None:
    app = create_app(
        database_url="sqlite://",
        patient_hash_key=b"smart-app-test-key-0123456789",
        require_jwt=False,
        hook_deadline_s=1e-9,
    )
    response = app.test_client().post("/app/api/record", json=record_body())
    assert response.status_code == 503
    assert response.get_json()["issue"][0]["code"] == "timeout"


# ------------------------------------------------------------------------------ record


def test_record_of_the_readme_patient(client: FlaskClient) -> None:
    response = client.post("/app/api/record", json=record_body(), headers=auth())
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["sex"] == "female"
    assert [c["key"] for c in answer["series"]] == [c.key for c in reading.CHARTS]
    hb = chart(answer, "haemoglobin")
    assert hb["unit"] == "g/dL"
    [point] = hb["series"][0]["points"]
    assert point["value"] == pytest.approx(11.1)
    assert point["reference"] == "Observation/hb-1"
    assert {t["value"] for t in hb["thresholds"]} >= {12.0, 10.0}
    calcium = chart(answer, "calcium")
    corrected, total = calcium["series"]
    assert corrected["analyte"] == "calcium-albumin-corrected"
    [computed] = corrected["points"]
    assert computed["computed"]
    assert set(computed["derivedFrom"]) == {
        "Observation/ca-1",
        "Observation/alb-1",
    }
    assert total["points"]
    assert calcium["unit"] == "mmol/L"
    assert {t["value"] for t in calcium["thresholds"]} >= {2.75}
    assert chart(answer, "creatinine")["unit"]
    assert [m["class"] for m in answer["imaging"]] == ["DIFFUSE"]
    index = answer["index"]
    assert index["reference"] == "DiagnosticReport/mri-ls-1"
    assert any(s["kind"] == "marrow-signal" for s in index["spans"])


def _quantity_obs(obs_id: str, loinc: str, value: float, unit: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def test_units_are_normalised_by_the_service_and_the_window_is_three_years(
    client: FlaskClient,
) -> None:
    observations = [
        _quantity_obs("hb-gl", "718-7", 121, "g/L", "2025-06-01T08:00:00Z"),
        _quantity_obs("hb-old", "718-7", 13.0, "g/dL", "2022-06-01T08:00:00Z"),  # > 3 years
        _quantity_obs("hb-future", "718-7", 13.0, "g/dL", "2027-06-01T08:00:00Z"),
        _quantity_obs("ca-mg", "17861-6", 10.0, "mg/dL", "2025-06-01T08:00:00Z"),
        _quantity_obs("cr-mg", "2160-0", 1.0, "mg/dL", "2025-06-01T08:00:00Z"),
        _quantity_obs("hb-bad", "718-7", 12, "furlongs", "2025-07-01T08:00:00Z"),
    ]
    other = copy.deepcopy(observations[0])
    other["id"], other["subject"] = "hb-other", {"reference": "Patient/someone-else"}
    body = record_body(observations=[*observations, other], reports=[])
    answer = client.post("/app/api/record", json=body, headers=auth()).get_json()
    hb = [p["reference"] for p in chart(answer, "haemoglobin")["series"][0]["points"]]
    assert hb == ["Observation/hb-gl"]
    assert chart(answer, "haemoglobin")["series"][0]["points"][0]["value"] == pytest.approx(12.1)
    total = chart(answer, "calcium")["series"][1]["points"]
    assert total[0]["value"] == pytest.approx(10.0 * 0.2495)
    assert total[0]["asSent"] == "10.0 mg/dL"
    creatinine = chart(answer, "creatinine")["series"][0]["points"]
    assert creatinine[0]["value"] == pytest.approx(88.42)
    assert answer["imaging"] == []
    assert answer["index"] is None


def test_another_patients_report_is_not_read(client: FlaskClient) -> None:
    report = copy.deepcopy(prefetch_resources("imaging")[0])
    report["subject"] = {"reference": "Patient/someone-else"}
    answer = client.post(
        "/app/api/record", json=record_body(reports=[report]), headers=auth()
    ).get_json()
    assert answer["imaging"] == []
    assert answer["index"] is None


@pytest.mark.parametrize(
    "changes",
    [{"patientId": None}, {"patientId": 7}, {"observations": {"a": 1}}, {"reports": "x"}],
)
def test_record_bad_input_is_400(client: FlaskClient, changes: dict[str, Any]) -> None:
    response = client.post("/app/api/record", json=record_body(**changes), headers=auth())
    assert response.status_code == 400
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_too_many_resources_is_400(client: FlaskClient) -> None:
    many = [{"resourceType": "Observation", "id": str(i)} for i in range(reading.MAX_RESOURCES + 1)]
    response = client.post("/app/api/record", json=record_body(observations=many), headers=auth())
    assert response.status_code == 400


# ------------------------------------------------------------------------------ card link


def test_the_primary_card_carries_a_smart_link_with_app_context() -> None:
    as_of = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    evaluation = evaluate(EXAMPLE, as_of)
    assert evaluation.status == 200
    primary = evaluation.response["cards"][0]
    [link] = [link for link in primary["links"] if link["type"] == "smart"]
    assert link["url"].endswith("/app/launch")
    assert link["url"].startswith("http")
    context = json.loads(link["appContext"])
    assert context["rule"] == "R4"
    assert context["indexReport"] == "DiagnosticReport/mri-ls-1"
    assert "Observation/hb-1" in context["evidence"]
    assert "H-ANAEMIA" in context["flags"]
    # names, never values: no number of a result is in the appContext
    assert "11.1" not in link["appContext"]


@settings(max_examples=400, deadline=None)
@given(
    st.recursive(
        st.none() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_app_context_json_is_the_json_module_s_text(value: Any) -> None:
    """compact_json (orjson when nothing needs escaping) writes json.dumps's exact text: any
    text (quotes, backslashes, controls, DEL, non-ASCII, surrogates' neighbours), None, lists."""
    assert compact_json(value) == json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize(
    "value",
    [
        {"rule": "R4", "flags": [], "indexReport": None, "evidence": ["Observation/a-1"]},
        {"a": "caf\u00e9"},
        {"a": 'say "no"'},
        {"a": "back\\slash"},
        {"a": "tab\there"},
        {"a": "\x7f"},
        {"a": "\u2028"},
        {"\u00e9": ["x"]},
        {"a": "lone \ud800 surrogate"},
    ],
)
def test_app_context_json_known_cases(value: Any) -> None:
    assert compact_json(value) == json.dumps(value, separators=(",", ":"))


def test_a_bad_issuers_file_stops_start_up(tmp_path: Path) -> None:
    from cds_hooks.security.jwks import TrustConfigError

    bad = tmp_path / "issuers.json"
    bad.write_text("{not json")
    with pytest.raises(TrustConfigError):
        create_app(
            database_url="sqlite://",
            patient_hash_key=b"smart-app-test-key-0123456789",
            require_jwt=False,
            smart_issuers=str(bad),
        )


def test_thresholds_drawn_are_the_spec_section_5_values() -> None:
    as_of = datetime(2026, 11, 23, tzinfo=UTC)
    charts = {c["key"]: c for c in reading.lab_series([], PATIENT, as_of)}

    def values(key: str) -> set[float]:
        return {round(t["value"], 4) for t in charts[key]["thresholds"]}

    assert values("haemoglobin") == {12.0, 10.0}  # WHO cut-off (unknown sex); U-A
    assert values("calcium") == {2.6, 2.75, 2.85}  # ULN (H-CALCIUM); U-C absolute; ULN + 0.25
    assert values("creatinine") == {round(1.2 * 88.42, 4), 177.0}  # H-RENAL ULN; U-R
    assert values("egfr") == {60.0, 40.0}  # H-RENAL; U-R
    assert values("flc-ratio") == {0.125, 8.0, 100.0, 0.01, 0.37, 3.1}  # H-FLC, U-Li, I-FLC
    assert values("m-protein") == {0.0}  # H-MPROTEIN: any spike
    assert all(not c["series"][0]["points"] for c in charts.values())
