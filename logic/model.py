"""The domain model: what the rules reason about, and what they answer.

`fhir_mappers` produces these objects from FHIR JSON; `logic` consumes them and returns an
`Assessment`; `cds_hooks` renders that as cards. Everything here is a frozen dataclass holding
plain values: no FHIR classes, no HTTP, no clock. Each fact keeps its evidence (FHIR reference,
value, unit, date, quoted text) so that a card can show a clinician *why*.

Canonical units (SPEC.md section 4, the target of each conversion column) are listed in
the analyte table, `logic.analytes`; a `LabResult.value` is always in that unit, or `None` when
not evaluable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class Analyte(StrEnum):
    """Laboratory analytes of SPEC.md section 4. Distinct analytes are never merged.

    Each member has one row in `logic.analytes.ROWS` (codes, unit, label, limits, ...)."""

    HAEMOGLOBIN = "haemoglobin"
    CALCIUM_TOTAL = "calcium-total"
    CALCIUM_ALBUMIN_CORRECTED = "calcium-albumin-corrected"  # reported by the lab (29265-6)
    CALCIUM_IONIZED = "calcium-ionized"
    CREATININE = "creatinine"
    EGFR = "egfr"
    CREATININE_CLEARANCE = "creatinine-clearance"
    ALBUMIN = "albumin"
    FLC_KAPPA = "flc-kappa"
    FLC_LAMBDA = "flc-lambda"
    FLC_RATIO = "flc-ratio"
    M_PROTEIN = "m-protein"
    SPEP_IFE = "spep-ife"
    URINE_PROTEIN_24H = "urine-protein-24h"
    URINE_M_PROTEIN_24H = "urine-m-protein-24h"
    IGG = "igg"
    IGA = "iga"
    IGM = "igm"
    BETA2_MICROGLOBULIN = "beta2-microglobulin"
    WBC = "wbc"
    PLATELETS = "platelets"
    NEUTROPHILS_ABSOLUTE = "neutrophils-absolute"
    MONOCYTES_ABSOLUTE = "monocytes-absolute"
    MONOCYTES_PERCENT = "monocytes-percent"
    LDH = "ldh"
    FERRITIN = "ferritin"


class Finding(StrEnum):
    """A qualitative result (SPEP/IFE interpretation, urine immunofixation)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class LabResult:
    """One laboratory result, normalised to the analyte's canonical unit."""

    analyte: Analyte
    reference: str  # "Observation/123"; for a computed value, the first source
    effective: datetime  # tz-aware; UTC assumed (a problem recorded) when the source had none
    value: float | None = None  # canonical unit; None when qualitative only or not evaluable
    unit: str = ""  # canonical UCUM unit of `value` (logic.analytes.CANONICAL_UNIT)
    comparator: str | None = None  # "<", "<=", ">=", ">" as sent
    low: float | None = None  # reference range from the result, canonical unit
    high: float | None = None
    finding: Finding | None = None  # qualitative interpretation, when the result is one
    evaluable: bool = True  # False: unit unknown / not convertible / value unreadable
    code: str = ""  # the LOINC code it was recognised by
    as_sent: str = ""  # value and unit exactly as the lab sent them, e.g. "95 g/L"
    quote: str | None = None  # text the qualitative finding was read from
    derived_from: tuple[str, ...] = ()  # references of the inputs of a computed value


class ImagingClass(StrEnum):
    """Class of the index report (SPEC.md section 3), exactly one per report."""

    NEGATIVE = "NEGATIVE"
    NONSPECIFIC = "NONSPECIFIC"
    DIFFUSE = "DIFFUSE"
    FOCAL_EQUIVOCAL = "FOCAL_EQUIVOCAL"
    FOCAL_MULTIPLE = "FOCAL_MULTIPLE"


class Modality(StrEnum):
    MR = "MR"
    CT = "CT"
    XR = "XR"  # radiograph, incl. skeletal survey
    PET = "PET"  # PET or PET-CT
    OTHER = "OTHER"


