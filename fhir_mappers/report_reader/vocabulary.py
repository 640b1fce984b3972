"""Vocabulary of the MRI report reader (fhir_mappers.report_reader): the words and patterns.

SPEC.md section 3 lists the targets, negation triggers, pseudo-negations, hedges, counts, sizes,
sites, field strength and chemical-shift phrases; this module spells them as compiled regular
expressions (compiled once, at import), with British and American spellings. `sentence` decides
what they mean in a sentence (scope, class); nothing here reads a report.

Each pattern table has a parallel keyword table: a pattern is only tried on a sentence that
contains one of its keywords (a substring search), which keeps extract() fast. Tests check that
the keyword prefilter never changes a result.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from enum import Enum

from logic.model import FeatureKind, IntervalChange

_F = re.IGNORECASE

# --------------------------------------------------------------------------- vocabulary

# Words that mark a clause as being about degenerative disc / other structures, not marrow.
_NOT_MARROW_CONTEXT = re.compile(
    r"\b(?:dis[ck]s?|bulg\w*|protrusion|herniat\w*|extrusion|stenosis|foramin\w*|facet\w*|"
    r"spondylo\w*|degenerat\w*|listhesis|kyphos\w*|scolios\w*|modic|end-?plates?|schmorl\w*|"
    r"annul\w*|lymph|nodes?|uter\w*|ovar\w*|prostat\w*|fibroids?|kidneys?|renal|cysts?|"
    r"tarlov|perineural|synovial|scar|granulation|post-?operative|hardware|screws?|prosthe\w*)\b",
    _F,
)
_MARROW_NOUN = (
    r"(?:bone[\s-]+)?marrow|vertebral[\s-]+bod(?:y|ies)|vertebrae|vertebra|osseous[\s-]+"
    r"structures|bones|skeleton|sacrum|sacral[\s-]+ala|ilia|iliac[\s-]+(?:bones?|wings?|crests?)"
)
_MARROW_ADJ = (
    r"heterogene(?:ous|ously|ity)|inhomogene(?:ous|ously|ity)|mottled|mottling|patchy|"
    r"variegated|salt[\s-]+and[\s-]+pepper|abnormal|abnormality|abnormalities|"
    # "Infiltrative marrow signal from L1 to S2"
    r"infiltrative|"
    # "Indeterminate marrow signal in the L5 vertebral body" (FOCAL_EQUIVOCAL: indeterminate)
    r"indeterminate|equivocal"
)
# Up to n intervening words, none of which is about discs / degenerative change.
_GAP_WORD = (
    r"[\s,/():\"“”-]+(?!(?:dis[ck]s?|bulge|protrusion|herniation|end-?plates?|modic|facets?|"
    r"stenosis|no|without)\b)[\w'’.-]+"
)


def _gap(n: int) -> str:
    return rf"(?:{_GAP_WORD}){{0,{n}}}?[\s,/():\"“”-]+"


_LEVEL_WORDS = {
    "C": range(1, 8),
    "T": range(1, 13),
    "L": range(1, 6),
    "S": range(1, 6),
}
_SPINE_ORDER: tuple[str, ...] = tuple(
    f"{region}{n}" for region in "CTLS" for n in _LEVEL_WORDS[region]
)
_SPINE_INDEX = {name: i for i, name in enumerate(_SPINE_ORDER)}
_SITES_ORDER = ("sacrum", "sacral ala", "iliac", "pelvis")

# --------------------------------------------------------------------------- patterns


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _F)


# What modifiers qualify and the class is read from (SPEC.md section 3): the marrow findings.
TARGET_KINDS = frozenset(
    {
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
    }
)


class _Kind(Enum):
    """Internal hit kinds beyond FeatureKind (not exported on features)."""

    INDETERMINATE = "indeterminate"
    MULTILEVEL = "multilevel"  # "several vertebral levels", "all vertebral bodies"


# Targets and features: (kind, pattern, subtype). Subtype "replacement" marks marrow replacement /
# infiltration wording (counts for DIFFUSE only when not hedged as a possibility).
_LESION_ADJ = (
    r"(?:(?:small|tiny|subcentimet(?:er|re)|focal|discrete|rounded|round|oval|ovoid|well[\s-]"
    r"(?:defined|circumscribed|marginated)|ill[\s-]defined|sharply[\s-]+(?:marginated|"
    r"demarcated|defined|circumscribed)|t1[\s-]*(?:weighted[\s-]+)?(?:hypo|hyper|iso)intense|"
    r"(?:hypo|hyper|iso)intense|t2[\s-]*(?:hypo|hyper)intense|stir[\s-]+hyperintense|enhancing|"
    r"avidly|non[\s-]?enhancing|lytic|osteolytic|sclerotic|blastic|marrow[\s-]+replacing|"
    r"osseous|bony|bone|marrow|additional|new|further|similar|suspicious|indeterminate|"
    r"nonspecific|non-specific|(?:\d+(?:\.\d+)?\s*(?:x|×|by)\s*)*\d+(?:\.\d+)?[\s-]*(?:mm|cm))"
    r"[\s,-]+){0,4}"
)
_LESION_ADJ_BEFORE = re.compile(rf"\b{_LESION_ADJ}$", _F)
_LESION_NOUN = (
    r"(?:lesions?|foci|focus|nodules?|deposits?|(?<!lateral\s)masses|"
    r"(?<!lateral\s)mass(?![\s-]+effect)|"
    # what a lesion is called when the report names it: a metastasis, a plasmacytoma
    r"metastas[ie]s|metastatic\s+(?:disease|involvement)|plasmacytomas?)"
)

_NOUN_FORMS = r"(?:abnormalit(?:y|ies)|heterogeneity|inhomogeneity|mottling)"
_NOT_A_NOUN_FORM = (
    r"(?<!abnormality)(?<!abnormalities)(?<!heterogeneity)(?<!inhomogeneity)(?<!mottling)"
)

_TARGETS: tuple[tuple[FeatureKind | _Kind, re.Pattern[str], str], ...] = (
    # -- marrow signal (a target)
    (
        FeatureKind.MARROW_SIGNAL,
        # (a noun -- "abnormality", "heterogeneity" -- reaches the marrow only through a linking
        # word: "abnormality of the marrow"; "no marrow signal abnormality heterogenous marrow at
        # L3" is two phrases)
        _c(
            rf"(?:\b(?:{_MARROW_ADJ})\b{_NOT_A_NOUN_FORM}{_gap(5)}|\b{_NOUN_FORMS}\s+(?:of|in|"
            rf"within|involving|affecting)\b{_gap(4)})(?:{_MARROW_NOUN})\b(?:[\s-]+signal)?"
        ),
        "",
    ),
    (
        FeatureKind.MARROW_SIGNAL,
        _c(rf"\b(?:{_MARROW_NOUN})\b{_gap(5)}(?:{_MARROW_ADJ})\b"),
        "",
    ),
    (
        FeatureKind.MARROW_SIGNAL,
        _c(
            r"\b(?:decreased|low|reduced|diminished|hypointense)\s+(?:t1|t1[\s-]weighted)\s+"
            r"(?:bone\s+)?marrow(?:\s+signal)?|\bt1[\s-]*hypointense\s+(?:bone\s+)?marrow|"
            # "mild diffuse decrease in marrow signal", "a reduction in T1 marrow signal"
            r"\b(?:decrease|reduction|loss|lowering)\s+(?:in|of)\s+(?:the\s+)?(?:t1(?:[\s-]weighted)?\s+)?"
            r"(?:bone\s+)?marrow\s+signal|"
            r"\b(?:bone\s+)?marrow\s+signal\s+(?:is\s+|appears\s+)?(?:diffusely\s+)?"
            r"(?:decreased|low|reduced|hypointense)\s+on\s+t1"
        ),
        "",
    ),
    (
        # "diffuse low signal intensity within the visualized marrow": the signal of the marrow
        FeatureKind.MARROW_SIGNAL,
        _c(
            r"\b(?:low|decreased|reduced|diminished|abnormal|hypointense|heterogeneous|"
            r"inhomogeneous|mottled|patchy)\s+(?:t1(?:[\s-]weighted)?\s+)?signal(?:\s+intensity)?"
            r"(?:\s+(?:on|in)\s+t1(?:[\s-]weighted)?(?:\s+images?)?)?\s+(?:within|in|of|"
            r"throughout|involving|affecting)\s+(?:the\s+|all\s+(?:of\s+)?(?:the\s+)?)?(?:[\w-]+\s+){0,2}?"
            r"(?:bone\s+marrow|marrow|vertebral\s+bod(?:y|ies)|vertebrae|osseous\s+structures|bones)"
        ),
        "",
    ),
    (
        # a normal-marrow statement denied: "bone marrow signal not unremarkable at L2", "Marrow
        # signal is not normal at L2" (abnormal marrow signal, SPEC.md section 3); the "not" is
        # the finding's own word, never its negation (subtype "not-normal")
        FeatureKind.MARROW_SIGNAL,
        _c(
            r"\b(?:bone\s+)?marrow(?:\s+signal)?(?:\s+intensity)?\s+(?:is\s+|are\s+|appears?\s+|"
            r"was\s+)?not\s+(?:entirely\s+|completely\s+|quite\s+|totally\s+)?(?:normal|unremarkable|"
            r"within\s+normal\s+limits)\b"
        ),
        "not-normal",
    ),
    (
        # "heterogeneous signal at L3", "mottled signal in the sacrum": signal of a named bone;
        # "patchy heterogeneity in S1", "patchy signal is present in the right half of S1"
        FeatureKind.MARROW_SIGNAL,
        _c(
            r"\b(?:(?:heterogeneous|inhomogeneous|mottled|patchy|variegated)\b(?:\s+[\w-]+){0,3}?\s+"
            r"signal(?:\s+intensity)?|heterogeneity|inhomogeneity|mottling)"
            r"(?:\s+(?:is|are)\s+(?:present|seen|noted|identified|demonstrated|evident))?"
            r"\s+(?:at|in|of|involving|within|throughout)\s+(?:the\s+)?"
            r"(?:(?:right|left|upper|lower|anterior|posterior)\s+(?:half|side|aspect|portion|part)\s+"
            r"of\s+(?:the\s+)?)?"
            r"(?:(?:both|bilateral|left|right|proximal|distal|posterior|anterior)\s+){0,3}"
            r"(?:[CTLS]\d{1,2}\b(?![\s/–-]*(?:[CTLS]?\d{1,2})?\s*(?:dis[ck]|interspace|intervertebral|"
            r"(?:nerve\s+)?roots?|foram\w*|facets?))|"
            r"vertebra\w*|sacr\w*|ilia\w*|iliac|pelvic\s+bones?|osseous|bony|femor\w*|femur|femora)"
        ),
        "",
    ),
    (
        # "patchy areas of decreased T1 signal in the pelvis": marrow signal without the word
        FeatureKind.MARROW_SIGNAL,
        _c(
            r"\b(?:patchy|heterogeneous|mottled|scattered|multifocal)\s+(?:areas?|regions?|zones?)"
            r"\s+of\s+(?:decreased|low|abnormal|reduced|diminished)\s+(?:t1(?:[\s-]weighted)?\s+)?"
            r"signal"
        ),
        "",
    ),
    # -- diffuse pattern
    (
        FeatureKind.DIFFUSE_PATTERN,
        _c(rf"\bdiffuse(?:ly)?\b(?!\s+large\s+b){_gap(5)}(?:{_MARROW_NOUN})\b"),
        "distribution",
    ),
    (
        FeatureKind.DIFFUSE_PATTERN,
        _c(
            rf"\b(?:{_MARROW_NOUN})\b{_gap(5)}diffuse(?:ly)?\b"
            r"(?![\s-]+(?:dis[ck]|bulg|protrusion|annul|end-?plate|facet|uter|prostat))"
        ),
        "distribution",
    ),
    (
        FeatureKind.DIFFUSE_PATTERN,
        _c(
            r"(?<!fatty\s)(?<!fat\s)\b(?:bone\s+)?marrow[\s-]+(?:replacement|infiltration|"
            r"replacing\s+process|infiltrative\s+process)|(?<!fatty\s)(?<!fat\s)\b(?:replacement|"
            r"infiltration)\s+of\s+(?:the\s+)?(?:normal\s+)?(?:fatty\s+)?(?:bone\s+)?marrow|"
            r"\binfiltrative\s+(?:marrow\s+)?(?:process|disease|disorder|pattern|change|changes|"
            r"abnormality)|"
            # "lymphomatous involvement of the marrow", "marrow involvement by leukaemia"
            r"\b(?:lymphomatous|leuk(?:a)?emic|myelomatous|neoplastic|tumou?ral|malignant)\s+"
            r"(?:involvement|infiltration|replacement)\s+of\s+(?:the\s+)?(?:bone\s+)?marrow|"
            r"\bmarrow\s+(?:involvement|infiltration)\s+(?:by|with)\s+(?:lymphoma|leuk(?:a)?emi\w*|"
            r"myeloma|tumou?r|metasta\w*|malignan\w*|neoplas\w*)|\breplaced\s+(?:bone\s+)?marrow|\bmarrow\s+(?:is|are|was|appears?)\s+"
            r"(?:\w+\s+)?replaced|\breplaced\s+by\s+(?:tumou?r|neoplasm|metasta\w*|myeloma|"
            r"lymphoma|leuka?emi\w*)|\breplac(?:ing|es)\s+(?:the\s+)?(?:normal\s+(?:fatty\s+)?|fatty\s+)"
            r"(?:bone\s+)?marrow|\breplac(?:ing|es)\s+(?:the\s+)?(?:normal\s+)?marrow\s+fat"
        ),
        "replacement",
    ),
    (
        # SPEC.md section 3 example "diffuse heterogeneity without a discrete focal lesion":
        # in a marrow report, diffuse heterogeneity with no noun is the marrow's.
        FeatureKind.DIFFUSE_PATTERN,
        _c(r"\bdiffuse(?:ly)?\s+(?:heterogene\w*|inhomogene\w*|mottl\w*|variegated)"),
        "distribution",
    ),
    (
        # "diffuse infiltration pattern of the thoracic and lumbar marrow" (whose organ the
        # infiltration is, `checks` asks of its clause)
        FeatureKind.DIFFUSE_PATTERN,
        _c(r"\bdiffuse(?:ly)?\s+infiltrat(?:ion|ive|ed)(?:\s+pattern)?\b"),
        "distribution",
    ),
    (
        _Kind.MULTILEVEL,
        _c(
            r"\b(?:all|every|multiple|several|numerous|most)\s+(?:of\s+the\s+)?(?:visuali[sz]ed\s+"
            r"|imaged\s+|included\s+|lumbar\s+|thoracic\s+)?(?:vertebral\s+(?:bodies|levels)|"
            r"vertebrae|levels|vertebral\s+segments)|"
            # SPEC.md section 3 names "multilevel" a distribution word (with a marrow target)
            r"\bmulti-?level\b"
        ),
        "distribution",
    ),
    # -- focal lesions
    (
        FeatureKind.LYTIC_LESION,
        _c(
            r"\b(?:osteo)?lytic\b(?:[\s,/-]+(?:or|and|expansile|destructive|blastic|sclerotic|"
            r"focal|bone|bony|osseous|marrow|replacing|marrow-replacing)){0,3}[\s,-]+(?:lesions?|foci|focus|areas?|"
            r"deposits?|changes?|process|destruction|metastas[ie]s)|\bpunched[\s-]+out\s+"
            r"(?:lesions?|foci|areas?)|"
            # bone destruction as CT and radiographs describe it
            r"\b(?:permeative|moth[\s-]*eaten)\b|\b(?:bone|bony|osseous|cortical)\s+destruction\b"
        ),
        "",
    ),
    (
        FeatureKind.FOCAL_LESION,
        _c(rf"\b{_LESION_NOUN}\b(?!\s+of\s+(?:fat|fatty)\b)"),
        "lesion-noun",
    ),
    (
        FeatureKind.FOCAL_LESION,
        _c(
            r"\bfocal\s+(?:areas?\s+of\s+)?(?:marrow\s+)?(?:signal\s+)?abnormalit(?:y|ies)|"
            r"\bfocal\s+areas?\s+of\s+(?:abnormal|low|decreased|t1|hypointense)\w*|"
            r"\batypical\s+h(?:a)?emangiomas?"
        ),
        "",
    ),
    # -- worrisome features (SPEC.md section 3)
    (
        FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC,
        _c(
            # "T1 comparisons in any phrasing" (SPEC.md section 3): lower / less / darker than,
            # hypointense / isointense / similar / equal to, "equal or lower in SI than"
            r"\b(?:hypointense|isointense|iso[\s-]+to[\s-]+hypointense|lower|darker|less"
            r"(?:\s+intense)?|equal(?:\s+(?:to\s+)?or\s+(?:lower|less|darker)(?:\s+than)?)?|"
            r"similar|low|the\s+same|iso(?:intense)?\s+(?:or|to)\s+hypointense)"
            r"(?:\s+(?:in|of)\s+(?:t1(?:[\s-]weighted)?\s+)?signal(?:\s+intensity)?|\s+signal"
            r"(?:\s+intensity)?|\s+in\s+intensity)?"
            r"\s+(?:to|than|with|as|relative\s+to|compared\s+(?:to|with))\s+(?:that\s+of\s+|those\s+"
            r"of\s+)?(?:the\s+|its\s+|their\s+)?(?:adjacent\s+|paraspinal\s+|paraspinous\s+|skeletal\s+|"
            r"normal\s+|intervertebral\s+|nearby\s+|surrounding\s+|back\s+|gluteal\s+|psoas\s+|"
            r"iliopsoas\s+|iliacus\s+|thigh\s+|pelvic\s+|"
            # ("similar to the adjacent L4-5 and L5-S1 discs")
            r"[CTLS]\d{1,2}(?:\s*[/-]\s*[CTLS]?\d{1,2})?(?:\s+(?:and|or)|,)?\s+)*(?:muscles?|"
            r"musculature|dis[ck]s?)(?:\s+(?:and|or|/)\s+(?:the\s+)?(?:adjacent\s+|paraspinal\s+|"
            r"skeletal\s+|intervertebral\s+)*(?:muscles?|musculature|dis[ck]s?))?"
        ),
        "t1",
    ),
    (
        FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE,
        _c(
            r"\b(?:hyperintense|brighter|higher|greater)(?:\s+(?:in\s+)?signal(?:\s+intensity)?)?"
            r"\s+(?:to|than|relative\s+to|compared\s+(?:to|with))\s+(?:that\s+of\s+)?(?:the\s+)?"
            r"(?:adjacent\s+|paraspinal\s+|skeletal\s+|intervertebral\s+|gluteal\s+|psoas\s+|"
            r"iliopsoas\s+|thigh\s+|pelvic\s+)*(?:muscles?|musculature|"
            r"dis[ck]s?)(?:\s*(?:,|and|/)\s*(?:the\s+)?(?:adjacent\s+|paraspinal\s+|skeletal\s+|"
            r"intervertebral\s+)*(?:muscles?|musculature|dis[ck]s?))?"
        ),
        "t1",
    ),
    (
        FeatureKind.DIFFUSE_HOMOGENEOUS,
        _c(
            r"\bdiffuse(?:ly)?\s+(?:and\s+)?homogene(?:ous|ously)\b|\bhomogene(?:ous|ously)\s+"
            r"(?:and\s+)?diffuse(?:ly)?\b|\bdiffuse(?:ly)?\s+(?:\w+\s+){1,3}?homogene(?:ous|ously)"
            r"\s+(?:decreased|low|abnormal|hypointense)"
        ),
        "",
    ),
    (
        FeatureKind.SHARP_MARGIN,
        _c(
            r"\bsharply\s+(?:marginated|demarcated|defined|circumscribed|delineated)|"
            r"\bsharp(?:ly)?\s+margins?\b|\bsharp\s+(?:borders?|zone\s+of\s+transition)"
        ),
        "",
    ),
    (
        FeatureKind.ENHANCEMENT,
        _c(
            r"(?<!contrast-)(?<!contrast\s)\b(?:non[\s-]?)?enhanc(?:ing|ement|es|e)\b|"
            r"\b(?:avid|abnormal)\s+(?:contrast\s+)?uptake"
        ),
        "",
    ),
    (
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        _c(
            r"\b(?:hyperintense|hyperintensity|high\s+signal|increased\s+signal|bright)\s+"
            r"(?:\w+\s+){0,3}?(?:on|in)\s+(?:the\s+)?(?:stir|fat[\s-]?sat(?:urated)?|"
            r"fat[\s-]suppressed|t2[\s-]?(?:weighted\s+)?fat[\s-]?(?:sat(?:urated)?|suppressed)|"
            r"fluid[\s-]sensitive)|\bstir[\s-]+(?:hyperintens\w*|bright|high\s+signal)|"
            r"\b(?:increased|high|elevated|hyperintense)\s+(?:\w+\s+)?(?:stir|fat[\s-]?sat\w*|"
            r"fat[\s-]suppressed|fluid[\s-]sensitive)\s+signal"
        ),
        "",
    ),
    (
        FeatureKind.COMPLETE_FAT_SUPPRESSION,
        _c(
            r"\bcomplete(?:ly)?\s+(?:\w+\s+){0,2}?(?:fat\s+)?suppress\w*|\bsuppress\w*\s+"
            r"(?:\w+\s+){0,2}?(?:completely|fully|entirely)|\bfull\s+(?:fat\s+)?suppression"
        ),
        "",
    ),
    (
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
        _c(
            # (not a disclaimer: "MRI cannot exclude all marrow disorders")
            r"\b(?:cannot|can\s*not|could\s+not|unable\s+to)\s+(?:be\s+)?(?:\w+ly\s+)?(?:excluded?|"
            r"rule\s+out|ruled\s+out)(?!\s+(?:all|every)\b)|\bnot\s+(?:be\s+)?(?:excluded|ruled\s+"
            r"out)|\bdifficult\s+"
            r"to\s+exclude|\b(?:concerning|suspicious|worrisome|worrying)\s+for|\bdifferential\s+"
            r"(?:diagnosis\s+)?(?:includes?|considerations?)|\braises?\s+(?:the\s+)?(?:possibility|"
            r"concern)|\bpossibility\s+of|\bpatholog\w*\s+(?:compression\s+|insufficiency\s+)?"
            r"fractures?"
        ),
        "",
    ),
    (
        FeatureKind.BENIGN_HEDGE,
        _c(
            r"\b(?:(?:red|h(?:a)?ematopoietic|h(?:a)?emopoietic|cellular)\s+)?marrow\s+"
            r"(?:reconversion|hyperplasia)|\breconversion\b(?:\s+(?:to|of)\s+(?:red|"
            r"h(?:a)?ematopoietic)\s+marrow)?|\b(?:red|h(?:a)?ematopoietic|h(?:a)?emopoietic)\s+"
            r"(?:marrow|hyperplasia)\b(?!\s+(?:disorder|malignan\w*|neoplas\w*))|"
            r"\batypical\s+h(?:a)?emangiomas?"
        ),
        "",
    ),
    (
        _Kind.INDETERMINATE,
        _c(r"\bindeterminate\b|\bequivocal\b"),
        "",
    ),
)

_MALIGNANCY = _c(
    r"infiltrat|metasta|neoplas|malignan|myeloma|lymphoma|leuk(?:a)?emi|tumou?r|plasma\s*cell|"
    r"marrow[\s-]+replac|marrow\s+(?:process|disorder|disease)|h(?:a)?ematolog|plasmacytoma"
)
_T1 = _c(r"\bt1\b|t1[\s-]*weighted|\bt1w")
_OTHER_SEQUENCE = _c(r"\bt2\b|\bstir\b|fat[\s-]?sat|\bpd\b")

# "not seen on the prior study", "not present on the MRI of two years ago": absent then,
# present now (a new finding, and no negation of it)
_THEN_ABSENT = (
    r"\bnot\s+(?:seen|present|visible|evident|identified)\s+(?:on|at|in)\s+(?:the\s+)?"
    r"(?:prior|previous|earlier|last|(?:mri|study|scan|ct|exam\w*)\s+(?:of|from|dated)\s+"
    r"(?:\w+\s+){0,2}?(?:ago|(?:19|20)\d\d))"
)
# Interval change: (kind, IntervalChange, pattern).
_INTERVAL: tuple[tuple[FeatureKind, IntervalChange, re.Pattern[str]], ...] = (
    (
        FeatureKind.NEW_LESION,
        IntervalChange.NEW_LESION,
        _c(
            rf"\bnew(?:ly)?\b(?:[\s,-]+[\w-]+){{0,3}}?[\s,-]+{_LESION_NOUN}|\bnewly\s+(?:seen|"
            r"identified|apparent|demonstrated|detected)|\bnew\s+(?:since|compared|from)|"
            + _THEN_ABSENT
            + r"|\b(?:additional|more)\s+(?:lesions|foci)"
        ),
    ),
    (
        FeatureKind.INTERVAL_INCREASE,
        IntervalChange.EVOLVED_DIFFUSE,
        _c(
            r"\bnow\s+(?:\w+\s+){0,2}?(?:diffuse|diffusely|throughout|confluent|widespread)|"
            r"\b(?:has|have)\s+become\s+(?:\w+\s+)?diffuse|\bprogressed\s+to\s+(?:a\s+)?diffuse|"
            r"\bevolv\w*\s+(?:in)?to\s+(?:a\s+)?diffuse"
        ),
    ),
    (
        FeatureKind.INTERVAL_INCREASE,
        IntervalChange.INCREASED,
        _c(
            r"\b(?:increased|increase|increasing)\s+in\s+(?:size|number|extent|conspicuity|"
            r"prominence)|\binterval\s+(?:increase|enlargement|progression|growth|worsening)|"
            r"\b(?:has|have)\s+(?:\w+\s+)?(?:increased|enlarged|grown|progressed|worsened)|"
            r"\b(?:enlarg(?:ed|ing)|grown|progressed|progression|progressive|worsened|"
            r"worsening)\b|\b(?:now|is|are|has\s+become|appears?|slightly|significantly|mildly)\s+"
            r"larger\b|\blarger\s+than\s+(?:on\s+)?(?:the\s+)?(?:prior|previous|before|last)|\bmore\s+(?:extensive|numerous|conspicuous|prominent|pronounced|"
            r"confluent|widespread)|\bnew\s+(?:\w+\s+){0,2}?(?:heterogene\w*|marrow|mottl\w*|"
            r"patchy|infiltrat\w*)|\bnow\s+(?:involv\w+|extends?|extending)"
        ),
    ),
    (
        FeatureKind.DECREASED,
        IntervalChange.DECREASED,
        _c(
            r"\b(?:decreased|decrease|decreasing|reduced|reduction)\s+in\s+(?:size|number|extent|"
            r"conspicuity|prominence)|\binterval\s+(?:decrease|improvement|regression|reduction)"
            r"|\b(?:has|have)\s+(?:\w+\s+)?(?:decreased|diminished|regressed|improved)|"
            r"\b(?:smaller|regressed|regression|improved|improvement)\b|\bless\s+(?:extensive|"
            r"numerous|conspicuous|prominent|pronounced)"
        ),
    ),
    (
        FeatureKind.RESOLVED,
        IntervalChange.RESOLVED,
        _c(
            r"\b(?:has\s+|have\s+)?resolved\b|\b(?:interval\s+)?resolution\b|\bno\s+longer\s+"
            r"(?:seen|visible|visuali[sz]ed|present|evident|identified|demonstrated|apparent|"
            r"appreciated|detected)"
        ),
    ),
    (
        FeatureKind.STABLE,
        IntervalChange.STABLE,
        _c(r"\bstable\b|\bunchanged\b|\bredemonstrated\s+without\s+change"),
    ),
)


class _Mod(Enum):
    NEG_FWD = "neg-fwd"
    NEG_BACK = "neg-back"
    SEVERITY = "severity"  # slight / mild / subtle / minimal
    UNCERTAIN = "uncertain"  # nonspecific, likely, may represent...
    POSSIBLE = "possible"  # possible, cannot exclude: the finding itself is uncertain
    POSSIBLE_BACK = "possible-back"
    HIST_FWD = "hist-fwd"
    HIST_BOTH = "hist-both"
    HIST_BACK = "hist-back"


# Pseudo-negations: matched first; the negation words inside them are not negation triggers.
# (pattern, what it means). "stable": finding present and unchanged; "no-new": newness negated;
# "no-increase": increase negated.
_PSEUDO: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "stable",
        _c(
            r"\bno\s+(?:significant\s+|appreciable\s+|definite\s+|substantial\s+|"
            r"measurable\s+)?(?:interval\s+)?change\b|\bwithout\s+(?:significant\s+|appreciable\s+"
            r"|definite\s+)?(?:interval\s+)?change\b|\bnot\s+(?:been\s+)?(?:significantly\s+|"
            r"substantially\s+|appreciably\s+|materially\s+)?changed\b|\bno\s+(?:significant\s+)?"
            r"difference\b"
        ),
    ),
    (
        "no-increase",
        _c(
            r"\b(?:no|without)\s+(?:significant\s+|appreciable\s+|definite\s+)?(?:interval\s+)?"
            r"(?:progression|increase|enlargement|growth|worsening)\b|\b(?:has|have)\s+not\s+"
            r"(?:significantly\s+)?(?:increased|enlarged|grown|progressed)|\bnot\s+(?:significantly"
            r"\s+)?(?:increased|enlarged)\b"
        ),
    ),
    ("no-new", _c(r"\bno\s+(?:definite\s+|convincing\s+|suspicious\s+|significant\s+)?new\b")),
    ("no-longer", _c(r"\bno\s+longer\b")),
    # Not negations at all: "cannot exclude" is a worrisome feature / hedge, handled there.
    (
        "not-neg",
        _c(
            r"\bno\s+(?:more|less)\s+than\b|\bnot\s+only\b|"
            # the technique of a study: "MRI L-spine with and without contrast: abnormal marrow
            # replacement ...", "MRI without gadolinium showed ..."
            r"\b(?:with\s+and\s+)?without\s+(?:and\s+with\s+)?(?:iv\s+|intravenous\s+)?"
            r"(?:contrast|gadolinium|gad)\b"
        ),
    ),
    # (absent then, present now: the finding stands; `_INTERVAL` reads the newness)
    ("then-absent", _c(_THEN_ABSENT)),
)

_MODIFIERS: tuple[tuple[_Mod, re.Pattern[str], str], ...] = (
    (
        _Mod.NEG_FWD,
        _c(
            r"\bno\s+(?:evidence|signs?|findings?|features?)\s+(?:of|to\s+suggest|suggest\w*)|"
            r"\bno\b|\bnil\b|\bwithout\b|\bnegative\s+for\b|\bfree\s+of\b|\babsence\s+of\b|\black\s+of\b|"
            r"\b(?:does|do|did)\s+not\b|\bneither\b|\bnor\b|"
            r"\bnothing\b(?:\s+[\w-]+){0,4}?\s+(?:suggests?|to\s+suggest|indicates?)\b|"
            r"\bnot\s+(?=(?:\w+ly\s+)?(?:sharp|enhanc|expans|aggress|hyperintens|hypointens|"
            r"bright|higher|suspicious|worrisome|concerning|marginat))|"
            # "a haemangioma mistaken for a metastasis", "a schwannoma mimicking a metastasis"
            r"\bexclud(?:es|ing)\b|\brather\s+than\b|\b(?:may|might|can|could)\s+(?:obscure|mask|hide)\b|\bmistaken\s+(?:[\w-]+\s+){0,3}?for\b|\bmisdiagnosed\s+as\b|\bmis(?:read|interpreted|taken)\s+as\b|"
            r"\bover[\s-]?(?:read|called|interpreted|diagnosed)\s+as\b|"
            r"\bconfused\s+with\b|\bmimick(?:ing|s|ed)\b|\bsimulating\b|"
            # "a pitfall, not metastasis": a diagnosis denied by a bare "not"
            # ("sclerotic bands are not a marrow-replacing process", "there is not a focal lesion")
            r"\bnot\s+(?:to\s+|from\s+|of\s+)?(?=(?:an?\s+)?(?:(?:marrow|bone|true|real|lymphoma|"
            r"myeloma|metastatic|malignant|focal|discrete)[\s-]+)?"
            r"(?:metasta|myelom|plasmacytom|malignan|"
            r"neoplas|tumou?r|lesion|deposit|(?:bone\s+)?destruction|infiltrat|replac))"
        ),
        "",
    ),
    (
        _Mod.NEG_BACK,
        _c(
            r"\b(?:is\s+|are\s+|was\s+|were\s+)?not\s+(?:definitely\s+|clearly\s+|convincingly\s+|"
            r"confidently\s+)?"
            r"(?:seen|identified|present|demonstrated|visuali[sz]ed|evident|appreciated|detected|apparent|"
            # "not seen on the prior study" (newness), "not seen on the axial images" (another
            # plane's view of a finding the report still states): neither denies the finding
            r"noted)\b(?!\s+(?:on|at|in)\s+(?:the\s+)?(?:prior|previous|earlier|last|axial|"
            r"sagittal|coronal|other|remaining|additional|orthogonal|stir|t1|t2|dwi|diffusion|"
            r"fat[\s-]?sat\w*|post[\s-]?contrast|dixon|opposed|in[\s-]?phase)\b)|"
            r"\b(?:is|are)\s+absent\b|\bhas\s+been\s+excluded\b|"
            # "metastatic disease excluded by MRI"
            r"(?<!be\s)(?<!not\s)(?<!been\s)(?<!clearly\s)(?<!definitely\s)(?<!entirely\s)"
            r"(?<!completely\s)(?<!fully\s)(?<!confidently\s)(?<!reliably\s)\bexcluded\s+by\b|"
            r"\b(?:is\s+|are\s+|was\s+|were\s+)?not\s+(?:confirmed|substantiated|corroborated|"
            r"reproduced)\b"
        ),
        "",
    ),
    (
        # "Focal lesions: absent.", "Abnormal marrow signal: none.", "none identified", "was
        # ruled out" (SPEC.md section 3 negation, written after the finding). Each alternative
        # starts with a literal or a short class, so the scan stays cheap.
        _Mod.NEG_BACK,
        _c(
            r"[:-]\s*(?:none|nil|absent|negative|no|normal|unremarkable)\b|"
            r"\bnone\s+(?:is\s+|are\s+|was\s+|were\s+)?"
            r"(?:seen|identified|noted|present|demonstrated|detected|evident|found)\b|"
            r"\b(?:none|neither)\s+of\s+(?:which|these|them|those|the\s+above)\s+"
            r"(?:is\s+|are\s+|was\s+|were\s+|has\s+been\s+|have\s+been\s+)?"
            r"(?:seen|identified|noted|present|demonstrated|detected|evident|found)\b|"
            r"\b(?:is|are|was|were|been)\s+(?:ruled\s+out|excluded)\b|"
            r"absent\b(?<=\w\sabsent)|"
            # "POEMS is associated with sclerotic lesions, none here"
            r",\s*none\s+(?:here|in\s+this\s+(?:patient|case))\b"
        ),
        "",
    ),
    (_Mod.SEVERITY, _c(r"\bslight(?:ly)?\b"), "slight"),
    (_Mod.SEVERITY, _c(r"\bmild(?:ly)?\b"), "mild"),
    (_Mod.SEVERITY, _c(r"\bsubtle\b|\bsubtly\b"), "subtle"),
    (_Mod.SEVERITY, _c(r"\bminimal(?:ly)?\b"), "minimal"),
    (_Mod.UNCERTAIN, _c(r"\bnon[\s-]?specific\b"), "nonspecific"),
    (
        _Mod.UNCERTAIN,
        _c(r"\bmay\s+(?:represent|reflect|be\s+(?:due|related|secondary))"),
        "may represent",
    ),
    (_Mod.UNCERTAIN, _c(r"\b(?:most\s+)?likely\b"), "likely"),
    (_Mod.UNCERTAIN, _c(r"\bfavou?r(?:ed|s)?\b"), "favored"),
    (_Mod.UNCERTAIN, _c(r"\bprobabl[ey]\b"), "probably"),
    (_Mod.UNCERTAIN, _c(r"\bcould\s+(?:reflect|represent|be)\b"), "could reflect"),
    (_Mod.UNCERTAIN, _c(r"\bsuggestive\s+of\b|\bsuggests?\b"), "suggestive"),
    (_Mod.UNCERTAIN, _c(r"\bpresum(?:ed|ably)\b"), "presumed"),
    (_Mod.POSSIBLE, _c(r"\bpossibl[ey]\b|\bquestionable\b|\bquestion\s+of\b"), "possible"),
    (
        _Mod.POSSIBLE,
        _c(
            r"\b(?:cannot|can\s*not|could\s+not|unable\s+to)\s+(?:exclude|rule\s+out)|\bdifficult"
            r"\s+to\s+exclude|\b(?:to|should)"
            r"\s+(?:exclude|rule\s+out|evaluate\s+for)|\bdifferential\s+(?:diagnosis\s+)?"
            r"(?:includes?|considerations?)|\bpossibility\s+of"
        ),
        "cannot exclude",
    ),
    (
        _Mod.POSSIBLE_BACK,
        _c(
            r"\b(?:cannot|can\s*not|could\s+not)\s+be\s+(?:\w+ly\s+)?(?:excluded|ruled\s+out)|\bnot\s+excluded"
        ),
        "cannot exclude",
    ),
    (
        _Mod.HIST_FWD,
        _c(
            r"\bhistory\s+of\b|\bh/o\b|\bpreviously\s+treated\b|\bresolution\s+of\b|"
            r"\bpreviously\s+(?:seen|described|noted|demonstrated|identified|reported)\b|"
            # a request is not a finding ("check for new lesions", "evaluate for myeloma")
            r"\b(?:check|assess|evaluate|evaluation|screen|screening|query)\s+for\b|"
            # "Had the MRI shown more than one focal lesion, ...": a counterfactual
            r"^\W*had\s+(?:the|this|her|his|an?|any|their)\s+(?:[\w-]+\s+){0,2}?(?:mri|scan|study|"
            r"ct|imaging|images)\s+(?:shown|demonstrated|revealed)\b|"
            # "Had these been bone lesions of 5 mm or more, the staging would be M1b."
            r"^\W*had\s+(?:these|those|they|it|this|that|there)\s+been\b|"
            # a past diagnosis: "She was diagnosed with lymphoma in 2019 with ... diffuse marrow
            # infiltration on the staging MRI"
            r"\b(?:was|were|had\s+been)\s+diagnosed\s+with\b|"
            # "the MRI at that time (done for back pain) showed ..."
            r"\b(?:mri|scan|study|ct|imaging)\s+at\s+(?:that|the)\s+time\b|"
            # "the emergency physician queried a lytic lesion": a clinician's question
            r"\b(?:physician|doctor|clinician|gp|referrer|surgeon|team|registrar|he|she|they|report)\s+"
            r"(?:had\s+)?queried\b|"
            r"\b(?:look|looks|looking|search|searching)\s+for\b|"
            # words as words, and what a report might have said: 'I nearly wrote "..."', 'If
            # instead the report had said "..."', 'Compare with "..."', 'If there were ...'
            r"\b(?:nearly|almost)\s+(?:wrote|called|said|dictated)\b|"
            r"\bif\s+(?:instead\s+)?(?:the|a|this|our|my)\s+(?:report|radiologist|reader|reporter)\s+"
            r"had\s+(?:said|read|stated|written|described)\b|"
            r"\bcompare\s+(?:this\s+)?(?:with|to)\s+[\"“'‘]|\bif\s+there\s+(?:were|had\s+been)\b|"
            # "If one of the foci had been dark on T1 ...": a supposition about the past
            r"\bif\b(?=\s+(?:[\w-]+\s+){0,5}?had\s+(?:been|shown|enhanced|grown|measured)\b)|"
            # "the MRI at diagnosis eight months ago, which had shown diffusely decreased T1 marrow"
            r"\bwhich\s+had\s+(?:\w+ly\s+)?(?:shown|demonstrated|revealed)\b|"
            r"^\W*at\s+(?:that|the)\s+time\b|"
            # "at the site of the previous right iliac lesion there is now normal marrow"
            r"\b(?:site|bed)\s+of\s+the\s+(?:previous|prior|former|treated|resected|irradiated)\b|"
            # "The medical team asked whether bone metastases explain the calcium": a question
            r"\b(?:asked|wonder(?:ed|s)?|questioned)\s+(?:whether|if)\b|"
            r"\breferred\s+(?:here\s+)?(?:by\s+(?:[\w-]+\s+){1,3}?)?(?:to|for|with|because)\b|"
            # a past differential: "Differential at first visit was mechanical pain versus ..."
            r"\bdifferential(?:\s+diagnosis)?(?:\s+(?:at|on|after)(?:\s+[\w-]+){1,3}?)?\s+"
            r"(?:was|were|included|had\s+been)\b|"
            # the reason a study was done is no finding of it ("MRI for the following reason:
            # prior marrow heterogeneity", "Reason for exam: ?myeloma")
            r"\bfor\s+the\s+following\s+reasons?\b|\breasons?\s+for\s+(?:the\s+)?(?:exam\w*|"
            r"study|scan|referral|imaging|request|mri)\s*:|"
            # "Outside records reference 'heterogeneous marrow signal' on an MRI performed there"
            r"\b(?:outside|external|old|previous|prior)\s+(?:records?|notes?|reports?|films?)\s+"
            r"(?:reference|mention|describe|note|state|document)[sd]?\b|"
            # "On the prior study there was patchy low T1 signal in L3 and L4."
            r"^\W*(?:on|in)\s+(?:the\s+)?(?:prior|previous|earlier|outside|old|initial)\s+"
            r"(?:study|mri|scan|exam\w*|ct|imaging|report)\b|"
            # "I had initially called the haemangioma 'indeterminate focal lesion'", "Last year
            # we showed a 44-year-old woman with ...": an earlier reading, an earlier time
            r"\b(?:had\s+)?(?:initially|originally|first)\s+(?:called|reported|described|read|"
            r"thought|labell?ed)\b|^\W*last\s+(?:year|month|week)\b(?!['’])|"
            # a worry, a hypothesis: "The referrer worried about 'abnormal marrow throughout'"
            # (not "I am concerned that the MRI shows ...": a present finding),
            # "rewrite the example as if the marrow were diffusely infiltrated"
            r"\b(?:worried|worrying)\s+about\b|\bfeared\b|"
            # "Her oncologist was concerned about bone metastases" (a clinician's past worry; not
            # "I am concerned that the MRI shows ...")
            r"\b(?:was|were|had\s+been)\s+(?:\w+ly\s+)?concerned\s+(?:about|for|regarding)\b|"
            # "diagnosed two years ago, when whole-body MRI showed focal lesions ..."
            r"\b(?:years?|months?|weeks?)\s+ago,?\s+when\b|"
            # "Her 2020 MRI had shown a 7 mm focus": what a study had shown is an earlier finding
            r"\b(?:mri|scan|study|ct|imaging)\s+(?:[\w-]+\s+){0,3}?had\s+(?:\w+ly\s+)?(?:shown|"
            r"demonstrated|revealed)\b|"
            # someone else's illness: "Her father ... had lytic lesions throughout the spine", "a
            # friend was told her scan showed 'heterogeneous marrow'"
            r"\bthe\s+(?:father|mother|sister|brother|aunt|uncle|grandmother|grandfather|"
            r"cousin)(?:'s|s)?\b|"
            r"\b(?:her|his|their|my|your|a|the\s+patient'?s|patient'?s)\s+(?:late\s+|older\s+|"
            r"younger\s+|elder\s+)?(?:father|mother|sister|brother|aunt|uncle|grandmother|"
            r"grandfather|cousin|son|daughter|friend|neighbou?r|husband|wife|partner|colleague|"
            r"relative|sibling|twin)s?\b|\b(?:a|an)\s+(?:different|other)\s+patient\b|"
            r"\banother\s+patient\b|"
            # a reader's comment on a case page about a patient of their own: "We saw one with
            # diffuse marrow replacement last week", "we had a 70-year-old with ...", "Ours had"
            r"\bwe\s+(?:saw|had|have\s+(?:seen|had))\s+(?:one|a\s+(?:very\s+)?(?:similar\s+)?(?:case|"
            r"patient)|"
            r"an?\s+\d{1,2}[\s-]*(?:year|yr)s?[\s-]*old)\b|\bours\s+(?:had|was|showed)\b|"
            # "if the spine marrow were abnormal the story would be different": a supposition
            r"\bif\b(?=\s+(?:[\w-]+\s+){1,4}?were\b)|"
            # advice to a reader: "If you describe these as lesions, ...", "compare with T1
            # before calling a deposit"
            r"\bif\s+you\b|\bbefore\s+(?:calling|diagnosing|reporting|labell?ing)\b|"
            # why a study was done, and a condition: "because of concern for metastatic disease an
            # MRI was ordered", "If there remains clinical concern for a marrow infiltrative ..."
            r"\bbecause\s+of\s+(?:a\s+|the\s+)?(?:concern|suspicion|worry)\s+(?:for|of|about)\b|"
            r"\bif\s+there\s+(?:remains?|is|are)\s+(?:\w+\s+)?(?:concern|suspicion|doubt)\b|"
            # words as words: "the phrase 'heterogeneous marrow' can be an early sign of ..."
            r"\bthe\s+(?:phrase|terms?|words?|wording|expression)\b|"
            # "Preoperative MRI had incidentally shown a 6 mm focus": an earlier study's finding
            r"\b(?:pre-?operative|prior|previous|earlier|outside|initial|first|old|original)\s+"
            r"(?:mri|scan|study|ct|imaging)\s+had\s+(?:\w+ly\s+)?(?:shown|demonstrated|revealed)\b|"
            r"\bas\s+(?:if|though)\b|"
            # a clinician's own reasoning: "My initial differential included marrow infiltration"
            r"\b(?:my|our)\s+(?:initial\s+|working\s+|clinical\s+|original\s+)?differential"
            r"(?:\s+diagnosis)?\s+(?:included|includes|was|is|had\s+been)\b|"
            # "three years earlier, when baseline MRI showed ...": an earlier study's finding
            r"\bbaseline\s+(?:mri|scan|study|imaging|ct|pet(?:-ct)?)\b|"
            # "MRI before treatment: diffuse marrow infiltration ...", "pre-treatment MRI showed"
            r"^\W*(?:the\s+)?(?:mri|ct|pet(?:-ct)?|scan|imaging|study|staging)\s+(?:before|prior\s+"
            r"to)\s+(?:(?:the\s+|any\s+)?(?:treatment|therapy|chemo\w*|radio\w*|surgery|"
            r"transplant\w*|induction))\b|\bpre-?(?:treatment|therapy|chemotherapy|transplant)\s+"
            r"(?:mri|ct|pet(?:-ct)?|scan|study|imaging|staging)\b|"
            r"\b(?:years?|months?|weeks?)\s+(?:earlier|before(?:hand)?)\b|"
            # a time before this study: "At diagnosis her staging showed marrow infiltration"
            r"\bat\s+(?:the\s+time\s+of\s+)?(?:(?:initial|original|first)\s+)?(?:diagnosis|"
            r"presentation|baseline|initial\s+staging)\b|"
            # a condition, not a finding: "if his MRI showed abnormal marrow signal, I would refer"
            r"\bif\s+(?:his|her|their|the|a|any|this|your)\s+(?:[\w-]+\s+){0,2}?(?:mri|scan|ct|"
            r"imaging|study|pet(?:-ct)?)\s+(?:had\s+(?:shown|demonstrated|revealed)\s+|"
            r"showed|shows?|were\s+to\s+show|demonstrated|demonstrates?|revealed|reveals?)\b|"
            # words as words: 'Trainees sometimes call this "diffusely low T1 marrow"', 'a tool
            # flagged "diffuse ... heterogeneous" as a marrow problem', 'words like diffuse'
            r"\b(?:sometimes|often|wrongly|mistakenly)\s+call(?:s|ed)?\s+(?:this|it|these)\b|"
            r"\bflagged\s+[\"'“‘]|\bwords?\s+like\b|\bterms?\s+like\b|"
            r"\b(?:was|were)\s+(?:reported|said|thought|felt|described)\s+to\s+(?:show|demonstrate|"
            r"have|contain)\b|"
            # "Should focal lesions or diffuse marrow change develop, ...": a condition
            r"^\W*should\b(?=[^.;]{0,80}?\b(?:develop|appear|occur|arise|emerge|progress)\w*)|"
            r"\bif\b(?=[^.;]{0,80}?\b(?:develops?|appears?|occurs?|arises?|emerges?)\b)|"
            r"\bquery\s+of\b|"
            # "There was concern for a lesion ... on the prior ultrasound": a past concern
            r"\bthere\s+(?:was|had\s+been)\s+(?:a\s+|some\s+)?(?:concern|query|question|"
            r"suspicion)\s+(?:for|of|about|regarding)\b|"
            # "the original impression erroneously stated 'heterogeneous marrow'"
            r"\berroneously\s+(?:stated|reported|described|said|read)\b|"
            r"\b(?:original|previous|earlier|initial|prior)\s+(?:report|impression|findings?|text|"
            r"minutes|version|draft)"
            r"\s+(?:\w+\s+){0,2}?(?:stated|said|read)\b|"
            r"\b(?:was|were)\s+reported\s+(?:elsewhere\s+|previously\s+|initially\s+)?as\b|"
            r"\breported\s+elsewhere\b|"
            # "the earlier appearance was most likely ...": said of a finding that is gone
            r"\b(?:earlier|previous|prior|initial|original)\s+(?:appearances?|findings?|"
            r"abnormalit(?:y|ies)|signal\s+changes?)\s+(?:was|were)\b|"
            r"\b(?:previous|prior|earlier|outside|old|first|initial|original)\s+(?:mri|study|imaging|"
            r"scan|ct|report)(?:\s+[\w\[\]/.-]+){0,6}?\s+(?:reported|showed|demonstrated|described|"
            r"noted|mentioned|revealed)\b|"
            # "Previous MRI spine (2024): 'patchy marrow at L4'": a quoted earlier study
            r"\b(?:previous|prior|earlier|outside|old)\s+(?:mri|study|imaging|scan|ct|report)"
            r"(?:\s+[\w-]+){0,3}?(?:\s+\(?(?:19|20)\d\d\)?)?\s*:|"
            r"\b(?:previous|prior|earlier|outside|old)\s+(?:mri|study|imaging|scan|ct|report)"
            r"(?:\s+\(?\d{4}\)?)?\s+(?:reported|showed|demonstrated|described|noted)\b|"
            # "his MRI lumbar spine in 2024, done for sciatica, raised the possibility of ...": a
            # dated earlier study quoted in a letter
            r"\b(?:mri|scan|study|imaging|ct)\s+(?:[\w-]+\s+){0,4}?(?:(?:in|from|of|dated)\s+"
            r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?(?:19|20)\d\d|(?:\d+|one|two|three|four|five|six|several)\s+(?:years?|months?)\s+"
            r"ago)\b[^.;]{0,60}?\b(?:raised|showed|reported|suggested|demonstrated|described)\b"
        ),
        "",
    ),
    (
        _Mod.HIST_BOTH,
        _c(
            r"\bno\s+longer\b|\b(?:has\s+|have\s+)?resolved\b|\b(?:has|have)\s+normali[sz]ed\b|"
            # "Vanishing focal lesions after transplant", "the lesions have vanished"
            r"\bvanish(?:ing|ed)\b|"
            r"\breturned\s+to\s+normal\b|"
            # "treated lesions that have become fatty", "now fatty and inactive": a treated lesion
            # that is no longer active
            r"\b(?:has|have)\s+(?:since\s+)?become\s+(?:entirely\s+|completely\s+)?(?:fatty|"
            r"inactive)\b|\b(?:is|are|appears?)\s+now\s+(?:entirely\s+|completely\s+)?(?:fatty|"
            r"inactive)\b|"
            # "Solitary plasmacytoma of T9, complete response": a treated lesion that is gone
            r"\bcomplete\s+(?:metabolic\s+|radiological\s+|radiologic\s+|imaging\s+)?(?:response|"
            r"remission)\b|"
            # what a finding "may have been" is said of one that is gone ("The lesion may have
            # been a small focus of oedema")
            r"\b(?:may|might|could|must)\s+have\s+been\b"
        ),
        "",
    ),
    (
        # "the 'indeterminate lesion at T11' described in the provisional report is ...": what an
        # earlier or superseded report said, quoted after the finding
        _Mod.HIST_BACK,
        _c(
            # ("not mentioned in the original report" is the opposite: a finding new to it)
            r"\b(?<!not\s)(?<!never\s)(?<!nor\s)(?:described|reported|mentioned|noted|queried)\s+"
            r"(?:in|on)\s+(?:the\s+|her\s+|his\s+|their\s+|an?\s+)?"
            r"(?:provisional|preliminary|previous|prior|earlier|original|outside|initial|"
            r"superseded)\s+(?:[\w-]+\s+)?(?:report|study|mri|scan|read|imaging)|"
            # "the patchy marrow signal in the lumbar spine seen last year": an earlier study's
            # "Heterogenous marrow signal on an outside MRI in 2021, evaluated by ...": a finding
            # of an earlier study, named after it (not "as on", "also seen on": still there)
            r"(?<!as\s)(?<!seen\s)(?<!noted\s)(?<!present\s)(?<!visible\s)(?<!than\s)\bon\s+"
            r"(?:an?\s+|the\s+|her\s+|his\s+)?(?:outside|external)\s+(?:mri|scan|study|imaging|ct)\b"
            r"(?=[^.;]{0,20}?\b(?:19|20)\d\d\b)|"
            r"\b(?<!not\s)(?:seen|noted|described|reported|shown)\s+(?:on\s+(?:the\s+|an?\s+|her\s+|"
            r"his\s+)?[\w-]+\s+)?"
            r"(?:last\s+(?:year|month|week)|(?:\d+|one|two|three|four|six|several)\s+"
            r"(?:years?|months?|weeks?)\s+ago|in\s+(?:19|20)\d\d)\b"
        ),
        "",
    ),
)

# Clause ends: scope of every trigger stops here.
_TERMINATOR = _c(
    r";|\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\bwhereas\b|\bexcept\b|\bapart\s+from\b|"
    r"\bother\s+than\b|\baside\s+from\b|\bwith\s+the\s+exception\b|\bwhich\b|\bthat\s+(?:is|are)\b"
    r"|\bwhile\b|\bnevertheless\b|\byet\b"
    # the patient again, after someone else: "Her mother had myeloma and she was alarmed when
    # her MRI reported ..."
    r"|\band\s+(?:so\s+)?(?:she|he|they)\b|\bwhen\s+(?:her|his|their)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:mri|scan|ct|imaging|study|report)\b"
    # ", likely reconversion": an interpretation after a comma is a new clause
    r"|,(?=\s*(?:most\s+)?(?:likely|probabl|possibl|favou?r|consistent\s+with|in\s+keeping|"
    r"suggest|compatible|representing|reflecting|may\b|could\b|presum))"
)
_BACKWARD_WINDOW = 10  # words a backward trigger reaches back

# Markers whose "no" belongs to the finding: "normal marrow signal" is itself a negated target.
_NORMAL_MARROW = _c(
    r"\b(?:normal|unremarkable|preserved|maintained)\s+(?:fatty\s+|t1\s+|bone\s+)?marrow"
    r"(?:\s+signal(?:\s+intensity)?)?|\b(?:bone\s+)?marrow(?:\s+(?:signal|pattern))?(?:\s+intensity)?"
    r"(?:\s+(?:is|are|appears?|remains?)|\s*:)?\s+(?:now\s+)?(?:otherwise\s+|overall\s+|"
    r"essentially\s+|grossly\s+|within\s+)?(?:normal|unremarkable|preserved|maintained|limits)\b"
    # residual / physiological red marrow, and marrow "normal for age" (SPEC.md section 3)
    r"|\b(?:residual|physiologic(?:al)?|normal|expected)\s+(?:[\w-]+\s+){0,2}?(?:islands?\s+of\s+)?(?:red|"
    r"h(?:a)?ematopoietic|h(?:a)?emopoietic|cellular)\s+(?:\([\w\s]{1,15}\)\s+)?marrow\b|"
    r"\b(?:red|h(?:a)?ematopoietic)\s+(?:\([\w\s]{1,15}\)\s+)?marrow\b[^.;]{0,60}?\b(?:physiologic(?:al)?|residual|age[\s-]appropriate|normal|"
    r"expected)\b|"
    # "red marrow in the iliac bones and sacrum, brighter than the gluteal muscles,
    # physiological for age and pregnancy": what it is called said after where and how it looks
    r"\b(?:red|h(?:a)?ematopoietic)\s+marrow\s+(?!reconver|hyperplas)[^.;]{0,100}?"
    r"\bphysiologic(?:al)?\s+for\s+(?:the\s+patient'?s\s+|her\s+|his\s+)?age\b|"
    r"\bmarrow(?:\s+signal)?[^.;]{0,40}?\b(?:normal\s+for\s+(?:the\s+patient'?s\s+)?age|"
    r"age[\s-]appropriate|(?:within\s+)?normal\s+limits\s+for\s+(?:the\s+patient'?s\s+)?age|"
    r"(?:an?\s+)?normal\s+variant)\b"
    # ("more than expected for age", "not expected for age" say the opposite)
    r"|(?<!than\s)(?<!not\s)\b(?:(?:typical|expected|appropriate)\s+for|(?:consistent|in\s+keeping)"
    r"\s+with)\s+(?:the\s+patient'?s\s+)?age\b|"
    r"\b(?:diffuse(?:ly)?\s+)?fatty\s+(?:bone\s+)?marrow(?:\s+(?:signal|replacement|conversion))?|"
    # marrow stimulated by growth factors, called physiological (SPEC.md section 3 other causes)
    r"\bphysiologic(?:al)?\s+(?:bone\s+)?marrow\s+(?:stimulation|activation|expansion|"
    r"hyperplasia|response)\b|"
    # "the reconversion was confined to expected sites": red marrow where it is expected
    r"\b(?:reconversion|red\s+marrow)\b[^.;]{0,40}?\b(?:confined|limited|restricted)\s+to\s+"
    r"(?:the\s+)?(?:expected|typical|usual)\s+(?:sites?|locations?|distribution|areas?)\b"
)

_AND_CUT = _c(r"\band\b|;")
_LOSS_OF = _c(
    r"\b(?:loss|absence|replacement)\s+of\s+(?:the\s+)?(?:normal\s+)?$|"
    r"\breplac(?:ed|ing|es)\s+(?:by\s+)?(?:the\s+)?(?:normal\s+)?$"
)
_SIZE = _c(
    # a range: "6-15 mm", "6 to 15 mm", and "between 6 and 15 mm" (only after "between")
    r"(?:(?P<btw>(?<=between\s))|(?<![\w.]))(?P<a>\d+(?:\.\d+)?)"
    r"(?:\s*(?:-|–|to|(?(btw)and|(?!)))\s*(?P<b>\d+(?:\.\d+)?))?"
    r"(?P<dims>(?:\s*(?:x|×|by)\s*\d+(?:\.\d+)?)*)\s*"
    r"(?P<unit>mm|cm|millimet(?:er|re)s?|centimet(?:er|re)s?)\b"
    r"(?P<orlarger>\s+or\s+(?:larger|more|greater|above|bigger))?(?P<each>\s+each)?"
)
_UP_BEFORE = _c(
    r"(?:\b(?:measuring\s+)?up\s+to|\bas\s+large\s+as|\blargest(?:\s+measuring)?|"
    r"\blarger(?:\s+measuring)?)\s*$"
)
_CMP_BEFORE = _c(
    r"(?:\b(?:larger|greater|bigger|more|smaller|less)\s+than|\bover|\bunder|\bbelow|\babove|"
    r"\bat\s+least|\bat\s+most|\bsub-?|[<>≥≤]=?)\s*$"
)
_PRIOR_BEFORE = _c(
    r"\b(?:previously|prior|formerly|was|were|from|compared\s+(?:to|with))\s*"
    r"(?:measuring\s+|measured\s+)?$"
)
# Lesions spread like a pattern ("innumerable lesions throughout the spine"): SPEC.md section 3
# DIFFUSE ("throughout", distribution words), not a countable set of focal lesions.
_LESION_SPREAD = _c(
    r"\b(?:numerous|innumerable|countless|myriad|diffuse(?:ly)?|widespread|disseminated|"
    r"too\s+(?:numerous|many)\s+to\s+count)\b"
)
# What a size belongs to when it is not a marrow lesion: a typical haemangioma, bone island,
# Schmorl node or cyst (the same exclusions as the lesion target itself), or another structure a
# spine MRI measures (disc protrusion, canal, listhesis, lymph node, kidney ...). Read on the
# size's own stretch of sentence (`_SIZE_PIECE_CUT`).
_NOT_MARROW_LESION = _c(
    r"\bh(?:a)?emangiomas?\b|\bbone\s+islands?\b|\benostos[ie]s\b|\bschmorl\w*|\bcysts?\b|"
    r"\bdis[ck]s?\b|\bprotrusion|\bherniation|\bextrusion|\bbulg\w*|\bosteophyt\w*|"
    r"listhesis\b|\bcanal\b|\bstenosis\b|\bforam\w*|\bthecal\b|\bcord\b|\bconus\b|"
    r"\b(?:lymph\s+)?nodes?\b|\blymphadenopath\w*|\bkidneys?\b|\brenal\b|\bovar\w*|"
    r"\buter\w*|\bfibroids?\b|\baort\w*|\baneurysm\w*|\bbladder\b|\bprostat\w*|"
    r"\bfluid\b|\beffusion\b|\bcollection\b|\bh(?:a)?ematoma\b|\bhardware\b|\bscrews?\b"
)
_SIZE_PIECE_CUT = _c(r"[,;()]|\band\b|\bwith\b|\bwhile\b|\bwhereas\b")
_NOW_BEFORE = _c(r"\b(?:now|currently|today)\s*(?:measuring\s+|measures\s+)?$")
_CHANGE_WORD = _c(r"increas|decreas|grown|grew|enlarg|shrunk|reduc|progress|regress")
_EACH_BEFORE = _c(r"\b(?:each|both|all)\s+(?:measuring\s+|measure\s+|of\s+)?$")
_ONE_BEFORE = _c(r"\b(?:one|only\s+one|a\s+single|the\s+other)\s+(?:\w+\s+)?$")
# what a clause denies from its negation on ("without discrete lytic lesions"): removed before
# asking whether the clause speaks of lesions
_DENIED_REST = _c(r"\b(?:without|no|nor)\b[^;]*")
_DURATION = (
    r"[\s-]+(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|times|cycles?|sessions?|"
    r"visits?|doses?)\b"
)
_COUNT = _c(
    r"\b(?P<w>two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|multiple|several|"
    r"numerous|innumerable|countless|multifocal|scattered|few|a\s+few|some|single|solitary|one|an?)"
    # a duration or a number of times is no count ("repeat the MRI in three months")
    rf"\b(?!{_DURATION})|(?<![\w.+/])(?<!rads\s)(?<!grade\s)(?<!score\s)(?<!stage\s)(?<!type\s)(?<!class\s)"
    r"(?<!bosniak\s)(?<!modic\s)(?<!gleason\s)(?<!segment\s)(?<!level\s)"
    r"(?P<d>\d{1,2})(?![\w.%+/])(?!\s*(?:mm|cm|x|×|%|millim|centim|-?t\b|tesla))"
    # (a digit is a count unless it is a score, grade or class: "Gleason 3+4", "PI-RADS 4",
    # "grade 2", "Bosniak 2", "Modic type 1")
    rf"(?!{_DURATION})"
)
_COUNT_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    # Lower bounds for indefinite plurals (documented choice): "multiple" is at least 2;
    # "several"/"numerous"/"innumerable" at least 3.
    "multiple": 2,
    "multifocal": 2,
    "scattered": 2,
    "few": 2,
    "a few": 2,
    "some": 2,
    "several": 3,
    "numerous": 3,
    "innumerable": 3,
    "countless": 3,
    "single": 1,
    "solitary": 1,
    "one": 1,
    "a": 1,
    "an": 1,
}

_LEVEL = _c(
    r"(?<![\w-])(?P<r1>[CTLS])(?P<n1>\d{1,2})(?:\s*(?:-|–|to|through|thru)\s*(?P<r2>[CTLS])?"
    r"(?P<n2>\d{1,2}))?(?![\w])"
)
_SEQUENCE_AFTER = _c(
    r"[\s-]*(?:weighted|w\b|hypo|hyper|iso|signal|images?|sequences?|fs\b|"
    r"flair|fat|post|pre|map|dark|bright|shortening|prolongation)"
)
_LEVEL_CONTEXT_BEFORE = _c(
    r"(?:\bat|\bof|\bthe|\blevel|\binvolving|\bfrom|\bto|\band|,|-|\bwithin|"
    r"\bin)\s*$"
)
_DISC_AFTER = _c(
    r"^[\s,:-]*(?:(?:level|intervertebral)\s+)?(?:dis[ck]|bulge|protrusion|herniation|"
    r"level\s*:|:|foramin|facet|stenosis|interspace)"
)
_DISC_BEFORE = _c(
    r"\b(?:dis[ck]s?|bulg\w*|protrusion|herniation|extrusion|stenosis|narrowing|foramin\w*|"
    r"facet\w*)\b[^.;]{0,25}$"
)
_SITES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("sacral ala", _c(r"\bsacral\s+alae?\b|\balae?\s+of\s+the\s+sacrum")),
    ("iliac", _c(r"\biliac\b|\bilium\b|\bilia\b")),
    ("pelvis", _c(r"\bpelvis\b|\bpelvic\s+(?:bones?|girdle|marrow)")),
    ("sacrum", _c(r"\bsacrum\b")),
)
_FIELD = _c(r"(?<![\w.])(?P<v>\d(?:\.\d{1,2})?)\s*-?\s*(?:t|tesla)\b(?![\s-]*(?:\d|weighted))")
_DROP = (
    _c(
        # "the signal drop is only 12%", "insufficient signal drop on opposed-phase imaging (12%"
        r"\bsignal\s+(?:drop|dropout|loss|decrease|reduction|suppression)\b(?:\s+[\w/-]+){0,6}?"
        r"[\s(]+(?:of\s+|is\s+|was\s+|measur\w*\s+|only\s+|approximately\s+|about\s+)*"
        r"(?P<v>\d+(?:\.\d+)?)\s*(?:%|percent)"
    ),
    _c(
        r"\b(?:signal\s+)?(?:drop|dropout|loss|decrease|reduction|suppression)\s+(?:\w+\s+){0,4}?"
        r"(?:of|by)\s+(?:approximately\s+|about\s+|around\s+|roughly\s+|~\s*|only\s+|"
        r"nearly\s+|almost\s+)?(?P<v>\d+(?:\.\d+)?)\s*(?:%|percent)"
    ),
    _c(
        r"(?<![\w.])(?P<v>\d+(?:\.\d+)?)\s*(?:%|percent)\s+(?:signal\s+)?(?:drop|dropout|loss|"
        r"decrease|reduction|suppression)"
    ),
    _c(
        r"\b(?:drops?|dropped|decreases?|decreased|loses|lost|reduces?|reduced)\s+(?:in\s+)?"
        r"(?:signal\s+)?(?:intensity\s+)?by\s+(?:approximately\s+|about\s+|~\s*)?"
        r"(?P<v>\d+(?:\.\d+)?)\s*(?:%|percent)"
    ),
)
_NO_DROP = _c(
    r"(?:\b(?:no|without|lack\s+of|absence\s+of|absent)\s+(?:significant\s+|appreciable\s+|"
    r"measurable\s+|definite\s+)?(?:signal\s+(?:loss|drop|dropout|decrease|suppression)|"
    r"loss\s+of\s+signal|drop\s+in\s+signal|drop-?out)|\bfails?\s+to\s+(?:lose|drop)\s+signal|"
    r"\bdoes\s+not\s+(?:lose|drop)\s+signal)"
    r"(?!\s+abnormalit)"
)
_CHEMICAL_SHIFT = _c(
    r"opposed[\s-]phase|out[\s-]of[\s-]phase|\bin[\s-]phase|chemical[\s-]shift|\bdixon\b|"
    r"\bip/op\b|in\s+and\s+opposed"
)

# Sentence boundaries: ., !, ? then space and an upper-case letter/digit; blank lines; a line
# break followed by a non-lower-case start (a wrapped line continues in lower case).
_ABBREVIATIONS = frozenset(
    {
        "e.g",
        "i.e",
        "approx",
        "vs",
        "dr",
        "cf",
        "incl",
        "st",
        "fig",
        "no",
        "etc",
        "al",
        "mr",
        "mrs",
        "ms",
        "prof",
        "resp",
        "esp",
        "ca",
        "pt",
        "pts",
        "hx",
        "dx",
        "sx",
        "tx",
    }
)
# (a lower-case label such as "vertebrae:" or "paraspinal and other:" starts a sentence too)
_BOUNDARY = re.compile(
    r"[.!?]+(?=\s+[\"'(]?[A-Z0-9])|\n\s*\n|\n(?=\s*[^a-z\s])|"
    # a full stop after a word, then a lower-case word on the same line ("no new marrow
    # abnormality. unchanged 7 mm lesion"): abbreviations are kept whole (`scope`)
    r"(?<=[A-Za-z0-9)\]%])[.!?]+(?=[ \t]+[a-z])|"
    r"(?:[.!?]+|\n)(?=[ \t]*[a-z][a-z /&-]{0,30}:\s)"
)
# Text written without capitals (older systems, some interfaces): a full stop before any word and
# every line break end a sentence (a hard wrap inside a sentence is still joined, `scope`).
_BOUNDARY_CASELESS = re.compile(r"[.!?]+(?=\s+\S)|\n\s*\n|\n")


# --------------------------------------------------------------------------- keyword prefilter
# A pattern is tried on a sentence only if the lower-cased sentence contains one of its keywords
# (plain substring search is far cheaper than a regex scan). Every pattern of the tables above has
# an entry; tests check that the prefilter never changes a result.
# the words of `_MARROW_ADJ` (the two marrow-signal targets, adjective before or after the noun)
_KW_MARROW_ADJ = (
    "heterogen",
    "infiltrative",
    "inhomogen",
    "mottl",
    "patchy",
    "variegat",
    "salt",
    "abnormal",
    "indetermin",
    "equivocal",
)
_KW_TARGETS: tuple[tuple[str, ...], ...] = (
    _KW_MARROW_ADJ,
    _KW_MARROW_ADJ,
    ("t1", "marrow"),
    ("signal",),
    ("not",),
    ("heterogen", "inhomogen", "mottl", "patchy", "variegat"),
    ("patchy", "heterogen", "mottl", "scattered", "multifocal"),
    ("diffus",),
    ("diffus",),
    ("replac", "infiltrat", "involv"),
    ("diffus",),
    ("diffus",),
    ("vertebra", "level", "segment"),
    ("lytic", "punched", "permeative", "moth", "destruction"),
    ("lesion", "foc", "nodul", "deposit", "mass", "metasta", "plasmacytom"),
    ("focal", "atypical"),
    ("intense", "lower", "darker", "equal", "similar", "low", "less", "same", "iso"),
    ("intense", "bright", "higher", "greater"),
    ("homogen",),
    ("sharp",),
    ("enhanc", "uptake"),
    ("stir", "fat", "fluid"),
    ("suppress",),
    (
        "exclu",
        "rule",
        "concern",
        "suspic",
        "worr",
        "differential",
        "possib",
        "raise",
        "patholog",
    ),
    ("marrow", "reconver", "hyperplas", "mangioma"),
    ("indetermin", "equivocal"),
)
_KW_INTERVAL: tuple[tuple[str, ...], ...] = (
    ("new", "additional", "more", "not"),
    ("now", "become", "progressed", "evolv"),
    (
        "increas",
        "interval",
        "has",
        "have",
        "enlarg",
        "grown",
        "progress",
        "worse",
        "larger",
        "more",
        "new",
        "now",
    ),
    ("decreas", "reduc", "interval", "has", "have", "smaller", "regress", "improv", "less"),
    ("resol", "longer"),  # (keywords hold no space: "no\nlonger" is "no longer")
    ("stable", "unchanged", "redemonstrated"),
)
_KW_PSEUDO: tuple[tuple[str, ...], ...] = (
    ("change", "differen"),
    ("progress", "increas", "enlarg", "growth", "worse", "grown"),
    ("new",),
    ("longer",),
    ("than", "only", "contrast", "gad"),
    ("not",),
)
_KW_MODIFIERS: tuple[tuple[str, ...], ...] = (
    (
        "no",
        "nil",
        "without",
        "negative",
        "free",
        "absence",
        "lack",
        "not",
        "neither",
        "nor",
        "non",
        "mistaken",
        "excludes",
        "excluding",
        "rather",
        "obscure",
        "mask",
        "hide",
        "misread",
        "over",
        "misinterpreted",
        "confused",
        "misdiagnosed",
        "mimick",
        "simulating",
    ),
    ("not", "absent", "excluded"),  # also "not confirmed"
    (
        # "[:-]\s*(?:none|nil|absent|...)": any run of spaces may follow the colon or dash
        ":",
        "-",
        "none",
        "neither",
        "absent",
        "ruled",
        "excluded",
    ),
    ("slight",),
    ("mild",),
    ("subtl",),
    ("minimal",),
    ("specific",),
    ("may",),
    ("likely",),
    ("favo",),
    ("probab",),
    ("could",),
    ("suggest",),
    ("presum",),
    ("possib", "question"),
    ("not", "unable", "difficult", "exclu", "rule", "evaluat", "differential", "possib"),
    ("exclu", "ruled"),
    (
        "history",
        "h/o",
        "previously",
        "resolution",
        "for",
        "reported",
        "showed",
        "demonstrated",
        "described",
        "noted",
        "mentioned",
        "revealed",
        "elsewhere",
        "was",
        "were",
        "raised",
        "suggested",
        "look",
        "search",
        "referred",
        "there",
        "should",
        "if",
        "diagnos",
        "differential",
        "worr",
        "feared",
        "though",
        "call",
        "flagged",
        "like",
        "initially",
        "originally",
        "first",
        "last",
        "presentation",
        "baseline",
        "time",
        "whether",
        "site",
        "bed",
        "nearly",
        "almost",
        "compare",
        "concerned",
        "ago",
        "had",
        "queried",
        "pretreat",
        "pre-treat",
        "pretherapy",
        "pre-therapy",
        "prechemo",
        "pre-chemo",
        "pretransplant",
        "pre-transplant",
        "staging",
        "earlier",
        "before",
        "have",
        "query",
        "erroneous",
        "stated",
        "said",
        "thought",
        "felt",
        "read",
        "previous",
        "prior",
        "earlier",
        "outside",
        "old",
        "father",
        "mother",
        "sister",
        "brother",
        "aunt",
        "uncle",
        "cousin",
        "son",
        "daughter",
        "friend",
        "neighbo",
        "husband",
        "wife",
        "partner",
        "colleague",
        "relative",
        "sibling",
        "twin",
        "patient",
        "saw",
        "had",
        "ours",
        "you",
        "because",
        "phrase",
        "term",
        "word",
        "expression",
        "calling",
        "diagnosing",
        "reporting",
        "labeling",
        "labelling",
    ),
    ("longer", "resolved", "normali", "returned", "have", "complete", "now", "vanish"),
    (
        "provisional",
        "preliminary",
        "previous",
        "prior",
        "earlier",
        "original",
        "outside",
        "initial",
        "superseded",
        "last",
        "ago",
        "19",
        "20",
        "external",
    ),
)
_KW_TERMINATOR = (
    ";",
    ",",
    "and",
    "when",
    "but",
    "however",
    "though",
    "whereas",
    "except",
    "apart",
    "other",
    "aside",
    "exception",
    "which",
    "that",
    "while",
    "nevertheless",
    "yet",
)
# every normal-marrow statement names the marrow, or the age it is normal for
_KW_NORMAL = ("marrow", "age", "expected", "typical", "usual")
# Targets whose pattern needs a second word as well (both groups must be present): a T1
# comparison always ends at a muscle or a disc.
_KW_TARGET_ALSO: dict[int, tuple[str, ...]] = {
    i: ("muscl", "muscul", "disc", "disk")  # "muscle", "musculature"
    for i, (kind, _, _) in enumerate(_TARGETS)
    if kind in {FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC, FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE}
}
_KW_SHIFT = ("drop", "loss", "lose", "lost", "decrease", "reduc", "suppress", "dropout")
_KW_CHEMICAL_SHIFT = ("phase", "opposed", "chemical", "dixon", "ip/op")


_ALL_KW: tuple[str, ...] = tuple(
    sorted(
        {
            k
            for group in (
                *_KW_TARGETS,
                *_KW_INTERVAL,
                *_KW_PSEUDO,
                *_KW_MODIFIERS,
                _KW_NORMAL,
                *_KW_TARGET_ALSO.values(),
            )
            for k in group
        }
    )
)
# keywords without which a sentence can state no finding at all (modifiers alone say nothing)
_KW_FINDING = frozenset(
    k for group in (*_KW_TARGETS, *_KW_INTERVAL, *_KW_PSEUDO, _KW_NORMAL) for k in group
)


# The keywords of the report being read (set by `reader` for the current thread's reading): a
# sentence's keywords are among them, so only those are looked for. The answer is the same either
# way; the search is shorter.
REPORT_KEYWORDS: ContextVar[tuple[str, ...]] = ContextVar("REPORT_KEYWORDS", default=_ALL_KW)


def _keywords_in(lowered: str) -> frozenset[str]:
    return frozenset(filter(lowered.__contains__, REPORT_KEYWORDS.get()))


def keywords_of_report(lowered: str) -> tuple[str, ...]:
    return tuple(filter(lowered.__contains__, _ALL_KW))
