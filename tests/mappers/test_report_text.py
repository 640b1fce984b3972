"""Getting report text out of a DiagnosticReport and splitting sections (SPEC.md section 3)."""

from __future__ import annotations

import base64

import pytest

from fhir_mappers.report_reader.normalise import blank_unticked_options
from fhir_mappers.report_reader.sections import ReportSource, assemble, split_sections
from fhir_mappers.report_text import (
    conclusion_sources,
    decode_attachment,
    html_to_text,
    narrative_sources,
    presented_form_sources,
    read_report_text,
    report_sources,
)


def b64(text: str, charset: str = "utf-8") -> str:
    return base64.b64encode(text.encode(charset)).decode("ascii")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FINDINGS: Heterogeneous marrow.\nIMPRESSION: Nonspecific.", id="upper_colon"),
        pytest.param("Findings: Heterogeneous marrow.\nImpression: Nonspecific.", id="title_colon"),
        pytest.param("FINDINGS\nHeterogeneous marrow.\nIMPRESSION\nNonspecific.", id="upper_line"),
        pytest.param(
            "Findings\nHeterogeneous marrow.\n\nImpression\nNonspecific.", id="title_line"
        ),
        pytest.param(
            "FINDINGS:\nHeterogeneous marrow.\nCONCLUSION:\nNonspecific.", id="conclusion"
        ),
        pytest.param(
            "Findings -\nHeterogeneous marrow.\nOpinion:\nNonspecific.", id="opinion_dash"
        ),
    ],
)
def test_findings_and_impression_headings(text: str) -> None:
    split = split_sections(text)
    assert split.findings == "Heterogeneous marrow."
    assert split.impression == "Nonspecific."


def test_other_sections_are_not_findings() -> None:
    text = (
        "EXAM: MRI LUMBAR SPINE WITHOUT CONTRAST\n"
        "CLINICAL HISTORY: History of heterogeneous marrow on outside MRI.\n"
        "Indication: back pain\n"
        "COMPARISON: MRI 2024-03-01.\n"
        "TECHNIQUE: Sagittal T1 and STIR at 3T.\n"
        "FINDINGS:\nNormal marrow signal.\n"
        "IMPRESSION:\nNegative.\n"
    )
    split = split_sections(text)
    assert split.findings == "Normal marrow signal."
    assert split.impression == "Negative."
    assert split.technique == "Sagittal T1 and STIR at 3T."
    assert split.exam == "MRI LUMBAR SPINE WITHOUT CONTRAST"
    assert "outside" not in split.findings + split.impression


def test_a_sentence_starting_with_a_heading_word_is_not_a_heading() -> None:
    split = split_sections("FINDINGS:\nThe marrow is normal.\nhistory of back pain noted\n")
    assert "history of back pain" in split.findings


def test_no_headings_keeps_everything_as_preamble() -> None:
    split = split_sections("Mildly heterogeneous marrow.")
    assert not split.has_headings
    assert split.preamble == "Mildly heterogeneous marrow."


def test_html_is_stripped_entities_unescaped_blocks_kept() -> None:
    html = (
        "<html><head><title>x</title><style>p{}</style></head><body><p>FINDINGS:</p>"
        "<p>Signal &lt;20% &amp; patchy&nbsp;marrow.</p><script>alert(1)</script>"
        "<table><tr><td>L2</td><td>8 mm</td></tr></table></body></html>"
    )
    assert html_to_text(html) == "FINDINGS:\n\nSignal <20% & patchy marrow.\n\nL2 8 mm"


