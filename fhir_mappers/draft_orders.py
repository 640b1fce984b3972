"""`context.draftOrders` (a FHIR Bundle) -> `DraftOrder`s that order review can reason about.

Only ServiceRequests matter; any other resource in the Bundle is ignored. Each draft is recognised
by, in this order:

1. its codings: the `urn:marrow-cds:order` key and the standard codes of SPEC.md section 7 (through
   `logic.order_catalogue.order_key_for_coding`), plus the order-review specific codes below: MRI
   of the spine, sacrum and pelvis with their contrast mode (LOINC of SPEC.md section 6, CPT),
   skeletal survey (CPT), whole-body imaging (LOINC of SPEC.md section 6, CPT PET/CT);
2. its text (code.text and coding displays) when no coding is recognised, or to read the contrast
   mode of an MRI whose code does not say it (LOINC 24968-0 "MR Lumbar spine").

The CDS Hooks sandbox's PAMA screen sends a CPT-coded ServiceRequest with `reasonCode: []` and,
before a study is chosen, `coding: [{}]`: both are read without complaint.

Pure: no Flask, no requests, no clock. Never raises on odd input: what cannot be used becomes a
`MappingProblem`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from fhir_mappers.imaging_codes import contrast_in
from fhir_mappers.limits import Stop, check, never
from logic.model import Contrast, MappingProblem
from logic.order_catalogue import CPT, LOINC, ORDER_KEY_SYSTEM, SNOMED, order_key_for_coding
from logic.order_model import DraftKind, DraftOrder, MriSite, OrderCode

# ------------------------------------------------------------------------------ code systems

_SYSTEM_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "http://www.ama-assn.org/go/cpt/": CPT,
        "urn:oid:2.16.840.1.113883.6.12": CPT,
        "cpt": CPT,
        "cpt-4": CPT,
        "http://loinc.org/": LOINC,
        "urn:oid:2.16.840.1.113883.6.1": LOINC,
        "loinc": LOINC,
        "http://snomed.info/sct/": SNOMED,
        "urn:oid:2.16.840.1.113883.6.96": SNOMED,
        "snomed": SNOMED,
        "snomed ct": SNOMED,
        "snomed-ct": SNOMED,
    }
)
_SYSTEM_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {CPT: "CPT", LOINC: "LOINC", SNOMED: "SNOMED", ORDER_KEY_SYSTEM: "order key"}
)


def canonical_system(system: str) -> str:
    """The canonical URI of a code system as EHRs variously send it (OIDs, trailing slash)."""
    stripped = system.strip()
    return _SYSTEM_ALIASES.get(stripped.lower(), _SYSTEM_ALIASES.get(stripped, stripped))


# ------------------------------------------------------------------------------ code tables


@dataclass(frozen=True)
class _Mri:
    site: MriSite
    contrast: Contrast


_W, _WO, _WWO, _UNK = Contrast.WITH, Contrast.WITHOUT, Contrast.WITHOUT_AND_WITH, Contrast.UNKNOWN

# MRI of spine / sacrum / pelvis by code. LOINC: SPEC.md section 6. CPT: descriptors as listed
# in the CDS Hooks sandbox's PAMA procedure value set (72141-72158, 72196) and the brief (72195,
# 72197).
_MRI_CODES: Final[Mapping[tuple[str, str], _Mri]] = MappingProxyType(
    {
        (LOINC, "24968-0"): _Mri(MriSite.LUMBAR, _UNK),
        (LOINC, "30679-5"): _Mri(MriSite.LUMBAR, _WO),
        (LOINC, "30678-7"): _Mri(MriSite.LUMBAR, _W),
        (LOINC, "24967-2"): _Mri(MriSite.LUMBAR, _WWO),
        (LOINC, "36111-3"): _Mri(MriSite.LUMBAR, _UNK),  # limited
        (LOINC, "36059-4"): _Mri(MriSite.SACRUM, _UNK),
        (LOINC, "36521-3"): _Mri(MriSite.SACRUM, _WO),
        (LOINC, "36391-1"): _Mri(MriSite.SACRUM, _WWO),
        (LOINC, "36060-2"): _Mri(MriSite.SACRUM, _UNK),  # sacrum and coccyx
        (LOINC, "24867-4"): _Mri(MriSite.PELVIS, _UNK),
        (LOINC, "30673-8"): _Mri(MriSite.PELVIS, _WO),
        (LOINC, "30674-6"): _Mri(MriSite.PELVIS, _WWO),
        (LOINC, "36067-7"): _Mri(MriSite.SPINE, _UNK),
        (LOINC, "36531-2"): _Mri(MriSite.SPINE, _WO),
        (LOINC, "36400-0"): _Mri(MriSite.SPINE, _WWO),
        (LOINC, "36532-0"): _Mri(MriSite.THORACIC, _WO),
        (CPT, "72141"): _Mri(MriSite.CERVICAL, _WO),
        (CPT, "72142"): _Mri(MriSite.CERVICAL, _W),
        (CPT, "72156"): _Mri(MriSite.CERVICAL, _WWO),
        (CPT, "72146"): _Mri(MriSite.THORACIC, _WO),
        (CPT, "72147"): _Mri(MriSite.THORACIC, _W),
        (CPT, "72157"): _Mri(MriSite.THORACIC, _WWO),
        (CPT, "72148"): _Mri(MriSite.LUMBAR, _WO),
        (CPT, "72149"): _Mri(MriSite.LUMBAR, _W),
        (CPT, "72158"): _Mri(MriSite.LUMBAR, _WWO),
        (CPT, "72195"): _Mri(MriSite.PELVIS, _WO),
        (CPT, "72196"): _Mri(MriSite.PELVIS, _W),
        (CPT, "72197"): _Mri(MriSite.PELVIS, _WWO),
    }
)


def mri_order_codes() -> tuple[tuple[str, str], ...]:
    """(system, code) of every MRI of spine / sacrum / pelvis recognised by code."""
    return tuple(_MRI_CODES)


# Radiographic osseous survey: CPT 77075 complete, 77074 limited. No LOINC is used: the brief's
# candidate 24551-4 is "RFA AV fistula Views W contrast IA" in LOINC, not a skeletal survey.
_SKELETAL_SURVEY_CODES: Final = frozenset({(CPT, "77075"), (CPT, "77074")})

# Whole-body imaging beyond the catalogue (LOINC 46305-9, 46358-8, CPT 78815): PET whole body
# LOINC 44139-4 (SPEC.md section 6); PET and PET/CT skull base to mid-thigh or whole body (CPT).
_WHOLE_BODY_CODES: Final = frozenset(
    {(LOINC, "44139-4"), (CPT, "78812"), (CPT, "78813"), (CPT, "78816")}
)

# Diagnostic bone marrow aspiration / biopsy CPT family (38222 is in the catalogue).
_BIOPSY_CODES: Final = frozenset({(CPT, "38220"), (CPT, "38221")})

_KIND_BY_KEY: Final[Mapping[str, DraftKind]] = MappingProxyType(
    {
        "bone-marrow-biopsy": DraftKind.MARROW_BIOPSY,
        "whole-body-imaging": DraftKind.WHOLE_BODY_IMAGING,
        "mri-followup": DraftKind.MRI_MARROW_REGION,
        "cbc-diff": DraftKind.LAB,
        "cmp": DraftKind.LAB,
        "spep-ife": DraftKind.LAB,
        "serum-flc": DraftKind.LAB,
        "quant-ig": DraftKind.LAB,
        "b2m": DraftKind.LAB,
        "ldh": DraftKind.LAB,
        "upep-ife-24h": DraftKind.LAB,
    }
)

# ------------------------------------------------------------------------------ text patterns

_I = re.IGNORECASE
_BIOPSY_TEXT: Final = re.compile(
    r"\b(?:bone\s+)?marrow\s+(?:aspirat\w*|biops\w*|trephine|core|sampling)"
    r"|\b(?:aspirat\w*|biops\w*|trephine)\b[\w\s,&/-]{0,20}?\bmarrow\b"
    r"|\bbmbx\b",
    _I,
)
_SURVEY_TEXT: Final = re.compile(
    r"\b(?:skeletal|bone|osseous|metastatic(?:\s+bone)?|myeloma)\s+survey\b", _I
)
_WHOLE_BODY_TEXT: Final = re.compile(
    r"\bwhole[\s-]*body\b[\w\s,/-]{0,30}?\b(?:ct|mri?|mr|pet|computed|magnetic|low[\s-]*dose)\b"
    r"|\b(?:ct|mri?|mr|pet|low[\s-]*dose\s+ct)\b[\w\s,/-]{0,20}?\bwhole[\s-]*body\b"
    r"|\bwb[\s-]?(?:mri?|ldct|ct)\b|\bwbldct\b"
    r"|\bpet[\s/-]*ct\b|\bfdg[\s-]*pet\b",
    _I,
)
_MRI_TEXT: Final = re.compile(r"\bmri?\b|\bmagnetic\s+resonance\b|\bnmr\b", _I)
_NOT_MRI_EXAM: Final = re.compile(
    r"\bmra\b|angiogra|spectroscop|\bsacroiliac\b|\bsi\s+joints?\b", _I
)
_SITES: Final[tuple[tuple[MriSite, re.Pattern[str]], ...]] = (
    (MriSite.LUMBAR, re.compile(r"\blumb\w*|\bl[\s-]?spine\b|\bls[\s-]?spine\b", _I)),
    (MriSite.SACRUM, re.compile(r"\bsacr(?:um|al)\b|\bsacrococcy\w*|\bcoccyx\b", _I)),
    (MriSite.PELVIS, re.compile(r"\bpelvi[sc]\b", _I)),
    (MriSite.THORACIC, re.compile(r"\bthoracic\b|\bt[\s-]?spine\b|\bdorsal\s+spine\b", _I)),
    (MriSite.CERVICAL, re.compile(r"\bcervical\b|\bc[\s-]?spine\b", _I)),
    (MriSite.SPINE, re.compile(r"\bspin(?:e|al)\b", _I)),
)
# Contrast mode from order text: the imaging mapper's reading of exam titles
# (`fhir_mappers.imaging_codes.contrast_in`: "with contrast", "w/ contrast", "w contrast", "WO",
# "w/o and w", ...), plus what order texts add: the CPT descriptor "without contrast material,
# followed by contrast material(s)" and a bare "without".
_FOLLOWED_BY_CONTRAST: Final = re.compile(r"\bfollowed\s+by\s+contrast", _I)
_BARE_WITHOUT: Final = re.compile(r"\bwithout\b", _I)

_LAB_TEXT: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("upep-ife-24h", re.compile(r"\bupep\b|\burine\b.*\b(?:electrophoresis|immunofixation)", _I)),
    (
        "spep-ife",
        re.compile(r"\bspep\b|\bprotein\s+electrophoresis\b|\bimmunofixation\b|\bsife\b", _I),
    ),
    (
        "serum-flc",
        re.compile(r"\bfree\s+(?:kappa|lambda|light)|\bflcs?\b|\bkappa\s*/?\s*lambda", _I),
    ),
    (
        "quant-ig",
        re.compile(r"\bimmunoglobulins\b|\bquantitative\s+immunoglobulin|\big\s*[gam]\s*,", _I),
    ),
    ("b2m", re.compile(r"\bbeta[\s-]*2[\s-]*microglobulin|\bb2m\b|\bβ2[\s-]*microglobulin", _I)),
    ("ldh", re.compile(r"\bldh\b|\blactate\s+dehydrogenase\b", _I)),
    ("cmp", re.compile(r"\bcmp\b|\bcomprehensive\s+metabolic\b", _I)),
    ("cbc-diff", re.compile(r"\bcbc\b|\bcomplete\s+blood\s+count\b|\bfull\s+blood\s+count\b", _I)),
)


def contrast_from_text(text: str) -> Contrast:
    """Contrast mode an order text states, or UNKNOWN (without-and-with is tested first)."""
    if _FOLLOWED_BY_CONTRAST.search(text):
        return Contrast.WITHOUT_AND_WITH
    found = contrast_in(text)
    if found is Contrast.UNKNOWN and _BARE_WITHOUT.search(text):
        return Contrast.WITHOUT
    return found


def mri_site_from_text(text: str) -> MriSite | None:
    """The spine / sacrum / pelvis site of an MRI order text, or None when it is no such MRI."""
    if not _MRI_TEXT.search(text) or _NOT_MRI_EXAM.search(text):
        return None
    for site, pattern in _SITES:
        if pattern.search(text):
            return site
    return None


# ------------------------------------------------------------------------------ recognition


@dataclass(frozen=True)
class Recognition:
    kind: DraftKind
    order_key: str | None = None
    contrast: Contrast = Contrast.UNKNOWN
    site: MriSite | None = None
    recognised_by: str = ""


def _by_code(code: OrderCode) -> Recognition | None:
    slot = (code.system, code.code)
    by = f"{_SYSTEM_NAMES.get(code.system, code.system)} {code.code}"
    mri = _MRI_CODES.get(slot)
    if mri is not None:
        return Recognition(
            DraftKind.MRI_MARROW_REGION, None, mri.contrast, mri.site, recognised_by=by
        )
    if slot in _SKELETAL_SURVEY_CODES:
        return Recognition(DraftKind.SKELETAL_SURVEY, recognised_by=by)
    if slot in _WHOLE_BODY_CODES:
        return Recognition(DraftKind.WHOLE_BODY_IMAGING, "whole-body-imaging", recognised_by=by)
    if slot in _BIOPSY_CODES:
        return Recognition(DraftKind.MARROW_BIOPSY, "bone-marrow-biopsy", recognised_by=by)
    key = order_key_for_coding(code.system, code.code)
    if key is None:
        return None
    return Recognition(_KIND_BY_KEY.get(key, DraftKind.OTHER), key, recognised_by=by)


def _by_text(text: str) -> Recognition | None:
    if not text:
        return None
    if _BIOPSY_TEXT.search(text):
        return Recognition(DraftKind.MARROW_BIOPSY, "bone-marrow-biopsy", recognised_by="text")
    if _SURVEY_TEXT.search(text):
        return Recognition(DraftKind.SKELETAL_SURVEY, recognised_by="text")
    if _WHOLE_BODY_TEXT.search(text):
        return Recognition(DraftKind.WHOLE_BODY_IMAGING, "whole-body-imaging", recognised_by="text")
    site = mri_site_from_text(text)
    if site is not None:
        return Recognition(
            DraftKind.MRI_MARROW_REGION, None, contrast_from_text(text), site, "text"
        )
    for key, pattern in _LAB_TEXT:
        if pattern.search(text):
            return Recognition(DraftKind.LAB, key, recognised_by="text")
    return None


def recognise(codes: Sequence[OrderCode], text: str) -> Recognition:
    """What an order is: by its codings first (in the order sent), then by its text.

    An MRI recognised by a code that does not state the contrast mode takes it from the text.
    """
    for code in codes:
        found = _by_code(code)
        if found is None:
            continue
        if found.kind is DraftKind.MRI_MARROW_REGION and found.contrast is Contrast.UNKNOWN:
            return Recognition(
                found.kind,
                found.order_key,
                contrast_from_text(text),
                found.site,
                found.recognised_by,
            )
        if found.order_key == "mri-followup":  # our own suggestion sent back: without and with
            return Recognition(
                found.kind, found.order_key, Contrast.WITHOUT_AND_WITH, None, found.recognised_by
            )
        return found
    return _by_text(text) or Recognition(DraftKind.OTHER)


# ------------------------------------------------------------------------------ FHIR JSON


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _codes(concept: Any) -> tuple[OrderCode, ...]:
    if not isinstance(concept, Mapping):
        return ()
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return ()
    out: list[OrderCode] = []
    for coding in codings:
        if not isinstance(coding, Mapping):
            continue
        code = _str(coding.get("code"))
        if not code:  # the sandbox sends coding: [{}] before a study is chosen
            continue
        display = _str(coding.get("display")) or None
        out.append(OrderCode(canonical_system(_str(coding.get("system"))), code, display))
    return tuple(out)


def _concept_text(concept: Any) -> str:
    """code.text, then every coding display: all the words the order is known by."""
    if not isinstance(concept, Mapping):
        return ""
    parts = [_str(concept.get("text"))]
    codings = concept.get("coding")
    if isinstance(codings, list):
        parts.extend(_str(c.get("display")) for c in codings if isinstance(c, Mapping))
    return " | ".join(p for p in parts if p)


def _reasons(resource: Mapping[str, Any]) -> tuple[str, ...]:
    reasons: list[str] = []
    reason_codes = resource.get("reasonCode")
    if isinstance(reason_codes, list):
        reasons.extend(t for t in (_concept_text(c) for c in reason_codes) if t)
    reason_refs = resource.get("reasonReference")
    if isinstance(reason_refs, list):
        for ref in reason_refs:
            if isinstance(ref, Mapping) and _str(ref.get("display")):
                reasons.append(_str(ref.get("display")))
    return tuple(reasons)


# Statuses that mean the order is no longer being placed: not reviewed.
_CLOSED_STATUSES: Final = frozenset({"entered-in-error", "revoked", "completed"})


def map_draft_order(resource: Mapping[str, Any]) -> DraftOrder:
    """One ServiceRequest -> DraftOrder (caller has checked resourceType)."""
    resource_id = _str(resource.get("id"))
    concept = resource.get("code")
    codes = _codes(concept)
    words = _concept_text(concept)
    found = recognise(codes, words)
    shown = (
        (_str(concept.get("text")) if isinstance(concept, Mapping) else "")
        or next((c.display for c in codes if c.display), None)
        or (
            f"{_SYSTEM_NAMES.get(codes[0].system, codes[0].system)} {codes[0].code}"
            if codes
            else ""
        )
    )
    priority = _str(resource.get("priority")) or None
    return DraftOrder(
        resource_id=resource_id,
        reference=f"ServiceRequest/{resource_id}" if resource_id else "",
        kind=found.kind,
        text=shown,
        order_key=found.order_key,
        contrast=found.contrast,
        site=found.site,
        codes=codes,
        recognised_by=found.recognised_by,
        status=_str(resource.get("status")),
        intent=_str(resource.get("intent")),
        priority=priority,
        reasons=_reasons(resource),
    )


@dataclass(frozen=True)
class DraftOrders:
    """What `map_draft_orders` returns: the ServiceRequests, their JSON by reference, problems."""

    orders: tuple[DraftOrder, ...]
    resources: Mapping[str, Mapping[str, Any]]  # "ServiceRequest/abc" -> the JSON as sent
    problems: tuple[MappingProblem, ...] = ()


def map_draft_orders(bundle: Any, *, stop: Stop = never) -> DraftOrders:
    """`context.draftOrders` -> the ServiceRequests in it, recognised; other resources ignored.

    A ServiceRequest without an id is still reviewed (it cannot be updated or removed by a
    suggestion: `reference` is "") and recorded as a problem. Never raises, except
    `WorkStopped` when `stop()` answers True (the call's deadline: fhir_mappers.limits), checked
    before every entry.
    """
    problems: list[MappingProblem] = []
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        return DraftOrders(
            (), {}, (MappingProblem(None, "draftOrders is not a FHIR Bundle", "error"),)
        )
    entries = bundle.get("entry")
    if entries is None:
        return DraftOrders((), {})
    if not isinstance(entries, list):
        return DraftOrders(
            (), {}, (MappingProblem(None, "draftOrders.entry is not a list", "error"),)
        )
    orders: list[DraftOrder] = []
    resources: dict[str, Mapping[str, Any]] = {}
    for position, entry in enumerate(entries):
        check(stop)
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or resource.get("resourceType") != "ServiceRequest":
            continue
        draft = map_draft_order(resource)
        if draft.status in _CLOSED_STATUSES:
            continue
        if not draft.reference:
            problems.append(
                MappingProblem(None, f"draftOrders entry {position}: ServiceRequest without an id")
            )
        elif draft.reference in resources:
            problems.append(
                MappingProblem(draft.reference, "sent twice in draftOrders: reviewed once")
            )
            continue
        else:
            resources[draft.reference] = resource
        orders.append(draft)
    return DraftOrders(tuple(orders), MappingProxyType(resources), tuple(problems))