class Region(StrEnum):
    LUMBAR_SPINE = "lumbar-spine"
    SACRUM = "sacrum"
    PELVIS = "pelvis"
    SPINE = "spine"  # whole / thoracic / unspecified spine
    SACROILIAC = "sacroiliac"
    WHOLE_BODY = "whole-body"
    OTHER = "other"


class Contrast(StrEnum):
    WITHOUT = "without"
    WITH = "with"  # contrast only: no pre-contrast sequences
    WITHOUT_AND_WITH = "without-and-with"
    UNKNOWN = "unknown"


class FeatureKind(StrEnum):
    """What a span of report text says (SPEC.md section 3)."""

    MARROW_SIGNAL = "marrow-signal"  # heterogeneous / abnormal marrow signal (a target)
    DIFFUSE_PATTERN = "diffuse-pattern"  # diffuse, throughout, several levels, replacement
    FOCAL_LESION = "focal-lesion"
    LYTIC_LESION = "lytic-lesion"
    # worrisome features
    T1_LOW_VS_MUSCLE_OR_DISC = "t1-low-vs-muscle-or-disc"
    DIFFUSE_HOMOGENEOUS = "diffuse-homogeneous"
    SHARP_MARGIN = "sharp-margin"
    ENHANCEMENT = "enhancement"
    FAT_SAT_HIGH_SIGNAL = "fat-sat-high-signal"
    CHEMICAL_SHIFT_DROP = "chemical-shift-drop"  # value = % drop; worrisome or benign by field
    INTERVAL_INCREASE = "interval-increase"
    NEW_LESION = "new-lesion"
    CANNOT_EXCLUDE_INFILTRATION = "cannot-exclude-infiltration"
    # benign modifiers and hedges
    T1_BRIGHTER_THAN_DISC_AND_MUSCLE = "t1-brighter-than-disc-and-muscle"
    COMPLETE_FAT_SUPPRESSION = "complete-fat-suppression"
    BENIGN_HEDGE = "benign-hedge"  # red marrow reconversion / hyperplasia / atypical haemangioma
    # descriptors
    STABLE = "stable"  # no interval change
    DECREASED = "decreased"
    RESOLVED = "resolved"
    FIELD_STRENGTH = "field-strength"  # value = tesla


