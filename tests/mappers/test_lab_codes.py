"""LOINC recognition table (SPEC.md section 4, "LOINC codes to accept")."""

from __future__ import annotations

import pytest

from fhir_mappers.lab_codes import LAB_CODES, NOT_RECOGNISED, recognise
from logic.model import Analyte

A = Analyte

# Every code of SPEC.md section 4, with its analyte and whether SPEC marks it "(verify)".
SPEC_TABLE: dict[str, tuple[Analyte, bool]] = {
    "718-7": (A.HAEMOGLOBIN, True),
    "30313-1": (A.HAEMOGLOBIN, True),
    "30350-3": (A.HAEMOGLOBIN, False),
    "30352-9": (A.HAEMOGLOBIN, False),
    "20509-6": (A.HAEMOGLOBIN, False),
    "55782-7": (A.HAEMOGLOBIN, False),
    "59260-0": (A.HAEMOGLOBIN, True),
    "17861-6": (A.CALCIUM_TOTAL, True),
    "49765-1": (A.CALCIUM_TOTAL, True),
    "2000-8": (A.CALCIUM_TOTAL, True),
    "29265-6": (A.CALCIUM_ALBUMIN_CORRECTED, True),
    "1994-3": (A.CALCIUM_IONIZED, True),
    "1995-0": (A.CALCIUM_IONIZED, True),
    "47596-2": (A.CALCIUM_IONIZED, False),
    "17863-2": (A.CALCIUM_IONIZED, False),
    "2160-0": (A.CREATININE, True),
    "38483-4": (A.CREATININE, True),
    "14682-9": (A.CREATININE, True),
    "59826-8": (A.CREATININE, True),
    "77140-2": (A.CREATININE, True),
    "33914-3": (A.EGFR, True),
    "48642-3": (A.EGFR, True),
    "48643-1": (A.EGFR, True),
    "62238-1": (A.EGFR, True),
    "98979-8": (A.EGFR, True),
    "35591-7": (A.CREATININE_CLEARANCE, True),
    "1751-7": (A.ALBUMIN, True),
    "2862-1": (A.ALBUMIN, True),
    "61151-7": (A.ALBUMIN, False),
    "61152-5": (A.ALBUMIN, False),
    "36916-5": (A.FLC_KAPPA, True),
    "104544-2": (A.FLC_KAPPA, False),
    "33944-0": (A.FLC_LAMBDA, True),
    "48378-4": (A.FLC_RATIO, True),
    "40844-3": (A.FLC_RATIO, True),
    "104546-7": (A.FLC_RATIO, False),
    "33358-3": (A.M_PROTEIN, True),
    "51435-6": (A.M_PROTEIN, False),
    "12851-2": (A.SPEP_IFE, True),
    "25700-6": (A.SPEP_IFE, True),
    "49275-1": (A.SPEP_IFE, True),
    "2865-4": (A.SPEP_IFE, True),
    "2868-8": (A.SPEP_IFE, True),
    "2871-2": (A.SPEP_IFE, True),
    "2874-6": (A.SPEP_IFE, True),
    "2889-4": (A.URINE_PROTEIN_24H, True),
    "42482-0": (A.URINE_M_PROTEIN_24H, True),
    "40661-1": (A.URINE_M_PROTEIN_24H, False),
    "2465-3": (A.IGG, True),
    "2458-8": (A.IGA, True),
    "2472-9": (A.IGM, True),
    "1952-1": (A.BETA2_MICROGLOBULIN, True),
    "6690-2": (A.WBC, True),
    "26464-8": (A.WBC, True),
    "804-5": (A.WBC, False),
    "777-3": (A.PLATELETS, True),
    "26515-7": (A.PLATELETS, True),
    "778-1": (A.PLATELETS, False),
    "49497-1": (A.PLATELETS, False),
    "751-8": (A.NEUTROPHILS_ABSOLUTE, True),
    "26499-4": (A.NEUTROPHILS_ABSOLUTE, True),
    "742-7": (A.MONOCYTES_ABSOLUTE, True),
    "26484-6": (A.MONOCYTES_ABSOLUTE, True),
    "743-5": (A.MONOCYTES_ABSOLUTE, False),
    "5905-5": (A.MONOCYTES_PERCENT, True),
    "26485-3": (A.MONOCYTES_PERCENT, True),
    "744-3": (A.MONOCYTES_PERCENT, True),
    "2532-0": (A.LDH, True),
    "2276-4": (A.FERRITIN, True),
    "24373-3": (A.FERRITIN, False),
    "20567-4": (A.FERRITIN, False),
}