@pytest.mark.parametrize(
    ("attachment", "text", "problem"),
    [
        ({"contentType": "text/plain", "data": b64("Hello")}, "Hello", None),
        ({"contentType": "text/html", "data": b64("<p>A&amp;B</p>")}, "A&B", None),
        ({"contentType": "application/xhtml+xml", "data": b64("<div>X</div>")}, "X", None),
        (
            {"contentType": "text/plain; charset=windows-1252", "data": b64("Caf\u00e9", "cp1252")},
            "Caf\u00e9",
            None,
        ),
        ({"contentType": "TEXT/PLAIN;CHARSET=UTF-8", "data": b64("\ufeffBOM")}, "BOM", None),
        ({"contentType": "text/plain", "data": b64("a\r\nb")}, "a\nb", None),
        ({"contentType": "text/plain", "data": "SGVs\nbG8="}, "Hello", None),
        ({"contentType": "application/pdf", "data": b64("%PDF")}, None, "PDF could not be read"),
        ({"contentType": "image/jpeg", "data": b64("xx")}, None, "not text"),
        ({"contentType": "text/plain", "data": "***"}, None, "base64"),
        ({"contentType": "text/plain"}, None, "no data"),
        ({"contentType": "text/plain", "url": "http://x/r"}, None, "URL"),
        ({"data": b64("x")}, None, "contentType"),
        ({"contentType": 7, "data": b64("x")}, None, "contentType"),
        ({"contentType": "text/plain", "data": 7}, None, "no data"),
    ],
)
def test_decode_attachment(
    attachment: dict[str, object], text: str | None, problem: str | None
) -> None:
    got, message = decode_attachment(attachment)
    assert got == text
    if problem is None:
        assert message is None
    else:
        assert message is not None
        assert problem in message


def test_invalid_utf8_is_replaced_with_a_problem() -> None:
    got, message = decode_attachment(
        {"contentType": "text/plain", "data": base64.b64encode(b"ok \xff\xfe").decode()}
    )
    assert got is not None
    assert got.startswith("ok ")
    assert message is not None
    assert "replaced" in message


def test_sources_in_spec_order_and_duplicates_read_once() -> None:
    report = {
        "conclusion": "Diffuse marrow heterogeneity.",
        "conclusionCode": [{"coding": [{"display": "Abnormal bone marrow signal"}]}],
        "presentedForm": [
            {
                "contentType": "text/plain",
                "data": b64(
                    "FINDINGS:\nDiffusely heterogeneous marrow.\n"
                    "IMPRESSION:\nDiffuse marrow heterogeneity."
                ),
            }
        ],
        "text": {
            "div": "<div><p>FINDINGS:</p><p>Diffusely heterogeneous marrow.</p></div>",
        },
    }
    text, problems = read_report_text(report)
    assert problems == ()
    assert text.text == (
        "FINDINGS:\nDiffusely heterogeneous marrow.\n\n"
        "IMPRESSION:\nDiffuse marrow heterogeneity.\nAbnormal bone marrow signal"
    )


def test_full_report_without_headings_counts_as_findings() -> None:
    text = assemble([ReportSource("presentedForm[0]", "Heterogeneous marrow signal.")])
    assert text.text == "FINDINGS:\nHeterogeneous marrow signal."


def test_conclusion_without_headings_counts_as_impression() -> None:
    text = assemble([ReportSource("conclusion", "Heterogeneous marrow signal.")])
    assert text.text == "IMPRESSION:\nHeterogeneous marrow signal."


@pytest.mark.parametrize(
    "report",
    [
        {},
        {"conclusion": 5, "conclusionCode": "x", "presentedForm": {"a": 1}, "text": "div"},
        {"conclusionCode": [None, 3, {"coding": "x"}, {"coding": [None, {"display": 4}]}]},
        {"presentedForm": [None, 1, "x"], "text": {"div": None}},
    ],
)
def test_malformed_reports_do_not_raise(report: dict[str, object]) -> None:
    text, _ = read_report_text(report)
    assert text.text == ""


# ------------------------------------------------ the steps of report_sources, one per FHIR field


