"""DiagnosticReport -> ImagingReport: selection, ordering, exam recognition (SPEC.md 2, 6)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.imaging import (
    exam_with_text,
    read_imaging_reports,
    recognise_exam,
    unused_exam_problems,
)
from fhir_mappers.report_reader.sections import ReportText
from logic.model import Contrast, ImagingClass, Modality, Region

FHIR = Path(__file__).resolve().parents[1] / "corpus" / "fhir"
RAD_V2 = {"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}
RAD_LOINC = {"system": "http://loinc.org", "code": "LP29684-5", "display": "Radiology"}

REPORT = """EXAM: MRI LUMBAR SPINE WITHOUT CONTRAST
TECHNIQUE: Sagittal T1, T2 and STIR; axial T2. 1.5 T. In- and opposed-phase imaging.
COMPARISON: MRI 2024-03-01.
INDICATION: Back pain. History of heterogeneous marrow on outside MRI.
FINDINGS:
Diffusely heterogeneous marrow signal without a discrete focal lesion.
Mild disc bulge at L4-5.
IMPRESSION:
Diffuse heterogeneous marrow signal, nonspecific.
"""


def b64(text: str, charset: str = "utf-8") -> str:
    return base64.b64encode(text.encode(charset)).decode("ascii")


def mri(
    rid: str = "mri-1",
    *,
    code: dict[str, Any] | None = None,
    category: list[dict[str, Any]] | None = None,
    status: str = "final",
    when: str | None = "2025-05-01T09:00:00Z",
    text: str = REPORT,
    **extra: Any,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": status,
        "category": category if category is not None else [{"coding": [RAD_LOINC]}],
        "code": code
        or {
            "coding": [
                {
                    "system": "http://loinc.org",
                    "code": "30679-5",
                    "display": "MR Lumbar spine WO contrast",
                }
            ]
        },
        "presentedForm": [{"contentType": "text/plain", "data": b64(text)}],
    }
    if when is not None:
        report["effectiveDateTime"] = when
    report.update(extra)
    return report


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FHIR / name).read_text(encoding="utf-8"))
    return data


def test_loinc_mri_is_selected_with_modality_region_contrast_and_class() -> None:
    reports, other, problems = read_imaging_reports([mri()])
    assert other == ()
    assert problems == ()
    (report,) = reports
    assert report.reference == "DiagnosticReport/mri-1"
    assert report.modality is Modality.MR
    assert report.region is Region.LUMBAR_SPINE
    assert report.contrast is Contrast.WITHOUT
    assert report.code == "30679-5"
    assert report.title == "MR Lumbar spine WO contrast"
    assert report.image_class is ImagingClass.DIFFUSE
    assert report.field_strength_t == 1.5  # from the Technique section
    assert report.chemical_shift_done
    assert report.effective == datetime(2025, 5, 1, 9, tzinfo=UTC)


def test_indication_history_is_not_a_current_finding() -> None:
    (report,), _, _ = read_imaging_reports([mri()])
    assert "History of heterogeneous" not in report.text
    assert "outside MRI" not in report.text
    assert report.text.startswith("FINDINGS:")


@pytest.mark.parametrize(
    "category",
    [
        pytest.param([{"coding": [RAD_LOINC]}], id="loinc_LP29684-5"),
        pytest.param([{"coding": [RAD_V2]}], id="v2-0074_RAD"),
        pytest.param(
            [{"coding": [{"system": "http://hl7.org/fhir/v2/0074", "code": "RAD"}]}],
            id="v2-0074_old_system_uri",
        ),
    ],
)
def test_radiology_category_in_either_system_with_generic_code_and_text(
    category: list[dict[str, Any]],
) -> None:
    generic = {"coding": [{"system": "http://loinc.org", "code": "18748-4"}]}
    reports, _, _ = read_imaging_reports([mri(code=generic, category=category)])
    (report,) = reports
    assert report.modality is Modality.MR
    assert report.region is Region.LUMBAR_SPINE  # from the EXAM line of the report
    assert report.contrast is Contrast.WITHOUT
    assert report.code == "18748-4"


def test_conclusion_that_names_the_exam_is_recognised() -> None:
    generic = {"coding": [{"system": "http://loinc.org", "code": "18748-4"}]}
    report = mri(code=generic, conclusion="MRI lumbar spine: diffuse marrow replacement.")
    del report["presentedForm"]
    (read,), _, _ = read_imaging_reports([report])
    assert (read.modality, read.region) == (Modality.MR, Region.LUMBAR_SPINE)


def test_comparison_line_does_not_name_the_exam() -> None:
    generic = {"coding": [{"system": "http://loinc.org", "code": "18748-4"}]}
    report = mri(code=generic, conclusion="Compared with MRI lumbar spine: stable.")
    del report["presentedForm"]
    mris, other, problems = read_imaging_reports([report])
    assert mris == ()
    assert other == ()
    assert "modality" in problems[0].message


def test_cpt_code_recognised_by_display() -> None:
    cpt = {
        "coding": [
            {
                "system": "http://www.ama-assn.org/go/cpt",
                "code": "72158",
                "display": "MRI lumbar spine without and with contrast",
            }
        ]
    }
    (report,), _, _ = read_imaging_reports([mri(code=cpt, category=[])])
    assert report.region is Region.LUMBAR_SPINE
    assert report.contrast is Contrast.WITHOUT_AND_WITH
    assert report.code == "72158"


@pytest.mark.parametrize(
    ("title", "region", "contrast"),
    [
        ("MRI SACRUM W/O CONTRAST", Region.SACRUM, Contrast.WITHOUT),
        ("MR Pelvis wo/w contrast", Region.PELVIS, Contrast.WITHOUT_AND_WITH),
        ("MRI L-spine with contrast", Region.LUMBAR_SPINE, Contrast.WITH),
        ("MRI sacroiliac joints", Region.SACROILIAC, Contrast.UNKNOWN),
        ("Whole body MRI", Region.WHOLE_BODY, Contrast.UNKNOWN),
        (
            "MRI thoracic spine without and with IV contrast",
            Region.SPINE,
            Contrast.WITHOUT_AND_WITH,
        ),
    ],
)
def test_local_code_text_names_modality_site_and_contrast(
    title: str, region: Region, contrast: Contrast
) -> None:
    local = {"coding": [{"system": "urn:oid:1.2.3.4", "code": "X1"}], "text": title}
    body = "FINDINGS:\nMildly heterogeneous marrow signal.\n"  # no exam line: the code decides
    (report,), _, _ = read_imaging_reports([mri(code=local, text=body)])
    assert (report.modality, report.region, report.contrast) == (Modality.MR, region, contrast)
    assert report.title == title


@pytest.mark.parametrize("status", ["final", "amended", "corrected", "appended"])
def test_usable_statuses(status: str) -> None:
    reports, _, _ = read_imaging_reports([mri(status=status)])
    assert len(reports) == 1


@pytest.mark.parametrize(
    "status", ["preliminary", "registered", "partial", "cancelled", "entered-in-error", "unknown"]
)
def test_other_statuses_are_not_used_and_say_so(status: str) -> None:
    reports, other, problems = read_imaging_reports([mri(status=status)])
    assert reports == ()
    assert other == ()
    assert len(problems) == 1
    assert status in problems[0].message


def test_newest_first_by_effective_period_and_issued() -> None:
    a = mri("a", when="2023-01-05T10:00:00+00:00")
    b = mri("b", when=None, effectivePeriod={"start": "2025-02-01T08:00:00Z"})
    c = mri("c", when=None, issued="2024-06-30T23:00:00-05:00")
    reports, _, _ = read_imaging_reports([a, b, c])
    assert [r.reference for r in reports] == [
        "DiagnosticReport/b",
        "DiagnosticReport/c",
        "DiagnosticReport/a",
    ]


def test_the_same_report_twice_is_read_once() -> None:
    reports, _, _ = read_imaging_reports([mri("a"), mri("a"), mri("b")])
    assert [r.reference for r in reports] == ["DiagnosticReport/a", "DiagnosticReport/b"]


def test_history_follows_the_index() -> None:
    old = mri("old", when="2024-03-01T09:00:00Z", text="FINDINGS:\nMildly heterogeneous marrow.\n")
    new = mri("new", when="2025-03-01T09:00:00Z", text="FINDINGS:\nDiffuse marrow replacement.\n")
    reports, _, _ = read_imaging_reports([old, new])
    index, prior = reports
    assert (index.reference, index.image_class) == ("DiagnosticReport/new", ImagingClass.DIFFUSE)
    assert (prior.reference, prior.image_class) == (
        "DiagnosticReport/old",
        ImagingClass.NONSPECIFIC,
    )


def test_timezone_less_datetime_assumed_utc_with_problem() -> None:
    (report,), _, problems = read_imaging_reports([mri(when="2025-03-01T10:30:00")])
    assert report.effective == datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    assert any("time zone" in p.message for p in problems)


def test_report_without_any_date_is_reported_not_used() -> None:
    reports, _, problems = read_imaging_reports([mri(when=None)])
    assert reports == ()
    assert problems[-1].severity == "error"


def test_html_presented_form_is_stripped_and_unescaped() -> None:
    html_text = (
        "<html><body><p><b>FINDINGS:</b></p><p>Mildly heterogeneous marrow signal &amp; no "
        "focal lesion.</p><p><b>IMPRESSION:</b><br/>Nonspecific heterogeneous marrow.</p>"
        "</body></html>"
    )
    report = mri()
    report["presentedForm"] = [{"contentType": "text/html; charset=utf-8", "data": b64(html_text)}]
    (read,), _, _ = read_imaging_reports([report])
    assert "<" not in read.text
    assert "&amp;" not in read.text
    assert "signal & no focal lesion" in read.text
    assert read.image_class is ImagingClass.NONSPECIFIC


def test_charset_is_honoured() -> None:
    text = "FINDINGS:\nHétérogène: mildly heterogeneous marrow signal.\n"
    report = mri()
    report["presentedForm"] = [
        {"contentType": "text/plain; charset=ISO-8859-1", "data": b64(text, "latin-1")}
    ]
    (read,), _, problems = read_imaging_reports([report])
    assert "Hétérogène" in read.text
    assert problems == ()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"contentType": "text/plain", "data": "@@not base64@@"}, "base64"),
        ({"contentType": "application/pdf", "data": b64("%PDF-1.4")}, "PDF could not be read"),
        ({"contentType": "image/jpeg", "data": b64("JFIF")}, "not text"),
        ({"contentType": "text/plain", "url": "https://example.org/r.txt"}, "URL"),
        ({"contentType": "text/plain; charset=klingon", "data": b64("FINDINGS: x")}, "charset"),
        ({"contentType": "text/plain; charset=utf-8", "data": "//79/w=="}, "replaced"),
        ({"data": b64("x")}, "contentType"),
        ("not an attachment", "Attachment"),
    ],
)
def test_presented_form_problems_are_problems_not_exceptions(form: Any, message: str) -> None:
    report = mri(conclusion="Mildly heterogeneous marrow signal.")
    report["presentedForm"] = [form]
    (read,), _, problems = read_imaging_reports([report])
    assert any(message in p.message for p in problems), problems
    assert read.image_class is ImagingClass.NONSPECIFIC  # the conclusion is still read


def test_conclusion_only_counts_as_impression() -> None:
    report = mri(conclusion="Diffuse marrow replacement.")
    del report["presentedForm"]
    (read,), _, _ = read_imaging_reports([report])
    assert read.text == "IMPRESSION:\nDiffuse marrow replacement."
    assert read.image_class is ImagingClass.DIFFUSE


def test_conclusion_repeating_presented_form_impression_is_read_once() -> None:
    report = mri(conclusion="Diffuse heterogeneous marrow signal, nonspecific.")
    (read,), _, _ = read_imaging_reports([report])
    assert read.text.count("Diffuse heterogeneous marrow signal, nonspecific.") == 1


def test_narrative_div_is_read_when_nothing_else() -> None:
    report = mri()
    del report["presentedForm"]
    report["text"] = {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Findings: Two T1 hypointense '
        "lesions at L2 (8 mm) and L4 (11 mm).</p></div>",
    }
    (read,), _, _ = read_imaging_reports([report])
    assert read.image_class is ImagingClass.FOCAL_MULTIPLE
    assert read.lesion_sizes_mm == (8.0, 11.0)


def test_ct_radiograph_pet_go_to_other_imaging_with_lytic_lesions() -> None:
    ct = mri(
        "ct-1",
        code={"coding": [{"system": "http://loinc.org", "code": "46305-9"}]},
        text="FINDINGS:\nMultiple lytic lesions in the pelvis and spine, the largest 2.1 cm.\n",
    )
    survey = mri(
        "xr-1",
        code={"text": "XR skeletal survey"},
        text="FINDINGS:\nNo lytic or blastic lesion.\n",
    )
    mris, other, _ = read_imaging_reports([ct, survey])
    assert mris == ()
    by_ref = {r.reference: r for r in other}
    assert by_ref["DiagnosticReport/ct-1"].modality is Modality.CT
    assert any(
        f.kind.value == "lytic-lesion" and not f.negated
        for f in by_ref["DiagnosticReport/ct-1"].features
    )
    assert by_ref["DiagnosticReport/xr-1"].modality is Modality.XR
    assert all(
        f.negated
        for f in by_ref["DiagnosticReport/xr-1"].features
        if f.kind.value == "lytic-lesion"
    )


@pytest.mark.parametrize(
    "name",
    [
        "DiagnosticReport-chest-xray-report.json",
        "DiagnosticReport-bone-density-report.json",
        "DiagnosticReport-cardiology-report.json",
        "diagnosticreport-cbc.json",
        "diagnosticreport-example-ultrasound.json",
        "diagnosticreport-example-f201-brainct.json",
    ],
)
def test_us_core_and_hl7_samples_are_not_marrow_mri_and_do_not_raise(name: str) -> None:
    mris, _, _ = read_imaging_reports([load(name)])
    assert mris == ()


def test_samples_chest_xray_and_brain_ct_are_other_imaging_without_lytic_lesion() -> None:
    samples = [load("DiagnosticReport-chest-xray-report.json")]
    samples.append(load("diagnosticreport-example-f201-brainct.json"))
    _, other, _ = read_imaging_reports(samples)
    assert {r.reference: r.modality for r in other} == {
        "DiagnosticReport/chest-xray-report": Modality.XR,
        "DiagnosticReport/f201": Modality.CT,
    }
    for report in other:
        assert not any(f.kind.value == "lytic-lesion" and not f.negated for f in report.features)
    xray = next(r for r in other if r.modality is Modality.XR)
    assert "Clear lungs" in xray.text  # application/xhtml presentedForm was read


def test_non_reports_and_junk_are_skipped() -> None:
    junk: list[Any] = [
        {"resourceType": "Observation", "id": "x"},
        "text",
        None,
        {"resourceType": "DiagnosticReport"},
        {"resourceType": "DiagnosticReport", "code": 5, "category": "RAD", "presentedForm": 3},
    ]
    mris, other, _ = read_imaging_reports(junk)
    assert mris == ()
    assert other == ()


# ------------------------------------------------------------------ never raises

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
_KEYS = st.sampled_from(
    [
        "id",
        "status",
        "category",
        "code",
        "effectiveDateTime",
        "effectivePeriod",
        "issued",
        "conclusion",
        "conclusionCode",
        "presentedForm",
        "text",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=11))
def test_arbitrary_json_as_a_diagnostic_report_never_raises(fields: dict[str, Any]) -> None:
    report = {"resourceType": "DiagnosticReport", **fields}
    mris, other, problems = read_imaging_reports([report])
    assert len(mris) + len(other) <= 1
    assert all(p.reference is None or p.reference.startswith("DiagnosticReport/") for p in problems)


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from(["final", "amended", "preliminary", 3, None]),
    when=st.one_of(st.text(max_size=30), st.sampled_from(["2025-01-01", "2025-01-01T10:00:00"])),
    content_type=st.one_of(st.text(max_size=20), st.sampled_from(["text/plain", "text/html"])),
    data=st.one_of(
        st.text(max_size=60), st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode())
    ),
)
def test_plausible_but_broken_mri_reports_never_raise(
    status: Any, when: Any, content_type: Any, data: Any
) -> None:
    report = mri(status="final", when=None)
    report.update(
        status=status,
        effectiveDateTime=when,
        presentedForm=[{"contentType": content_type, "data": data}],
    )
    read_imaging_reports([report])


# ------------------------------------------------------- the steps of reading one imaging report


def _text(text: str, title_lines: str = "") -> ReportText:
    return ReportText(text=text, technique="", title_lines=title_lines)


def test_exam_codes_win_over_the_report_text() -> None:
    exam = recognise_exam(mri(""))
    assert exam_with_text(exam, _text("CT chest: normal.", "CT CHEST WITH CONTRAST")) == (
        exam.modality,
        exam.region,
        exam.contrast,
    )


def test_exam_from_title_lines_then_opening_line() -> None:
    exam = recognise_exam({"code": {"text": "Imaging report"}})
    assert (exam.modality, exam.region, exam.contrast) == (None, None, Contrast.UNKNOWN)
    titled = _text("FINDINGS:\nNormal.", "MRI LUMBAR SPINE WITHOUT CONTRAST")
    assert exam_with_text(exam, titled) == (Modality.MR, Region.LUMBAR_SPINE, Contrast.WITHOUT)
    opening = _text("FINDINGS:\nMRI lumbar spine: normal marrow.")
    assert exam_with_text(exam, opening) == (Modality.MR, Region.LUMBAR_SPINE, Contrast.UNKNOWN)
    prior = _text("FINDINGS:\nComparison MRI lumbar spine 2020.")
    assert exam_with_text(exam, prior) == (None, None, Contrast.UNKNOWN)


def test_why_an_unused_exam_is_not_used() -> None:
    (unknown,) = unused_exam_problems(None, None, "DiagnosticReport/r")
    assert unknown.message == "radiology report whose modality could not be recognised: not used"
    (no_region,) = unused_exam_problems(Modality.MR, None, "DiagnosticReport/r")
    assert no_region.message == "MRI report whose body region is not recognised: not used"
    assert unused_exam_problems(Modality.OTHER, Region.OTHER, "DiagnosticReport/r") == ()


def test_a_reader_fault_is_a_problem_on_the_record_never_a_silent_negative(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from fhir_mappers.report_reader import reader

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("a fault quoting Diffusely heterogeneous marrow")

    monkeypatch.setattr(reader, "_extract", broken)
    (report,), _, problems = read_imaging_reports([mri()])
    assert report.image_class is ImagingClass.NEGATIVE
    assert [p.message for p in problems if "could not be analysed" in p.message]
    # the log says where it failed, never the report's words or the exception's message
    assert "ValueError" in caplog.text
    assert "heterogeneous" not in caplog.text


def test_an_upper_bound_below_5_mm_of_a_spread_is_read() -> None:
    text = (
        "FINDINGS: There are innumerable tiny T1-hypointense foci throughout the lumbar spine "
        "and sacrum, none larger than 3 mm, producing a speckled appearance."
    )
    (report,), _, problems = read_imaging_reports([mri(text=text)])
    assert report.image_class is ImagingClass.DIFFUSE
    assert not problems
