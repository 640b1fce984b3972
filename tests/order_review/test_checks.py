"""The order-review checks as pure functions: one row per boundary (logic.order_review)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fhir_mappers.draft_orders import map_draft_order
from logic.model import Analyte, DataDomain, DataGap, ImagingClass
from logic.order_model import DraftOrder, MriSite, OrderCheck
from logic.order_review import review_orders, without_and_with_exam

from .builders import AS_OF, CPT, LOINC, MYELOMA, lab, mri_report, panel, record, service_request


def draft(rid: str, system: str, code: str, text: str | None = None, **kw: object) -> DraftOrder:
    return map_draft_order(service_request(rid, (system, code, None), text=text, **kw))  # type: ignore[arg-type]


BIOPSY = draft("bx", CPT, "38222", "Bone marrow aspiration and biopsy")
MRI_WITH = draft("mri", CPT, "72149", "MRI lumbar spine with contrast")
SURVEY = draft("ss", CPT, "77075", "Skeletal survey")
WB_CT = draft("wb", LOINC, "46305-9", "CT whole body low dose")
CBC = draft("cbc", "urn:oid:9.9", "CBC1", "CBC with differential")
FLC = draft("flc", CPT, "83521", "Serum free light chains")


def checks(findings: tuple[object, ...]) -> list[OrderCheck]:
    return [f.check for f in findings]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------ biopsy before labs

GATING = ["cbc-diff", "cmp", "spep-ife", "serum-flc"]
WITH_IT = ["b2m", "ldh", "quant-ig"]  # SPEC.md section 5: ordered with the panel, not gating


def test_non_gating_tests_alone_do_not_make_the_warning() -> None:
    labs = panel(10, without=(Analyte.LDH, Analyte.BETA2_MICROGLOBULIN))
    assert review_orders(record(labs=labs), [BIOPSY], AS_OF) == ()


@pytest.mark.parametrize(
    ("labs", "fires", "missing_keys"),
    [
        pytest.param((), True, [*GATING, *WITH_IT], id="no-labs"),
        pytest.param(panel(30), False, [], id="all-current-30-days"),
        pytest.param(panel(90), False, [], id="all-current-at-90-days"),
        pytest.param(panel(91), True, [*GATING, *WITH_IT], id="stale-91"),
        pytest.param(panel(10, without=(Analyte.FLC_LAMBDA,)), True, ["serum-flc"], id="no-lambda"),
        pytest.param(
            panel(10, without=(Analyte.NEUTROPHILS_ABSOLUTE,)), True, ["cbc-diff"], id="no-diff"
        ),
        pytest.param(
            panel(10, without=(Analyte.CREATININE,)), False, [], id="egfr-suffices-for-renal"
        ),
        pytest.param(
            panel(10, without=(Analyte.ALBUMIN,)), True, ["cmp"], id="calcium-without-albumin"
        ),
        pytest.param(
            (
                *panel(10, without=(Analyte.CALCIUM_TOTAL, Analyte.ALBUMIN)),
                lab(Analyte.CALCIUM_IONIZED, 10, 1.2),
            ),
            True,
            ["cmp"],
            id="ionized-calcium-does-not-replace-calcium-with-albumin",
        ),
        pytest.param(
            (
                *panel(10, without=(Analyte.HAEMOGLOBIN,)),
                lab(Analyte.HAEMOGLOBIN, 10, None, evaluable=False),
            ),
            True,
            ["cbc-diff"],
            id="not-evaluable-is-missing",
        ),
        pytest.param(
            (*panel(10, without=(Analyte.HAEMOGLOBIN,)), lab(Analyte.HAEMOGLOBIN, -3)),
            True,
            ["cbc-diff"],
            id="future-dated-is-missing",
        ),
    ],
)
def test_biopsy_before_first_line_labs(
    labs: tuple[object, ...], fires: bool, missing_keys: list[str]
) -> None:
    findings = review_orders(record(labs=labs), [BIOPSY], AS_OF)  # type: ignore[arg-type]
    if not fires:
        assert OrderCheck.BIOPSY_BEFORE_FIRST_LINE_LABS not in checks(findings)
        return
    (finding,) = [f for f in findings if f.check is OrderCheck.BIOPSY_BEFORE_FIRST_LINE_LABS]
    assert finding.indicator == "warning"
    assert [o.key for o in finding.add] == missing_keys
    assert finding.drafts == ("ServiceRequest/bx",)
    assert len(finding.summary) < 140


def test_biopsy_with_the_missing_labs_drafted_alongside_is_fine() -> None:
    spep = draft("sp", CPT, "84165")
    findings = review_orders(
        record(labs=panel(10, without=(Analyte.SPEP_IFE,))), [BIOPSY, spep], AS_OF
    )
    assert OrderCheck.BIOPSY_BEFORE_FIRST_LINE_LABS not in checks(findings)


def test_biopsy_only_suggests_what_is_not_drafted() -> None:
    (finding,) = review_orders(record(), [BIOPSY, CBC], AS_OF, selected=["ServiceRequest/bx"])
    assert [o.key for o in finding.add] == ["cmp", "spep-ife", "serum-flc", *WITH_IT]


def test_stale_results_are_shown_as_evidence() -> None:
    (finding,) = review_orders(record(labs=(lab(Analyte.HAEMOGLOBIN, 200, 9.1),)), [BIOPSY], AS_OF)
    hb = [e for e in finding.evidence if e.reference == "Observation/haemoglobin-200"]
    assert hb
    assert hb[0].value == "9.1"
    assert hb[0].date == (AS_OF - timedelta(days=200)).date()


@pytest.mark.parametrize(
    ("priority", "expected"),
    [(None, "routine"), ("stat", "stat"), ("asap", "urgent"), ("urgent", "urgent")],
)
def test_missing_labs_take_the_biopsy_priority(priority: str | None, expected: str) -> None:
    biopsy = draft("bx", CPT, "38222", priority=priority)
    (finding,) = review_orders(record(), [biopsy], AS_OF)
    assert {o.priority for o in finding.add} == {expected}


def test_labs_not_fetched_are_not_called_missing() -> None:
    gap = DataGap(DataDomain.LABS, "FHIR server timed out")
    assert review_orders(record(gaps=(gap,)), [BIOPSY], AS_OF) == ()


# ------------------------------------------------------------------------ contrast-only MRI


@pytest.mark.parametrize(
    ("system", "code", "text", "fires"),
    [
        pytest.param(CPT, "72149", None, True, id="cpt-lumbar-with"),
        pytest.param(CPT, "72196", None, True, id="cpt-pelvis-with"),
        pytest.param(CPT, "72147", None, True, id="cpt-thoracic-with"),
        pytest.param(LOINC, "30678-7", None, True, id="loinc-lumbar-with"),
        pytest.param("urn:local", "MRI9", "MRI sacrum w/ contrast", True, id="text-sacrum-with"),
        pytest.param(CPT, "72148", None, False, id="without-is-fine"),
        pytest.param(CPT, "72158", None, False, id="without-and-with-is-fine"),
        pytest.param("urn:local", "MRI9", "MRI L-spine", False, id="contrast-unknown-not-said"),
    ],
)
def test_contrast_only_mri(system: str, code: str, text: str | None, fires: bool) -> None:
    findings = review_orders(record(mri=mri_report()), [draft("m", system, code, text)], AS_OF)
    assert (OrderCheck.CONTRAST_ONLY_MRI in checks(findings)) is fires


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("72149", [(CPT, "72158"), (LOINC, "24967-2")]),
        ("72196", [(CPT, "72197"), (LOINC, "30674-6")]),
        ("72147", [(CPT, "72157")]),
        ("72142", [(CPT, "72156")]),
    ],
)
def test_contrast_only_mri_is_replaced_by_the_without_and_with_exam(
    code: str, expected: list[tuple[str, str]]
) -> None:
    (finding,) = review_orders(record(mri=mri_report()), [draft("m", CPT, code)], AS_OF)
    (replacement,) = finding.replace
    assert replacement.draft == "ServiceRequest/m"
    assert replacement.order_key == "mri-followup"
    assert [(c.system, c.code) for c in replacement.codes] == expected  # CPT first: as drafted
    assert finding.indicator == "warning"
    assert len(finding.summary) < 140


def test_replacement_prefers_loinc_when_drafted_in_loinc() -> None:
    codes = without_and_with_exam(MriSite.LUMBAR, LOINC)
    assert [(c.system, c.code) for c in codes] == [(LOINC, "24967-2"), (CPT, "72158")]


@pytest.mark.parametrize(
    ("mri", "reasons", "fires"),
    [
        pytest.param(mri_report(ImagingClass.NONSPECIFIC), None, True, id="marrow-change-on-mri"),
        pytest.param(mri_report(ImagingClass.NEGATIVE), None, False, id="negative-mri"),
        pytest.param(None, None, False, id="no-mri-no-marrow-question"),
        pytest.param(
            None, [{"text": "Abnormal bone marrow signal"}], True, id="reason-names-marrow"
        ),
        pytest.param(mri_report(), [{"text": "Suspected discitis"}], False, id="other-reason"),
        pytest.param(mri_report(), [], True, id="pama-empty-reason-code"),
    ],
)
def test_contrast_only_mri_needs_a_marrow_question(
    mri: object, reasons: list[dict[str, str]] | None, fires: bool
) -> None:
    d = draft("m", CPT, "72149", reasons=reasons)
    findings = review_orders(record(mri=mri), [d], AS_OF)  # type: ignore[arg-type]
    assert (OrderCheck.CONTRAST_ONLY_MRI in checks(findings)) is fires


@pytest.mark.parametrize(
    ("other", "fires"),
    [
        pytest.param(draft("wo", CPT, "72148"), False, id="lumbar-without-drafted-too"),
        pytest.param(draft("wwo", CPT, "72158"), False, id="lumbar-both-drafted-too"),
        pytest.param(draft("pwo", CPT, "72195"), True, id="pelvis-without-is-another-site"),
    ],
)
def test_contrast_only_mri_with_pre_contrast_drafted_separately(
    other: DraftOrder, fires: bool
) -> None:
    findings = review_orders(
        record(mri=mri_report()), [MRI_WITH, other], AS_OF, selected=["ServiceRequest/mri"]
    )
    assert (OrderCheck.CONTRAST_ONLY_MRI in checks(findings)) is fires


def test_a_biopsy_in_the_session_is_a_marrow_question() -> None:
    findings = review_orders(record(labs=panel(5)), [MRI_WITH, BIOPSY], AS_OF)
    assert checks(findings) == [OrderCheck.CONTRAST_ONLY_MRI]


# ------------------------------------------------------------------------ skeletal survey


def test_skeletal_survey_alone() -> None:
    (finding,) = review_orders(record(mri=mri_report()), [SURVEY], AS_OF)
    assert finding.check is OrderCheck.SKELETAL_SURVEY_ALONE
    assert finding.indicator == "info"
    assert [o.key for o in finding.add] == ["whole-body-imaging"]
    assert finding.remove == ("ServiceRequest/ss",)


def test_skeletal_survey_with_whole_body_imaging_drafted_is_fine() -> None:
    # whole-body CT drafted earlier in the session, only the survey selected now
    findings = review_orders(
        record(mri=mri_report()), [SURVEY, WB_CT], AS_OF, selected=["ServiceRequest/ss"]
    )
    assert findings == ()


def test_skeletal_survey_without_marrow_question_is_not_reviewed() -> None:
    assert review_orders(record(), [SURVEY], AS_OF) == ()


# ------------------------------------------------------------------------ duplicate labs


@pytest.mark.parametrize(
    ("days_ago", "fires"),
    [
        pytest.param(10, True, id="10-days"),
        pytest.param(90, True, id="90-days"),
        pytest.param(91, False, id="91-days-stale"),
        pytest.param(-2, False, id="future-beyond-clock-skew-tolerance"),
    ],
)
def test_duplicate_current_lab(days_ago: int, fires: bool) -> None:
    labs = (lab(Analyte.FLC_KAPPA, days_ago), lab(Analyte.FLC_LAMBDA, days_ago))
    findings = review_orders(record(labs=labs, mri=mri_report()), [FLC], AS_OF)
    assert (OrderCheck.DUPLICATE_CURRENT_LAB in checks(findings)) is fires


def test_duplicate_lab_says_date_and_value_and_suggests_removal() -> None:
    labs = (lab(Analyte.FLC_KAPPA, 12, 14.2), lab(Analyte.FLC_LAMBDA, 12, 11.0))
    (finding,) = review_orders(record(labs=labs, mri=mri_report()), [FLC], AS_OF)
    day = (AS_OF - timedelta(days=12)).date()
    assert str(day) in finding.summary
    assert str(day) in finding.detail
    assert {e.value for e in finding.evidence} == {"14.2", "11.0"}
    assert finding.remove == ("ServiceRequest/flc",)


def test_computed_ratio_does_not_hide_the_measured_kappa() -> None:
    kappa = lab(Analyte.FLC_KAPPA, 12, 14.2, reference="Observation/k")
    lam = lab(Analyte.FLC_LAMBDA, 12, 11.0, reference="Observation/l")
    ratio = lab(
        Analyte.FLC_RATIO, 12, 1.29, unit="1", reference="Observation/k",
        derived_from=("Observation/k", "Observation/l"),
    )  # fmt: skip
    (finding,) = review_orders(record(labs=(kappa, lam, ratio), mri=mri_report()), [FLC], AS_OF)
    shown = {(e.reference, e.value) for e in finding.evidence}
    assert {("Observation/k", "14.2"), ("Observation/l", "11.0")} <= shown


def test_single_result_duplicate_says_the_value_in_the_summary() -> None:
    labs = (lab(Analyte.LDH, 30, 181.0),)
    ldh = draft("ldh", LOINC, "2532-0", "LDH")
    (finding,) = review_orders(record(labs=labs, mri=mri_report()), [ldh], AS_OF)
    day = (AS_OF - timedelta(days=30)).date()
    assert f"(181 U/L on {day})" in finding.summary


def test_partial_cbc_is_not_a_duplicate() -> None:
    labs = (lab(Analyte.HAEMOGLOBIN, 5),)  # no WBC, platelets, neutrophils
    findings = review_orders(record(labs=labs, mri=mri_report()), [CBC], AS_OF)
    assert findings == ()


def test_several_duplicates_in_one_finding() -> None:
    findings = review_orders(record(labs=panel(5), mri=mri_report()), [CBC, FLC], AS_OF)
    (finding,) = findings
    assert finding.remove == ("ServiceRequest/cbc", "ServiceRequest/flc")
    assert finding.summary.startswith("2 drafted blood tests")


# ------------------------------------------------------------------------ scope and silence


def test_selections_limit_the_review() -> None:
    rec = record(mri=mri_report())
    drafts = [BIOPSY, MRI_WITH, SURVEY]
    assert checks(review_orders(rec, drafts, AS_OF, selected=["ServiceRequest/mri"])) == [
        OrderCheck.CONTRAST_ONLY_MRI
    ]
    assert checks(review_orders(rec, drafts, AS_OF)) == [
        OrderCheck.BIOPSY_BEFORE_FIRST_LINE_LABS,
        OrderCheck.CONTRAST_ONLY_MRI,
        OrderCheck.SKELETAL_SURVEY_ALONE,
    ]
    assert review_orders(rec, drafts, AS_OF, selected=["ServiceRequest/other"]) == ()


@pytest.mark.parametrize(
    "selection",
    [
        "ServiceRequest/mri",
        "mri",
        "https://ehr.example.org/fhir/ServiceRequest/mri",
        " ServiceRequest/mri ",
    ],
)
def test_selection_forms(selection: str) -> None:
    findings = review_orders(
        record(mri=mri_report()), [MRI_WITH, SURVEY], AS_OF, selected=[selection]
    )
    assert checks(findings) == [OrderCheck.CONTRAST_ONLY_MRI]


def test_nothing_is_said_twice() -> None:
    twice = [MRI_WITH, MRI_WITH, SURVEY, SURVEY]
    findings = review_orders(record(mri=mri_report()), twice, AS_OF)
    assert checks(findings) == [OrderCheck.CONTRAST_ONLY_MRI, OrderCheck.SKELETAL_SURVEY_ALONE]


def test_unrelated_orders_say_nothing() -> None:
    drafts = [
        draft("cx", LOINC, "30746-2", "Portable XR Chest Views"),
        draft("bmp", LOINC, "24321-2", "Basic metabolic panel"),
    ]
    assert review_orders(record(labs=panel(5), mri=mri_report()), drafts, AS_OF) == ()


def test_patient_under_specialist_care_is_not_reviewed() -> None:
    rec = record(mri=mri_report(), conditions=(MYELOMA,))
    assert review_orders(rec, [BIOPSY, MRI_WITH, SURVEY], AS_OF) == ()


def test_catalogue_section_has_an_anchor_per_check() -> None:
    from cds_hooks.rules_markdown import catalogue_markdown

    section = catalogue_markdown().split("## Order review")[1]
    for check in OrderCheck:
        assert f'<a id="{check.value}"></a>' in section


@pytest.mark.parametrize(
    ("drafts", "mri", "conditions", "said"),
    [
        pytest.param([BIOPSY], None, (), True, id="biopsy"),
        pytest.param([FLC], mri_report(), (), True, id="lab-during-workup"),
        pytest.param([FLC], None, (), False, id="lab-without-marrow-question"),
        pytest.param([MRI_WITH], mri_report(), (), False, id="mri-needs-no-labs"),
        pytest.param([BIOPSY], None, (MYELOMA,), False, id="specialist-care-silence"),
    ],
)
def test_lab_checks_not_done_is_said_only_where_labs_matter(
    drafts: list[DraftOrder], mri: object, conditions: tuple[object, ...], said: bool
) -> None:
    from logic.order_review import lab_checks_not_done

    gap = DataGap(DataDomain.LABS, "FHIR server answered 503")
    rec = record(mri=mri, conditions=conditions, gaps=(gap,))  # type: ignore[arg-type]
    assert lab_checks_not_done(rec, drafts, AS_OF) is said
    assert lab_checks_not_done(record(mri=mri), drafts, AS_OF) is False  # type: ignore[arg-type]
