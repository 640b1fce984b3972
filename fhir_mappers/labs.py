"""Observation -> LabResult (SPEC.md sections 2 and 4).

A tolerant reader of the raw JSON: it reads what it can, in the canonical unit, and says what
it could not. Values:
  * valueQuantity (value, comparator, UCUM code / unit text) -> canonical unit (units.py);
  * valueString holding a number ("<0.5", ">100", "9.1 g/dL"), read like a Quantity;
  * valueRatio (a kappa/lambda ratio sent as numerator/denominator);
  * valueCodeableConcept or valueString text for qualitative results (SPEP / IFE
    interpretation, urine immunofixation, "M-spike not detected"): a negation-aware reading
    ("no monoclonal protein detected" is NEGATIVE, "monoclonal IgG kappa" is POSITIVE), the
    text kept in LabResult.quote. Observation.interpretation (POS/NEG/DET/ND) is used only when
    the value itself says nothing; it never overrides a value.
A value that cannot be read, or whose unit is unknown or not convertible, gives a LabResult
with evaluable=False and value None, plus a MappingProblem: it is never dropped silently and
never assumed to be in the expected unit.

Reference limits come from Observation.referenceRange (type normal or untyped), converted like
the value (a range without a unit is in the value's unit): a general range first, else the one
whose appliesTo names the patient's sex; otherwise none (the rules' defaults apply).

The kappa/lambda ratio (Analyte.FLC_RATIO) is computed when kappa and lambda were collected the
same (UTC) day and no ratio was sent for that day (`computed_flc_ratios`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from fhir_mappers.fhir_time import parse_datetime
from fhir_mappers.lab_codes import ELECTROPHORESIS_FRACTION_CODES, QUALITATIVE_CODES
from fhir_mappers.select import LabCandidate
from fhir_mappers.units import to_canonical, unit_fields
from logic.analytes import CANONICAL_UNIT
from logic.model import Analyte, Finding, LabResult, MappingProblem, Sex

COMPARATORS = {"<": "<", "<=": "<=", ">=": ">=", ">": ">", "≤": "<=", "≥": ">="}
# Analytes whose result may be qualitative text or a code as well as a number.
QUALITATIVE_ANALYTES = frozenset({Analyte.SPEP_IFE, Analyte.M_PROTEIN, Analyte.URINE_M_PROTEIN_24H})
MAX_QUOTE = 200
MAX_TEXT = 4000  # a result text longer than this is read only this far (bounded work)
MAX_NUMBER_TEXT = 60  # a "number with unit" text is never longer than this
_ANALYTE_ORDER = {analyte: n for n, analyte in enumerate(Analyte)}

_NUMBER = re.compile(
    r"\s*(?P<cmp><=|>=|<|>|≤|≥)?\s*(?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?P<unit>.*?)\s*"
)


# ------------------------------------------------------------------ qualitative reading

_SPACES = re.compile(r"[^\S\n]+")  # runs of blanks other than newlines -> one space
_CLAUSE_SPLIT = re.compile(r"[.;\n]|\bbut\b|\bhowever\b|\balthough\b", re.IGNORECASE)
_PSEUDO_NEGATION = re.compile(
    r"\bno (?:significant |interval )?change\b|\bnot significantly changed\b", re.IGNORECASE
)
_TARGET = re.compile(
    r"monoclonal|paraprotein\w*|\bm[- ]?spike|\bm[- ]?protein|\bm[- ]?band|bence[- ]jones"
    r"|\big\s*[gamde]\s*[-/]?\s*(?:kappa|lambda|κ|λ)\b"
    r"|\bfree\s+(?:kappa|lambda)\s+light\s+chains?\b"
    r"|\b(?:kappa|lambda)\s+(?:light\s+chain\s+)?(?:band|spike)\b",
    re.IGNORECASE,
)
_PRE_NEGATION = re.compile(
    r"\b(?:no|not|without|negative\s+for|absence\s+of|absent|free\s+of|none|nor)\b", re.IGNORECASE
)
_POST_NEGATION = re.compile(
    r"^[^,]*?\b(?:not\s+(?:be\s+)?(?:detected|seen|identified|present|found|demonstrated)"
    r"|no\s+longer\s+(?:detected|seen|identified|present)|absent|negative|none|undetectable)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"\b(?:cannot\s+(?:be\s+)?(?:excluded?|ruled?\s+out)|can\s*not\s+(?:be\s+)?excluded?"
    r"|equivocal|indeterminate|inconclusive|borderline|questionable|possible|suspicious\s+for"
    r"|cannot\s+rule\s+out)\b",
    re.IGNORECASE,
)
_NEGATIVE_WORD = re.compile(
    r"\b(?:negative|not\s+detected|none\s+detected|undetected|undetectable|no\s+abnormal\w*"
    r"|normal(?:\s+pattern)?|polyclonal|within\s+normal\s+limits)\b",
    re.IGNORECASE,
)
_POSITIVE_WORD = re.compile(r"\b(?:positive|detected|present)\b", re.IGNORECASE)
_INDETERMINATE_WORD = re.compile(
    r"\b(?:indeterminate|equivocal|inconclusive|borderline)\b", re.IGNORECASE
)

# SNOMED CT and v3 ObservationInterpretation codes for a qualitative result.
FINDING_CODES: dict[str, Finding] = {
    "10828004": Finding.POSITIVE,  # SNOMED Positive
    "260373001": Finding.POSITIVE,  # SNOMED Detected
    "260385009": Finding.NEGATIVE,  # SNOMED Negative
    "260415000": Finding.NEGATIVE,  # SNOMED Not detected
    "82334004": Finding.INDETERMINATE,  # SNOMED Indeterminate
    "419984006": Finding.INDETERMINATE,  # SNOMED Inconclusive
    "POS": Finding.POSITIVE,
    "DET": Finding.POSITIVE,
    "NEG": Finding.NEGATIVE,
    "ND": Finding.NEGATIVE,
    "IND": Finding.INDETERMINATE,
}


def _clause_finding(clause: str) -> Finding | None:
    targets = list(_TARGET.finditer(clause))
    if targets:
        if _HEDGE.search(clause):
            return Finding.INDETERMINATE
        present = False
        for target in targets:
            before = clause[: target.start()]
            after = clause[target.end() :]
            if not (_PRE_NEGATION.search(before) or _POST_NEGATION.search(after)):
                present = True
        return Finding.POSITIVE if present else Finding.NEGATIVE
    if _INDETERMINATE_WORD.search(clause):
        return Finding.INDETERMINATE
    if _NEGATIVE_WORD.search(clause):
        return Finding.NEGATIVE
    if _POSITIVE_WORD.search(clause):
        return Finding.POSITIVE
    return None


def read_finding(text: str) -> Finding | None:
    """Negation-aware reading of a qualitative result text (None: says nothing readable).

    Any clause with an un-negated monoclonal target makes the result POSITIVE; otherwise a
    hedged one makes it INDETERMINATE; otherwise any negative statement makes it NEGATIVE.
    Only the first MAX_TEXT characters are read.
    """
    return _read_finding(text[:MAX_TEXT])


# Result texts repeat across patients ("No monoclonal protein detected"): readings remembered,
# at most 1,024 texts of at most MAX_TEXT characters (about 4 MB at worst).
@lru_cache(maxsize=1024)
def _read_finding(text: str) -> Finding | None:
    cleaned = _PSEUDO_NEGATION.sub(" ", _SPACES.sub(" ", text))
    findings = {f for f in map(_clause_finding, _CLAUSE_SPLIT.split(cleaned)) if f is not None}
    for finding in (Finding.POSITIVE, Finding.INDETERMINATE, Finding.NEGATIVE):
        if finding in findings:
            return finding
    return None


def _coded_finding(concept: object) -> tuple[Finding | None, str | None]:
    """(finding, quote) from a CodeableConcept: known codes first, then its text/display."""
    if not isinstance(concept, Mapping):
        return None, None
    codings = concept.get("coding")
    texts: list[str] = []
    if isinstance(codings, list):
        for coding in codings:
            if not isinstance(coding, Mapping):
                continue
            code = coding.get("code")
            display = coding.get("display")
            if isinstance(code, str) and code in FINDING_CODES:
                quote = display if isinstance(display, str) and display else code
                return FINDING_CODES[code], quote[:MAX_QUOTE]
            if isinstance(display, str) and display.strip():
                texts.append(display.strip())
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        texts.insert(0, text.strip())
    for candidate in texts:
        finding = read_finding(candidate)
        if finding is not None:
            return finding, candidate[:MAX_QUOTE]
    return None, (texts[0][:MAX_QUOTE] if texts else None)


def _interpretation_finding(source: Mapping[str, Any]) -> tuple[Finding | None, str | None]:
    concepts = source.get("interpretation")
    if not isinstance(concepts, list):
        return None, None
    for concept in concepts:
        if not isinstance(concept, Mapping):
            continue
        codings = concept.get("coding")
        for coding in codings if isinstance(codings, list) else []:
            code = coding.get("code") if isinstance(coding, Mapping) else None
            if isinstance(code, str) and code in FINDING_CODES:
                return FINDING_CODES[code], f"interpretation: {code}"
    return None, None


# ------------------------------------------------------------------ numeric reading


@dataclass
class _Read:
    """What one Observation (or component) says, before it becomes a LabResult."""

    value: float | None = None
    comparator: str | None = None
    finding: Finding | None = None
    quote: str | None = None
    as_sent: str = ""
    evaluable: bool = True
    unit_code: str | None = None
    unit_text: str | None = None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _fmt(value: object) -> str:
    return str(value)[:40]


class _Reader:
    def __init__(self, candidate: LabCandidate, sex: Sex = Sex.UNKNOWN) -> None:
        self.candidate = candidate
        self.sex = sex
        self.analyte = candidate.lab_code.analyte
        self.ref = candidate.reference
        self.problems: list[MappingProblem] = []

    def problem(self, message: str, severity: Literal["warning", "error"] = "warning") -> None:
        code = self.candidate.lab_code.code
        self.problems.append(
            MappingProblem(self.ref, f"{self.analyte} ({code}): {message}", severity)
        )

    def source(self) -> Mapping[str, Any]:
        resource = self.candidate.resource
        if self.candidate.component is None:
            return resource
        component = resource["component"][self.candidate.component]
        return component if isinstance(component, Mapping) else {}

    def effective(self) -> datetime | None:
        resource = self.candidate.resource
        sent = resource.get("effectiveDateTime")
        if sent is not None:  # nearly every result: read as sent, nothing else to look at
            when, problem = parse_datetime(sent)
            if when is not None and problem is None:
                return when
        fields: list[tuple[str, object]] = [("effectiveDateTime", sent)]
        period = resource.get("effectivePeriod")
        if isinstance(period, Mapping):
            fields += [("effectivePeriod.end", period.get("end"))]
            fields += [("effectivePeriod.start", period.get("start"))]
        fields += [("effectiveInstant", resource.get("effectiveInstant"))]
        fields += [("issued", resource.get("issued"))]
        reasons: list[str] = []
        for name, raw in fields:
            if raw is None:
                continue
            when, problem = parse_datetime(raw)
            if when is not None:
                if problem:
                    self.problem(f"{name}: {problem}")
                if name == "issued":
                    self.problem("no effective time: the issued date is used")
                return when
            reasons.append(f"{name}: {problem}")
        self.problem(
            "no usable effective time (" + ("; ".join(reasons) or "none sent") + "): not used",
            "error",
        )
        return None

    # -- value ---------------------------------------------------------------------------
    def read(self) -> _Read:
        source = self.source()
        read = self._sent_value(source)
        if read is None:
            return self._no_value(source)
        if read.finding is None and read.value is None and self.analyte in QUALITATIVE_ANALYTES:
            finding, quote = _interpretation_finding(source)
            if finding is not None:
                read.finding, read.quote, read.evaluable = finding, quote, True
        return self._usable(read)

    def _sent_value(self, source: Mapping[str, Any]) -> _Read | None:
        """The value[x] sent, read by its type; None when no supported value[x] was sent."""
        if "valueQuantity" in source:
            return self._quantity(source.get("valueQuantity"))
        if "valueString" in source:
            return self._string(source.get("valueString"))
        if "valueCodeableConcept" in source:
            finding, quote = _coded_finding(source.get("valueCodeableConcept"))
            return _Read(finding=finding, quote=quote, as_sent=quote or "")
        if "valueRatio" in source:
            return self._ratio(source.get("valueRatio"))
        if "valueInteger" in source:
            return self._numeric(source.get("valueInteger"), None, None, None)
        return None

    def _no_value(self, source: Mapping[str, Any]) -> _Read:
        """No supported value[x]: a qualitative analyte may still say its finding in
        `interpretation`; anything else is not evaluable, with the reason (another value type,
        or the dataAbsentReason)."""
        read = _Read(evaluable=False)
        other = [k for k in source if isinstance(k, str) and k.startswith("value")]
        reason = (
            f"{other[0][:40]} is not a supported value type"
            if other
            else _absent_reason(source.get("dataAbsentReason"))
        )
        if self.analyte in QUALITATIVE_ANALYTES:
            read.finding, read.quote = _interpretation_finding(source)
        if read.finding is None:
            self.problem(f"no value ({reason}): not evaluable")
        else:
            read.evaluable = True
        return read

    def _usable(self, read: _Read) -> _Read:
        """The read value as the analyte can use it: an electrophoresis fraction must say
        whether a monoclonal protein is present, a finding stands only for a qualitative
        analyte, and a value that could not be read is not evaluable."""
        if self.candidate.lab_code.code in ELECTROPHORESIS_FRACTION_CODES and read.finding is None:
            self.problem(
                f"electrophoresis fraction '{read.as_sent}' carries no interpretation: it does "
                "not say whether a monoclonal protein is present (not evaluable)"
            )
            return _Read(as_sent=read.as_sent, evaluable=False)
        if read.finding is not None and self.analyte not in QUALITATIVE_ANALYTES:
            self.problem(f"result '{read.as_sent}' is not a number: not evaluable")
            return _Read(as_sent=read.as_sent, quote=read.quote, evaluable=False)
        if read.value is None and read.finding is None and read.evaluable:
            self.problem(f"result '{read.as_sent}' could not be read: not evaluable")
            read.evaluable = False
        return read

    def _numeric(
        self, raw: object, comparator: object, code: str | None, text: str | None
    ) -> _Read:
        number = _number(raw)
        sent = " ".join(
            p for p in (f"{comparator or ''}{_fmt(raw)}", text or code or "") if p
        ).strip()
        if number is None:
            self.problem(f"value '{sent}' is not a number: not evaluable")
            return _Read(as_sent=sent, evaluable=False)
        cmp: str | None = None
        if comparator is not None:
            cmp = COMPARATORS.get(comparator) if isinstance(comparator, str) else None
            if cmp is None:
                self.problem(f"comparator '{_fmt(comparator)}' is not understood: not evaluable")
                return _Read(as_sent=sent, evaluable=False)
        if CANONICAL_UNIT[self.analyte] == "":
            return _Read(as_sent=sent, comparator=cmp)
        value, how = to_canonical(self.analyte, number, code, text)
        if value is None:
            self.problem(how.problem or "unit not convertible: not evaluable")
            return _Read(as_sent=sent, comparator=cmp, evaluable=False)
        return _Read(value=value, comparator=cmp, as_sent=sent, unit_code=code, unit_text=text)

    def _quantity(self, quantity: object) -> _Read:
        if not isinstance(quantity, Mapping):
            self.problem("valueQuantity is not an object: not evaluable")
            return _Read(evaluable=False)
        code, text = unit_fields(quantity)
        raw = quantity.get("value")
        if isinstance(raw, str) and len(raw) <= MAX_NUMBER_TEXT:  # a number sent as a string
            parsed = _NUMBER.fullmatch(raw)
            if parsed is not None and not parsed.group("unit"):
                self.problem(f"value '{raw[:40]}' is a string, read as a number")
                raw = float(parsed.group("num"))
        return self._numeric(raw, quantity.get("comparator"), code, text)

    def _string(self, raw: object) -> _Read:
        if not isinstance(raw, str) or not raw.strip():
            self.problem("valueString is empty or not text: not evaluable")
            return _Read(evaluable=False)
        text = raw.strip()
        parsed = _NUMBER.fullmatch(text) if len(text) <= MAX_NUMBER_TEXT else None
        if parsed is not None and self.candidate.lab_code.code not in QUALITATIVE_CODES:
            unit = parsed.group("unit") or None
            read = self._numeric(float(parsed.group("num")), parsed.group("cmp"), None, unit)
            read.as_sent = text[:MAX_QUOTE]
            return read
        finding = read_finding(text)
        quote = text[:MAX_QUOTE]
        if finding is None or self.analyte not in QUALITATIVE_ANALYTES:
            self.problem(f"result text '{quote}' could not be read: not evaluable")
            return _Read(as_sent=quote, quote=quote, evaluable=False)
        return _Read(finding=finding, quote=quote, as_sent=quote)

    def _ratio(self, ratio: object) -> _Read:
        if not isinstance(ratio, Mapping):
            self.problem("valueRatio is not an object: not evaluable")
            return _Read(evaluable=False)
        num, den = ratio.get("numerator"), ratio.get("denominator")
        n = _number(num.get("value")) if isinstance(num, Mapping) else None
        d = _number(den.get("value")) if isinstance(den, Mapping) else None
        sent = f"{_fmt(n)}:{_fmt(d)}"
        if self.analyte is not Analyte.FLC_RATIO or n is None or not d:
            self.problem(f"ratio '{sent}' cannot be read as this analyte: not evaluable")
            return _Read(as_sent=sent, evaluable=False)
        return _Read(value=n / d, as_sent=sent)

    # -- reference range -------------------------------------------------------------------
    def reference_range(self, read: _Read) -> tuple[float | None, float | None]:
        ranges = self.source().get("referenceRange")
        if not isinstance(ranges, list) or read.value is None:
            return None, None
        usable = [
            r
            for r in ranges
            if isinstance(r, Mapping)
            and ("low" in r or "high" in r)
            and _range_type(r) in (None, "normal")
        ]
        general = [r for r in usable if "appliesTo" not in r and "age" not in r]
        own_sex = [r for r in usable if "age" not in r and _applies_to(r) == {self.sex}]
        if general:
            chosen = general[0]
        elif own_sex and self.sex is not Sex.UNKNOWN:
            chosen = own_sex[0]
        elif len(usable) == 1:
            chosen = usable[0]
        else:
            if usable:  # e.g. one range for men, one for women: which one is not known here
                self.problem("several reference ranges for sub-populations: default limits apply")
            return None, None
        return self._limit(chosen.get("low"), read), self._limit(chosen.get("high"), read)

    def _limit(self, quantity: object, read: _Read) -> float | None:
        if not isinstance(quantity, Mapping):
            return None
        number = _number(quantity.get("value"))
        if number is None:
            return None
        code, text = unit_fields(quantity)
        if code is None and text is None:  # a range without a unit is in the value's unit
            code, text = read.unit_code, read.unit_text
        value, how = to_canonical(self.analyte, number, code, text)
        if value is None:
            self.problem(f"reference range: {how.problem}; default limits apply")
        return value


# appliesTo codes and words for a sex (administrative gender, SNOMED CT male / female).
_SEX_WORDS: dict[str, Sex] = {
    "male": Sex.MALE,
    "248153007": Sex.MALE,
    "female": Sex.FEMALE,
    "248152002": Sex.FEMALE,
}


def _applies_to(candidate: Mapping[str, Any]) -> set[Sex]:
    """The sexes a reference range's appliesTo names (empty set: none recognised)."""
    found: set[Sex] = set()
    concepts = candidate.get("appliesTo")
    for concept in concepts if isinstance(concepts, list) else []:
        if not isinstance(concept, Mapping):
            continue
        words = [concept.get("text")]
        codings = concept.get("coding")
        for coding in codings if isinstance(codings, list) else []:
            if isinstance(coding, Mapping):
                words += [coding.get("code"), coding.get("display")]
        for word in words:
            if isinstance(word, str) and word.strip().lower() in _SEX_WORDS:
                found.add(_SEX_WORDS[word.strip().lower()])
    return found


