"""The orders the cards suggest (SPEC.md section 7): order key -> label and standard codings.

Pure data. Every suggested ServiceRequest carries a coding with system `ORDER_KEY_SYSTEM` and
the order key, plus the standard codings below. Codes marked "(verify)" in SPEC.md came from a
secondary source only: they are kept, with `verified=False`, and never replaced by a guess.

`display` is the order in words as SPEC.md section 7 names it, not the code system's licensed
descriptor text (CPT descriptors are AMA copyright).

Where SPEC.md gives no standard code (oncology-referral: "SNOMED (verify)" without a code), the
order carries its `urn:marrow-cds:order` key and its text only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from logic.model import Region

ORDER_KEY_SYSTEM: Final = "urn:marrow-cds:order"

CPT: Final = "http://www.ama-assn.org/go/cpt"
LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"

# The HL7 OIDs of the same code systems, as some EHRs send them (matched on input only).
_SYSTEM_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "urn:oid:2.16.840.1.113883.6.12": CPT,
        "urn:oid:2.16.840.1.113883.6.1": LOINC,
        "urn:oid:2.16.840.1.113883.6.96": SNOMED,
        "http://www.ama-assn.org/go/cpt/": CPT,
        "http://loinc.org/": LOINC,
        "http://snomed.info/sct/": SNOMED,
    }
)


@dataclass(frozen=True)
class StandardCoding:
    """One standard code of an order. `verified=False`: marked "(verify)" in SPEC.md."""

    system: str
    code: str
    display: str
    verified: bool = True


@dataclass(frozen=True)
class OrderDefinition:
    """One order of SPEC.md section 7."""

    key: str
    label: str  # what the clinician sees on the suggestion and the ServiceRequest text
    codings: tuple[StandardCoding, ...] = ()
    # mri-followup only: the codings of the exam of the index region (Region -> codings)
    codings_by_region: Mapping[Region, tuple[StandardCoding, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )


def _c(system: str, code: str, display: str, *, verified: bool = True) -> StandardCoding:
    return StandardCoding(system=system, code=code, display=display, verified=verified)


_MRI_BY_REGION: Final[Mapping[Region, tuple[StandardCoding, ...]]] = MappingProxyType(
    {
        Region.LUMBAR_SPINE: (
            _c(LOINC, "24967-2", "MR Lumbar spine without and with contrast"),
            _c(CPT, "72158", "MRI lumbar spine without and with contrast"),
        ),
        Region.SACRUM: (_c(LOINC, "36391-1", "MR Sacrum without and with contrast"),),
        Region.PELVIS: (_c(LOINC, "30674-6", "MR Pelvis without and with contrast"),),
    }
)

_DEFINITIONS: Final[tuple[OrderDefinition, ...]] = (
    OrderDefinition(
        key="bone-marrow-biopsy",
        label="Bone marrow aspiration and core biopsy, posterior iliac crest",
        codings=(
            _c(CPT, "38222", "Bone marrow aspiration and biopsy"),
            # Not 86273004 (generic biopsy): SPEC.md section 7.
            _c(SNOMED, "234326005", "Bone marrow sampling"),
        ),
    ),
    OrderDefinition(
        key="flow-cytometry",
        label="Multicolour flow cytometry on bone marrow",
        codings=(
            _c(CPT, "88184", "Flow cytometry"),
            _c(LOINC, "101119-6", "Flow cytometry study"),
        ),
    ),
    OrderDefinition(
        key="cytogenetics-fish",
        label="Bone marrow karyotype and FISH panel",
        codings=(
            _c(SNOMED, "426329006", "Fluorescence in situ hybridization (FISH)"),
            _c(CPT, "88237", "Chromosome analysis, bone marrow culture", verified=False),
            _c(CPT, "88271", "Molecular cytogenetics, DNA probe (FISH)", verified=False),
        ),
    ),
    OrderDefinition(
        key="cbc-diff",
        label="Complete blood count with differential",
        codings=(
            _c(LOINC, "57021-8", "CBC with automated differential panel", verified=False),
            _c(CPT, "85025", "Complete blood count with differential", verified=False),
        ),
    ),
    OrderDefinition(
        key="cmp",
        label="Metabolic panel including calcium, albumin and creatinine",
        codings=(
            _c(LOINC, "24323-8", "Comprehensive metabolic panel", verified=False),
            _c(CPT, "80053", "Comprehensive metabolic panel", verified=False),
        ),
    ),
    OrderDefinition(
        key="spep-ife",
        label="Serum protein electrophoresis with immunofixation",
        codings=(
            _c(CPT, "84165", "Serum protein electrophoresis"),
            _c(CPT, "86334", "Serum immunofixation electrophoresis"),
        ),
    ),
    OrderDefinition(
        key="serum-flc",
        label="Serum free light chains (kappa, lambda and ratio)",
        codings=(
            _c(LOINC, "48378-4", "Free kappa/free lambda light chain ratio, serum"),
            _c(CPT, "83521", "Immunoglobulin light chains, free"),
        ),
    ),
    OrderDefinition(
        key="quant-ig",
        label="Quantitative immunoglobulins (IgG, IgA, IgM)",
        codings=(_c(CPT, "82784", "Immunoglobulins IgA, IgG, IgM, quantitative"),),
    ),
    OrderDefinition(
        key="b2m",
        label="Beta-2 microglobulin",
        codings=(
            _c(LOINC, "1952-1", "Beta-2 microglobulin, serum or plasma"),
            _c(CPT, "82232", "Beta-2 microglobulin"),
        ),
    ),
    OrderDefinition(
        key="ldh",
        label="Lactate dehydrogenase (LDH)",
        codings=(_c(LOINC, "2532-0", "Lactate dehydrogenase, serum or plasma"),),
    ),
    OrderDefinition(
        key="upep-ife-24h",
        label="24-hour urine protein electrophoresis with immunofixation",
        codings=(
            _c(CPT, "84166", "Urine protein electrophoresis"),
            _c(CPT, "86335", "Urine immunofixation electrophoresis"),
        ),
    ),
    OrderDefinition(
        key="mri-followup",
        label="MRI of the index region, without and with contrast",
        codings_by_region=_MRI_BY_REGION,
    ),
    OrderDefinition(
        key="whole-body-imaging",
        label="Whole-body imaging: low-dose CT, FDG PET/CT or whole-body MRI",
        codings=(
            _c(LOINC, "46305-9", "CT whole body"),
            _c(LOINC, "46358-8", "MR whole body"),
            _c(CPT, "78815", "PET/CT imaging, skull base to mid-thigh"),
        ),
    ),
    OrderDefinition(
        key="hematology-referral",
        label="Referral to haematology",
        codings=(_c(SNOMED, "183567007", "Referral to haematologist", verified=False),),
    ),
    OrderDefinition(
        key="oncology-referral",
        label="Referral to oncology",
        # SPEC.md section 7: "SNOMED (verify)" with no code given; none is invented here.
        codings=(),
    ),
)

ORDERS: Final[Mapping[str, OrderDefinition]] = MappingProxyType(
    {definition.key: definition for definition in _DEFINITIONS}
)
ORDER_KEYS: Final[frozenset[str]] = frozenset(ORDERS)


def _index() -> Mapping[tuple[str, str], str]:
    index: dict[tuple[str, str], str] = {}
    for definition in _DEFINITIONS:
        all_codings = list(definition.codings)
        for region_codings in definition.codings_by_region.values():
            all_codings.extend(region_codings)
        for coding in all_codings:
            slot = (coding.system, coding.code)
            if index.get(slot, definition.key) != definition.key:
                raise ValueError(f"{coding.system}|{coding.code} belongs to two order keys")
            index[slot] = definition.key
    return MappingProxyType(index)


_KEY_BY_CODING: Final = _index()


def order_definition(key: str) -> OrderDefinition:
    """The definition of an order key; KeyError for a key SPEC.md section 7 does not have."""
    return ORDERS[key]


def codings_for(key: str, region: Region | None = None) -> tuple[StandardCoding, ...]:
    """Standard codings of an order; for mri-followup those of the index region (may be none)."""
    definition = ORDERS[key]
    if definition.codings_by_region:
        if region is None:
            return ()
        return definition.codings_by_region.get(region, ())
    return definition.codings


def order_key_for_coding(system: str | None, code: str | None) -> str | None:
    """The order key a coding stands for, or None.

    Accepts the `urn:marrow-cds:order` key itself and every standard coding of section 7
    (verified or not), with the HL7 OIDs of CPT, LOINC and SNOMED as aliases.
    """
    if not system or not code:
        return None
    system = system.strip()
    code = code.strip()
    if system == ORDER_KEY_SYSTEM:
        return code if code in ORDERS else None
    system = _SYSTEM_ALIASES.get(system, system)
    return _KEY_BY_CODING.get((system, code))