@dataclass(frozen=True)
class TextSpan:
    """A character span of `ImagingReport.text`, with the text it covers (for quoting)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ImagingFeature:
    kind: FeatureKind
    span: TextSpan  # the phrase the feature came from
    sentence: TextSpan | None = None  # the whole sentence, for quoting on a card
    negated: bool = False
    hedged: bool = False
    historical: bool = False  # "no longer", or only in history/comparison text
    value: float | None = None  # size (mm), percent, count or tesla, by kind
    # SPEC.md section 3 "Uncertain reading": a negation that may or may not reach this finding;
    # the finding is kept as present and the card says the reading was uncertain.
    uncertain: bool = False


class IntervalChange(StrEnum):
    NEW_LESION = "new-lesion"
    INCREASED = "increased"  # size, number or extent
    EVOLVED_DIFFUSE = "evolved-diffuse"
    STABLE = "stable"
    DECREASED = "decreased"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class ImagingReport:
    """One imaging DiagnosticReport, read like a radiologist would read it."""

    reference: str  # "DiagnosticReport/123"
    effective: datetime  # timezone-aware
    modality: Modality
    region: Region
    title: str  # code display / text, e.g. "MR Lumbar spine WO contrast"
    status: str
    text: str  # Findings + Impression text; every TextSpan indexes into this
    image_class: ImagingClass
    code: str | None = None  # LOINC (or CPT) code it was recognised by
    contrast: Contrast = Contrast.UNKNOWN
    features: tuple[ImagingFeature, ...] = ()
    lesion_count: int | None = None
    lesion_sizes_mm: tuple[float, ...] = ()
    levels: tuple[str, ...] = ()  # "L3", "S1", "sacral ala", "iliac", "pelvis"
    field_strength_t: float | None = None
    signal_drop_pct: float | None = None  # chemical-shift signal drop, %
    interval_change: IntervalChange | None = None  # as stated against the prior study
    chemical_shift_done: bool = False
    # characters of the report's text past the per-report reading limit, not read (issue 16)
    unread_chars: int = 0
    # What identifies the exam, so that an amended or corrected report replaces the earlier
    # report of the same exam (SPEC.md section 2, "Superseded reports"): the report's
    # identifiers ("system|value"), its basedOn references and its ImagingStudy references.
    identifiers: tuple[str, ...] = ()
    based_on: tuple[str, ...] = ()
    studies: tuple[str, ...] = ()
    issued: datetime | None = None  # when this version of the report was released


class ConditionCategory(StrEnum):
    """What a Condition means for the rules (SPEC.md section 2 and flag H-SYMPTOMS)."""

    MYELOMA = "myeloma"  # suppression
    HAEM_MALIGNANCY = "haem-malignancy"  # lymphoma / leukaemia / MDS / MPN: suppression
    BONE_METASTASIS = "bone-metastasis"  # C79.5*: suppression
    CANCER = "cancer"  # active non-haematological malignancy (H-CANCER)
    CANCER_HISTORY = "cancer-history"  # Z85.* (H-CANCER)
    # Z85.6, Z85.7*, or an inactive / resolved C81-C96: a past haematological malignancy
    # (H-CANCER; its card refers to haematology rather than oncology)
    HAEM_MALIGNANCY_HISTORY = "haem-malignancy-history"
    ANAEMIA_CAUSE = "anaemia-cause"  # documented non-myeloma cause of anaemia
    MGUS = "mgus"  # D47.2: never suppresses; a known clonal marker (H-MPROTEIN)
    # Known causes of cytopenia (SPEC.md section 2), by the cell lines they explain:
    THROMBOCYTOPENIA_CAUSE = "thrombocytopenia-cause"  # D69.3 (ITP), D69.6: platelets
    HYPERSPLENISM = "hypersplenism"  # D73.1, K74.6 (cirrhosis): platelets and WBC
    NEUTROPENIA = "neutropenia"  # D70.*: neutrophils and WBC
    DUFFY_NULL = "duffy-null"  # D72.819 (verify), benign ethnic neutropenia: neutrophils 1.0-1.8
    CKD = "ckd"  # N18.*
    PALLIATIVE = "palliative"  # hospice / palliative care (limited life expectancy)
    FEVER = "fever"
    NIGHT_SWEATS = "night-sweats"
    WEIGHT_LOSS = "weight-loss"
    BONE_PAIN = "bone-pain"
    PATHOLOGICAL_FRACTURE = "pathological-fracture"


@dataclass(frozen=True)
class ConditionFact:
    category: ConditionCategory
    reference: str  # "Condition/123"
    code: str  # "ICD-10-CM C90.00" / "SNOMED 109989006"
    display: str
    active: bool  # clinicalStatus active/recurrence/relapse, not refuted / entered-in-error
    onset: date | None = None
    recorded: date | None = None


@dataclass(frozen=True)
class PatientFacts:
    reference: str  # "Patient/123"
    sex: Sex = Sex.UNKNOWN
    birth_date: date | None = None

    def age_at(self, as_of: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return as_of.year - b.year - ((as_of.month, as_of.day) < (b.month, b.day))


@dataclass(frozen=True)
class MappingProblem:
    """Something in the data that could not be used as sent. Never silent."""

    reference: str | None  # "Observation/123", or None for a whole bundle
    message: str  # e.g. "unit 'g/L?' is not a UCUM unit: value not evaluable"
    severity: Literal["warning", "error"] = "warning"  # error: the value/resource is not used


class DataDomain(StrEnum):
    PATIENT = "patient"
    LABS = "labs"
    IMAGING = "imaging"
    CONDITIONS = "conditions"
    ORDERS = "orders"  # ServiceRequests already placed (SPEC.md section 5, follow-up status)
    REPORT_TEXT = "report-text"  # an MRI report's text past the reading limit was not read
    # Imaging reports kept only as DocumentReference (issue 17): not obtained, the rules run on
    # the DiagnosticReports and say so; an R0 it could hide is a data-quality card.
    IMAGING_DOCUMENTS = "imaging-documents"


@dataclass(frozen=True)
class DataGap:
    """Data that could not be obtained (prefetch failed and the fetch failed or timed out)."""

    domain: DataDomain
    reason: str  # "FHIR server timed out", "FHIR server answered 401"


@dataclass(frozen=True)
class PlacedOrder:
    """A ServiceRequest already in the chart (not a draft of this ordering session), as far as
    the follow-up status of SPEC.md section 5 needs it. `fhir_mappers.service_requests` keeps
    the imaging and laboratory orders it recognises; `follow_up_mri` marks an order with key
    `mri-followup` or an MR spine / sacrum / pelvis code."""

    reference: str  # "ServiceRequest/abc"
    status: str  # as sent: active, on-hold, completed, revoked, draft, ...
    authored: datetime | None  # authoredOn; None when not sent or unreadable
    text: str  # what the order is called (code.text, else a display, else the code)
    follow_up_mri: bool = False
    region: Region | None = None  # the MRI site, when the order states it
    site: str | None = None  # finer site words of an MRI ("lumbar", "thoracic", "cervical")
    contrast: Contrast = Contrast.UNKNOWN
    intent: str = ""
    recognised_by: str = ""  # "order key mri-followup", "CPT 72158", "LOINC 24967-2", "text"


@dataclass(frozen=True)
class PatientRecord:
    """Everything the rules may use about one patient, at one moment."""

    patient: PatientFacts
    labs: tuple[LabResult, ...] = ()
    mri_reports: tuple[ImagingReport, ...] = ()  # final/amended/corrected/appended, newest first
    other_imaging: tuple[ImagingReport, ...] = ()  # CT, radiographs, PET (lytic lesions: U-B)
    conditions: tuple[ConditionFact, ...] = ()
    problems: tuple[MappingProblem, ...] = ()
    gaps: tuple[DataGap, ...] = ()
    orders: tuple[PlacedOrder, ...] = ()  # ServiceRequests already placed (follow-up status)

    @property
    def index_report(self) -> ImagingReport | None:
        """The newest MRI report. Not necessarily the index of SPEC.md section 2, which the
        rules choose per region among reports not superseded: `logic.context.Facts.index`."""
        return self.mri_reports[0] if self.mri_reports else None

    @property
    def prior_reports(self) -> tuple[ImagingReport, ...]:
        return self.mri_reports[1:]


# ---------------------------------------------------------------- what the rules answer


class Tier(StrEnum):
    URGENT = "U"
    HIGH = "H"
    INTERMEDIATE = "I"


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence as a card shows it: value, unit, date, reference, quote."""

    label: str  # "Haemoglobin", "MRI lumbar spine"
    reference: str | None = None  # "Observation/123"
    value: str | None = None  # formatted value, e.g. "9.1"
    unit: str | None = None
    date: date | None = None
    quote: str | None = None  # quoted report sentence, or the text a lab finding was read from
    # the result exactly as the lab sent it ("95 g/L"), when the value shown was converted from
    # another unit or could not be read; None otherwise
    as_sent: str | None = None