def _range_type(candidate: Mapping[str, Any]) -> str | None:
    concept = candidate.get("type")
    if not isinstance(concept, Mapping):
        return None
    codings = concept.get("coding")
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
            return str(coding["code"])
    return "other"


def _absent_reason(concept: object) -> str:
    if isinstance(concept, Mapping):
        codings = concept.get("coding")
        for coding in codings if isinstance(codings, list) else []:
            if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
                return f"dataAbsentReason {str(coding['code'])[:40]}"
        text = concept.get("text")
        if isinstance(text, str):
            return f"dataAbsentReason '{text[:40]}'"
    return "none sent"


def read_lab(
    candidate: LabCandidate, sex: Sex = Sex.UNKNOWN
) -> tuple[LabResult | None, list[MappingProblem]]:
    """One selected candidate -> LabResult (None when it has no usable time).

    `sex` chooses between reference ranges given for men and for women (Range.appliesTo).
    """
    reader = _Reader(candidate, sex)
    effective = reader.effective()
    if effective is None:
        return None, reader.problems
    read = reader.read()
    low, high = reader.reference_range(read)
    analyte = candidate.lab_code.analyte
    result = LabResult(
        analyte=analyte,
        reference=candidate.reference,
        effective=effective,
        value=read.value,
        unit=CANONICAL_UNIT[analyte] if read.value is not None else "",
        comparator=read.comparator,
        low=low,
        high=high,
        finding=read.finding,
        evaluable=read.evaluable,
        code=candidate.lab_code.code,
        as_sent=read.as_sent,
        quote=read.quote,
    )
    return result, reader.problems


