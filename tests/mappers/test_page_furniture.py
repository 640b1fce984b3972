"""A web page's lists of other cases and readers' comments are never this patient's findings
(fhir_mappers.report_reader.furniture; SPEC.md section 3: only this patient's findings count)."""

from __future__ import annotations

import pytest

from fhir_mappers.report_reader.furniture import page_furniture
from fhir_mappers.report_reader.sections import without_page_furniture
from tests.mappers.test_report_reading import read

_CASE = (
    "Gluteus medius tendinosis in a rower\n"
    "Clinical History:\nElite rower with groin pain. Age 44, female.\n"
    "Findings\nMild left gluteus medius tendinosis. Normal marrow signal. Labra intact.\n"
    "Conclusion\nGluteal tendinosis.\n"
)


@pytest.mark.parametrize(
    "furniture",
    [
        pytest.param(
            "More cases\nAtypical vertebral haemangioma\nDiffuse marrow replacement - CML\n",
            id="a-list-of-other-cases",
        ),
        pytest.param(
            "Related cases (3)\n\nSolitary plasmacytoma of T11\nMultiple myeloma with diffuse "
            "marrow infiltration\n",
            id="a-counted-list-after-a-blank-line",
        ),
        pytest.param(
            "Recently viewed: Multiple myeloma with diffuse marrow infiltration; Sclerotic "
            "prostate metastases\n",
            id="a-one-line-list",
        ),
        pytest.param(
            "Comments (1)\nGreat case! Ours had three lytic lesions at L2, L3 and L4, 9 to "
            "14 mm.\n",
            id="readers-comments",
        ),
        pytest.param(
            "Dr_C: We had multiple enhancing vertebral lesions yesterday, 8 and 12 mm.\n",
            id="a-comment-by-its-handle",
        ),
        pytest.param(
            "Guest: diffuse marrow replacement in ours, it was myeloma.\n",
            id="a-guest-comment",
        ),
    ],
)
def test_page_furniture_raises_no_card(furniture: str) -> None:
    assert read(_CASE + furniture).image_class.value == "NEGATIVE"


def test_a_flattened_page_drops_its_lists_up_to_the_next_heading() -> None:
    text = (
        "Home Cases Spine Modic type 1 change Presentation Back pain. Imaging findings Band-like "
        "endplate signal at L4-5, Modic type 1 change. The remainder of the marrow is normal. "
        "Conclusion Modic type 1 change. Related cases Renal cell carcinoma bone metastasis "
        "Solitary plasmacytoma of T11 Multiple myeloma with diffuse marrow infiltration "
        "References Modic MT. Radiology 1988."
    )
    assert read(text).image_class.value == "NEGATIVE"
    kept = without_page_furniture(text)
    assert "plasmacytoma" not in kept
    assert "References Modic MT" in kept  # the next heading ends the list


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Findings\nMultiple lesions at L2 and L4, 8 and 12 mm.\nComment: multiple myeloma.",
            id="a-report-comment-heading-is-the-radiologist-s",
        ),
        pytest.param(
            "Recent images show diffuse marrow infiltration throughout the spine.",
            id="a-sentence-that-starts-like-a-label",
        ),
        pytest.param(
            "T12: diffuse marrow infiltration. L4: 12 mm lesion.",
            id="a-level-label-is-no-handle",
        ),
        pytest.param(
            "Image12: sagittal T1 shows diffuse marrow infiltration.",
            id="an-image-label-is-no-handle",
        ),
        pytest.param(
            "EXAM: MRI lumbar spine. COMPARISON: Previous images from 2019 were reviewed and "
            "compared in detail with the current study, performed on a 1.5 T scanner with the "
            "standard protocol of sagittal T1, T2 and STIR and axial T2 images through the lumbar "
            "levels. FINDINGS: Diffuse marrow infiltration throughout the lumbar spine.",
            id="a-flattened-report-s-previous-images",
        ),
    ],
)
def test_what_is_not_furniture_is_read(text: str) -> None:
    assert read(text).image_class.value != "NEGATIVE"


def test_a_list_ends_at_the_case_s_next_heading() -> None:
    text = "Similar cases\nTarlov cyst\nFindings\nDiffuse marrow infiltration throughout the spine."
    spans = page_furniture(text, lambda line: line.startswith("Findings"))
    assert [text[a:b] for a, b in spans] == ["Similar cases\nTarlov cyst"]
    assert read(text).image_class.value == "DIFFUSE"


def test_work_is_bounded_on_a_long_comment_thread() -> None:
    thread = "Reader comments\n" + "user123: another view, diffuse marrow infiltration.\n" * 5000
    spans = page_furniture(thread, lambda line: False)
    assert spans  # read in one pass: every line is a comment or in a bounded block
    assert all(b - a <= 4100 for a, b in spans)