@dataclass(frozen=True)
class Flag:
    id: str  # SPEC.md section 5 flag id, e.g. "U-C"
    tier: Tier
    criterion: str  # the criterion that was met, in words
    evidence: tuple[Evidence, ...] = ()
    # H-MPROTEIN met by an active MGUS Condition (SPEC.md §2: evaluate for progression), with or
    # without a monoclonal result: the card says so as data, not by reading `criterion`
    known_mgus: bool = False


@dataclass(frozen=True)
class Check:
    """A criterion that was checked and found normal or absent ("why not biopsy")."""

    label: str
    outcome: str  # "normal", "not present", "not evaluable"
    evidence: tuple[Evidence, ...] = ()


Priority = Literal["routine", "urgent", "stat"]


@dataclass(frozen=True)
class OrderSuggestion:
    key: str  # SPEC.md section 7 order key
    priority: Priority = "routine"
    start: date | None = None  # occurrencePeriod for scheduled follow-up
    end: date | None = None
    note: str | None = None  # e.g. "repeat to confirm", "FISH panel when plasma-cell disorder"
    repeat_to_confirm: bool = False  # repeats a stale (or superseded) abnormal result


@dataclass(frozen=True)
class OrderSet:
    label: str
    orders: tuple[OrderSuggestion, ...]
    recommended: bool = False
    # the first-line laboratory panel (SPEC.md section 7): its button counts the blood tests
    first_line_labs: bool = False
    stat: bool = False  # to be done immediately (R2's missing labs): the button says STAT


