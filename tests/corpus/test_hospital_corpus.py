"""The hospital corpus (tests/corpus/hospital): its development split as a regression guard.

Only the development split is read here. The held-out split is scored once, by hand, with
`tests/corpus/hospital/score.py --split heldout`; no test reads it, so it stays held out.

The guard: the misses (an abnormal development report with no card) and the false alarms on
normal reports are exactly the known ones below (each a reading the team has looked at and left,
with the reason). A new false alarm or a new miss fails; fixing a known one fails too, so the lists
are kept true.
"""

from __future__ import annotations

import pytest

from tests.corpus.hospital.score import Result, load_cases, read_case

# Normal (NEGATIVE) development reports that still raise a card, and why they were left.
# (set_a-015, a femoral-head focus in a report about avascular necrosis, was one until the reader
# took a definite benign diagnosis of osteonecrosis as another cause; set_ae-048, a grand-rounds
# title in quotes, until a teaching document's title lines were read as titles.)
KNOWN_FALSE_ALARMS: dict[str, str] = {
    "set_ao-042": "a clinic letter's list of dated studies ('2018 MRI lumbar spine (private, "
    'abroad): reported "mottled marrow signal"\'): the reader does not know the current date, '
    "so a year alone does not make a study an earlier one",
    "set_ao-080": "a letter's 'Re:' line names the reason for the letter ('follow-up of "
    "indeterminate vertebral lesion'); a subject line is not skipped like an indication, "
    "because a letter's body under it has no heading of its own",
    "set_am-080": "a teaching page's 'metastatic collapse would show replaced marrow ...' in a "
    "paragraph that also speaks of the patient",
    "set_an-026": "'Enhancing intramedullary lesion at T6-7 and additional nonenhancing lesion at "
    "T9': the second lesion's organ is only in the first conjunct",
    "set_ar-110": "'fatty corner lesions' and corner STIR foci of ankylosing spondylitis: the "
    "foci are not tied to the named benign entity",
    "set_as-032": "'avid enhancement of the solid nodule' of an intramedullary (cord) tumour at "
    "T4-T5: 'intramedullary' is the cord's here, the marrow cavity's in a bone",
    "set_as-046": "a solitary plasmacytoma 'treated with radiotherapy 3 years ago' named before "
    "its treatment (SPEC: a treated lesion still seen is present; here it is not seen)",
    "set_as-078": "a psychiatry note: the patient 'searched \"marrow lesion\" online'",
    "set_au-066": "an amended report: 'the apparent focus in the right sacral ala on the initial "
    "T1 sequence' (artefact) is read as a focus",
    "set_au-102": "'The spleen is not enlarged but contains two avid foci': the foci's organ is "
    "the subject of the clause before 'but'",
    "set_az-056": "a teaching page's figure of another patient ('Sagittal T1 from a 71-year-old "
    "with multiple myeloma: ...') read as this patient's",
    "set_az-076": "Romanus corner lesions 'consistent with chronic disease': the named benign "
    "entity is in brackets after the noun",
    "set_bb-068": "a gynaecology note: 'cervical mass' of the uterine cervix on examination and "
    "PET (the reader takes 'cervical' for the spine)",
    "set_bb-072": "a plan ('MRI spine to rule out metastatic disease') and a clinician's "
    "differential read as hedged findings",
    "set_bc-028": "'Pseudo-lesions of the sacrum from motion' (a title) and a superseded "
    "preliminary reading of motion artefact",
    "set_bc-034": "a bullet of general teaching ('... where MRI shows focal marrow-replacing "
    "lesions or diffusely low T1 signal')",
    "set_bc-090": "a short list of the patterns a band of signal is not ('Diffuse marrow "
    "infiltration', 'Metastatic deposit at L5') written as lines",
    "set_bc-092": "neural lesions ('one lesion lost the target sign') after the roots were named "
    "in an earlier paragraph",
    "set_bc-104": "a resident's reflection: 'I initially looked at the STIR signal as a possible "
    "marrow abnormality'",
    "set_bc-120": "fibroids: 'they are isointense to skeletal muscle on T1' (the pronoun's organ "
    "is in the sentence before)",
    "set_bd-104": "an enchondroma called benign in words SPEC does not list ('lobulated lesion "
    "... chondroid matrix', 'small foci of low signal')",
    "set_be-056": "'fat deposition at several vertebral corners from old inflammatory lesions' "
    "(spondyloarthritis): the lesions of an inflammatory cause",
    "set_bi-076": "a case page's title: 'Reassuring repeat MRI after an outside report of "
    "heterogeneous marrow'",
    "set_bj-052": "a supposition after its noun: 'Marrow infiltration, if it were present, would "
    "appear as ...'",
    "set_bk-058": "a scare-quoted 'mass' at L4 that is a sequestered disc fragment",
    "set_bk-064": "a paravertebral soft-tissue 'mass' restated ('the mass') away from its organ",
    "set_bk-092": "a metastasis treated in 2022 ('Single T9 metastasis treated with SBRT ... in "
    "2022'): a treatment's date is not read as the past of the lesion",
    "set_aj-092": "a case report's abstract: 'Prior marrow heterogeneity; now on follow-up' (a "
    "sentence opening 'Prior ...' is not read as the past: 'Previous L3 lesion has increased to "
    "12 mm' is a present finding)",
}