def loinc(code: str) -> list[dict[str, str]]:
    return [{"system": "http://loinc.org", "code": code}]


@pytest.mark.parametrize(("code", "expected"), SPEC_TABLE.items(), ids=list(SPEC_TABLE))
def test_every_spec_code_is_recognised_for_its_analyte(
    code: str, expected: tuple[Analyte, bool]
) -> None:
    found = recognise(loinc(code))
    assert found is not None
    assert (found.analyte, found.verified) == expected


def test_table_is_exactly_the_spec_table() -> None:
    assert set(LAB_CODES) == set(SPEC_TABLE)


@pytest.mark.parametrize("code", NOT_RECOGNISED, ids=list(NOT_RECOGNISED))
def test_codes_public_code_gets_wrong_are_not_recognised(code: str) -> None:
    assert recognise(loinc(code)) is None


RECOGNITION_CASES = [
    ("ionized_never_total", "1994-3", A.CALCIUM_IONIZED),
    ("total_never_ionized", "17861-6", A.CALCIUM_TOTAL),
    ("blood_calcium_is_total", "49765-1", A.CALCIUM_TOTAL),
    ("corrected_is_its_own_analyte", "29265-6", A.CALCIUM_ALBUMIN_CORRECTED),
    ("monocyte_percent_never_absolute", "26485-3", A.MONOCYTES_PERCENT),
    ("monocyte_absolute_never_percent", "26484-6", A.MONOCYTES_ABSOLUTE),
    ("free_kappa_is_flc", "36916-5", A.FLC_KAPPA),
    ("free_lambda_is_33944_0", "33944-0", A.FLC_LAMBDA),
    ("igm_is_2472_9", "2472-9", A.IGM),
]


@pytest.mark.parametrize(
    ("code", "analyte"),
    [case[1:] for case in RECOGNITION_CASES],
    ids=[case[0] for case in RECOGNITION_CASES],
)
def test_distinct_analytes_are_never_merged(code: str, analyte: Analyte) -> None:
    found = recognise(loinc(code))
    assert found is not None
    assert found.analyte is analyte


def test_eosinophil_percent_is_not_a_monocyte_code() -> None:
    assert recognise(loinc("26450-7")) is None


def test_no_total_light_chain_code_feeds_the_flc_rules() -> None:
    flc = {A.FLC_KAPPA, A.FLC_LAMBDA, A.FLC_RATIO}
    codes = {c for c, row in LAB_CODES.items() if row.analyte in flc}
    assert codes == {"36916-5", "104544-2", "33944-0", "48378-4", "40844-3", "104546-7"}


def test_code_of_another_system_is_not_loinc() -> None:
    assert recognise([{"system": "http://acme.org/labs", "code": "718-7"}]) is None


def test_code_without_system_is_accepted() -> None:
    found = recognise([{"code": "718-7"}])
    assert found is not None
    assert found.analyte is A.HAEMOGLOBIN


def test_second_coding_is_read_when_first_is_local() -> None:
    codings = [{"system": "http://acme.org/labs", "code": "HGB"}, *loinc("718-7")]
    found = recognise(codings)
    assert found is not None
    assert found.analyte is A.HAEMOGLOBIN


@pytest.mark.parametrize("junk", [None, "718-7", {"code": "718-7"}, [None, 3, ["718-7"]]])
def test_junk_codings_are_not_recognised(junk: object) -> None:
    assert recognise(junk) is None
