"""A teaching document read as a whole (`report_reader.teaching`, SPEC.md section 3): its general
paragraphs are no findings of the patient, whatever their headings are called; the patient's own
findings, wherever the document states them, still count."""

from __future__ import annotations

import pytest

from fhir_mappers.report_reader import extract
from fhir_mappers.report_reader.teaching import general_paragraphs, is_teaching_document
from logic.model import ImagingClass

_GENERAL_PARAGRAPH = (
    "Plasmacytoma of bone is a solitary marrow-replacing lesion, often expansile, with thick "
    "curvilinear septa. Vertebral haemangiomas are the commonest benign spinal lesion; typical "
    "lesions contain fat and are bright on T1."
)
_CHEMICAL_SHIFT_PARAGRAPH = (
    "Chemical-shift imaging exploits fat and water in normal marrow. In red marrow the "
    "opposed-phase signal falls by more than 20% at 1.5 T; an infiltrated marrow shows little or "
    "no signal drop and is usually darker than the discs on T1."
)


def _case(patient: str, *, heading: str = "Points raised in the meeting") -> str:
    return (
        "Radiology grand rounds - marrow that misleads\n\n"
        f"The case: a 58-year-old woman with back pain. {patient}\n\n"
        f"{heading}\n{_GENERAL_PARAGRAPH}\n\n{_CHEMICAL_SHIFT_PARAGRAPH}\n\n"
        "Audience quiz: Which pattern of myeloma is called salt and pepper? Answer: innumerable "
        "tiny foci on a fatty background.\n"
    )


@pytest.mark.parametrize(
    ("text", "teaching"),
    [
        pytest.param("CASE OF THE WEEK\nFindings: normal.", True, id="title-says-so"),
        pytest.param(
            "FINDINGS:\nIMAGE QUIZ - answer\nNormal marrow.", True, id="title-after-a-heading"
        ),
        pytest.param(
            "Findings: normal.\n\nBackground notes\nMyeloma is common.\n\n"
            "Further reading: Smith A et al. Radiology 2001;220:1-9.",
            True,
            id="general-heading-and-citation",
        ),
        pytest.param(
            "Findings: normal.\n\nBackground:\nback pain for 3 weeks.",
            False,
            id="one-signal-is-not-enough",
        ),
        pytest.param(
            "MRI LUMBAR SPINE\nFINDINGS: Heterogeneous marrow at L3.\nIMPRESSION: As above.",
            False,
            id="a-plain-report",
        ),
    ],
)
def test_a_teaching_document_shows_itself(text: str, teaching: bool) -> None:
    assert is_teaching_document(text) is teaching


def test_general_paragraphs_under_headings_of_any_name_are_found() -> None:
    text = _case("Marrow signal is normal; no focal lesion.")
    spans = general_paragraphs(text)
    general = " ".join(text[a:b] for a, b in spans)
    assert "Plasmacytoma of bone" in general
    assert "Chemical-shift imaging" in general
    assert "salt and pepper" in general
    assert "58-year-old" not in general


def test_no_general_paragraphs_in_a_report() -> None:
    text = "FINDINGS:\n" + _GENERAL_PARAGRAPH + "\n\nIMPRESSION:\nAs above."
    assert general_paragraphs(text) == []


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        pytest.param(
            "Marrow signal is normal; no focal lesion.",
            ImagingClass.NEGATIVE,
            id="normal-patient-general-discussion-of-lesions",
        ),
        pytest.param(
            "MRI showed two T1-hypointense lesions, 9 mm in L2 and 7 mm in L4.",
            ImagingClass.FOCAL_MULTIPLE,
            id="the-patients-lesions-still-count",
        ),
        pytest.param(
            "Diffuse marrow infiltration, darker than the discs on T1, at every lumbar level.",
            ImagingClass.DIFFUSE,
            id="the-patients-diffuse-pattern-still-counts",
        ),
    ],
)
def test_the_patients_findings_and_nothing_else(patient: str, expected: ImagingClass) -> None:
    assert extract(_case(patient)).image_class is expected


