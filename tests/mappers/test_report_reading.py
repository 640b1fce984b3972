"""The report reader on the failure modes of issue 9, one case per SPEC.md section 3 rule.

Each case is a report text as it reaches the service (the presentedForm of a lumbar spine MRI)
and the class SPEC.md section 3 gives it. Named for the rule it tests.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from fhir_mappers.imaging import read_imaging_reports
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS, WorkStopped
from fhir_mappers.report_reader.normalise import normalise
from fhir_mappers.report_reader.reader import extract
from fhir_mappers.report_reader.sections import split_sections
from logic.model import FeatureKind, ImagingClass, ImagingReport


def mri_report(text: str) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": "mri-1",
        "status": "final",
        "effectiveDateTime": "2026-11-01",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LP29684-5"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "24968-0"}]},
        "presentedForm": [
            {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()}
        ],
    }


def read(text: str) -> ImagingReport:
    mri, _, _ = read_imaging_reports([mri_report(text)])
    assert len(mri) == 1
    return mri[0]


CASES = [
    (
        "distribution_word_without_marrow_target",
        "Vertebral body heights are maintained throughout the lumbar spine.",
        "NEGATIVE",
    ),
    (
        "normal_statement_with_throughout",
        "Normal marrow signal throughout the lumbar spine.",
        "NEGATIVE",
    ),
    (
        "normal_statement_at_all_levels",
        "Marrow signal is normal at all levels.",
        "NEGATIVE",
    ),
    (
        "multilevel_degenerative_change",
        "Multilevel degenerative disc disease. Normal marrow signal.",
        "NEGATIVE",
    ),
    (
        "cyst_of_kidney_and_adnexal_lesion",
        "FINDINGS: Normal marrow signal. There is a 2 cm cyst in the left kidney. A 3 "
        "cm adnexal lesion is noted.",
        "NEGATIVE",
    ),
    (
        "enlarged_and_worsening_other_organ",
        "Marrow signal is normal. Enlarged left adrenal nodule, with interval "
        "worsening of hydronephrosis.",
        "NEGATIVE",
    ),
    (
        "enhancing_fluid_collection_and_lateral_masses",
        "Peripheral-enhancing fluid collection in the paraspinal soft tissues. The "
        "lateral masses of C1 are normal. Normal marrow signal.",
        "NEGATIVE",
    ),
    (
        "lesion_of_the_cord_in_a_neurology_note",
        "The C-spine lesion seen on prior MRI is compatible with demyelination.",
        "NEGATIVE",
    ),
    (
        "intradural_mass_at_a_level",
        "There is a 2.3 cm enhancing intradural extramedullary mass at the L2 level, "
        "most likely a schwannoma. Normal marrow signal.",
        "NEGATIVE",
    ),
    (
        "suspicious_for_metastasis_of_another_organ",
        "Enlarging left adrenal nodule suspicious for metastasis. Normal marrow signal.",
        "NEGATIVE",
    ),
    (
        "height_loss_is_not_a_signal_drop",
        "Mild compression deformity of L1 with 10% loss of vertebral body height. No "
        "marrow signal abnormality.",
        "NEGATIVE",
    ),
    (
        "typical_haemangioma_modic_schmorl",
        "There is a typical hemangioma in L2. Modic type 1 endplate changes at L4-5. "
        "Schmorl node at T12.",
        "NEGATIVE",
    ),
    (
        "oedema_next_to_fracture",
        "Heterogeneous marrow oedema in L1 adjacent to the acute compression fracture.",
        "NEGATIVE",
    ),
    (
        "residual_red_marrow_is_normal",
        "Residual red marrow in the proximal femora, physiological in this 32-year-old woman.",
        "NEGATIVE",
    ),
    (
        "patchy_red_marrow_normal_for_age",
        "Patchy red marrow in the sacrum and iliac bones, normal for age.",
        "NEGATIVE",
    ),
    (
        "lucency_alone_is_not_lytic",
        "Small lucency in the L3 vertebral body, likely a hemangioma. Normal marrow signal.",
        "NEGATIVE",
    ),
    (
        "unknown_heading_is_read",
        "Imaging Findings: Diffuse low signal intensity within the visualized marrow, "
        "consistent with marrow replacement.",
        "DIFFUSE",
    ),
    (
        "findings_before_first_heading_and_see_above",
        "Patchy heterogeneous marrow signal in the lumbar vertebral "
        "bodies.\nIMPRESSION: See above.",
        "NONSPECIFIC",
    ),
    (
        "comparison_line_then_findings_without_heading",
        "Comparison: None.\nThere is slightly mottled marrow signal in the "
        "sacrum.\nIMPRESSION: See above.",
        "NONSPECIFIC",
    ),
    (
        "history_is_not_a_current_finding",
        "CLINICAL HISTORY: Heterogeneous marrow on outside MRI.\n\nFINDINGS: Normal marrow signal.",
        "NEGATIVE",
    ),
    (
        "original_report_of_an_amended_report_not_read",
        "AMENDED REPORT\nFINDINGS: Normal marrow signal.\n\nORIGINAL REPORT:\nFINDINGS: "
        "Diffusely heterogeneous marrow signal.",
        "NEGATIVE",
    ),
    (
        "addendum_withdraws_a_lesion",
        "FINDINGS: 14 mm lesion in the L2 vertebral body. Remaining marrow "
        "normal.\nIMPRESSION: 14 mm L2 lesion, indeterminate.\nADDENDUM: On review, the "
        "L2 lesion is a typical haemangioma.",
        "NEGATIVE",
    ),
    (
        "negation_ends_at_new_finding_with_descriptor",
        "Normal alignment without fracture, with diffusely heterogeneous marrow signal.",
        "DIFFUSE",
    ),
    (
        "negation_ends_at_and_with_descriptor",
        "No fracture and patchy heterogeneous marrow at L3.",
        "NONSPECIFIC",
    ),
    (
        "negation_list_negates_every_item",
        "No fracture, listhesis or marrow lesion.",
        "NEGATIVE",
    ),
    (
        "negation_list_with_descriptor_item",
        "No fracture, abnormal marrow signal or mass.",
        "NEGATIVE",
    ),
    (
        "diffuse_heterogeneity_without_discrete_lesion",
        "FINDINGS: Diffuse heterogeneity without a discrete focal lesion.",
        "DIFFUSE",
    ),
    (
        "prefix_non_enhancing_describes",
        "Non-enhancing patchy heterogeneous marrow signal.",
        "NONSPECIFIC",
    ),
    (
        "two_non_enhancing_lesions_each_ge_5mm",
        "There is a non-enhancing 8 mm lesion and a 6 mm non-enhancing lesion in the "
        "L2 and L4 vertebral bodies.",
        "FOCAL_MULTIPLE",
    ),
    (
        "pseudo_negation_no_change",
        "No change in the patchy heterogeneous marrow signal.",
        "NONSPECIFIC",
    ),
    (
        "clause_boundary_which",
        "No evidence of compression fracture of the lumbar vertebral bodies which "
        "demonstrate patchy heterogeneous marrow signal.",
        "NONSPECIFIC",
    ),
    (
        "t1_less_than_muscle",
        "T1 marrow signal intensity is less than that of the paraspinal muscles.",
        "NONSPECIFIC",
    ),
    (
        "t1_equal_or_lower_in_si_than_disks",
        "The marrow is equal or lower in SI than the intervertebral disks on T1.",
        "NONSPECIFIC",
    ),
    (
        "misspelling_heterogenous",
        "Heterogenous marrow signal in the lumbar spine.",
        "NONSPECIFIC",
    ),
    (
        "speech_recognition_know_for_no",
        "Know fracture, listhesis or marrow lesion.",
        "NEGATIVE",
    ),
    (
        "hyphenated_sizes_are_sizes",
        "There is a 12-mm T1 hypointense lesion in L2 and a 7-mm lesion in L4.",
        "FOCAL_MULTIPLE",
    ),
    (
        "heterogeneous_but_normal_for_age",
        "Bone marrow signal is heterogeneous but within normal limits for age.",
        "NEGATIVE",
    ),
    (
        "focus_said_to_be_a_haemangioma_after_t1_and_t2",
        "There is a small focus of T1 and T2 hyperintense signal in L1 consistent with a "
        "hemangioma.",
        "NEGATIVE",
    ),
    (
        "marrow_replaced_by_tumour",
        "The marrow is replaced by tumor at T12.",
        "DIFFUSE",
    ),
    (
        "correction_withdraws_its_own_statement",
        "Mild patchy marrow heterogeneity at L2.\nADDENDUM: Please disregard the statement "
        "about marrow heterogeneity at L2; it was motion artifact.",
        "NEGATIVE",
    ),
    (
        "haemangioma_named_in_the_diagnosis",
        "Findings: A 2 cm round lesion in L4 is bright on T1 and T2.\n"
        "Diagnosis: Typical vertebral haemangioma.",
        "NEGATIVE",
    ),
    (
        "anaphora_of_a_nodal_mass",
        "A large retroperitoneal nodal mass at L1-L3. The mass enhances homogeneously. "
        "Normal marrow signal.",
        "NEGATIVE",
    ),
    (
        "physiological_stimulation_after_g_csf",
        "Diffuse homogeneous increased FDG uptake throughout the marrow, consistent with "
        "physiological marrow stimulation after G-CSF.",
        "NEGATIVE",
    ),
    (
        "previously_seen_lesions_resolved",
        "The previously seen focal lesions in T8, L2, L4, the sacrum and the left iliac bone "
        "have all resolved. No new lesion.",
        "NEGATIVE",
    ),
    (
        "stress_fracture_focus",
        "There is a small focus of STIR oedema at the femoral neck, in keeping with a stress "
        "fracture.",
        "NEGATIVE",
    ),
    (
        "t2_sequence_is_not_a_level",
        "Incidental note of a 1.5 cm T2 bright lesion in the liver dome. Normal marrow.",
        "NEGATIVE",
    ),
    (
        "self_contradictory_dictation_is_kept",
        "Heterogeneous and normal signal at L3 and L4.",
        "NONSPECIFIC",
    ),
    (
        "levels_that_locate_the_cord",
        "Two T2 hyperintense lesions in the thoracic cord at T4 and T8, the T8 lesion "
        "enhancing. No enhancing osseous lesion.",
        "NEGATIVE",
    ),
    (
        "cystic_presacral_mass_abutting_the_sacrum",
        "A 6.5 cm multilocular cystic presacral mass abutting the anterior sacrum. Sacral marrow "
        "signal is normal.",
        "NEGATIVE",
    ),
    (
        "nothing_suggests",
        "Nothing in the MRI suggests a marrow infiltrative process.",
        "NEGATIVE",
    ),
    (
        "no_longer_seen_after_a_long_description",
        "The patchy marrow heterogeneity described at L3 and L4 on the outside examination is "
        "no longer seen.",
        "NEGATIVE",
    ),
    (
        "has_normalised",
        "Diffuse homogeneous marrow uptake at baseline has normalized.",
        "NEGATIVE",
    ),
    (
        "in_homogeneous_dictated",
        "The marrow is diffusely in homogeneous throughout the lumbar spine.",
        "DIFFUSE",
    ),
    (
        "structured_bone_marrow_field",
        "Bone marrow: Mildly heterogeneous signal, nonspecific.",
        "NONSPECIFIC",
    ),
    (
        "red_marrow_of_the_pelvis_under_40",
        "32-year-old woman. Patchy intermediate T1 signal in both proximal femora and the "
        "acetabula, consistent with red marrow.",
        "NEGATIVE",
    ),
    (
        "red_marrow_of_the_pelvis_over_40",
        "62-year-old woman. Patchy intermediate T1 signal in both proximal femora, consistent "
        "with red marrow.",
        "NONSPECIFIC",
    ),
    (
        "mixed_sizes_one_below_5mm",
        "Lesions measuring 4.5 mm and 8 mm in L3 and L5.",
        "FOCAL_EQUIVOCAL",
    ),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_report_class(text: str, want: str) -> None:
    assert read(text).image_class is ImagingClass(want)


@pytest.mark.parametrize(
    ("text", "worrisome"),
    [
        pytest.param(
            "There is 10% loss of vertebral body height at T12, chronic.", False, id="height_loss"
        ),
        pytest.param(
            "No signal loss abnormality on opposed-phase imaging.",
            False,
            id="no_signal_loss_abnormality",
        ),
        pytest.param(
            "Patchy L3 marrow. On opposed-phase images the signal drop is only 12% at 3 T.",
            True,
            id="drop_is_only_12_percent",
        ),
        pytest.param(
            "A 7 mm T1-hypointense lesion in L3, not sharply marginated, without enhancement.",
            False,
            id="not_sharply_marginated",
        ),
        pytest.param(
            "STIR hyperintense marrow edema in S5 with a nondisplaced fracture line.",
            False,
            id="stir_signal_of_a_fracture",
        ),
        pytest.param(
            "There is a pathologic compression fracture of L1.", True, id="pathological_fracture"
        ),
        pytest.param(
            "Diffusely heterogeneous marrow signal, not brighter than disc on T1.",
            True,
            id="not_brighter_than_disc",
        ),
        pytest.param(
            "Heterogeneous marrow; marrow replacement cannot be confidently excluded.",
            True,
            id="cannot_be_confidently_excluded",
        ),
    ],
)
def test_worrisome_features(text: str, worrisome: bool) -> None:
    from logic.imaging import worrisome_features

    assert bool(worrisome_features(read(text))) is worrisome


def test_t1_comparison_is_a_worrisome_feature() -> None:
    report = read("T1 marrow signal intensity is less than that of the paraspinal muscles.")
    kinds = {f.kind for f in report.features if not f.negated}
    assert FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC in kinds


def test_negated_benign_comparison_is_worrisome() -> None:
    report = read("Patchy marrow signal, not brighter than the discs on T1.")
    assert report.image_class is not ImagingClass.NEGATIVE


def test_uncertain_negation_keeps_the_finding_and_marks_it() -> None:
    text = (
        "No fracture, subluxation or spondylolisthesis is seen in the visualized lumbar spine "
        "as the vertebral bodies demonstrate diffusely heterogeneous marrow signal."
    )
    report = read(text)
    assert report.image_class is not ImagingClass.NEGATIVE
    assert any(f.uncertain and not f.negated for f in report.features)


def test_spans_quote_the_report_as_sent_after_normalisation() -> None:
    text = "FINDINGS: Heterogenous marrow, with a 12-mm lesion in L2."
    report = read(text)
    for feature in report.features:
        assert report.text[feature.span.start : feature.span.end] == feature.span.text
    assert any("Heterogenous" in f.span.text for f in report.features)


def test_normalise_maps_every_span_back() -> None:
    text = "Heterogenous SI, 8mm and 12-mm, hypo-intense disks."
    norm = normalise(text)
    assert norm.text == "Heterogeneous signal intensity, 8 mm and 12 mm, hypointense discs."
    start = norm.text.index("12 mm")
    a, b = norm.original_span(start, start + len("12 mm"))
    assert text[a:b] == "12-mm"


def test_unknown_heading_keeps_its_words() -> None:
    split = split_sections("HISTORY: back pain\nL4-5: disc bulge.\nIMPRESSION: Normal.")
    assert "L4-5: disc bulge." in split.findings
    assert "back pain" not in split.findings


def test_text_past_the_reading_limit_is_not_read_and_is_reported() -> None:
    text = "Normal marrow signal. " * (REPORT_READING_LIMIT_CHARS // 10)
    mri, _, problems = read_imaging_reports([mri_report(text)])
    assert mri[0].unread_chars > 0
    assert len(mri[0].text) <= REPORT_READING_LIMIT_CHARS + 100
    assert any(
        "reading limit" in p.message and p.reference == "DiagnosticReport/mri-1" for p in problems
    )


def test_a_finding_before_the_limit_is_kept() -> None:
    text = "Diffusely heterogeneous marrow signal. " + "Normal disc. " * REPORT_READING_LIMIT_CHARS
    assert read(text).image_class is ImagingClass.DIFFUSE


def test_stop_abandons_the_reading() -> None:
    with pytest.raises(WorkStopped):
        extract("Heterogeneous marrow signal. " * 100, stop=lambda: True)
    with pytest.raises(WorkStopped):
        read_imaging_reports([mri_report("Heterogeneous marrow.")], stop=lambda: True)


def test_sentences_are_cut_so_that_run_on_text_is_read() -> None:
    report = read("heterogeneous marrow signal " * 2000)
    assert report.image_class is ImagingClass.NONSPECIFIC
    assert all(
        f.sentence is None or f.sentence.end - f.sentence.start <= 400 for f in report.features
    )


def test_more_sentences_than_the_sentence_limit_are_not_read_and_say_so() -> None:
    from fhir_mappers.report_reader.reader import MAX_SENTENCES

    text = "FINDINGS:\n" + "Normal. " * (MAX_SENTENCES + 500) + "Diffusely heterogeneous marrow."
    assert len(text) < REPORT_READING_LIMIT_CHARS
    mri, _, problems = read_imaging_reports([mri_report(text)])
    assert mri[0].unread_chars > 0
    assert any("2,000 sentences" in p.message for p in problems)


@pytest.mark.parametrize(
    ("text", "findings"),
    [
        pytest.param(
            "CLINICAL HISTORY: Evaluate for\nheterogeneous marrow signal seen on prior CT.\n"
            "FINDINGS: Normal marrow signal.",
            "Normal marrow signal.",
            id="history_wrapped_after_for",
        ),
        pytest.param(
            "CLINICAL HISTORY: 65-year-old with known myeloma,\nnow with back pain.\n"
            "FINDINGS: Normal marrow signal.",
            "Normal marrow signal.",
            id="history_wrapped_after_comma",
        ),
        pytest.param(
            "HISTORY: back pain\nL4-5: disc bulge.\nIMPRESSION: Normal.",
            "L4-5: disc bulge.",
            id="history_line_then_findings",
        ),
    ],
)
def test_a_hard_wrapped_history_line_is_skipped_whole(text: str, findings: str) -> None:
    assert split_sections(text).findings == findings


def test_clear_caches_empties_every_memo_of_the_reader() -> None:
    from fhir_mappers import report_reader
    from fhir_mappers.report_reader import anatomy, sentence

    read("Findings: patchy heterogeneous marrow signal at L3. Liver: a 9 mm cyst.")
    assert sentence._analyse_sentence_text.cache_info().currsize > 0
    assert anatomy._read_clause.cache_info().currsize > 0
    report_reader.clear_caches()
    assert sentence._analyse_sentence_text.cache_info().currsize == 0
    assert anatomy._read_clause.cache_info().currsize == 0