# Set AQ: trainees' and teachers' material (slide decks, logs, notes to self, vocabularies)
# whose general lines carry no cue the reader knows. Scored once: 10/33 held-out false alarms
# (tests/corpus/hospital/SCORES.md); these development texts still raise a card.
_AQ_TEACHING_MATERIAL = [
    "set_aq-018",
    "set_aq-042",
    "set_aq-044",
    "set_aq-046",
    "set_aq-056",
    "set_aq-066",
    "set_aq-074",
    "set_aq-078",
    "set_aq-090",
    "set_aq-092",
    "set_aq-104",
    "set_aq-120",
]
KNOWN_FALSE_ALARMS.update(
    dict.fromkeys(
        _AQ_TEACHING_MATERIAL,
        "teaching material's general lines read as findings of the patient (set AQ)",
    )
)
# Set AV: teaching material of any layout (trainees' logbooks, forum posts, e-modules, exam
# practice). Scored once: 13/33 held-out false alarms; these development texts still raise a card.
_AV_TEACHING_MATERIAL = [
    "set_av-010",
    "set_av-016",
    "set_av-018",
    "set_av-034",
    "set_av-042",
    "set_av-052",
    "set_av-060",
    "set_av-062",
    "set_av-068",
    "set_av-100",
    "set_av-104",
    "set_av-110",
    "set_av-114",
]
KNOWN_FALSE_ALARMS.update(
    dict.fromkeys(
        _AV_TEACHING_MATERIAL,
        "teaching material's general lines read as findings of the patient (set AV)",
    )
)
# Set AX: education material (blog posts, newsletters, podcast notes, e-learning pages, REALM
# summaries). Scored once: 9/33 held-out false alarms; these development texts still raise a card.
_AX_EDUCATION_MATERIAL = [
    "set_ax-026",
    "set_ax-032",
    "set_ax-034",
    "set_ax-048",
    "set_ax-058",
    "set_ax-064",
    "set_ax-072",
    "set_ax-074",
    "set_ax-094",
    "set_ax-100",
    "set_ax-104",
    "set_ax-112",
]
KNOWN_FALSE_ALARMS.update(
    dict.fromkeys(
        _AX_EDUCATION_MATERIAL,
        "education material's general lines read as findings of the patient (set AX)",
    )
)
# Sets BL to BO (scored in the last round of stop 24): their development failures, fixed in part
# and not yet each looked at; published case reports (BO) still carry general sentences the
# reader does not know.
_BL_TO_BO_FALSE_ALARMS = [
    "set_bl-042",
    "set_bm-046",
    "set_bo-018",
    "set_bo-046",
    "set_bo-062",
    "set_bo-066",
    "set_bo-120",
]
KNOWN_FALSE_ALARMS.update(
    dict.fromkeys(
        _BL_TO_BO_FALSE_ALARMS,
        "a development false alarm of sets BL to BO not yet looked at individually",
    )
)
KNOWN_FALSE_ALARMS.update(
    {
        "set_bq-048": "a slide shows 'a different patient's image from the textbook, where the "
        "marrow is darker than the discs throughout': the other patient's scope does not reach "
        "past the comma to the finding",
        "set_bq-104": "a lecture's title line 'Lecture: Marrow reconversion - when to worry.' "
        "ends with a full stop, so it is not read as a title, and its 'reconversion' is a hedge",
        "set_bq-114": "'the marrow becomes T1 dark and very T2/STIR bright, often symmetrical': "
        "a general account of gelatinous transformation with 'the marrow' as its subject",
    }
)
KNOWN_FALSE_ALARMS.update(
    {
        "set_cf-016": "a case page flattened into one line: its title 'Patchy marrow on a "
        "previous study, now normal' and the lists after it run into the case without a line "
        "break",
        "set_cf-026": "'the apparent mass on CT' of conjoined nerve roots read as a lesion",
        "set_cf-114": "'Comparison with the MRI during chemotherapy, which showed patchy marrow "
        "reconversion' written in the findings: the earlier study's finding read as current",
        "set_cg-100": "a transcription sample's 'Description: MRI left knee for a palpable "
        "posterior mass' (a soft-tissue mass) read as a lesion",
        "set_cg-102": "'This is the lesion most likely responsible for the mechanical symptoms' "
        "after a meniscal tear: the lesion is the tear",
    }
)
KNOWN_FALSE_ALARMS.update(
    {
        "set_cj-056": "a reader's comment quoted with '>' and no label ('> Thanks for posting! "
        "Multiple lytic lesions in the pelvis were my first thought') read as a finding",
        "set_cj-094": "a reader's comment quoted with '>' ('> My attending always says: marrow "
        "darker than the disc on T1 is abnormal ...') read as a worrisome feature",
    }
)
_CN_TO_CQ_FALSE_ALARMS = [
    "set_co-050",
    "set_cp-018",
    "set_cp-026",
    "set_cp-048",
    "set_cp-050",
    "set_cp-058",
    "set_cp-076",
    "set_cp-104",
    "set_cp-114",
]
KNOWN_FALSE_ALARMS.update(
    dict.fromkeys(
        _CN_TO_CQ_FALSE_ALARMS,
        "a development false alarm of sets CN to CQ not yet looked at individually (CP's are "
        "general teaching sentences of image-in-medicine pieces)",
    )
)
_CJ_TO_CM_FALSE_ALARMS = [
    "set_cj-016",
    "set_cj-030",
    "set_cj-078",
    "set_cj-084",
    "set_ck-080",
    "set_cl-006",
    "set_cl-010",
    "set_cl-030",
    "set_cl-044",
    "set_cl-052",
    "set_cl-060",
    "set_cl-076",
    "set_cl-094",
    "set_cl-102",
    "set_cm-062",
    "set_cm-094",
]
KNOWN_FALSE_ALARMS.update(
    dict.fromkeys(
        _CJ_TO_CM_FALSE_ALARMS,
        "a development false alarm of sets CJ to CM not yet looked at individually",
    )
)
_BT_TO_BW_FALSE_ALARMS = [
    "set_bu-020",
    "set_bu-034",
    "set_bu-048",
    "set_bu-064",
    "set_bu-080",
    "set_bv-094",
    "set_bv-102",
    "set_bv-114",
]
_BX_TO_CA_FALSE_ALARMS = [
    "set_by-060",
    "set_by-078",
    "set_by-084",
    "set_by-120",
]
KNOWN_FALSE_ALARMS.update(
    dict.fromkeys(
        _BX_TO_CA_FALSE_ALARMS,
        "a development false alarm of sets BX to CA not yet looked at individually",
    )
)
KNOWN_FALSE_ALARMS.update(
    dict.fromkeys(
        _BT_TO_BW_FALSE_ALARMS,
        "a development false alarm of sets BT to BW not yet looked at individually",
    )
)
# Abnormal development reports with no card, each looked at and left unless said otherwise (the
# guard keeps the list true: a fixed one fails until it is taken off).
KNOWN_MISSES: dict[str, str] = {
    "set_cq-014": "'Know patchy heterogeneous marrow signal in the right sacral ala': the "
    "normaliser reads speech recognition's 'know' as 'no' (see set_ca-088)",
    "set_aq-098": "a board-style question: the findings are in the question stem, read as a "
    "general quiz question",
    "set_ar-012": "'no diffuse heterogeneous marrow signal clearly absent': a double denial "
    "read as a plain one",
    "set_as-002": "'No heterogeneous marrow signal at L5 is cannot be excluded' quoted in a "
    "patient-portal message: the garbled sentence is read as a denial",
    "set_as-096": "a gastroenterology letter that paraphrases the MRI ('salt-and-pepper marrow "
    "throughout the pelvis') among other history",
    "set_au-014": "'Without significant heterogeneous marrow signal at L3, where the T1 images "
    "are a little mottled': a qualified denial read as a plain one",
    "set_be-014": "'No definite marrow abnormality; ?subtle inhomogeneous signal L4 body "
    "?artefact': signal named by a level with no preposition is not read as a target",
    "set_bh-082": "'There is no compression deformity or 8 mm T1 hypointense focus in the L4 "
    "body which is unchanged from 2022': a closed list, read as a denial",
    "set_bx-108": "'No suspicious marrow lesion, heterogeneous signal at L4-L5 not excluded' "
    "(a motion-degraded study): the comma list is read as denied, not as an uncertain reading",
    "set_ca-088": "'There is know suspicious focal marrow lesion in L4': the normaliser reads "
    "speech recognition's 'know' as 'no', a denial, not as an uncertain reading",
    "set_bz-038": "'The previously reported 7 mm S1 lesion is not well seen today ? resolved "
    "or partial volume': a queried resolution read as resolved, not as an uncertain reading",
    "set_bt-070": "'no definite abnormality / ? mildly heterogeneous signal L2': the query "
    "after the denial is read as denied, not as an uncertain reading",
    **dict.fromkeys(
        ["set_bm-012", "set_bm-086", "set_bm-088", "set_bn-008", "set_bn-106"],
        "a development miss of sets BM and BN not yet looked at individually",
    ),
    "set_bc-098": "a board-review stem quoting an 'outside lumbar MRI report' (the only report "
    "of the vignette), read as an earlier study",
    "set_ax-108": "a blog post quoting 'Marrow: ?mildly heterogeneous, not definitely abnormal.' "
    "read as a denial",
}


# (Set AJ's teaching cases, whose long discussions were read as findings -- 15 development false
# alarms and set_ae-102's audience table -- are read as a whole since `report_reader.teaching`.)


@pytest.fixture(scope="module")
def dev_results() -> list[Result]:
    cases = [c for c in load_cases() if c.split == "dev"]
    assert len(cases) >= 500  # sets A-F
    return [read_case(c) for c in cases]


def test_misses_are_exactly_the_known_ones(dev_results: list[Result]) -> None:
    missed = {
        r.case.id
        for r in dev_results
        if r.case.label.image_class != "NEGATIVE" and not r.raises_card
    }
    assert missed == set(KNOWN_MISSES)


def test_false_alarms_are_exactly_the_known_ones(dev_results: list[Result]) -> None:
    alarms = {
        r.case.id for r in dev_results if r.case.label.image_class == "NEGATIVE" and r.raises_card
    }
    assert alarms == set(KNOWN_FALSE_ALARMS)


def test_abnormal_classes_are_read(dev_results: list[Result]) -> None:
    abnormal = [r for r in dev_results if r.case.label.image_class != "NEGATIVE"]
    right = sum(r.image_class == r.case.label.image_class for r in abnormal)
    assert right / len(abnormal) >= 0.9