class FollowUpState(StrEnum):
    """Where the surveillance MRI stands (SPEC.md section 5, "Follow-up status")."""

    NOT_DUE = "not-due"  # due date not passed
    OVERDUE = "overdue"  # due date passed, no newer MRI of the region, nothing ordered
    ORDERED = "ordered"  # an active / on-hold follow-up MRI order exists, not yet done


@dataclass(frozen=True)
class FollowUp:
    """The follow-up MRI of a surveillance decision (R7/R8): due date and status."""

    state: FollowUpState
    index: ImagingReport  # the MRI the interval is counted from
    due: date  # 6 months after the index MRI, 12 in a later interval (calendar months)
    interval_months: int  # 6 or 12
    later_interval: bool  # an earlier MRI showed the finding stable
    overdue: bool  # the day after the due date or later, and no newer MRI of the region
    long_overdue: bool  # overdue by more than 6 months (the day after due + 6 months)
    window: tuple[date, date] | None = None  # NOT_DUE: when to do the MRI, from the index date
    ordered: tuple[PlacedOrder, ...] = ()  # counted orders, newest first
    not_counted: tuple[PlacedOrder, ...] = ()  # completed / revoked follow-up orders
    orders_gap: DataGap | None = None  # orders could not be obtained: duplicates unknown


@dataclass(frozen=True)
class Recommendation:
    """The primary decision (R1-R8) with the reasons a clinician can check."""

    rule_id: str  # "R4"
    decision: str  # one sentence
    flags: tuple[Flag, ...] = ()
    order_sets: tuple[OrderSet, ...] = ()
    checks: tuple[Check, ...] = ()
    citations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # pitfalls, "repeat to confirm", escalation reasons
    index_report: ImagingReport | None = None
    follow_up: FollowUp | None = None  # R7/R8: when the follow-up MRI is due, and its status
    # R7/R8: "current labs normal" counted an abnormal result a documented cause explains
    labs_explained: bool = False


@dataclass(frozen=True)
class Advisory:
    """Secondary advice (imaging protocol) that is not the decision itself."""

    code: str  # "pre-contrast-missing", "chemical-shift", "skeletal-survey-alone"
    summary: str
    detail: str
    evidence: tuple[Evidence, ...] = ()


class NoCard(StrEnum):
    """Why a decision is R0 (no card): SPEC.md sections 2 and 5."""

    IMAGING_NOT_OBTAINED = "imaging-not-obtained"
    NO_INDEX = "no-index"  # no index MRI report
    NEGATIVE = "negative"  # the index MRI is class NEGATIVE
    SUPPRESSED = "suppressed"  # already under specialist care (SPEC.md section 2)
    NO_RULE = "no-rule"  # no row of the table applies (labs not obtained)


@dataclass(frozen=True)
class Assessment:
    """What `logic.assess(record, as_of)` returns for one patient."""

    rule_id: str  # "R0".."R8"; R0 means no card
    reason: str  # why this rule (for R0 too: "no index MRI report", "suppressed: ...")
    recommendation: Recommendation | None = None  # None for R0
    advisories: tuple[Advisory, ...] = ()
    problems: tuple[MappingProblem, ...] = ()  # data-quality: not evaluable values
    gaps: tuple[DataGap, ...] = ()  # data-quality: data not obtained
    flags: tuple[Flag, ...] = field(default=())  # every flag that fired, all tiers
    # R0 only: the data whose absence kept the rules from deciding (imaging, or labs when no
    # other rule applied). The renderer then shows a data-quality card instead of silence.
    blocked_by: tuple[DataGap, ...] = ()
    no_card: NoCard | None = None  # R0 only: why there is no card
