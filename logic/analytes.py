"""The analyte table: one row per laboratory analyte of SPEC.md section 4.

Everything the service knows about an analyte that is not a rule lives in its row: the LOINC
codes that are read as it (SPEC.md section 4, "LOINC codes to accept"), the canonical unit every
value is normalised to, SPEC.md's mass <-> molar factor where it gives one, the label a card
shows, the words a card summary uses, the display precision, the default reference limits, the
flag thresholds a shown value must not appear to cross, and the order (SPEC.md section 7) that
re-tests it. The tables the other modules read (`CANONICAL_UNIT`, `LABEL`, `DECIMALS`,
`DEFAULT_LIMITS`, `FLAG_LIMITS`, `ORDER_FOR_ANALYTE`, `fhir_mappers.lab_codes.LAB_CODES`,
`fhir_mappers.units.SPEC_MASS_MOLAR`) are derived from it, so adding an analyte is one `Analyte`
member (`logic.model`) and one row here (and its clinical rule, if any).

The numbers are read from `logic.thresholds` (their one home); LOINC codes are plain strings
(no FHIR library: `logic` stays pure).

Deliberately NOT recognised (SPEC.md section 4, "Codes that public code gets wrong"):
26450-7 is eosinophils %, not a monocyte code; "33944-8" and "33945-5" are not LOINC codes
(lambda free light chains is 33944-0); total (not free) kappa / lambda light chains must not feed
the FLC rules, so no total light-chain code is listed. Distinct analytes are never merged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from logic import thresholds as t
from logic.model import Analyte

CodeNote = Literal["", "mass", "molar", "deprecated", "interpretation", "fraction"]


@dataclass(frozen=True)
class Code:
    """One LOINC code read as the analyte of its row."""

    code: str
    verified: bool = True  # False: "(verify)" in SPEC.md section 4 (secondary source only)
    # "interpretation": a qualitative result (SPEP / IFE), never a number on its own;
    # "fraction": an electrophoresis fraction, read only for its interpretation text.
    note: CodeNote = ""


def codes(listed: str, *, verified: bool = True, note: CodeNote = "") -> tuple[Code, ...]:
    """ "718-7, 30313-1" -> two `Code`s with the same `verified` and `note`."""
    return tuple(Code(c.strip(), verified, note) for c in listed.split(","))


@dataclass(frozen=True)
class AnalyteRow:
    """What the service knows about one analyte, besides the rules that read it."""

    analyte: Analyte
    loinc: tuple[Code, ...]
    # UCUM unit each value is normalised to (SPEC.md section 4): "1" a unitless ratio,
    # "" a qualitative result with no numeric value.
    unit: str
    label: str  # how a card names it ("Calcium, total")
    words: str  # how a card summary says it in a sentence ("calcium")
    # Decimals a card shows a value with, in `unit` (the precision laboratories report at;
    # `logic.units`). None for a qualitative analyte.
    decimals: int | None
    # The order key (SPEC.md section 7) that re-tests it; None: the service orders none.
    order_key: str | None
    # SPEC.md section 4 default reference limits (low, high), used only when the result carries
    # none; None: no default (the lab's limits, or none). Haemoglobin's low limit depends on
    # sex (`logic.labs.who_anaemia_cutoff`).
    low: float | None = None
    high: float | None = None
    # SPEC.md section 5 flag thresholds the analyte is compared with, beside its reference
    # limits: a value shown at clinical precision must not appear on their wrong side.
    flag_limits: tuple[float, ...] = ()
    # SPEC.md section 4 mass <-> molar factor: (unit A, unit B, k) means 1 A = k B.
    mass_molar: tuple[str, str, float] | None = None


A = Analyte
_CALCIUM_MASS_MOLAR: Final = ("mg/dL", "mmol/L", t.CALCIUM_MG_DL_TO_MMOL_L)

ROWS: Final[tuple[AnalyteRow, ...]] = (
    AnalyteRow(
        A.HAEMOGLOBIN,
        loinc=(
            *codes("718-7, 30313-1"),
            *codes("30350-3, 30352-9, 20509-6, 55782-7", verified=False),
            *codes("59260-0", note="molar"),
        ),
        unit="g/dL",
        label="Haemoglobin",
        words="haemoglobin",
        decimals=1,
        order_key="cbc-diff",
        flag_limits=(
            t.U_A_HB_G_DL,
            t.HB_WHO_CUTOFF_MALE_G_DL,
            t.HB_WHO_CUTOFF_FEMALE_G_DL,
            t.HB_WHO_CUTOFF_UNKNOWN_SEX_G_DL,
        ),
        mass_molar=("mmol/L", "g/dL", t.HAEMOGLOBIN_MMOL_L_TO_G_DL),
    ),
    AnalyteRow(
        A.CALCIUM_TOTAL,
        loinc=(*codes("17861-6, 49765-1", note="mass"), *codes("2000-8", note="molar")),
        unit="mmol/L",
        label="Calcium, total",
        words="calcium",
        decimals=2,
        order_key="cmp",
        low=t.CALCIUM_TOTAL_LOW_MMOL_L,
        high=t.CALCIUM_TOTAL_HIGH_MMOL_L,
        flag_limits=(t.U_C_ABSOLUTE_MMOL_L,),
        mass_molar=_CALCIUM_MASS_MOLAR,
    ),
    AnalyteRow(
        A.CALCIUM_ALBUMIN_CORRECTED,  # reported by the lab (29265-6)
        loinc=codes("29265-6", note="molar"),
        unit="mmol/L",
        label="Calcium, albumin-corrected",
        words="albumin-corrected calcium",
        decimals=2,
        order_key="cmp",
        low=t.CALCIUM_TOTAL_LOW_MMOL_L,
        high=t.CALCIUM_TOTAL_HIGH_MMOL_L,
        flag_limits=(t.U_C_ABSOLUTE_MMOL_L,),
        mass_molar=_CALCIUM_MASS_MOLAR,  # SPEC.md: "as total"
    ),
    AnalyteRow(
        A.CALCIUM_IONIZED,
        loinc=(*codes("1994-3, 1995-0"), *codes("47596-2, 17863-2", verified=False)),
        unit="mmol/L",
        label="Calcium, ionized",
        words="ionized calcium",
        decimals=2,
        order_key="cmp",
        low=t.CALCIUM_IONIZED_LOW_MMOL_L,
        high=t.CALCIUM_IONIZED_HIGH_MMOL_L,
        mass_molar=_CALCIUM_MASS_MOLAR,  # SPEC.md: "same factor"
    ),
    AnalyteRow(
        A.CREATININE,
        loinc=codes("2160-0, 38483-4, 14682-9, 59826-8, 77140-2"),
        unit="umol/L",
        label="Creatinine",
        words="creatinine",
        decimals=0,
        order_key="cmp",
        high=t.CREATININE_HIGH_UMOL_L,
        flag_limits=(t.U_R_CREATININE_UMOL_L,),
        mass_molar=("mg/dL", "umol/L", t.CREATININE_MG_DL_TO_UMOL_L),
    ),
    AnalyteRow(
        A.EGFR,
        loinc=codes("33914-3, 48642-3, 48643-1, 62238-1, 98979-8"),
        unit="mL/min/{1.73_m2}",
        label="eGFR",
        words="eGFR (kidney function)",
        decimals=0,
        order_key="cmp",
        low=t.EGFR_LOW,
        flag_limits=(t.U_R_EGFR, t.EGFR_LOW),
    ),
    AnalyteRow(
        A.CREATININE_CLEARANCE,
        loinc=codes("35591-7"),
        unit="mL/min",
        label="Creatinine clearance",
        words="creatinine clearance",
        decimals=0,
        order_key="cmp",
        low=t.EGFR_LOW,
        flag_limits=(t.U_R_EGFR, t.EGFR_LOW),
    ),
    AnalyteRow(
        A.ALBUMIN,
        loinc=(*codes("1751-7, 2862-1"), *codes("61151-7, 61152-5", verified=False)),
        unit="g/dL",
        label="Albumin",
        words="albumin",
        decimals=1,
        order_key="cmp",
        low=t.ALBUMIN_LOW_G_DL,
        high=t.ALBUMIN_HIGH_G_DL,
    ),
    AnalyteRow(
        A.FLC_KAPPA,
        loinc=(*codes("36916-5"), *codes("104544-2", verified=False)),
        unit="mg/L",
        label="Free light chain kappa",
        words="free light chain kappa",
        decimals=1,
        order_key="serum-flc",
        low=t.FLC_KAPPA_LOW_MG_L,
        high=t.FLC_KAPPA_HIGH_MG_L,
        flag_limits=(t.U_LI_INVOLVED_MG_L,),
    ),
    AnalyteRow(
        A.FLC_LAMBDA,
        loinc=codes("33944-0"),
        unit="mg/L",
        label="Free light chain lambda",
        words="free light chain lambda",
        decimals=1,
        order_key="serum-flc",
        low=t.FLC_LAMBDA_LOW_MG_L,
        high=t.FLC_LAMBDA_HIGH_MG_L,
        flag_limits=(t.U_LI_INVOLVED_MG_L,),
    ),
    AnalyteRow(
        A.FLC_RATIO,
        loinc=(
            *codes("48378-4"),
            *codes("40844-3", note="deprecated"),
            *codes("104546-7", verified=False),
        ),
        unit="1",
        label="Free light chain kappa/lambda ratio",
        words="free light chain ratio",
        decimals=2,
        order_key="serum-flc",
        low=t.FLC_RATIO_LOW,
        high=t.FLC_RATIO_HIGH,
        flag_limits=(
            t.H_FLC_RATIO_LOW,
            t.H_FLC_RATIO_HIGH,
            t.FLC_RATIO_RENAL_LOW,
            t.FLC_RATIO_RENAL_HIGH,
            t.U_LI_RATIO,
            1.0 / t.U_LI_RATIO,
        ),
    ),
    AnalyteRow(
        A.M_PROTEIN,
        loinc=(*codes("33358-3"), *codes("51435-6", verified=False)),
        unit="g/dL",
        label="Serum M-protein (M-spike)",
        words="serum M-protein",
        decimals=1,
        order_key="spep-ife",
        high=t.M_PROTEIN_HIGH_G_DL,
    ),
    AnalyteRow(
        A.SPEP_IFE,  # qualitative interpretation: see LabResult.finding
        loinc=(
            *codes("12851-2, 25700-6, 49275-1", note="interpretation"),
            *codes("2865-4, 2868-8, 2871-2, 2874-6", note="fraction"),
        ),
        unit="",
        label="Serum protein electrophoresis / immunofixation",
        words="serum protein electrophoresis / immunofixation",
        decimals=None,
        order_key="spep-ife",
    ),
    AnalyteRow(
        A.URINE_PROTEIN_24H,
        loinc=codes("2889-4"),
        unit="mg/(24.h)",
        label="Urine protein, 24 h",
        words="24 h urine protein",
        decimals=0,
        order_key="upep-ife-24h",
        high=t.URINE_PROTEIN_HIGH_MG_24H,
    ),
    AnalyteRow(
        A.URINE_M_PROTEIN_24H,
        loinc=(*codes("42482-0"), *codes("40661-1", verified=False)),
        unit="mg/(24.h)",
        label="Urine M-protein, 24 h",
        words="24 h urine M-protein",
        decimals=0,
        order_key="upep-ife-24h",
        high=t.URINE_M_PROTEIN_HIGH_MG_24H,
    ),
    AnalyteRow(
        A.IGG,
        loinc=codes("2465-3"),
        unit="mg/dL",
        label="IgG",
        words="IgG",
        decimals=0,
        order_key="quant-ig",
    ),
    AnalyteRow(
        A.IGA,
        loinc=codes("2458-8"),
        unit="mg/dL",
        label="IgA",
        words="IgA",
        decimals=0,
        order_key="quant-ig",
    ),
    AnalyteRow(
        A.IGM,
        loinc=codes("2472-9"),
        unit="mg/dL",
        label="IgM",
        words="IgM",
        decimals=0,
        order_key="quant-ig",
    ),
    AnalyteRow(
        A.BETA2_MICROGLOBULIN,
        loinc=codes("1952-1"),
        unit="mg/L",
        label="Beta-2 microglobulin",
        words="beta-2 microglobulin",
        decimals=1,
        order_key="b2m",
        low=t.B2M_LOW_MG_L,
        high=t.B2M_HIGH_MG_L,
    ),
    AnalyteRow(
        A.WBC,
        loinc=(*codes("6690-2, 26464-8"), *codes("804-5", verified=False)),
        unit="10*9/L",
        label="White cell count",
        words="white cell count",
        decimals=1,
        order_key="cbc-diff",
        low=t.WBC_LOW,
    ),
    AnalyteRow(
        A.PLATELETS,
        loinc=(*codes("777-3, 26515-7"), *codes("778-1, 49497-1", verified=False)),
        unit="10*9/L",
        label="Platelets",
        words="platelets",
        decimals=0,
        order_key="cbc-diff",
        low=t.PLATELETS_LOW,
    ),
    AnalyteRow(
        A.NEUTROPHILS_ABSOLUTE,
        loinc=codes("751-8, 26499-4"),
        unit="10*9/L",
        label="Neutrophils, absolute",
        words="absolute neutrophils",
        decimals=1,
        order_key="cbc-diff",
        low=t.NEUTROPHILS_LOW,
    ),
    AnalyteRow(
        A.MONOCYTES_ABSOLUTE,
        loinc=(*codes("742-7, 26484-6"), *codes("743-5", verified=False)),
        unit="10*9/L",
        label="Monocytes, absolute",
        words="absolute monocytes",
        decimals=2,
        order_key="cbc-diff",
        flag_limits=(t.MONOCYTES_HIGH, t.MONOCYTES_BORDERLINE_LOW),
    ),
    AnalyteRow(
        A.MONOCYTES_PERCENT,
        loinc=codes("5905-5, 26485-3, 744-3"),
        unit="%",
        label="Monocytes, percent",
        words="percent monocytes",
        decimals=1,
        order_key="cbc-diff",
        flag_limits=(t.MONOCYTES_PERCENT_HIGH,),
    ),
    AnalyteRow(
        A.LDH,
        loinc=codes("2532-0"),
        unit="U/L",
        label="LDH",
        words="lactate dehydrogenase",
        decimals=0,
        order_key="ldh",
    ),
    AnalyteRow(
        # Not a flag: a current ferritin below 15 ug/L documents iron deficiency, a known cause
        # of anaemia (SPEC.md sections 2 and 4). No order key in section 7.
        A.FERRITIN,
        loinc=(*codes("2276-4"), *codes("24373-3, 20567-4", verified=False)),
        unit="ug/L",  # = ng/mL
        label="Ferritin",
        words="ferritin",
        decimals=0,
        order_key=None,
        flag_limits=(t.FERRITIN_IRON_DEFICIENCY_UG_L,),
        mass_molar=("ug/L", "pmol/L", t.FERRITIN_UG_L_TO_PMOL_L),
    ),
)

ANALYTES: Final[Mapping[Analyte, AnalyteRow]] = MappingProxyType({r.analyte: r for r in ROWS})

# The tables the rest of the service reads, each derived from the rows above.
CANONICAL_UNIT: Final[Mapping[Analyte, str]] = MappingProxyType({r.analyte: r.unit for r in ROWS})
LABEL: Final[Mapping[Analyte, str]] = MappingProxyType({r.analyte: r.label for r in ROWS})
ORDER_FOR_ANALYTE: Final[Mapping[Analyte, str | None]] = MappingProxyType(
    {r.analyte: r.order_key for r in ROWS}
)
DECIMALS: Final[Mapping[Analyte, int]] = MappingProxyType(
    {r.analyte: r.decimals for r in ROWS if r.decimals is not None}
)
DEFAULT_LIMITS: Final[Mapping[Analyte, tuple[float | None, float | None]]] = MappingProxyType(
    {r.analyte: (r.low, r.high) for r in ROWS if (r.low, r.high) != (None, None)}
)
FLAG_LIMITS: Final[Mapping[Analyte, tuple[float, ...]]] = MappingProxyType(
    {r.analyte: r.flag_limits for r in ROWS if r.flag_limits}
)