# ------------------------------------------------------------------ computed FLC ratio

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _ratio_comparator(kappa: LabResult, lambda_: LabResult) -> tuple[bool, str | None]:
    """(computable, comparator) of kappa/lambda given the inputs' comparators."""
    upper = kappa.comparator
    lower = _FLIP[lambda_.comparator] if lambda_.comparator else None
    if upper and lower and upper[0] != lower[0]:
        return False, None
    return True, upper or lower


def computed_flc_ratios(
    labs: Sequence[LabResult],
) -> tuple[list[LabResult], list[MappingProblem]]:
    """FLC ratio for each UTC day with evaluable kappa and lambda and no ratio sent that day."""
    newest: dict[tuple[Analyte, Any], LabResult] = {}
    ratio_days = set()
    for lab in labs:
        day = lab.effective.date()
        if lab.analyte is Analyte.FLC_RATIO:
            ratio_days.add(day)
        elif lab.analyte in (Analyte.FLC_KAPPA, Analyte.FLC_LAMBDA) and lab.value is not None:
            key = (lab.analyte, day)
            if key not in newest or lab.effective > newest[key].effective:
                newest[key] = lab
    results: list[LabResult] = []
    problems: list[MappingProblem] = []
    for (analyte, day), kappa in sorted(newest.items(), key=lambda item: str(item[0][1])):
        if analyte is not Analyte.FLC_KAPPA or day in ratio_days:
            continue
        lambda_ = newest.get((Analyte.FLC_LAMBDA, day))
        if lambda_ is None or kappa.value is None or lambda_.value is None:
            continue
        computable, comparator = _ratio_comparator(kappa, lambda_)
        if not computable or lambda_.value <= 0:
            problems.append(
                MappingProblem(
                    kappa.reference,
                    f"FLC ratio not computed for {day}: kappa '{kappa.as_sent}' and lambda "
                    f"'{lambda_.as_sent}' do not give a definite ratio",
                )
            )
            continue
        results.append(
            LabResult(
                analyte=Analyte.FLC_RATIO,
                reference=kappa.reference,
                effective=max(kappa.effective, lambda_.effective),
                value=kappa.value / lambda_.value,
                unit=CANONICAL_UNIT[Analyte.FLC_RATIO],
                comparator=comparator,
                code="",
                as_sent=f"computed: kappa {kappa.as_sent} / lambda {lambda_.as_sent}",
                derived_from=(kappa.reference, lambda_.reference),
            )
        )
    return results, problems


def read_labs(
    candidates: Iterable[LabCandidate], sex: Sex = Sex.UNKNOWN
) -> tuple[list[LabResult], list[MappingProblem]]:
    """Read every selected candidate, add computed FLC ratios; newest first per analyte."""
    labs: list[LabResult] = []
    problems: list[MappingProblem] = []
    for candidate in candidates:
        try:
            result, found = read_lab(candidate, sex)
        except Exception as exc:  # noqa: BLE001 - a shape nobody foresaw must not lose the whole record
            result, found = (
                None,
                [
                    MappingProblem(
                        candidate.reference,
                        f"lab result could not be read ({type(exc).__name__}): not used",
                        "error",
                    )
                ],
            )
        problems.extend(found)
        if result is not None:
            labs.append(result)
    ratios, ratio_problems = computed_flc_ratios(labs)
    labs.extend(ratios)
    problems.extend(ratio_problems)
    labs.sort(key=lambda lab: (_ANALYTE_ORDER[lab.analyte], -lab.effective.timestamp()))
    return labs, problems