def test_a_discussion_clause_about_our_patient_counts() -> None:
    text = (
        "Case report\n\nA 66-year-old man with anaemia.\n\nDiscussion\n"
        + _GENERAL_PARAGRAPH
        + " In our patient, a 12 mm enhancing lesion was seen in the L3 vertebral body.\n"
    )
    reading = extract(text)
    assert reading.image_class is ImagingClass.FOCAL_EQUIVOCAL
    assert reading.lesion_sizes_mm == (12.0,)


def test_findings_followed_by_a_quiz_question_are_the_patients() -> None:
    text = (
        "Image quiz - answer\nA 62-year-old woman with hip pain.\n\n"
        "patchy intermediate T1 signal in the right iliac bone, likely red marrow hyperplasia.\n"
        "Which additional history explains the finding?\nA. Smoking  B. Obesity\n"
    )
    assert extract(text).image_class is ImagingClass.NONSPECIFIC


def test_a_quiz_question_about_this_patient_keeps_its_answer() -> None:
    text = (
        "Teaching file, marrow module\n\n"
        "Q1. What does this patient's MRI show?\n"
        "A1. Diffuse low T1 marrow signal, lower than the discs, throughout the lumbar spine.\n"
        "Q2. Name the three SLiM biomarkers.\n"
        "A2. Clonal plasma cells of 60%, a light-chain ratio of 100 and more than one focal "
        "lesion of at least 5 mm.\n"
    )
    reading = extract(text)
    assert reading.image_class is ImagingClass.DIFFUSE
    assert reading.lesion_count is None


def test_a_reason_for_the_study_is_no_finding() -> None:
    text = (
        "We describe a 63-year-old man who underwent MRI for the following reason: prior "
        "marrow heterogeneity. Current study: normal marrow signal; no focal lesion."
    )
    assert extract(text).image_class is ImagingClass.NEGATIVE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Modic types - flashcard note with a real case\n\nCase: 70 M. Modic type 2 "
            "change at L4-5; marrow otherwise normal.\n\nHow to not be fooled:\n"
            "- Infiltrative marrow disease does not care about the disc.\n"
            "- Type 2 fat is the opposite of marrow replacement.\n",
            ImagingClass.NEGATIVE,
            id="a-study-note-with-a-case-line",
        ),
        pytest.param(
            'Case page - "the outside report said heterogeneous marrow"\n\nCurrent MRI: '
            "normal marrow signal, no focal lesion.\n",
            ImagingClass.NEGATIVE,
            id="a-title-is-no-finding",
        ),
        pytest.param(
            "Rheumatology-radiology quiz\n\nA 30-year-old man. Corner lesions at L1 and L2, "
            "marrow otherwise normal.\n\n1) Active or chronic disease?\n"
            "2) Could these be focal marrow lesions of another cause?\n",
            ImagingClass.NEGATIVE,
            id="numbered-quiz-questions",
        ),
        pytest.param(
            "Case report\n\nCase presentation\nA 34-year-old man. Lumbar MRI showed slightly "
            "heterogeneous marrow in the L3 body, could reflect reconversion.\n\nDiscussion\n"
            "G-CSF changes are usually symmetric.\n",
            ImagingClass.NONSPECIFIC,
            id="a-case-presentation-is-read",
        ),
        pytest.param(
            "Reading the marrow\n\nA 60-year-old man. MRI: marrow normal.\n\n"
            "Metastases tend to involve the pedicles. Myeloma is usually diffuse or focal. "
            "Lymphoma may show diffuse marrow infiltration. Red marrow typically spares the "
            "epiphyses.\n",
            ImagingClass.NEGATIVE,
            id="a-text-mostly-of-general-statements-teaches",
        ),
        pytest.param(
            "Teaching page\n\nMRI lumbar spine: old T8 compression fracture; normal marrow.\n\n"
            "When to worry instead:\n- T1 iso- or hypointense to muscle\n"
            "- focal round lesion with sharp margins\n",
            ImagingClass.NEGATIVE,
            id="a-question-as-a-heading",
        ),
    ],
)
def test_teaching_layouts(text: str, expected: ImagingClass) -> None:
    assert extract(text).image_class is expected
