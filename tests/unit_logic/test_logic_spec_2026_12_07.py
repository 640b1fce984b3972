"""SPEC.md amendments of 2026-12-07, sections 2 and 5 (logic): MGUS, known causes of anaemia
(ferritin) and of cytopenia, "current labs normal" for R7/R8, known CKD for U-R, past
haematological malignancy, and the choice of the index MRI (regions, superseded reports).

Each test is named for the boundary it tests. Records are plain data (tests/unit_logic/factories).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from logic import assess
from logic.context import Facts
from logic.imaging import choose_index, regions_covered, same_exam, superseded
from logic.model import (
    Analyte,
    ConditionCategory,
    ImagingClass,
    ImagingReport,
    PatientRecord,
    Region,
    Sex,
)
from tests.unit_logic.factories import (
    AS_OF,
    condition,
    lab,
    mri,
    normal_panel,
    record,
    with_labs,
)

C = ConditionCategory
NORMAL = normal_panel()


def rule(rec: PatientRecord) -> str:
    return assess(rec, AS_OF).rule_id


def fired(rec: PatientRecord) -> set[str]:
    return {f.id for f in assess(rec, AS_OF).flags}


# ---------------------------------------------------------------- MGUS (§2, H-MPROTEIN)

MGUS = condition(C.MGUS, "ICD-10-CM D47.2", "Monoclonal gammopathy")


def test_mgus_never_suppresses_and_counts_as_h_mprotein() -> None:
    a = assess(record(conditions=(MGUS,)), AS_OF)
    assert a.rule_id == "R4"
    (flag,) = [f for f in a.flags if f.id == "H-MPROTEIN"]
    assert "evaluate for progression of MGUS" in flag.criterion
    assert flag.known_mgus
    assert a.recommendation is not None
    assert any("evaluate for progression of MGUS" in n for n in a.recommendation.notes)
    assert any("Kyle et al., Leukemia 2010;24:1121-7" in n for n in a.recommendation.notes)


def test_mgus_is_a_clonal_marker_for_the_r4_orders() -> None:
    a = assess(record(conditions=(MGUS,)), AS_OF)
    assert a.recommendation is not None
    keys = {o.key for s in a.recommendation.order_sets for o in s.orders}
    assert {"upep-ife-24h", "whole-body-imaging"} <= keys


def test_mgus_with_an_m_spike_names_both() -> None:
    labs = with_labs(NORMAL, lab(Analyte.M_PROTEIN, 0.4))
    (flag,) = [f for f in assess(record(labs=labs, conditions=(MGUS,)), AS_OF).flags]
    assert flag.criterion.startswith("M-spike 0.4 g/dL; known MGUS")
    assert flag.known_mgus


def test_an_m_spike_without_mgus_is_no_known_mgus() -> None:
    labs = with_labs(NORMAL, lab(Analyte.M_PROTEIN, 0.4))
    (flag,) = [f for f in assess(record(labs=labs), AS_OF).flags]
    assert flag.id == "H-MPROTEIN"
    assert not flag.known_mgus


def test_inactive_mgus_does_not_count() -> None:
    assert rule(record(conditions=(replace(MGUS, active=False),))) == "R8"


def test_active_myeloma_still_suppresses_next_to_mgus() -> None:
    myeloma = condition(C.MYELOMA, "ICD-10-CM C90.00", "Multiple myeloma")
    assert rule(record(conditions=(MGUS, myeloma))) == "R0"


# ---------------------------------------------------------------- ferritin (§2 anaemia cause)


def _anaemic(hb: float, *ferritin: object) -> PatientRecord:
    return record(labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, hb), *ferritin))  # type: ignore[arg-type]


def test_hb_11_female_without_ferritin_is_h_anaemia() -> None:
    assert rule(_anaemic(11.0)) == "R4"


def test_ferritin_14_9_below_15_explains_h_anaemia() -> None:
    rec = _anaemic(11.0, lab(Analyte.FERRITIN, 14.9))
    a = assess(rec, AS_OF)
    assert a.rule_id == "R8"
    assert a.recommendation is not None
    assert "explained by iron deficiency (ferritin 14.9 µg/L" in a.recommendation.decision


def test_ferritin_15_exactly_does_not_explain() -> None:
    assert rule(_anaemic(11.0, lab(Analyte.FERRITIN, 15.0))) == "R4"


def test_ferritin_sent_as_less_than_15_explains() -> None:
    assert rule(_anaemic(11.0, lab(Analyte.FERRITIN, 15.0, comparator="<"))) == "R8"


def test_ferritin_stale_91_days_does_not_explain() -> None:
    assert rule(_anaemic(11.0, lab(Analyte.FERRITIN, 8.0, days_ago=91))) == "R4"


def test_ferritin_current_89_days_explains() -> None:
    assert rule(_anaemic(11.0, lab(Analyte.FERRITIN, 8.0, days_ago=89))) == "R8"


def test_low_ferritin_also_discounts_u_a_and_names_it() -> None:
    a = assess(_anaemic(8.0, lab(Analyte.FERRITIN, 6.0)), AS_OF)
    assert a.rule_id == "R8"
    assert a.recommendation is not None
    (mde,) = [c for c in a.recommendation.checks if c.label.startswith("Myeloma-defining")]
    assert "not counted: U-A" in mde.outcome
    assert "explained by iron deficiency (ferritin 6 µg/L" in mde.outcome
    assert [e.reference for e in mde.evidence][-1].startswith("Observation/")


def test_ferritin_is_not_a_flag_by_itself() -> None:
    assert fired(record(labs=with_labs(NORMAL, lab(Analyte.FERRITIN, 3.0)))) == set()


def test_a_current_low_ferritin_explains_a_stale_low_hb_but_a_stale_ferritin_does_not() -> None:
    """The stale view reads the current ferritin only: an explained stale anaemia is not
    "repeated to confirm"; with the ferritin stale too, it is."""
    labs = with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0, days_ago=100))

    def repeat_notes(*ferritin: object) -> list[str]:
        a = assess(record(labs=(*labs, *ferritin)), AS_OF)  # type: ignore[arg-type]
        assert a.rule_id == "R5"
        assert a.recommendation is not None
        return [n for n in a.recommendation.notes if n.startswith("H-ANAEMIA on a result")]

    assert repeat_notes(lab(Analyte.FERRITIN, 6.0, days_ago=10)) == []
    assert len(repeat_notes(lab(Analyte.FERRITIN, 6.0, days_ago=100))) == 1


# ---------------------------------------------------------------- cytopenia (§2 per cell line)

ITP = condition(C.THROMBOCYTOPENIA_CAUSE, "ICD-10-CM D69.3", "Immune thrombocytopenia")
HYPERSPLENISM = condition(C.HYPERSPLENISM, "ICD-10-CM D73.1", "Hypersplenism")
CIRRHOSIS = condition(C.HYPERSPLENISM, "ICD-10-CM K74.60", "Cirrhosis of liver")
NEUTROPENIA = condition(C.NEUTROPENIA, "ICD-10-CM D70.1", "Drug-induced neutropenia")
DUFFY = condition(C.DUFFY_NULL, "ICD-10-CM D72.819", "Duffy-null phenotype")

PLATELETS_120 = lab(Analyte.PLATELETS, 120.0, low=150.0)
WBC_3_5 = lab(Analyte.WBC, 3.5, low=4.0)

CYTOPENIA_ROWS = [
    ("platelets_120_unexplained", PLATELETS_120, (), "R4"),
    ("platelets_120_itp_explains", PLATELETS_120, (ITP,), "R8"),
    ("platelets_120_hypersplenism_explains", PLATELETS_120, (HYPERSPLENISM,), "R8"),
    ("platelets_120_cirrhosis_explains", PLATELETS_120, (CIRRHOSIS,), "R8"),
    ("platelets_120_neutropenia_does_not_explain", PLATELETS_120, (NEUTROPENIA,), "R4"),
    ("wbc_3_5_hypersplenism_explains", WBC_3_5, (HYPERSPLENISM,), "R8"),
    ("wbc_3_5_neutropenia_explains", WBC_3_5, (NEUTROPENIA,), "R8"),
    ("wbc_3_5_itp_does_not_explain", WBC_3_5, (ITP,), "R4"),
    ("wbc_3_5_duffy_null_does_not_explain", WBC_3_5, (DUFFY,), "R4"),
    (
        "neutrophils_1_0_duffy_null_explains_lower_end",
        lab(Analyte.NEUTROPHILS_ABSOLUTE, 1.0, low=1.8),
        (DUFFY,),
        "R8",
    ),
    (
        "neutrophils_0_99_duffy_null_below_range_counts",
        lab(Analyte.NEUTROPHILS_ABSOLUTE, 0.99, low=1.8),
        (DUFFY,),
        "R4",
    ),
    (
        "neutrophils_1_8_lab_lln_2_0_duffy_null_explains_upper_end",
        lab(Analyte.NEUTROPHILS_ABSOLUTE, 1.8, low=2.0),
        (DUFFY,),
        "R8",
    ),
    (
        "neutrophils_1_85_lab_lln_2_0_duffy_null_above_range_counts",
        lab(Analyte.NEUTROPHILS_ABSOLUTE, 1.85, low=2.0),
        (DUFFY,),
        "R4",
    ),
    (
        "neutrophils_0_5_neutropenia_explains_any_level",
        lab(Analyte.NEUTROPHILS_ABSOLUTE, 0.5, low=1.8),
        (NEUTROPENIA,),
        "R8",
    ),
    (
        "platelets_120_inactive_itp_does_not_explain",
        PLATELETS_120,
        (replace(ITP, active=False),),
        "R4",
    ),
]


@pytest.mark.parametrize(
    ("result", "conditions", "expected"),
    [row[1:] for row in CYTOPENIA_ROWS],
    ids=[row[0] for row in CYTOPENIA_ROWS],
)
def test_h_cytopenia_counts_only_an_unexplained_cytopenia(
    result: object, conditions: tuple[object, ...], expected: str
) -> None:
    rec = record(labs=with_labs(NORMAL, result), conditions=conditions)  # type: ignore[arg-type]
    assert rule(rec) == expected


def test_explained_platelets_are_named_when_an_unexplained_wbc_fires() -> None:
    rec = record(labs=with_labs(NORMAL, PLATELETS_120, WBC_3_5), conditions=(ITP,))
    (flag,) = [f for f in assess(rec, AS_OF).flags if f.id == "H-CYTOPENIA"]
    assert flag.criterion.startswith("White cell count 3.5")
    assert "not counted: Platelets 120 ×10⁹/L explained by Immune thrombocytopenia" in (
        flag.criterion
    )
    assert [e.label for e in flag.evidence] == ["White cell count"]


def test_explained_cytopenia_is_named_on_the_surveillance_card() -> None:
    a = assess(record(labs=with_labs(NORMAL, PLATELETS_120), conditions=(ITP,)), AS_OF)
    assert a.recommendation is not None
    assert "explained by documented Immune thrombocytopenia" in a.recommendation.decision
    (cbc,) = [c for c in a.recommendation.checks if c.label == "CBC with differential"]
    assert cbc.outcome == "Platelets low, explained by Immune thrombocytopenia"


# ---------------------------------------------------------------- current labs normal (§5)


def test_male_hb_13_2_below_the_lab_lln_13_5_raises_no_flag_and_allows_r8() -> None:
    labs = with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 13.2, low=13.5))
    assert rule(record(sex=Sex.MALE, labs=labs)) == "R8"


def test_kappa_41_with_a_normal_ratio_allows_r8() -> None:
    labs = with_labs(
        NORMAL,
        lab(Analyte.FLC_KAPPA, 41.0, high=19.4),
        lab(Analyte.FLC_LAMBDA, 45.0),
        lab(Analyte.FLC_RATIO, 0.91),
    )
    assert rule(record(labs=labs)) == "R8"


def test_diffuse_with_hb_explained_by_a_documented_cause_is_r7() -> None:
    cause = condition(C.ANAEMIA_CAUSE, "ICD-10-CM D50.9", "Iron deficiency anaemia")
    rec = record(
        labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0)),
        mris=(mri(ImagingClass.DIFFUSE),),
        conditions=(cause,),
    )
    assert rule(rec) == "R7"


def test_a_stale_first_line_result_blocks_r8_even_when_normal() -> None:
    labs = with_labs(NORMAL, lab(Analyte.PLATELETS, 250.0, days_ago=91))
    assert rule(record(labs=labs)) == "R5"


def test_egfr_50_with_known_ckd_by_two_results_4_months_apart_allows_r8() -> None:
    labs = with_labs(
        NORMAL,
        lab(Analyte.EGFR, 50.0),
        lab(Analyte.CREATININE, 100.0, high=106.0),
    )
    rec = record(labs=(*labs, lab(Analyte.EGFR, 52.0, days_ago=130)))
    assert rule(rec) == "R8"


def test_u_r_egfr_35_not_counted_with_known_ckd_by_laboratory_history() -> None:
    """SPEC.md §2: one definition of known CKD serves U-R too (two eGFR <60 >3 months apart)."""
    labs = with_labs(NORMAL, lab(Analyte.EGFR, 35.0), lab(Analyte.CREATININE, 150.0, high=106.0))
    chronic = record(labs=(*labs, lab(Analyte.EGFR, 45.0, days_ago=130)))
    assert "U-R" not in fired(chronic)
    assert rule(chronic) == "R8"
    only_two_months = record(labs=(*labs, lab(Analyte.EGFR, 45.0, days_ago=60)))
    assert "U-R" in fired(only_two_months)


def test_h_monocytosis_reads_an_earlier_result_older_than_90_days_when_the_later_is_current() -> (
    None
):
    labs = with_labs(NORMAL, lab(Analyte.MONOCYTES_ABSOLUTE, 1.2))
    rec = record(labs=(*labs, lab(Analyte.MONOCYTES_ABSOLUTE, 1.1, days_ago=200)))
    assert "H-MONOCYTOSIS" in fired(rec)
    assert rule(rec) == "R4"


def test_h_monocytosis_needs_the_later_result_current() -> None:
    labs = with_labs(NORMAL, lab(Analyte.MONOCYTES_ABSOLUTE, 1.2, days_ago=95))
    rec = record(labs=(*labs, lab(Analyte.MONOCYTES_ABSOLUTE, 1.1, days_ago=300)))
    assert "H-MONOCYTOSIS" not in fired(rec)


# ---------------------------------------------------------------- past haematological malignancy


def test_past_haematological_malignancy_is_r3_referred_to_haematology() -> None:
    past = condition(C.HAEM_MALIGNANCY_HISTORY, "ICD-10-CM Z85.6", "History of leukaemia")
    a = assess(record(conditions=(past,)), AS_OF)
    assert a.rule_id == "R3"
    assert a.recommendation is not None
    assert "haematology referral" in a.recommendation.decision
    keys = [o.key for o in a.recommendation.order_sets[0].orders]
    assert keys[0] == "hematology-referral"
    assert "oncology-referral" not in keys


def test_solid_cancer_history_is_still_referred_to_oncology() -> None:
    past = condition(C.CANCER_HISTORY, "ICD-10-CM Z85.3", "History of breast cancer")
    a = assess(record(conditions=(past,)), AS_OF)
    assert a.recommendation is not None
    assert a.recommendation.order_sets[0].orders[0].key == "oncology-referral"


# ---------------------------------------------------------------- index MRI (§2)


def _mri(
    image_class: ImagingClass,
    days_ago: float,
    region: Region = Region.LUMBAR_SPINE,
    title: str = "",
    **changes: object,
) -> ImagingReport:
    report = mri(image_class, days_ago=days_ago, region=region)
    return replace(report, title=title or f"MR {region.value}", **changes)  # type: ignore[arg-type]


def test_a_newer_normal_pelvis_mri_does_not_clear_an_older_lumbar_finding() -> None:
    lumbar = _mri(ImagingClass.NONSPECIFIC, 60)
    pelvis = _mri(ImagingClass.NEGATIVE, 5, Region.PELVIS)
    a = assess(record(mris=(pelvis, lumbar)), AS_OF)
    assert a.rule_id == "R8"
    assert a.recommendation is not None
    assert a.recommendation.index_report is lumbar
    note = next(n for n in a.recommendation.notes if n.startswith("Index MRI"))
    assert lumbar.reference in note
    assert pelvis.reference in note


def test_a_newer_normal_lumbar_mri_replaces_the_older_lumbar_finding() -> None:
    older = _mri(ImagingClass.DIFFUSE, 60)
    assert rule(record(mris=(_mri(ImagingClass.NEGATIVE, 5), older))) == "R0"


def test_whole_spine_mri_covers_the_lumbar_spine() -> None:
    older = _mri(ImagingClass.NONSPECIFIC, 60)
    whole = _mri(ImagingClass.NEGATIVE, 5, Region.SPINE, "MRI whole spine without contrast")
    assert regions_covered(whole) >= {Region.LUMBAR_SPINE}
    assert rule(record(mris=(whole, older))) == "R0"


def test_thoracic_spine_mri_does_not_cover_the_lumbar_spine() -> None:
    older = _mri(ImagingClass.NONSPECIFIC, 60)
    thoracic = _mri(ImagingClass.NEGATIVE, 5, Region.SPINE, "MR thoracic spine without contrast")
    assert Region.LUMBAR_SPINE not in regions_covered(thoracic)
    assert rule(record(mris=(thoracic, older))) == "R8"


def test_whole_body_mri_covers_every_region() -> None:
    older = _mri(ImagingClass.FOCAL_EQUIVOCAL, 60, Region.PELVIS)
    whole = _mri(ImagingClass.NEGATIVE, 5, Region.WHOLE_BODY)
    assert rule(record(mris=(whole, older))) == "R0"


def test_index_is_the_region_whose_class_is_highest_not_the_newest() -> None:
    newer = _mri(ImagingClass.NONSPECIFIC, 5)
    pelvis = _mri(ImagingClass.FOCAL_EQUIVOCAL, 40, Region.PELVIS)
    a = assess(record(mris=(newer, pelvis)), AS_OF)
    assert a.rule_id == "R6"
    assert a.recommendation is not None
    assert a.recommendation.index_report is pelvis


def test_equal_classes_the_most_recent_is_the_index() -> None:
    newer = _mri(ImagingClass.NONSPECIFIC, 5, Region.SACRUM)
    older = _mri(ImagingClass.NONSPECIFIC, 40, Region.PELVIS)
    assert Facts.of(record(mris=(older, newer)), AS_OF).index is newer


def test_priors_are_only_older_than_the_index() -> None:
    newer = _mri(ImagingClass.NEGATIVE, 5, Region.PELVIS)
    index = _mri(ImagingClass.NONSPECIFIC, 40)
    prior = _mri(ImagingClass.NONSPECIFIC, 200)
    facts = Facts.of(record(mris=(newer, index, prior)), AS_OF)
    assert facts.index is index
    assert facts.priors == (prior,)


def _amended(report: ImagingReport, image_class: ImagingClass, **changes: object) -> ImagingReport:
    return replace(
        report,
        reference=report.reference + "-amended",
        status="amended",
        image_class=image_class,
        **changes,  # type: ignore[arg-type]
    )


SAME_EXAM = [
    ("same_identifier", {"identifiers": ("urn:acc|A1",)}, {"identifiers": ("urn:acc|A1",)}),
    ("same_imaging_study", {"studies": ("ImagingStudy/s1",)}, {"studies": ("ImagingStudy/s1",)}),
    ("same_based_on", {"based_on": ("ServiceRequest/o1",)}, {"based_on": ("ServiceRequest/o1",)}),
    ("same_code_and_effective_time", {"code": "30679-5"}, {"code": "30679-5"}),
]


@pytest.mark.parametrize(
    ("first", "second"), [row[1:] for row in SAME_EXAM], ids=[row[0] for row in SAME_EXAM]
)
def test_an_amended_report_replaces_the_earlier_report_of_the_same_exam(
    first: dict[str, object], second: dict[str, object]
) -> None:
    final = _mri(ImagingClass.DIFFUSE, 20, **first)
    amended = _amended(final, ImagingClass.NEGATIVE, **second)
    assert same_exam(final, amended)
    assert superseded((amended, final)) == {final.reference: amended}
    a = assess(record(mris=(amended, final)), AS_OF)
    assert a.rule_id == "R0"


def test_a_corrected_report_of_another_exam_replaces_nothing() -> None:
    final = _mri(ImagingClass.DIFFUSE, 20, identifiers=("urn:acc|A1",), code="30679-5")
    other = _mri(
        ImagingClass.NEGATIVE, 19, identifiers=("urn:acc|A2",), code="30679-5", status="corrected"
    )
    assert superseded((other, final)) == {}


def test_same_code_at_another_time_is_another_exam() -> None:
    final = _mri(ImagingClass.DIFFUSE, 20, code="30679-5")
    other = _amended(final, ImagingClass.NEGATIVE, effective=final.effective.replace(hour=1))
    assert not same_exam(final, other)


def test_of_two_amended_versions_the_later_issued_wins() -> None:
    first = _mri(ImagingClass.DIFFUSE, 20, identifiers=("urn:acc|A1",), status="amended")
    first = replace(first, issued=AS_OF.replace(day=1, month=5))
    second = _amended(first, ImagingClass.NONSPECIFIC, issued=AS_OF.replace(day=2, month=5))
    choice = choose_index((second, first))
    assert choice.index is second
    assert choice.replaced == ((first, second),)


def test_the_superseded_report_is_named_on_the_card() -> None:
    final = _mri(ImagingClass.NEGATIVE, 20, identifiers=("urn:acc|A1",))
    amended = _amended(final, ImagingClass.NONSPECIFIC)
    a = assess(record(mris=(amended, final)), AS_OF)
    assert a.rule_id == "R8"
    assert a.recommendation is not None
    assert any(
        f"{final.reference}) is replaced by the amended report" in n for n in a.recommendation.notes
    )


def test_r4_card_names_the_anaemia_a_low_ferritin_explains() -> None:
    rec = record(
        labs=with_labs(NORMAL, lab(Analyte.HAEMOGLOBIN, 11.0), lab(Analyte.FERRITIN, 9.0)),
        conditions=(MGUS,),
    )
    a = assess(rec, AS_OF)
    assert a.rule_id == "R4"
    assert a.recommendation is not None
    assert "H-ANAEMIA" not in {f.id for f in a.flags}
    (note,) = [n for n in a.recommendation.notes if n.startswith("Not counted:")]
    assert note.startswith("Not counted: haemoglobin 11.0 g/dL < 12 g/dL (WHO, female) (H-ANAEMIA)")
    assert "explained by iron deficiency (ferritin 9 µg/L" in note