def test_conclusion_then_conclusion_code_names_in_one_text() -> None:
    report = {
        "conclusion": "  Heterogeneous marrow.  ",
        "conclusionCode": [
            {"text": "Marrow heterogeneity"},
            {"coding": [{"display": "Focal lesion"}]},
            {"coding": [{"code": "no-display"}]},
        ],
    }
    assert conclusion_sources(report) == [
        ReportSource("conclusion", "Heterogeneous marrow."),
        ReportSource("conclusionCode", "Marrow heterogeneity. Focal lesion"),
    ]
    assert conclusion_sources({"conclusion": "  ", "conclusionCode": "not a list"}) == []


def test_presented_forms_each_read_or_a_problem_with_its_index() -> None:
    forms = [
        {"contentType": "text/plain", "data": b64("FINDINGS: Normal marrow.")},
        "not an attachment",
        {"contentType": "image/png", "data": b64("x")},
        {"contentType": "text/plain", "url": "#bin"},
    ]
    contained = [
        {"resourceType": "Binary", "id": "bin", "contentType": "text/plain", "data": b64("Two.")}
    ]
    sources, problems = presented_form_sources(forms, contained)
    assert sources == [
        ReportSource("presentedForm[0]", "FINDINGS: Normal marrow."),
        ReportSource("presentedForm[3]", "Two."),
    ]
    assert problems == (
        "presentedForm[1] is not an Attachment",
        "presentedForm[2]: presentedForm of type 'image/png' is not text: not read",
    )
    assert presented_form_sources(None, ()) == ([], ())


def test_narrative_div_as_text() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Findings: normal &amp; stable.</p></div>'
    assert narrative_sources({"div": div}) == [
        ReportSource("text.div", "Findings: normal & stable.")
    ]
    assert narrative_sources({"div": "  "}) == []
    assert narrative_sources("not a narrative") == []


def test_report_sources_in_field_order() -> None:
    report = {
        "text": {"div": "<div>Narrative.</div>"},
        "presentedForm": [{"contentType": "text/plain", "data": b64("Form.")}],
        "conclusion": "Conclusion.",
    }
    sources, problems = report_sources(report)
    assert [s.origin for s in sources] == ["conclusion", "presentedForm[0]", "text.div"]
    assert problems == ()


def test_html_markup_in_a_plain_text_source_is_read_as_html() -> None:
    text = assemble(
        [
            ReportSource(
                "presentedForm[0]",
                "CECT ABDOMEN &amp; PELVIS\n<br>Findings:\n<br>&#9679; Liver: 8 mm hypodense "
                "lesion.&nbsp;\n<br>&#9679; Bones: no lytic lesion.",
            )
        ]
    )
    for markup in ("<br>", "&nbsp;", "&amp;", "&#9679;"):
        assert markup not in text.text
    assert "● Liver: 8 mm hypodense lesion." in text.text


def test_a_plain_text_less_than_sign_is_not_markup() -> None:
    text = assemble([ReportSource("presentedForm[0]", "Two foci <5 mm & one 7 mm lesion at L2.")])
    assert text.text == "FINDINGS:\nTwo foci <5 mm & one 7 mm lesion at L2."


@pytest.mark.parametrize(
    ("line", "read"),
    [
        # options after their boxes: the ticked option stays, the others are blanked
        (
            "Marrow ........... [x] Normal   [ ] Heterogeneous   [ ] Focal lesion",
            "Marrow ...........     Normal",
        ),
        ("Focal marrow lesion:  [ ] yes  [x] no", "Focal marrow lesion:               no"),
        ("Marrow: ☐ normal ☒ patchy signal at L4", "Marrow:            patchy signal at L4"),
        # boxes after their options
        ("Normal marrow signal [x]   Suspicious focal bone lesion [ ]", "Normal marrow signal"),
        # no box: unchanged
        ("T2 [redacted] lesion at L3", "T2 [redacted] lesion at L3"),
    ],
)
def test_unticked_template_options_are_blanked(line: str, read: str) -> None:
    blanked = blank_unticked_options(line)
    assert len(blanked) == len(line)  # every offset stays: cards quote the text as sent
    assert blanked.rstrip() == read
