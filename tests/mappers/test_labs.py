"""Observation -> LabResult: values, units, text results, status, time, FLC ratio."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fhir_mappers import map_patient_record
from fhir_mappers.labs import read_finding
from logic.model import Analyte, Finding, LabResult, PatientRecord
from tests.support.fhir import PATIENT_ID, bundle, observation, patient, quantity, ucum

A = Analyte


def record_of(*resources: dict[str, Any]) -> PatientRecord:
    return map_patient_record([bundle(patient(), *resources)], PATIENT_ID)


def only_lab(record: PatientRecord, analyte: Analyte | None = None) -> LabResult:
    labs = [lab for lab in record.labs if analyte is None or lab.analyte is analyte]
    assert len(labs) == 1, labs
    return labs[0]


def messages(record: PatientRecord) -> str:
    return "\n".join(p.message for p in record.problems)


# ------------------------------------------------------------------ numeric values


def test_hb_95_g_per_L_is_9_5_g_per_dL_never_95() -> None:
    lab = only_lab(record_of(observation("718-7", **ucum(95, "g/L"))))
    assert (lab.analyte, lab.value, lab.unit) == (A.HAEMOGLOBIN, pytest.approx(9.5), "g/dL")
    assert lab.as_sent == "95 g/L"
    assert lab.code == "718-7"
    assert lab.reference == "Observation/o1"
    assert lab.effective == datetime(2026, 1, 10, 9, tzinfo=UTC)


def test_unknown_unit_is_not_evaluable_and_reported() -> None:
    record = record_of(observation("718-7", valueQuantity=quantity(9.5, "g/L?")))
    lab = only_lab(record)
    assert lab.evaluable is False
    assert lab.value is None
    assert lab.unit == ""
    assert lab.as_sent == "9.5 g/L?"
    assert "g/L?" in messages(record)
    assert "not evaluable" in messages(record)


def test_missing_unit_is_never_assumed() -> None:
    record = record_of(observation("718-7", valueQuantity={"value": 9.5}))
    assert only_lab(record).evaluable is False
    assert "no unit" in messages(record)


def test_unit_text_is_read_when_no_code() -> None:
    lab = only_lab(record_of(observation("777-3", valueQuantity=quantity(120, "K/uL"))))
    assert lab.value == pytest.approx(120.0)
    assert lab.unit == "10*9/L"


def test_comparator_is_kept() -> None:
    obs = observation("36916-5", valueQuantity={**quantity(0.5, "mg/L", "mg/L"), "comparator": "<"})
    lab = only_lab(record_of(obs))
    assert (lab.value, lab.comparator, lab.as_sent) == (0.5, "<", "<0.5 mg/L")


def test_unknown_comparator_is_not_evaluable() -> None:
    obs = observation("36916-5", valueQuantity={**quantity(0.5, "mg/L", "mg/L"), "comparator": "~"})
    assert only_lab(record_of(obs)).evaluable is False


@pytest.mark.parametrize(
    ("loinc", "text", "value", "comparator", "evaluable"),
    [
        ("36916-5", "<0.5 mg/L", 0.5, "<", True),
        ("48378-4", ">100", 100.0, ">", True),
        ("718-7", "9.1 g/dL", 9.1, None, True),
        ("718-7", "9.1", None, None, False),  # no unit: never assumed
        ("718-7", "see comment", None, None, False),
        ("36916-5", "≤ 3 mg/dL", 30.0, "<=", True),
    ],
    ids=[
        "less_than_with_unit",
        "ratio_greater_than",
        "number_and_unit",
        "number_no_unit",
        "text_not_number",
        "unicode_comparator_mg_dl",
    ],
)
def test_numbers_in_value_string(
    loinc: str, text: str, value: float | None, comparator: str | None, evaluable: bool
) -> None:
    lab = only_lab(record_of(observation(loinc, valueString=text)))
    assert lab.value == (pytest.approx(value) if value is not None else None)
    assert (lab.comparator, lab.evaluable) == (comparator, evaluable)


@pytest.mark.parametrize(
    "bad",
    [float("nan"), float("inf"), True, "nine", None, [9.5]],
    ids=["nan", "infinity", "boolean", "word", "null", "list"],
)
def test_unreadable_numbers_are_not_evaluable(bad: object) -> None:
    record = record_of(observation("718-7", valueQuantity={"value": bad, "code": "g/dL"}))
    lab = only_lab(record)
    assert lab.evaluable is False
    assert lab.value is None
    assert record.problems


def test_number_sent_as_json_string_is_read_and_reported() -> None:
    record = record_of(observation("718-7", valueQuantity={"value": "9.5", "code": "g/dL"}))
    assert only_lab(record).value == pytest.approx(9.5)
    assert "string" in messages(record)


def test_data_absent_reason_is_not_evaluable() -> None:
    obs = observation("718-7", dataAbsentReason={"coding": [{"code": "error"}]})
    record = record_of(obs)
    assert only_lab(record).evaluable is False
    assert "dataAbsentReason error" in messages(record)


def test_interpretation_never_overrides_a_value() -> None:
    obs = observation("718-7", **ucum(9.0, "g/dL"), interpretation=[{"coding": [{"code": "N"}]}])
    lab = only_lab(record_of(obs))
    assert lab.value == 9.0
    assert lab.finding is None


# ------------------------------------------------------------------ reference ranges


def test_reference_range_converted_like_the_value() -> None:
    obs = observation(
        "718-7",
        **ucum(95, "g/L"),
        referenceRange=[{"low": quantity(120, "g/L", "g/L"), "high": quantity(160, "g/L", "g/L")}],
    )
    lab = only_lab(record_of(obs))
    assert (lab.low, lab.high) == (pytest.approx(12.0), pytest.approx(16.0))


def test_reference_range_without_unit_is_in_the_value_unit() -> None:
    obs = observation("17861-6", **ucum(11.0, "mg/dL"), referenceRange=[{"high": {"value": 10.2}}])
    lab = only_lab(record_of(obs))
    assert lab.low is None
    assert lab.high == pytest.approx(10.2 * 0.2495, rel=1e-3)


def test_reference_range_in_unknown_unit_is_dropped_and_reported() -> None:
    obs = observation("718-7", **ucum(9, "g/dL"), referenceRange=[{"low": quantity(12, "g/L?")}])
    record = record_of(obs)
    assert only_lab(record).low is None
    assert "reference range" in messages(record)


def test_reference_range_of_another_meaning_is_not_used() -> None:
    therapeutic = {"low": quantity(1, "g/dL", "g/dL"), "type": {"coding": [{"code": "treatment"}]}}
    normal = {"low": quantity(12, "g/dL", "g/dL"), "type": {"coding": [{"code": "normal"}]}}
    lab = only_lab(
        record_of(observation("718-7", **ucum(9, "g/dL"), referenceRange=[therapeutic, normal]))
    )
    assert lab.low == 12


# ------------------------------------------------------------------ qualitative results

FINDINGS = [
    ("no_monoclonal_protein_detected", "No monoclonal protein detected.", Finding.NEGATIVE),
    (
        "monoclonal_igg_kappa",
        "Monoclonal IgG kappa identified in the gamma region.",
        Finding.POSITIVE,
    ),
    ("m_spike_present", "M-spike present, 0.4 g/dL", Finding.POSITIVE),
    ("positive", "Positive", Finding.POSITIVE),
    ("negative", "Negative", Finding.NEGATIVE),
    ("negative_for_monoclonal", "Negative for monoclonal protein", Finding.NEGATIVE),
    ("m_spike_not_detected", "M-spike not detected", Finding.NEGATIVE),
    (
        "polyclonal_no_band",
        "Polyclonal increase in gamma globulins; no monoclonal band.",
        Finding.NEGATIVE,
    ),
    (
        "negation_scope_ends_at_semicolon",
        "No M-spike; IFE shows a faint IgG lambda band",
        Finding.POSITIVE,
    ),
    ("no_longer_detected", "Previously seen IgG kappa no longer detected", Finding.NEGATIVE),
    (
        "no_change_is_not_negation",
        "No change from prior: IgG kappa monoclonal protein persists",
        Finding.POSITIVE,
    ),
    (
        "cannot_exclude_is_indeterminate",
        "A small monoclonal band cannot be excluded",
        Finding.INDETERMINATE,
    ),
    ("equivocal", "Equivocal", Finding.INDETERMINATE),
    (
        "free_light_chain_bence_jones",
        "Free kappa light chains detected (Bence Jones)",
        Finding.POSITIVE,
    ),
    ("normal_pattern", "Normal electrophoretic pattern", Finding.NEGATIVE),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in FINDINGS], ids=[c[0] for c in FINDINGS]
)
def test_negation_aware_reading(text: str, expected: Finding) -> None:
    assert read_finding(text) is expected


def test_unreadable_text_says_nothing() -> None:
    assert read_finding("see scanned report") is None


def test_spep_text_result_keeps_the_quote() -> None:
    text = "No monoclonal protein detected."
    lab = only_lab(record_of(observation("12851-2", valueString=text)))
    assert (lab.analyte, lab.finding, lab.quote, lab.value) == (
        A.SPEP_IFE,
        Finding.NEGATIVE,
        text,
        None,
    )
    assert lab.evaluable


def test_spep_coded_snomed_not_detected() -> None:
    concept = {
        "coding": [
            {"system": "http://snomed.info/sct", "code": "260415000", "display": "Not detected"}
        ]
    }
    lab = only_lab(record_of(observation("25700-6", valueCodeableConcept=concept)))
    assert (lab.finding, lab.quote) == (Finding.NEGATIVE, "Not detected")


def test_spep_coded_text_only() -> None:
    concept = {"text": "Monoclonal band detected: IgA lambda"}
    lab = only_lab(record_of(observation("49275-1", valueCodeableConcept=concept)))
    assert lab.finding is Finding.POSITIVE


def test_urine_m_protein_text_negative() -> None:
    lab = only_lab(record_of(observation("42482-0", valueString="negative for monoclonal protein")))
    assert (lab.analyte, lab.finding) == (A.URINE_M_PROTEIN_24H, Finding.NEGATIVE)


def test_m_spike_number() -> None:
    lab = only_lab(record_of(observation("33358-3", **ucum(3, "g/L"))))
    assert (lab.value, lab.finding) == (pytest.approx(0.3), None)


def test_interpretation_used_when_the_value_says_nothing() -> None:
    obs = observation("12851-2", interpretation=[{"coding": [{"code": "POS"}]}])
    lab = only_lab(record_of(obs))
    assert lab.finding is Finding.POSITIVE
    assert lab.evaluable


def test_unreadable_interpretation_is_not_evaluable() -> None:
    record = record_of(observation("12851-2", valueString="see scanned report"))
    lab = only_lab(record)
    assert lab.evaluable is False
    assert lab.finding is None
    assert "see scanned report" in messages(record)


def test_numeric_electrophoresis_fraction_carries_no_interpretation() -> None:
    record = record_of(observation("2874-6", **ucum(1.9, "g/dL")))
    lab = only_lab(record)
    assert lab.analyte is A.SPEP_IFE
    assert lab.finding is None
    assert lab.evaluable is False
    assert "fraction" in messages(record)


def test_haemoglobin_text_is_not_a_finding() -> None:
    lab = only_lab(record_of(observation("718-7", valueString="positive")))
    assert lab.finding is None
    assert lab.evaluable is False


# ------------------------------------------------------------------ status and time


@pytest.mark.parametrize("status", ["final", "amended", "corrected"])
def test_used_statuses(status: str) -> None:
    assert len(record_of(observation("718-7", status=status, **ucum(9, "g/dL"))).labs) == 1


@pytest.mark.parametrize("status", ["preliminary", "registered", "cancelled", "entered-in-error"])
def test_ignored_statuses_are_silent(status: str) -> None:
    record = record_of(observation("718-7", status=status, **ucum(9, "g/dL")))
    assert record.labs == ()
    assert record.problems == ()


@pytest.mark.parametrize("status", ["unknown", None, 7])
def test_other_statuses_are_not_used_and_reported(status: object) -> None:
    obs = observation("718-7", **ucum(9, "g/dL"))
    obs["status"] = status
    record = record_of(obs)
    assert record.labs == ()
    assert "status" in messages(record)
    assert "Observation/o1" in messages(record)


def test_effective_period_end_then_start() -> None:
    both = observation(
        "718-7",
        oid="a",
        when=None,
        **ucum(9, "g/dL"),
        effectivePeriod={"start": "2026-01-01", "end": "2026-01-02"},
    )
    start = observation(
        "718-7", oid="b", when=None, **ucum(9, "g/dL"), effectivePeriod={"start": "2025-06-01"}
    )
    labs = {lab.reference: lab.effective.date().isoformat() for lab in record_of(both, start).labs}
    assert labs == {"Observation/a": "2026-01-02", "Observation/b": "2025-06-01"}


def test_issued_is_the_fallback_and_reported() -> None:
    record = record_of(
        observation("718-7", when=None, issued="2026-02-01T08:00:00Z", **ucum(9, "g/dL"))
    )
    assert only_lab(record).effective == datetime(2026, 2, 1, 8, tzinfo=UTC)
    assert "issued" in messages(record)


def test_no_usable_time_is_not_used_and_reported() -> None:
    record = record_of(observation("718-7", when=None, **ucum(9, "g/dL")))
    assert record.labs == ()
    assert "no effective time" in messages(record)


def test_unparseable_time_is_not_used_and_reported() -> None:
    record = record_of(observation("718-7", when="last Tuesday", **ucum(9, "g/dL")))
    assert record.labs == ()
    assert "last Tuesday" in messages(record)


def test_time_without_zone_is_read_as_utc_and_reported() -> None:
    record = record_of(observation("718-7", when="2026-01-10T09:00:00", **ucum(9, "g/dL")))
    assert only_lab(record).effective == datetime(2026, 1, 10, 9, tzinfo=UTC)
    text = messages(record)
    assert "no time zone" in text
    assert "not valid FHIR R4B" in text  # the strict check says so too: never silent


def test_time_zone_offset_is_respected() -> None:
    lab = only_lab(
        record_of(observation("718-7", when="2026-01-10T23:30:00-05:00", **ucum(9, "g/dL")))
    )
    assert lab.effective == datetime(2026, 1, 11, 4, 30, tzinfo=UTC)


# ------------------------------------------------------------------ panels and FLC ratio


def test_panel_components_are_read() -> None:
    panel = observation(
        "58410-2",
        component=[
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
                **ucum(10.1, "g/dL"),
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                **ucum(70, "/min"),
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "26464-8"}]},
                **ucum(3100, "/uL"),
            },
        ],
    )
    labs = {lab.analyte: lab.value for lab in record_of(panel).labs}
    assert labs == {A.HAEMOGLOBIN: pytest.approx(10.1), A.WBC: pytest.approx(3.1)}


def flc(kappa: dict[str, Any], lambda_: dict[str, Any], *extra: dict[str, Any]) -> PatientRecord:
    return record_of(
        observation("36916-5", oid="k", when="2026-01-10T09:00:00Z", **kappa),
        observation("33944-0", oid="l", when="2026-01-10T09:05:00Z", **lambda_),
        *extra,
    )


def test_flc_ratio_computed_same_day() -> None:
    ratio = only_lab(flc(ucum(120, "mg/L"), ucum(1.2, "mg/dL")), A.FLC_RATIO)
    assert ratio.value == pytest.approx(10.0)
    assert ratio.derived_from == ("Observation/k", "Observation/l")
    assert ratio.unit == "1"
    assert ratio.effective == datetime(2026, 1, 10, 9, 5, tzinfo=UTC)


def test_flc_ratio_sent_that_day_is_not_recomputed() -> None:
    sent = observation(
        "48378-4", oid="r", when="2026-01-10T09:00:00Z", valueQuantity={"value": 9.5}
    )
    ratio = only_lab(flc(ucum(120, "mg/L"), ucum(12, "mg/L"), sent), A.FLC_RATIO)
    assert (ratio.reference, ratio.value, ratio.derived_from) == ("Observation/r", 9.5, ())


def test_flc_ratio_not_computed_across_days() -> None:
    record = record_of(
        observation("36916-5", oid="k", when="2026-01-10T09:00:00Z", **ucum(120, "mg/L")),
        observation("33944-0", oid="l", when="2026-01-11T09:00:00Z", **ucum(12, "mg/L")),
    )
    assert not [lab for lab in record.labs if lab.analyte is A.FLC_RATIO]


def test_flc_ratio_not_computed_from_a_not_evaluable_input() -> None:
    record = flc(ucum(120, "mg/L"), {"valueQuantity": quantity(12, "mg/L?")})
    assert not [lab for lab in record.labs if lab.analyte is A.FLC_RATIO]


def test_flc_ratio_with_censored_lambda_is_a_lower_bound() -> None:
    lambda_ = {"valueQuantity": {**quantity(1, "mg/L", "mg/L"), "comparator": "<"}}
    ratio = only_lab(flc(ucum(150, "mg/L"), lambda_), A.FLC_RATIO)
    assert (ratio.value, ratio.comparator) == (pytest.approx(150.0), ">")


def test_flc_ratio_with_contradictory_censoring_is_not_computed() -> None:
    kappa = {"valueQuantity": {**quantity(1, "mg/L", "mg/L"), "comparator": "<"}}
    lambda_ = {"valueQuantity": {**quantity(1, "mg/L", "mg/L"), "comparator": "<"}}
    record = flc(kappa, lambda_)
    assert not [lab for lab in record.labs if lab.analyte is A.FLC_RATIO]
    assert "FLC ratio not computed" in messages(record)


def test_flc_ratio_sent_as_value_ratio() -> None:
    obs = observation(
        "48378-4", valueRatio={"numerator": {"value": 3}, "denominator": {"value": 2}}
    )
    assert only_lab(record_of(obs)).value == pytest.approx(1.5)


def test_labs_are_ordered_by_analyte_then_newest_first() -> None:
    record = record_of(
        observation("6690-2", oid="w", **ucum(5, "10*9/L")),
        observation("718-7", oid="h1", when="2025-01-01", **ucum(12, "g/dL")),
        observation("718-7", oid="h2", when="2026-01-01", **ucum(11, "g/dL")),
    )
    assert [lab.reference for lab in record.labs] == [
        "Observation/h2",
        "Observation/h1",
        "Observation/w",
    ]


def test_very_long_result_text_is_read_in_bounded_work() -> None:
    text = "monoclonal, " * 50_000 + "negative"
    assert read_finding(text) is Finding.POSITIVE
    lab = only_lab(record_of(observation("12851-2", valueString=text)))
    assert lab.quote is not None
    assert len(lab.quote) <= 200


@pytest.mark.parametrize(
    "text",
    ["1 a" + " " * 50_000 + "\nb", "not" + " " * 50_000 + "x monoclonal", "ig" + " \t" * 30_000],
    ids=["number_then_blank_run", "negation_then_blank_run", "ig_then_blank_run"],
)
def test_pathological_blank_runs_are_read_quickly(text: str) -> None:
    """No regular expression backtracks quadratically on long runs of blanks."""
    record_of(
        observation("12851-2", valueString=text), observation("718-7", oid="h", valueString=text)
    )


@pytest.mark.parametrize(
    ("loinc", "value"),
    [
        ("718-7", {"valueCodeableConcept": {"text": "High"}}),
        ("718-7", {"valueCodeableConcept": {"coding": [{"code": "10828004"}]}}),
        ("33358-3", {"valueCodeableConcept": {"text": "see report"}}),
        ("12851-2", {"valueQuantity": {"value": 1.2, "code": "g/dL"}}),
        ("48378-4", {"valueRatio": {"numerator": {"value": 1}, "denominator": {"value": 0}}}),
        ("718-7", {"valueBoolean": True}),
    ],
    ids=[
        "hb_coded_text",
        "hb_coded_positive",
        "m_spike_unreadable_code",
        "spep_interpretation_as_number",
        "ratio_divided_by_zero",
        "hb_boolean",
    ],
)
def test_a_result_without_a_usable_value_is_never_evaluable(
    loinc: str, value: dict[str, Any]
) -> None:
    record = record_of(observation(loinc, **value))
    lab = only_lab(record)
    assert lab.evaluable is False
    assert lab.value is None
    assert lab.finding is None
    assert record.problems


SNOMED_FEMALE = {"coding": [{"system": "http://snomed.info/sct", "code": "248152002"}]}


def test_sub_population_ranges_are_not_guessed() -> None:
    men = {"low": quantity(13, "g/dL", "g/dL"), "appliesTo": [{"text": "male"}]}
    women = {"low": quantity(12, "g/dL", "g/dL"), "appliesTo": [SNOMED_FEMALE]}
    obs = observation("718-7", **ucum(9, "g/dL"), referenceRange=[men, women])
    unknown_sex = map_patient_record([bundle(patient(gender=None), obs)], PATIENT_ID)
    assert only_lab(unknown_sex).low is None
    assert "sub-populations" in messages(unknown_sex)
    assert only_lab(record_of(obs)).low == 12  # the patient is female
    male = map_patient_record([bundle(patient(gender="male"), obs)], PATIENT_ID)
    assert only_lab(male).low == 13
    general = {"low": quantity(12.5, "g/dL", "g/dL")}
    both = record_of(observation("718-7", **ucum(9, "g/dL"), referenceRange=[men, general]))
    assert only_lab(both).low == 12.5
