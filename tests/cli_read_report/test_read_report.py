"""``marrow-cds read-report`` (issue 9): report texts read exactly as the service reads them.

The reader itself is tested elsewhere (tests/mappers, tests/corpus); here: inputs (text, HTML,
folders, NDJSON with other resource types), the wrapper, the card through the real pipeline with
the synthetic normal panel, the reading limit, the text / JSON / HTML outputs, and that nothing is
logged.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.cli import read_report as rr
from cds_hooks.cli.main import main
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS
from logic.model import FeatureKind, ImagingFeature, TextSpan
from tests.support.app import build_app

AS_OF = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

ABNORMAL = (
    "EXAM: MRI LUMBAR SPINE\n"
    "FINDINGS:\nDiffusely heterogeneous marrow signal in the lumbar spine, with T1 signal lower "
    "than the intervertebral discs.\n"
    "IMPRESSION:\nDiffuse marrow signal abnormality.\n"
)
NORMAL = "FINDINGS:\nNormal marrow signal. No focal lesion.\nIMPRESSION:\nNormal study.\n"


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset") and value:
                self.found.append(f"{tag} {name}={value}")


def external_references(page: str) -> list[str]:
    """Tags and attributes of the page that could make the browser load anything."""
    parser = _References()
    parser.feed(page)
    return parser.found


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["read-report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def diagnostic_report(text: str, rid: str = "dr-1", subject: str = "Patient/other") -> dict:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LP29684-5"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "30679-5"}]},
        "subject": {"reference": subject},
        "effectiveDateTime": "2026-11-20T10:00:00Z",
        "presentedForm": [
            {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()}
        ],
    }


# ------------------------------------------------------------------------------ wrapper


def test_a_text_is_wrapped_as_a_final_lumbar_spine_mri_report() -> None:
    resource = rr.wrap_text("FINDINGS: x", report_id="r1", effective=AS_OF)
    assert resource["resourceType"] == "DiagnosticReport"
    assert resource["status"] == "final"
    assert resource["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "24968-0",
        "display": "MR Lumbar spine",
    }
    (form,) = resource["presentedForm"]
    assert form["contentType"].startswith("text/plain")
    assert base64.b64decode(form["data"]).decode() == "FINDINGS: x"
    assert resource["effectiveDateTime"] == "2026-12-07T12:00:00Z"


def test_the_synthetic_panel_covers_the_first_line_panel_and_is_dated_as_of() -> None:
    panel = rr.synthetic_normal_panel(AS_OF)
    codes = {o["code"]["coding"][0]["code"] for o in panel}
    # SPEC.md section 5 first-line panel: CBC with differential, creatinine/eGFR, calcium with
    # albumin, SPEP, FLC kappa and lambda.
    assert {"718-7", "6690-2", "777-3", "751-8", "2160-0", "17861-6", "1751-7"} <= codes
    assert {"12851-2", "36916-5", "33944-0"} <= codes
    assert {o["effectiveDateTime"] for o in panel} == {"2026-12-07T12:00:00Z"}


def test_every_prefetch_key_of_the_service_is_fulfilled() -> None:
    request = rr.hook_request(rr.wrap_text("x", report_id="r", effective=AS_OF), AS_OF)
    advertised = set(rr.service_for_hook("patient-view").prefetch)
    assert advertised <= set(request["prefetch"])


# ------------------------------------------------------------------------------ reading


def test_normal_and_abnormal_texts_give_class_features_and_card(tmp_path: Path) -> None:
    inputs = rr.collect(
        [write(tmp_path, "a.txt", ABNORMAL), write(tmp_path, "b.txt", NORMAL)], AS_OF
    )
    abnormal, normal = rr.read_all(inputs.sources, AS_OF)

    assert abnormal.image_class == "DIFFUSE"
    assert abnormal.raises_card
    assert abnormal.cards[0].rule == abnormal.rule_id
    assert abnormal.worrisome  # the T1 comparison with the discs
    assert normal.image_class == "NEGATIVE"
    assert normal.rule_id == "R0"
    assert not normal.raises_card
    assert [c for c in normal.cards if c.rule and c.rule.startswith("R")] == []


def test_the_card_is_the_one_the_http_service_gives(tmp_path: Path) -> None:
    """Same request through the Flask app (JWT off): the same cards, in the same order."""
    app = build_app(tmp_path)
    now = datetime.now(UTC)  # the HTTP service evaluates at the time of the call
    resource = rr.wrap_text(ABNORMAL, report_id="r1", effective=now)
    response = app.test_client().post(
        "/cds-services/heterogeneous-marrow", json=rr.hook_request(resource, now)
    )
    assert response.status_code == 200
    via_http = [(c["indicator"], c["summary"]) for c in response.get_json()["cards"]]
    reading = rr.read_one(rr.Source("x", resource), now)
    assert [(c.indicator, c.summary) for c in reading.cards] == [
        (i, html.unescape(s)) for i, s in via_http
    ]


def test_every_feature_span_quotes_the_read_text(tmp_path: Path) -> None:
    inputs = rr.collect([write(tmp_path, "a.txt", ABNORMAL)], AS_OF)
    (reading,) = rr.read_all(inputs.sources, AS_OF)
    assert reading.report is not None
    assert reading.report.features
    for feature in reading.report.features:
        assert reading.report.text[feature.span.start : feature.span.end] == feature.span.text


def test_html_files_are_sent_as_text_html(tmp_path: Path) -> None:
    page = "<html><body><p>FINDINGS: Diffusely heterogeneous marrow signal.</p></body></html>"
    (source,) = rr.collect([write(tmp_path, "r.html", page)], AS_OF).sources
    assert source.resource["presentedForm"][0]["contentType"].startswith("text/html")
    reading = rr.read_one(source, AS_OF)
    assert "<p>" not in (reading.report.text if reading.report else "<p>")


def test_a_failing_evaluation_is_said_per_report_and_the_others_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rr.evaluate
    calls = iter(range(2))

    def first_fails(body: Any, as_of: datetime) -> Any:
        if next(calls) == 0:
            raise RuntimeError("bug")
        return real(body, as_of)

    monkeypatch.setattr(rr, "evaluate", first_fails)
    write(tmp_path, "a.txt", ABNORMAL)
    write(tmp_path, "b.txt", NORMAL)
    code, out, _ = run_cli(capsys, str(tmp_path), "--as-of", "2026-12-07")
    assert code == 0
    assert "card: not evaluated: the evaluation failed (RuntimeError)" in out
    assert "card: none (rule R0)" in out
    assert "rules: R0 1, error 1" in out


# ------------------------------------------------------------------------------ inputs


def test_a_folder_is_read_in_name_order_and_other_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", NORMAL)
    write(tmp_path, "a.TXT", ABNORMAL)
    write(tmp_path, "notes.docx", "not a report")
    inputs = rr.collect([tmp_path], AS_OF)
    assert [Path(s.label).name for s in inputs.sources] == ["a.TXT", "b.txt"]
    assert inputs.errors == []


def test_missing_paths_and_empty_folders_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, str(tmp_path / "nope.txt"), str(empty))
    assert code == 2
    assert "no such file or folder" in err
    assert "no .txt, .html or .ndjson files" in err
    assert "no report to read" in err


def test_ndjson_reads_diagnostic_reports_and_counts_what_it_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps(diagnostic_report(ABNORMAL, "dr-1")),
        json.dumps({"resourceType": "DocumentReference", "id": "doc-1"}),
        "",
        json.dumps({"resourceType": "DocumentReference", "id": "doc-2"}),
        json.dumps({"resourceType": "Patient", "id": "p"}),
        json.dumps(diagnostic_report(NORMAL, "dr-2")),
        "{not json",
    ]
    path = write(tmp_path, "export.ndjson", "\n".join(lines) + "\n")
    inputs = rr.collect([path], AS_OF)
    assert [s.label for s in inputs.sources] == [f"{path}:1", f"{path}:6"]
    assert inputs.skipped == {"DocumentReference": 2, "Patient": 1}
    assert inputs.errors == [f"{path}:7: not a JSON object: skipped"]
    # The report's own subject (another patient) is pointed at the synthetic patient.
    assert inputs.sources[0].resource["subject"] == {"reference": f"Patient/{rr.PATIENT_ID}"}

    code, out, err = run_cli(capsys, str(path), "--as-of", "2026-12-07")
    assert code == 1  # a line could not be read
    assert "DiagnosticReport/dr-1" in out
    assert "DiagnosticReport/dr-2" in out
    assert "skipped (not DiagnosticReport): DocumentReference 2, Patient 1" in out
    assert "not a JSON object" in err


def test_an_ndjson_line_over_the_body_limit_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rr, "NDJSON_LINE_LIMIT_BYTES", 1000)
    big = json.dumps(diagnostic_report("FINDINGS: " + "x" * 3000, "big"))
    small = json.dumps(diagnostic_report(NORMAL, "small"))
    path = write(tmp_path, "export.ndjson", big + "\n" + small + "\n")
    inputs = rr.collect([path], AS_OF)
    assert [s.resource["id"] for s in inputs.sources] == ["small"]
    assert len(inputs.errors) == 1
    assert "line longer than 1,000 bytes" in inputs.errors[0]


def test_a_file_over_the_reading_limit_is_read_up_to_the_limit_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = NORMAL + "No focal lesion. " * (REPORT_READING_LIMIT_CHARS // 10)
    path = write(tmp_path, "long.txt", text)
    (source,) = rr.collect([path], AS_OF).sources
    assert source.sent_text is not None
    assert len(source.sent_text) == REPORT_READING_LIMIT_CHARS
    sent = base64.b64decode(source.resource["presentedForm"][0]["data"]).decode()
    assert sent == text[:REPORT_READING_LIMIT_CHARS]
    assert f"first {REPORT_READING_LIMIT_CHARS:,} characters" in source.notes[0]

    code, out, _ = run_cli(capsys, str(path), "--as-of", "2026-12-07")
    assert code == 0
    assert "read up to the service's reading limit" in out


def test_a_file_at_the_limit_has_no_note(tmp_path: Path) -> None:
    path = write(tmp_path, "exact.txt", "x" * REPORT_READING_LIMIT_CHARS)
    (source,) = rr.collect([path], AS_OF).sources
    assert source.notes == ()


# ------------------------------------------------------------------------------ outputs


def test_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.txt", ABNORMAL)
    code, out, _ = run_cli(capsys, str(path), "--as-of", "2026-12-07")
    assert code == 0
    assert "SYNTHETIC labs" in out
    assert "class: DIFFUSE" in out
    assert re.search(r'- marrow-signal \(target\): "[^"]*heterogeneous marrow[^"]*"', out)
    assert "lesions: count" in out
    assert re.search(r"card: rule R\d \[(INFO|WARNING|CRITICAL)\] ", out)
    assert "would raise a card: 1/1 (100.0%)" in out


def test_negated_findings_are_marked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "n.txt", "FINDINGS:\nNo focal lesion.\n")
    _, out, _ = run_cli(capsys, str(path), "--as-of", "2026-12-07")
    assert re.search(r'focal-lesion \(target\): "focal lesion"\s+\[negated\]', out)


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.txt", ABNORMAL)
    write(tmp_path, "b.txt", NORMAL)
    code, out, _ = run_cli(capsys, str(tmp_path), "--format", "json", "--as-of", "2026-12-07")
    assert code == 0
    body = json.loads(out)
    assert body["as_of"].startswith("2026-12-07T23:59:59")
    first, second = body["reports"]
    assert first["class"] == "DIFFUSE"
    assert first["raises_card"] is True
    assert second["class"] == "NEGATIVE"
    assert second["rule"] == "R0"
    assert body["summary"]["total"] == 2
    assert body["summary"]["per_class"] == {"NEGATIVE": 1, "DIFFUSE": 1}
    assert body["summary"]["raising"] == 1
    assert body["summary"]["raising_share"] == 0.5
    for feature in first["features"]:
        assert set(feature) >= {"kind", "text", "start", "end", "negated", "hedged", "uncertain"}


@dataclass(frozen=True)
class _FeatureWithUncertain(ImagingFeature):
    """The reader may add `uncertain` to ImagingFeature: shown when present."""

    uncertain: bool = False


def test_an_uncertain_feature_is_marked() -> None:
    feature = _FeatureWithUncertain(
        FeatureKind.MARROW_SIGNAL, TextSpan(0, 5, "patch"), negated=False, uncertain=True
    )
    assert rr.marks(feature) == ("uncertain",)
    plain = ImagingFeature(FeatureKind.MARROW_SIGNAL, TextSpan(0, 5, "patch"), negated=True)
    assert rr.marks(plain) == ("negated",)


def test_html_page_is_self_contained_and_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = (
        "FINDINGS:\nDiffusely heterogeneous marrow signal. A 9 mm lesion at L2 "
        '<script>alert("x")</script> <img src="https://example.org/t.png"> & more.\n'
    )
    folder = tmp_path / "reports"
    folder.mkdir()
    write(folder, "a.txt", hostile)
    write(folder, "b.txt", NORMAL)
    out_html = tmp_path / "page.html"
    code, _, err = run_cli(capsys, str(folder), "--html", str(out_html), "--as-of", "2026-12-07")
    assert code == 0
    assert "HTML page written" in err
    page = out_html.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;" in page
    assert external_references(page) == []
    assert "<link" not in page
    assert "@import" not in page
    assert "url(" not in page
    assert "Content-Security-Policy" in page
    assert 'data-kinds="' in page
    assert "marrow-signal" in page
    assert 'class="hl size' in page or "size" in page
    assert 'data-class="DIFFUSE"' in page
    assert 'data-class="NEGATIVE"' in page
    assert "SYNTHETIC labs" in page


def test_highlighting_never_nests_marks_and_keeps_the_text() -> None:
    resource = rr.wrap_text(ABNORMAL, report_id="r", effective=AS_OF)
    reading = rr.read_one(rr.Source("x", resource), AS_OF)
    assert reading.report is not None
    marked = rr.highlighted(reading.report)
    assert "<mark" in marked
    assert not re.search(r"<mark[^>]*>[^<]*<mark", marked)  # no nesting
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", marked)) == reading.report.text


# ------------------------------------------------------------------------------ no logging


def test_report_text_is_never_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    marker = "Zebrafinchmarker"
    text = ABNORMAL + f"Addendum: {marker} heterogeneous marrow.\n"
    path = write(tmp_path, "a.txt", text)
    records: list[Any] = []
    with caplog.at_level(logging.DEBUG):
        run_cli(capsys, str(path), "--as-of", "2026-12-07")
        records = list(caplog.records)
    assert all(marker not in r.getMessage() for r in records)
    assert marker not in caplog.text
