"""Condition -> ConditionFact (SPEC.md section 2 and flag H-SYMPTOMS).

Code systems: SNOMED CT (http://snomed.info/sct), ICD-10-CM (http://hl7.org/fhir/sid/icd-10-cm;
http://hl7.org/fhir/sid/icd-10 is tolerated and read with the same table); their HL7 OIDs
(urn:oid:2.16.840.1.113883.6.96 / .6.90) are accepted too. ICD codes arrive with
or without the dot ("C9000" / "C90.00"): both are normalised to the dotted form.

ICD-10-CM categories (SPEC.md section 2):
  MYELOMA           C90.*
  HAEM_MALIGNANCY   C81-C96 other than C90; D45, D46, D47 except D47.2
  MGUS              D47.2 (never suppresses: a known clonal marker, counts as H-MPROTEIN)
  HAEM_MALIGNANCY_HISTORY
                    a past haematological malignancy: Z85.6, Z85.7*, and a C81-C96 Condition
                    (myeloma included) whose clinicalStatus is inactive or resolved. It counts
                    as cancer history (H-CANCER), and its card refers to haematology.
  BONE_METASTASIS   C79.5*
  CANCER            C00-C80 excluding C79.5. Decision: C4A (Merkel cell), C7A (malignant
                    neuroendocrine tumours) and C7B (secondary neuroendocrine tumours) are
                    inside C00-C80 - ICD-10-CM places them after C44 and between C75 and C76 -
                    so they count as cancer. C7B.03
                    (secondary carcinoid tumours of bone) is therefore CANCER, not
                    BONE_METASTASIS: SPEC.md names only C79.5 for suppression.
  CANCER_HISTORY    Z85.* other than Z85.6 / Z85.7*, whatever its clinicalStatus (a history
                    is a history); and a cancer
                    (C00-C80 excl. C79.5) whose clinicalStatus is inactive / remission /
                    resolved: a past cancer is a personal history of cancer (SPEC.md section 2,
                    "Cancer history ... or personal history").
  ANAEMIA_CAUSE     D63.1, D63.8, D50-D53, D55-D59, D62, D64.81 (verify). Never D63.0.
  Known causes of cytopenia (SPEC.md section 2), by the cell lines they explain (logic.context):
    THROMBOCYTOPENIA_CAUSE D69.3 (ITP), D69.6: platelets
    HYPERSPLENISM     D73.1 (hypersplenism), K74.6* (cirrhosis): platelets and WBC
    NEUTROPENIA       D70.* (incl. drug-induced D70.1 / D70.2): neutrophils and WBC
    DUFFY_NULL        D72.819 (verify), documented Duffy-null phenotype (benign ethnic
                      neutropenia): neutrophils 1.0-1.8 only
  CKD               N18.*
  PALLIATIVE        Z51.5 (verify)
  Symptoms (H-SYMPTOMS; NOT in SPEC.md, standard ICD-10-CM, verify):
    FEVER R50.9, R50.81; NIGHT_SWEATS R61; WEIGHT_LOSS R63.4;
    PATHOLOGICAL_FRACTURE M84.4*, M84.5*, M84.6*.
    Bone pain has no specific ICD-10-CM code (the index sends it to M89.8X-, "other specified
    disorders of bone"), so it is recognised from SNOMED only.
SNOMED CT: 109989006 multiple myeloma (SPEC.md); 277577000 MGUS (SPEC.md, verify);
  103735009 palliative care (SPEC.md, verify);
  not in SPEC.md, verify: 386661006 fever, 42984000 night sweats, 89362005 weight loss,
  12584003 bone pain, 268029009 pathological fracture.

Unrecognised codes: a Condition whose codes are in none of these tables gives no fact; when its
display or text names a cancer, CKD or palliative care (a SNOMED-only problem list), a warning
says it was not used, so that a clinician can check (`_unrecognised`).

Status:
  * verificationStatus refuted or entered-in-error: excluded (no fact).
  * clinicalStatus active / recurrence / relapse: active; inactive / remission / resolved: not
    active -- except that remission is active for myeloma, haematological malignancy, bone
    metastasis and MGUS (SPEC.md section 2: "a myeloma in remission is still under specialist
    care"), and an inactive / resolved C81-C96 is a past haematological malignancy.
  * No (or an unknown) clinicalStatus, with a warning: for the categories that raise a flag
    (cancer, symptoms) taken as active -- a cancer of unknown status still raises H-CANCER;
    for the categories that suppress cards or excuse a finding (EXCUSING: myeloma,
    haematological malignancy, bone metastasis, anaemia cause, causes of cytopenia, CKD,
    palliative) taken as NOT active, by the same rule as an unconfirmed diagnosis below: a
    diagnosis whose currency is not stated must never
    silence the service or explain a finding away.
  * verificationStatus unconfirmed / provisional / differential: decision - an unconfirmed
    diagnosis must never silence the service or explain a finding away, so for the categories
    that suppress cards or excuse a flag (myeloma, haematological malignancy, bone
    metastasis, anaemia cause, CKD, palliative) the fact is kept with active=False; for the
    categories that raise a flag (cancer, symptoms) it stays as clinicalStatus says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from fhir_mappers.fhir_time import parse_date
from logic.model import ConditionCategory, ConditionFact, MappingProblem

C = ConditionCategory

SNOMED = "http://snomed.info/sct"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED_SYSTEMS = frozenset({SNOMED, "urn:oid:2.16.840.1.113883.6.96"})  # URL or HL7 OID
ICD_SYSTEMS = frozenset(
    {ICD10_CM, ICD10, "http://hl7.org/fhir/sid/icd-10-us", "urn:oid:2.16.840.1.113883.6.90"}
)

SNOMED_CATEGORIES: dict[str, ConditionCategory] = {
    "109989006": C.MYELOMA,
    "277577000": C.MGUS,  # (verify) SPEC.md section 2
    "103735009": C.PALLIATIVE,  # (verify) SPEC.md section 2
    "386661006": C.FEVER,  # not in SPEC.md, verify
    "42984000": C.NIGHT_SWEATS,  # not in SPEC.md, verify
    "89362005": C.WEIGHT_LOSS,  # not in SPEC.md, verify
    "12584003": C.BONE_PAIN,  # not in SPEC.md, verify
    "268029009": C.PATHOLOGICAL_FRACTURE,  # not in SPEC.md, verify
}
UNVERIFIED_ICD = frozenset({"D64.81", "Z51.5", "D72.819"})  # "(verify)" in SPEC.md section 2

ACTIVE_STATUSES = frozenset({"active", "recurrence", "relapse"})
INACTIVE_STATUSES = frozenset({"inactive", "remission", "resolved"})
EXCLUDED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
UNCONFIRMED_VERIFICATION = frozenset({"unconfirmed", "provisional", "differential"})
# Categories that suppress cards or explain a finding away: never from an unconfirmed diagnosis.
EXCUSING = frozenset(
    {
        C.MYELOMA,
        C.HAEM_MALIGNANCY,
        C.BONE_METASTASIS,
        C.ANAEMIA_CAUSE,
        C.CKD,
        C.PALLIATIVE,
        C.THROMBOCYTOPENIA_CAUSE,
        C.HYPERSPLENISM,
        C.NEUTROPENIA,
        C.DUFFY_NULL,
    }
)
# SPEC.md section 2: "Active" for suppression includes remission (a myeloma in remission is
# still under specialist care); MGUS is in the same sentence.
ACTIVE_IN_REMISSION = frozenset({C.MYELOMA, C.HAEM_MALIGNANCY, C.BONE_METASTASIS, C.MGUS})
# A haematological malignancy that is over (inactive / resolved) is a past one (H-CANCER).
HAEM_MALIGNANCIES = frozenset({C.MYELOMA, C.HAEM_MALIGNANCY})

_MAY_MATTER = re.compile(
    r"malignan|carcinoma|cancer|lymphoma|leuk[a]?emia|myelom|plasmacytoma|metasta|sarcoma"
    r"|melanoma|myelodysplas|myeloprolif|chronic kidney|renal failure|palliative|hospice",
    re.IGNORECASE,
)
_ICD = re.compile(r"([A-Z])(\d)([0-9A-Z])\.?([0-9A-Z]{0,4})")


def normalise_icd10(code: str) -> str | None:
    """'c9000' / 'C90.00' -> 'C90.00'; 'N18' -> 'N18'; None when not ICD-10 shaped."""
    match = _ICD.fullmatch(code.strip().upper())
    if match is None:
        return None
    letter, d1, d2, rest = match.groups()
    head = f"{letter}{d1}{d2}"
    return f"{head}.{rest}" if rest else head


def _block(code: str) -> tuple[str, int] | None:
    """('C', 90) for C90.00; None for C7A / C7B (letter in the second position)."""
    head = code[:3]
    if head[1:].isdigit():
        return head[0], int(head[1:])
    return None


def icd10_category(code: str) -> ConditionCategory | None:
    """The category of a normalised ICD-10(-CM) code (module docstring table)."""
    letter = code[0]
    block = _block(code)
    if letter == "C":
        return _c_category(code, block)
    if block is None:
        return None
    by_letter = _BY_LETTER.get(letter)
    return by_letter(code, block[1]) if by_letter is not None else None


def _c_category(code: str, block: tuple[str, int] | None) -> ConditionCategory | None:
    if block is None:  # C4A, C7A, C7B: all sort inside C00-C80
        return C.CANCER
    number = block[1]
    if number == 90:
        return C.MYELOMA
    if 81 <= number <= 96:
        return C.HAEM_MALIGNANCY
    if code.startswith("C79.5"):
        return C.BONE_METASTASIS
    if number <= 80:
        return C.CANCER
    return None


def _d_category(code: str, number: int) -> ConditionCategory | None:
    if code.startswith("D47.2"):
        return C.MGUS
    if number in (45, 46, 47):
        return C.HAEM_MALIGNANCY
    if code.startswith(("D69.3", "D69.6")):
        return C.THROMBOCYTOPENIA_CAUSE
    if code.startswith("D73.1"):
        return C.HYPERSPLENISM
    if number == 70:
        return C.NEUTROPENIA
    if code == "D72.819":
        return C.DUFFY_NULL
    if code.startswith(("D63.1", "D63.8", "D64.81")):
        return C.ANAEMIA_CAUSE
    if 50 <= number <= 53 or 55 <= number <= 59 or number == 62:
        return C.ANAEMIA_CAUSE
    return None


def _z_category(code: str, number: int) -> ConditionCategory | None:
    if code.startswith(("Z85.6", "Z85.7")):
        return C.HAEM_MALIGNANCY_HISTORY
    if number == 85:
        return C.CANCER_HISTORY
    if code.startswith("Z51.5"):
        return C.PALLIATIVE
    return None


def _r_category(code: str, number: int) -> ConditionCategory | None:
    return _R_CODES.get(code)


_R_CODES: dict[str, ConditionCategory] = {
    "R50.9": C.FEVER,
    "R50.81": C.FEVER,
    "R61": C.NIGHT_SWEATS,
    "R63.4": C.WEIGHT_LOSS,
}


def _n_category(code: str, number: int) -> ConditionCategory | None:
    return C.CKD if number == 18 else None


def _k_category(code: str, number: int) -> ConditionCategory | None:
    return C.HYPERSPLENISM if code.startswith("K74.6") else None


def _m_category(code: str, number: int) -> ConditionCategory | None:
    return C.PATHOLOGICAL_FRACTURE if code.startswith(("M84.4", "M84.5", "M84.6")) else None


_BY_LETTER: dict[str, Callable[[str, int], ConditionCategory | None]] = {
    "D": _d_category,
    "Z": _z_category,
    "R": _r_category,
    "N": _n_category,
    "K": _k_category,
    "M": _m_category,
}


def _status_code(concept: object) -> str | None:
    if not isinstance(concept, Mapping):
        return None
    codings = concept.get("coding")
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
            return str(coding["code"]).strip().lower()
    text = concept.get("text")
    return text.strip().lower() if isinstance(text, str) else None


def categorise(codings: object) -> tuple[ConditionCategory, str, str] | None:
    """(category, "ICD-10-CM C90.00" / "SNOMED 109989006", display) of the first known coding."""
    if not isinstance(codings, list):
        return None
    for coding in codings:
        if not isinstance(coding, Mapping):
            continue
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(code, str) or not isinstance(system, str):
            continue
        display = coding.get("display")
        shown = display if isinstance(display, str) else ""
        if system in SNOMED_SYSTEMS and code.strip() in SNOMED_CATEGORIES:
            return SNOMED_CATEGORIES[code.strip()], f"SNOMED {code.strip()}", shown
        if system in ICD_SYSTEMS:
            normal = normalise_icd10(code)
            category = icd10_category(normal) if normal else None
            if category is not None and normal is not None:
                label = "ICD-10-CM" if system != ICD10 else "ICD-10"
                return category, f"{label} {normal}", shown
    return None


def _onset(resource: Mapping[str, Any]) -> date | None:
    raw = resource.get("onsetDateTime")
    period = resource.get("onsetPeriod")
    if raw is None and isinstance(period, Mapping):
        raw = period.get("start")
    return parse_date(raw[:10] if isinstance(raw, str) else raw)[0]


def read_condition(
    reference: str, resource: Mapping[str, Any]
) -> tuple[ConditionFact | None, list[MappingProblem]]:
    """One Condition -> a ConditionFact when its code matters to the rules."""
    code = resource.get("code")
    found = categorise(code.get("coding") if isinstance(code, Mapping) else None)
    verification = _status_code(resource.get("verificationStatus"))
    if verification in EXCLUDED_VERIFICATION:
        return None, []
    if found is None:
        return None, _unrecognised(reference, code)
    category, code_label, display = found
    problems: list[MappingProblem] = []
    clinical = _status_code(resource.get("clinicalStatus"))
    if clinical in ACTIVE_STATUSES or (clinical == "remission" and category in ACTIVE_IN_REMISSION):
        active = True
    elif clinical in INACTIVE_STATUSES:
        active = False
    else:
        # status not stated: raise, never excuse or suppress (see the module docstring)
        active = category not in EXCUSING
        if category not in (C.CANCER_HISTORY, C.HAEM_MALIGNANCY_HISTORY):
            shown = "no clinicalStatus" if clinical is None else f"clinicalStatus '{clinical[:30]}'"
            taken = (
                "taken as active"
                if active
                else "not taken as active (a diagnosis of unknown status never excuses a "
                "finding or suppresses cards)"
            )
            problems.append(MappingProblem(reference, f"{code_label}: {shown}: {taken}"))
    if category is C.CANCER and not active:
        category, active = C.CANCER_HISTORY, True
    elif category in HAEM_MALIGNANCIES and clinical in INACTIVE_STATUSES and not active:
        category, active = C.HAEM_MALIGNANCY_HISTORY, True  # a past haematological malignancy
    elif category in (C.CANCER_HISTORY, C.HAEM_MALIGNANCY_HISTORY):
        active = True
    if verification in UNCONFIRMED_VERIFICATION and category in EXCUSING:
        active = False
        problems.append(
            MappingProblem(
                reference,
                f"{code_label} is {verification}: not counted as an established diagnosis",
            )
        )
    if not display:
        text = code.get("text") if isinstance(code, Mapping) else None
        display = text if isinstance(text, str) else code_label
    recorded = resource.get("recordedDate")
    return (
        ConditionFact(
            category=category,
            reference=reference,
            code=code_label,
            display=display[:200],
            active=active,
            onset=_onset(resource),
            recorded=parse_date(recorded[:10] if isinstance(recorded, str) else recorded)[0],
        ),
        problems,
    )


def _texts(code: object) -> list[str]:
    if not isinstance(code, Mapping):
        return []
    texts = [code["text"]] if isinstance(code.get("text"), str) else []
    codings = code.get("coding")
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, Mapping) and isinstance(coding.get("display"), str):
            texts.append(coding["display"])
    return texts


def _unrecognised(reference: str, code: object) -> list[MappingProblem]:
    """A warning for a Condition whose words say it may matter but whose codes are in no table.

    Problem lists coded only in SNOMED CT (Synthea, many US EHRs) name cancers, CKD or hospice
    care with codes SPEC.md does not list. They are NOT used by the rules (no code, no fact), but
    a clinician is told, so that an uncoded cancer (or cancer history: any clinical status) is
    not silently missed.
    """
    for text in _texts(code):
        if _MAY_MATTER.search(text[:500]):
            return [
                MappingProblem(
                    reference,
                    f"condition '{text[:80]}' may be relevant (cancer, CKD, palliative care) but "
                    "its codes are not in the SPEC.md tables: not used by the rules",
                )
            ]
    return []


def read_conditions(
    conditions: list[tuple[str, Mapping[str, Any]]],
) -> tuple[list[ConditionFact], list[MappingProblem]]:
    facts: list[ConditionFact] = []
    problems: list[MappingProblem] = []
    for reference, resource in conditions:
        try:
            fact, found = read_condition(reference, resource)
        except Exception as exc:  # noqa: BLE001 - a shape nobody foresaw must not lose the whole record
            fact, found = (
                None,
                [
                    MappingProblem(
                        reference,
                        f"condition could not be read ({type(exc).__name__}): not used",
                        "error",
                    )
                ],
            )
        problems.extend(found)
        if fact is not None:
            facts.append(fact)
    return facts, problems
