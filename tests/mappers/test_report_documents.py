"""Issue 17: report documents in every format EHRs use, DocumentReference as report, narrative
result Observations, and the pure plan/resolve steps around the Binary fetch."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from fhir_mappers import attachments
from fhir_mappers.attachments import decode_bytes, html_to_text, unwrap_lines
from fhir_mappers.imaging import read_imaging_reports
from fhir_mappers.record import map_patient_record
from fhir_mappers.report_content import Fetched, fetched_document, needs, resolve
from fhir_mappers.report_documents import document_status, report_views
from logic.model import ImagingReport
from tests.support.report_documents import (
    NORMAL_TEXT,
    PATIENT_ID,
    REPORT_TEXT,
    b64,
    binary,
    document_reference,
    mri_report,
    scanned_pdf,
    to_html,
    to_pdf,
    to_rtf,
)


def reading(report: ImagingReport) -> tuple[object, ...]:
    """What the rules use of a report (not its text layout)."""
    return (
        report.image_class,
        tuple(sorted((f.kind, f.negated, f.historical) for f in report.features)),
        report.lesion_count,
        report.lesion_sizes_mm,
        report.levels,
        report.field_strength_t,
        report.signal_drop_pct,
        report.chemical_shift_done,
    )


def read_one(report: dict[str, Any]) -> tuple[ImagingReport, tuple[Any, ...]]:
    mri, _, problems = read_imaging_reports([report])
    assert len(mri) == 1, problems
    return mri[0], problems


def inline(content_type: str, data: bytes | str) -> dict[str, Any]:
    return {"contentType": content_type, "data": b64(data)}


# ------------------------------------------------------------------------------- formats


@pytest.mark.parametrize("text", [REPORT_TEXT, NORMAL_TEXT], ids=["heterogeneous", "normal"])
@pytest.mark.parametrize(
    ("content_type", "render"),
    [
        ("text/html", lambda t: to_html(t).encode()),
        ("application/xhtml+xml", lambda t: to_html(t).encode()),
        ("text/rtf", to_rtf),
        ("application/rtf", to_rtf),
        ("text/richtext", to_rtf),
        ("application/pdf", to_pdf),
        ("application/pdf", lambda t: to_pdf(t, lines_per_page=3, width_mm=90)),
    ],
    ids=["html", "xhtml", "rtf", "application-rtf", "richtext", "pdf", "pdf-3-pages-narrow"],
)
def test_every_format_reads_like_the_inline_text(text: str, content_type: str, render: Any) -> None:
    plain, _ = read_one(mri_report(forms=[inline("text/plain", text)]))
    other, problems = read_one(mri_report(forms=[inline(content_type, render(text))]))
    assert reading(other) == reading(plain)
    assert problems == ()


def test_pdf_headers_footers_and_wrapped_lines_do_not_change_the_text() -> None:
    pdf = to_pdf(REPORT_TEXT, lines_per_page=4, width_mm=80)
    decoded = decode_bytes(pdf, "application/pdf")
    assert decoded.problem is None
    assert decoded.missing is None
    assert decoded.text
    assert "St Elsewhere" not in decoded.text
    assert "MRN" not in decoded.text
    assert "Page" not in decoded.text
    # every sentence of the report is whole again (no line break inside it)
    for sentence in (
        "There is diffusely heterogeneous bone marrow signal throughout the lumbar vertebral "
        "bodies and the visualized sacrum.",
        "a marrow infiltrative process cannot be excluded.",
    ):
        assert sentence in decoded.text


def test_unwrap_joins_layout_breaks_keeps_headings_and_list_items() -> None:
    lines = [
        "FINDINGS",
        "There is diffusely heterogeneous bone marrow signal throughout the",
        "L1 to L5 vertebral bodies and the sacrum, lower than disc on T1.",
        "IMPRESSION:",
        "1. Heterogeneous marrow.",
        "2. Disc protrusion at L4-L5 contacting the left L5 nerve root which is",
        "compressed.",
    ]
    assert unwrap_lines(lines).split("\n") == [
        "FINDINGS",
        "There is diffusely heterogeneous bone marrow signal throughout the L1 to L5 vertebral "
        "bodies and the sacrum, lower than disc on T1.",
        "IMPRESSION:",
        "1. Heterogeneous marrow.",
        "2. Disc protrusion at L4-L5 contacting the left L5 nerve root which is compressed.",
    ]


def test_scanned_pdf_has_no_text_and_says_why() -> None:
    decoded = decode_bytes(scanned_pdf(), "application/pdf")
    assert decoded.text is None
    assert decoded.missing is not None
    assert "scanned" in decoded.missing
    _, problems = read_one(
        mri_report(forms=[inline("application/pdf", scanned_pdf())], conclusion="See report.")
    )
    assert any("no text layer" in p.message for p in problems)


def test_pdf_page_cap_and_time_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = to_pdf(REPORT_TEXT, lines_per_page=1)  # one paragraph per page
    monkeypatch.setattr(attachments, "MAX_PDF_PAGES", 2)
    decoded = decode_bytes(pdf, "application/pdf")
    assert decoded.text
    assert "only the first 2" in (decoded.problem or "")
    monkeypatch.setattr(attachments, "MAX_PDF_PAGES", 30)
    decoded = decode_bytes(pdf, "application/pdf", stop=lambda: True)
    assert decoded.text is None
    assert decoded.missing


def test_oversized_and_damaged_documents_are_problems_not_exceptions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert decode_bytes(b"%PDF-1.7 garbage", "application/pdf").missing
    assert decode_bytes(b"not rtf at all", "text/rtf").missing
    assert decode_bytes(b"\x00\x01", "image/png").missing
    monkeypatch.setattr(attachments, "MAX_DOCUMENT_BYTES", 10)
    assert "larger" in (decode_bytes(b"x" * 11, "text/plain").problem or "")


def test_rtf_escapes_code_page_and_unicode() -> None:
    rtf = (
        b"{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0 Arial;}}{\\*\\generator Word;}"
        b"{\\info{\\title Befund}}\\pard FINDINGS:\\par "
        b"H\\'e9t\\'e9rog\\'e8ne Knochenmark, \\u8805?5 mm L\\'e4sion \\{L3\\}.\\par}"
    )
    decoded = decode_bytes(rtf, "application/rtf")
    assert decoded.text == "FINDINGS:\nHétérogène Knochenmark, ≥5 mm Läsion {L3}."


def test_html_tables_and_br() -> None:
    markup = (
        "<table><tr><th>Findings</th><td>Diffusely heterogeneous<br>marrow signal.</td></tr>"
        "<tr><td>L2</td><td>8 mm</td></tr>"
        "<tr><td>Impression:</td><td>Marrow infiltration cannot be excluded.</td></tr></table>"
        "<p>Signed&nbsp;by Dr&nbsp;X<br/>Radiologist</p>"
    )
    assert html_to_text(markup) == (
        "Findings: Diffusely heterogeneous marrow signal.\n\nL2 8 mm\n\n"
        "Impression: Marrow infiltration cannot be excluded.\n\nSigned by Dr X\nRadiologist"
    )


def test_contained_binary_by_hash_url_is_read() -> None:
    report = mri_report(
        forms=[{"contentType": "text/rtf", "url": "#bin1"}],
        contained=[binary("bin1", "text/rtf", to_rtf(REPORT_TEXT))],
    )
    plain, _ = read_one(mri_report(forms=[inline("text/plain", REPORT_TEXT)]))
    read, problems = read_one(report)
    assert reading(read) == reading(plain)
    assert problems == ()


# ------------------------------------------------------------------------------- DocumentReference


def test_document_reference_only_is_read_like_a_diagnostic_report() -> None:
    document = document_reference(attachment=inline("text/plain", REPORT_TEXT))
    plain, _ = read_one(mri_report(forms=[inline("text/plain", REPORT_TEXT)]))
    read, problems = read_one(document)
    assert read.reference == "DocumentReference/doc-mri-1"
    assert reading(read) == reading(plain)
    assert read.effective == plain.effective  # context.period.start, like effective[x]
    assert problems == ()


@pytest.mark.parametrize(
    ("status", "doc_status", "expected"),
    [
        ("current", "final", "final"),
        ("current", "amended", "amended"),
        ("current", None, "final"),
        ("current", "preliminary", "preliminary"),
        ("superseded", "final", "superseded"),
        ("entered-in-error", "final", "entered-in-error"),
    ],
)
def test_document_status_maps_to_report_status(
    status: str, doc_status: str | None, expected: str
) -> None:
    document: dict[str, Any] = {"status": status}
    if doc_status:
        document["docStatus"] = doc_status
    assert document_status(document) == expected


def test_preliminary_or_superseded_document_is_not_used() -> None:
    for extra in ({"docStatus": "preliminary"}, {"status": "superseded"}):
        document = document_reference(attachment=inline("text/plain", REPORT_TEXT), **extra)
        mri, _, problems = read_imaging_reports([document])
        assert mri == ()
        assert any("status" in p.message for p in problems)


def test_newest_report_wins_whether_diagnostic_report_or_document() -> None:
    older = mri_report(
        "old", forms=[inline("text/plain", NORMAL_TEXT)], when="2026-01-05T10:00:00Z"
    )
    newer = document_reference(
        attachment=inline("application/pdf", to_pdf(REPORT_TEXT)), when="2026-11-10T10:00:00Z"
    )
    mri, _, _ = read_imaging_reports([older, newer])
    assert [r.reference for r in mri] == ["DocumentReference/doc-mri-1", "DiagnosticReport/old"]


@pytest.mark.parametrize("link", ["binary", "identifier", "related"])
def test_report_sent_as_both_counts_once(link: str) -> None:
    report = mri_report(forms=[{"contentType": "text/html", "url": "Binary/b1"}])
    report["identifier"] = [{"system": "urn:acc", "value": "RAD-42"}]
    attachment: dict[str, Any] = {"contentType": "text/plain", "data": b64(REPORT_TEXT)}
    extra: dict[str, Any] = {}
    if link == "binary":
        attachment["url"] = "https://ehr.example.org/fhir/Binary/b1"
    elif link == "identifier":
        extra["masterIdentifier"] = {"system": "urn:acc", "value": "RAD-42"}
    else:
        extra["context"] = {
            "period": {"start": "2026-11-10T14:05:00-05:00"},
            "related": [{"reference": "DiagnosticReport/mri-ls-1"}],
        }
    document = document_reference(attachment=attachment, **extra)
    views = report_views([report, document])
    assert [ref for ref, _ in views] == ["DiagnosticReport/mri-ls-1"]


def test_document_brings_its_text_to_a_diagnostic_report_without_presented_form() -> None:
    report = mri_report(conclusion="See report.")
    document = document_reference(
        attachment=inline("text/plain", REPORT_TEXT),
        context={"related": [{"reference": "DiagnosticReport/mri-ls-1"}]},
    )
    plain, _ = read_one(mri_report(forms=[inline("text/plain", REPORT_TEXT)]))
    mri, _, _ = read_imaging_reports([report, document])
    assert [r.reference for r in mri] == ["DiagnosticReport/mri-ls-1"]
    assert reading(mri[0]) == reading(plain)


def test_non_imaging_documents_are_ignored() -> None:
    note = document_reference(
        "progress", attachment=inline("text/plain", REPORT_TEXT), type_code="11506-3"
    )
    note["type"]["coding"][0]["display"] = "Progress note"
    mri, other, problems = read_imaging_reports([note])
    assert (mri, other, problems) == ((), (), ())


def test_record_collects_document_references_of_the_patient() -> None:
    document = document_reference(attachment=inline("text/plain", REPORT_TEXT))
    other = document_reference("other", attachment=inline("text/plain", REPORT_TEXT))
    other["subject"] = {"reference": "Patient/someone-else"}
    record = map_patient_record(
        [{"resourceType": "Bundle", "entry": [{"resource": document}, {"resource": other}]}],
        PATIENT_ID,
    )
    assert [r.reference for r in record.mri_reports] == ["DocumentReference/doc-mri-1"]


# ------------------------------------------------------------------------------- results


def narrative(oid: str, code: str, display: str, text: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "valueString": text,
    }


FINDINGS_PART = REPORT_TEXT.split("FINDINGS: ")[1].split("\n\nIMPRESSION:")[0]
IMPRESSION_PART = REPORT_TEXT.split("IMPRESSION:\n")[1]
TECHNIQUE_PART = REPORT_TEXT.split("TECHNIQUE: ")[1].split("\n")[0]


def results_report() -> dict[str, Any]:
    return mri_report(
        result=[
            {"reference": "Observation/t1"},
            {"reference": "Observation/f1"},
            {"reference": "Observation/i1"},
        ],
    )


def results() -> list[dict[str, Any]]:
    return [
        narrative("t1", "local-tech", "MRI technique", TECHNIQUE_PART),
        narrative("f1", "18782-3", "Radiology Study observation (narrative)", FINDINGS_PART),
        narrative("i1", "19005-8", "Radiology Imaging study [Impression]", IMPRESSION_PART),
    ]


def test_narrative_results_are_read_as_findings_and_impression() -> None:
    plain, _ = read_one(mri_report(forms=[inline("text/plain", REPORT_TEXT)]))
    resolved = resolve([results_report(), *results()], PATIENT_ID, {})
    read, problems = read_one(dict(resolved.documents[0]))
    assert reading(read) == reading(plain)
    assert "IMPRESSION:" in read.text
    assert problems == ()
    assert resolved.missing == []


def test_result_observations_missing_from_the_data_are_needed() -> None:
    found = needs([results_report(), *results()[:2]], PATIENT_ID)
    assert [(n.report, n.ids) for n in found.results] == [("DiagnosticReport/mri-ls-1", ("i1",))]
    assert needs([results_report(), *results()], PATIENT_ID).results == ()


def test_result_fetch_failure_names_the_report() -> None:
    resolved = resolve(
        [results_report()],
        PATIENT_ID,
        {},
        result_failures={"DiagnosticReport/mri-ls-1": "no access"},
    )
    assert len(resolved.missing) == 1
    assert "DiagnosticReport/mri-ls-1" in resolved.missing[0]
    assert resolved.missing[0].endswith("could not be read: no access")


# ------------------------------------------------------------------------------- plan / resolve


def by_url_report() -> dict[str, Any]:
    return mri_report(forms=[{"contentType": "application/pdf", "url": "Binary/pdf-1"}])


def test_needs_lists_binaries_of_usable_imaging_reports_only() -> None:
    usable = by_url_report()
    preliminary = mri_report("p", forms=[{"contentType": "text/html", "url": "Binary/p"}])
    preliminary["status"] = "preliminary"
    knee = mri_report("k", forms=[{"contentType": "text/html", "url": "Binary/k"}])
    knee["code"] = {"coding": [{"system": "urn:local", "code": "K1", "display": "MRI knee"}]}
    other_patient = mri_report("o", forms=[{"contentType": "text/html", "url": "Binary/o"}])
    other_patient["subject"] = {"reference": "Patient/else"}
    document = document_reference(attachment={"contentType": "text/rtf", "url": "Binary/d"})
    found = needs(
        [
            {"resourceType": "Bundle", "entry": [{"resource": usable}, {"resource": knee}]},
            preliminary,
            other_patient,
            document,
        ],
        PATIENT_ID,
    )
    assert [(n.url, n.content_type) for n in found.binaries] == [
        ("Binary/pdf-1", "application/pdf"),
        ("Binary/d", "text/rtf"),
    ]


@pytest.mark.parametrize("answer", ["raw", "binary-resource"])
def test_resolved_binary_reads_like_inline_text(answer: str) -> None:
    pdf = to_pdf(REPORT_TEXT)
    if answer == "raw":
        fetched = fetched_document(pdf, "application/pdf", "application/pdf")
    else:
        body = (
            b'{"resourceType":"Binary","id":"pdf-1","contentType":"application/pdf","data":"'
            + base64.b64encode(pdf)
            + b'"}'
        )
        fetched = fetched_document(body, "application/fhir+json;charset=utf-8", "application/pdf")
    resolved = resolve([by_url_report()], PATIENT_ID, {"Binary/pdf-1": fetched})
    assert resolved.missing == []
    plain, _ = read_one(mri_report(forms=[inline("text/plain", REPORT_TEXT)]))
    read, problems = read_one(dict(resolved.documents[0]))
    assert reading(read) == reading(plain)
    assert problems == ()


def test_unfetched_or_unreadable_binary_names_the_report_and_why() -> None:
    for fetched, why in [
        (Fetched(missing="this service was not given access"), "not given access"),
        (fetched_document(scanned_pdf(), "application/pdf", ""), "scanned image"),
        (fetched_document(b'{"resourceType":"OperationOutcome"}', "application/json", ""), "other"),
    ]:
        resolved = resolve([by_url_report()], PATIENT_ID, {"Binary/pdf-1": fetched})
        assert len(resolved.missing) == 1, fetched
        message = resolved.missing[0]
        assert "MRI lumbar spine without contrast report of 2026-11-10" in message
        assert "(DiagnosticReport/mri-ls-1)" in message
        assert why in message
    resolved = resolve([by_url_report()], PATIENT_ID, {}, unfetched="no FHIR server")
    assert resolved.missing[0].endswith("could not be read: no FHIR server")


def test_a_report_with_another_full_text_is_not_a_gap() -> None:
    report = mri_report(
        forms=[
            inline("text/plain", REPORT_TEXT),
            {"contentType": "application/pdf", "url": "Binary/x"},
        ]
    )
    assert resolve([report], PATIENT_ID, {"Binary/x": Fetched(missing="no")}).missing == []


def test_unwrap_all_capitals_and_paragraphs() -> None:
    lines = [
        "FINDINGS: NUMEROUS T1 HYPOINTENSE LESIONS",
        "THROUGHOUT THE LUMBAR VERTEBRAL BODIES AND",
        "SACRUM, THE LARGEST 1.4 CM IN L2. NO PATHOLOGIC",
        "FRACTURE.",
        "",
        "IMPRESSION: NUMEROUS LESIONS, LARGEST 1.4 CM.",
    ]
    assert unwrap_lines(lines).split("\n") == [
        "FINDINGS: NUMEROUS T1 HYPOINTENSE LESIONS THROUGHOUT THE LUMBAR VERTEBRAL BODIES AND "
        "SACRUM, THE LARGEST 1.4 CM IN L2. NO PATHOLOGIC FRACTURE.",
        "",
        "IMPRESSION: NUMEROUS LESIONS, LARGEST 1.4 CM.",
    ]


def test_short_author_lines_are_not_joined() -> None:
    """Lines an author ended without a full stop stay apart: joining them would carry a
    negation ("No fracture") into the next finding."""
    lines = ["No fracture", "Heterogeneous marrow signal", "Mild disc bulge at L4-L5"]
    assert unwrap_lines(lines).split("\n") == lines


def test_html_source_line_breaks_are_white_space_when_markup_breaks_lines() -> None:
    markup = "<p>The marrow signal is\n   unremarkable.<br>\nNo focal lesion.</p>"
    assert html_to_text(markup) == "The marrow signal is unremarkable.\nNo focal lesion."
    # no line-breaking markup at all: the source's own line breaks are the report's lines
    assert html_to_text("<html><body>FINDINGS:\nNormal.</body></html>") == "FINDINGS:\nNormal."


def test_report_without_id_is_completed_in_place_and_read_once() -> None:
    report = by_url_report()
    del report["id"]
    bundle = {"resourceType": "Bundle", "entry": [{"fullUrl": "urn:uuid:r1", "resource": report}]}
    fetched = fetched_document(to_pdf(REPORT_TEXT), "application/pdf", "application/pdf")
    resolved = resolve([bundle], PATIENT_ID, {"Binary/pdf-1": fetched})
    assert resolved.documents == [bundle]
    assert resolved.missing == []
    mri, _, problems = read_imaging_reports([report])
    assert len(mri) == 1
    assert problems == ()
