"""Whether a target found in a sentence is a marrow finding (SPEC.md section 3).

A regular expression finds "lesion"; these checks decide whether that lesion is the marrow's:
- `anatomy`: a lesion, enhancement, change or "suspicious for" said of another organ is not;
- other causes of marrow signal (fracture, Modic change, degeneration, radiation, surgery,
  infection, stimulated marrow) are not this service's findings;
- benign attribution: a lesion the report attributes to a benign entity is not a focal lesion for
  U-L; hedged, it is at most FOCAL_EQUIVOCAL (subtype "benign-hedged");
- typical haemangiomas, bone islands, Schmorl nodes, disc and cyst lesions, fatty foci, lytic
  areas around hardware; T1 comparisons about another sequence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from fhir_mappers.report_reader.anatomy import Anchor, anchor, mentions_bone
from fhir_mappers.report_reader.scope import (
    _clause_of,
    _Hit,
    _segment,
)
from fhir_mappers.report_reader.vocabulary import (
    _DENIED_REST,
    _F,
    _LESION_NOUN,
    _LESION_SPREAD,
    _MALIGNANCY,
    _MARROW_ADJ,
    _MARROW_NOUN,
    _NOT_MARROW_CONTEXT,
    _OTHER_SEQUENCE,
    _T1,
    _Kind,
)
from logic.model import FeatureKind

# SPEC.md section 3 "Other causes of marrow signal": oedema next to a fracture, endplate (Modic) and
# degenerative change, Schmorl nodes, post-radiation fatty marrow, post-surgical change; infection
# is another pathway. A pathological fracture is not among them (it is a worrisome feature).
_OTHER_CAUSE = re.compile(
    # (an endplate named as where the finding is -- "at L3 and its upper endplate region" -- is no
    # cause: endplate change, oedema, reaction, sclerosis or a fracture of it is)
    r"\b(?:end-?plates?\s+(?:changes?|o?edema|degenerat\w*|reactive|reaction|sclerosis|"
    r"irregularit\w*|erosions?|fractures?|inflammat\w*|signal\s+changes?)|(?:degenerative|reactive|"
    r"inflammatory|erosive)\s+end-?plates?|intravertebral\s+(?:disc\s+)?hernia\w*|modic|"
    r"schmorl\w*|degenerat\w*|desiccat\w*|vacuum\s+phenomen\w*|(?<!patholog)(?<!pathologic\s)"
    r"(?<!pathological\s)fractures?|compression\s+deformit\w*|radiation|radiotherapy|"
    r"irradiat\w*|post-?(?:surgical|operative)|laminectomy|fusion|hardware|discitis|"
    r"osteomyelitis|spondylodiscitis|infect\w*|abscess\w*|septic|"
    # named benign causes SPEC.md's list does not spell out, read like the listed ones (every
    # writer and annotator of the hospital corpus did): osteonecrosis, inflammatory arthritis
    # of the sacroiliac joints, stress reaction
    r"avascular\s+necrosis|avn|osteonecrosis|bone\s+infarcts?|sacroiliitis|spondyloarthr\w*|"
    r"osteitis\s+condensans|stress\s+(?:reaction|response|injury)|romanus|ankylosing\s+spondylitis|"
    r"spondylolys[ie]s|pars\s+(?:interarticularis\s+)?(?:defects?|stress|fractures?)|"
    r"corner\s+(?:inflammatory\s+)?(?:lesions?|o?edema|inflammation)|"
    r"inflammatory\s+corner\s+lesions?|"
    # injury and benign bone disease read on the same footing: bone contusion, osteochondral
    # injury, transient osteoporosis (bone marrow oedema syndrome)
    r"(?:bone\s+)?contusions?|bone\s+bruis\w*|osteochondritis|osteochondral|"
    r"transient\s+osteoporosis|(?:bone\s+)?marrow\s+o?edema\s+syndrome|"
    # marrow stimulated by G-CSF or recovering after chemotherapy, called physiological / reactive
    r"g-?csf|growth\s+factor|post-?chemotherapy|marrow\s+(?:stimulation|activation)|"
    r"reactive\s+(?:marrow|change|changes|uptake|hyperplasia)|"
    r"physiolog\w*\s+(?:marrow\s+)?(?:stimulation|activation))\b",
    _F,
)
_DENIED_BEFORE = re.compile(
    # "outside the previous radiation field": a cause the finding lies away from explains nothing
    r"\b(?:no|without|negative\s+for|free\s+of|not|outside(?:\s+of)?|beyond|away\s+from|"
    # (a denied list reaches its last item: "without fracture line, endplate change or
    # degenerative cause")
    r"remote\s+from|distant\s+from|separate\s+from)\b(?:[\s,]+[\w-]+){0,6}[\s,]*$",
    _F,
)


def _other_cause(text: str, clause: tuple[int, int], near: int | None = None) -> bool:
    """The clause attributes the marrow signal to another cause it affirms ("oedema around the
    L1 fracture"); a denied one ("without fracture") attributes nothing. In a long clause (run-on
    dictation with no punctuation) only the words near the finding count."""
    c0, c1 = clause
    if near is not None:
        c0, c1 = max(c0, near - _CAUSE_WINDOW), min(c1, near + _CAUSE_WINDOW)
    return _affirms_other_cause(text[c0:c1])


# how far from a finding (characters, either side) its clause may name the other cause
_CAUSE_WINDOW = 160


_ATTRIBUTION = re.compile(
    r"\b(?:consistent\s+with|in\s+keeping\s+with|compatible\s+with|due\s+to|related\s+to|"
    r"secondary\s+to|reflect\w*|represent\w*|attributed\s+to|attributable\s+to|caused\s+by|"
    r"after|following)\s+",
    _F,
)
# the words an attribution may put before the cause it names ("due to the recent L1 fracture",
# "consistent with a healing insufficiency fracture"): at most three, none of them a negation, a
# word that starts another finding ("consistent with red marrow, no fracture", "infiltration with
# compression fracture") or a malignant diagnosis (which the attribution names instead)
_WORD_BEFORE_CAUSE = re.compile(
    r"(?!(?:no|not|without|with|and|or|but|nor|than|rather|versus|vs)\b)"
    r"(?![\w/-]*(?:metasta|myelom|infiltrat|malignan|neoplas|tumou?r|lymphom|leuk[ae]|plasmacyt))"
    r"[\w/-]+\s+",
    _F,
)
_WORDS_BEFORE_CAUSE = 3


@lru_cache(maxsize=256)
def _attributed_to_other_cause(sentence: str) -> bool:
    """The sentence attributes its finding to another cause ("..., consistent with physiological
    marrow stimulation after G-CSF", "... due to the recent L1 fracture")."""
    for m in _ATTRIBUTION.finditer(sentence):
        at = m.end()
        for _ in range(_WORDS_BEFORE_CAUSE + 1):
            if _OTHER_CAUSE.match(sentence, at) is not None:
                return True
            word = _WORD_BEFORE_CAUSE.match(sentence, at)
            if word is None:
                break
            at = word.end()
    return False


# a cause called malignant just before it is no benign cause: "metastatic compression fracture",
# "infiltration with compression fracture" (SPEC.md section 3: a pathological fracture is itself
# the worrisome feature)
_MALIGNANT_BEFORE = re.compile(
    r"\b(?:metasta|malignan|neoplas|myelom|tumou?r|patholog|infiltrat|lymphom|leuk[ae]|"
    r"plasmacyt)\w*[\s,-]+(?:[\w-]+\s+){0,2}$",
    _F,
)


@lru_cache(maxsize=256)
def _affirms_other_cause(clause: str) -> bool:
    for m in _OTHER_CAUSE.finditer(clause):
        before = max(0, m.start() - 60)
        if _DENIED_BEFORE.search(clause, before, m.start()):
            continue
        if _MALIGNANT_BEFORE.search(clause, before, m.start()):
            continue
        return True
    return False


# SPEC.md section 3: marrow signal, enhancement and high STIR / fat-saturated signal attributed to
# another cause (fracture, Modic change, infection ...) are not findings of this service.
_OTHER_CAUSE_KINDS = frozenset(
    {
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        FeatureKind.DIFFUSE_HOMOGENEOUS,
    }
)
_ANCHORED_KINDS = frozenset(
    {
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        FeatureKind.SHARP_MARGIN,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
    }
)
_NEEDS_MARROW_CONTEXT = frozenset(
    {
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
    }
)
_MARROW_WORD = re.compile(
    rf"\b(?:{_LESION_NOUN}|marrow|osseous|bony|bone|vertebra\w*|sacr\w*|ilia\w*|metasta\w*|"
    r"myeloma|plasmacytoma|infiltrat\w*|marrow[\s-]+replac\w*)\b",
    _F,
)
_BENIGN_ATTRIBUTION = re.compile(
    r"\bh(?:a)?emangioma|\bbone\s+islands?|\benostos[ie]s|\bschmorl\w*|\bcysts?\b|"
    r"\bdegenerat\w*|\bsubchondral",
    _F,
)


_PATHOLOGICAL_FRACTURE = re.compile(r"patholog", _F)
_BENIGN_ENTITY = re.compile(
    r"\bh(?:a)?emangiomas?\b|\bbone\s+islands?\b|\benostos[ie]s\b|\bschmorl\w*|"
    r"\b(?:degenerative|subchondral|synovial)\s+cysts?\b|\bgeodes?\b|\bmodic\b|"
    # (the match starts at a word: "pathological fracture" cannot match from the space before it)
    r"\b(?<!pathologic\s)(?<!pathological\s)(?<!malignant\s)(?<!metastatic\s)(?<!neoplastic\s)"
    r"(?:(?:stress|insufficiency|compression|healing|healed|acute|old|traumatic)\s+)?fractures?\b|\bfat(?:ty)?\s+(?:marrow\s+)?(?:deposit|island|rest|focus)\w*|"
    r"\bfusion\s+mass(?:es)?\b|\bbone\s+grafts?\b|\bherniation\s+pits?\b|"
    r"\bbenign(?:[\s-]appearing)?\s+(?:lesions?|foci|focus|nodules?|mass(?:es)?|tumou?rs?)\b|"
    r"\bavascular\s+necrosis\b|\bavn\b|\bosteonecrosis\b|\bbone\s+infarcts?\b|"
    # "foci ... representing residual red marrow islands": normal marrow (SPEC.md section 3)
    r"\b(?:residual|physiologic(?:al)?)\s+(?:red|h(?:a)?ematopoietic)\s+marrow(?:\s+islands?)?\b|"
    r"\bislands?\s+of\s+(?:residual\s+|physiologic(?:al)?\s+)?(?:red|h(?:a)?ematopoietic)\s+"
    r"marrow\b|\bred\s+marrow\s+islands?\b|"
    # inflammatory spondyloarthritis: corner (Romanus) and Andersson lesions
    r"\b(?:romanus|andersson)\s+lesions?\b|\bcorner\s+(?:inflammatory\s+)?(?:lesions?|o?edema|"
    r"inflammation)\b|\binflammatory\s+corner\s+lesions?\b|"
    r"\bshiny\s+corners?\b|\bspondyl(?:o)?arthr\w*|\bankylosing\s+spondylitis\b|"
    # injuries named by their eponyms (shoulder and knee reports)
    r"\b(?:hill[\s-]?sachs|bankart|segond|perthes)\s+(?:lesions?|fractures?|defects?|deformit\w*)|"
    # benign bone entities named as definitely as the listed ones (knee, hip and ankle reports)
    r"\bbone\s+(?:contusions?|bruis\w*)|\bosteochondritis\s+dissecans\b|"
    r"\bheterotopic\s+ossification\b|\bmyositis\s+ossificans\b|\bocd\b|"
    # osteoarthritis's "bone marrow oedema-like lesions" (a knee and hip MRI term)
    r"\bo?edema[\s-]+like\s+lesions?\b|"
    r"\bosteochondral\s+(?:lesions?|defects?|injur\w*)|\benchondromas?\b|"
    r"\b(?:intraosseous\s+)?lipomas?\b|\bfibrous\s+dysplasia\b|"
    r"\bnon-?ossifying\s+fibromas?\b|\bfibrous\s+cortical\s+defects?\b|"
    r"\b(?:simple|unicameral)\s+bone\s+cysts?\b|\bpaget'?s?\s+disease\b|"
    # a mass of blood-forming tissue outside the marrow (paravertebral, presacral)
    r"\bextramedullary\s+h(?:a)?ematopoie\w*",
    _F,
)
_ATTRIBUTION_HEDGE = re.compile(
    r"\b(?:likely|probabl[ey]|possibl[ey]|may|might|could|favou?r\w*|suggest\w*|presum\w*|"
    r"versus|vs|differential|uncertain|indeterminate|query)\b|\?",
    _F,
)
_NEXT_LESION = re.compile(
    rf"\b{_LESION_NOUN}\b|;|\band\s+(?:an?|the|another|one|two|multiple|several)\b", _F
)


# A lesion named by what it is ("metastases", "plasmacytoma"). Said after an attribution word
# ("an adrenal mass, likely metastases", "in keeping with metastases") it names the finding before
# it, which is counted (or not) as that finding; the name alone is no second lesion.
_NAMED_LESION = re.compile(r"metasta|plasmacytom", _F)
_NAMES_A_FINDING_BEFORE = re.compile(
    r"\b(?:likely|probabl[ey]|possibl[ey]|consistent\s+with|in\s+keeping\s+with|compatible\s+with|"
    r"suggestive\s+of|suspicious\s+for|concerning\s+for|worrisome\s+for|representing|reflecting|"
    r"due\s+to|favou?ring|favou?red|presumed|presumably|c/w|from)\s+(?P<phrase>(?:[\w-]+\s+){0,3})$",
    _F,
)
# "complete response of a vertebral deposit": the lesion has gone (history). A treated lesion
# still seen ("the treated sclerotic metastasis at L3 is unchanged") is present: SPEC.md section 3,
# "unchanged" describes; only "no longer" / resolved makes it history.
_TREATED_BEFORE = re.compile(
    r"\b(?:complete|full)\s+(?:metabolic\s+)?(?:response|remission|resolution)\s+of\s+"
    r"(?:[\w-]+\s+){0,3}$",
    _F,
)
# "MRI for metastatic disease", "evaluation for myeloma": what a test looks for is no finding
_PURPOSE_BEFORE = re.compile(
    r"\b(?:mri|ct|pet(?:-ct)?|scan|imaging|study|evaluat\w*|assess\w*|screen\w*|search\w*|"
    r"look\w*|work-?up|surveillance|staging|restaging)\s+for\s+(?:[\w-]+\s+){0,2}$|"
    # "an MRI of the lumbar spine was obtained to exclude metastatic disease"
    r"\b(?:obtained|performed|done|ordered|requested|arranged|undertaken|booked)\s+"
    r"(?:[\w-]+\s+){0,2}?to\s+(?:exclude|rule\s+out|look\s+for|evaluate\s+for|assess\s+for|"
    r"screen\s+for)\s+(?:[\w-]+\s+){0,2}$",
    _F,
)


# what a clinician asked a study to look for is no finding of it, whatever lesion it names
_REQUESTED_TO_EXCLUDE = re.compile(
    r"\b(?:requested|ordered|arranged|booked|obtained|performed|request|order|arrange|book)\b"
    r"[^.;:]{0,70}?\bto\s+(?:exclude|rule\s+out|look\s+for|evaluate\s+for|assess\s+for|"
    r"screen\s+for|search\s+for)\s+(?:[\w-]+\s+){0,3}$",
    _F,
)


_RESPONSE_TERM = re.compile(r"\b(?:non-?target|target|measurable|non-?measurable|index)\s+$", _F)


def _named_lesion_is_attribution(hit: _Hit, text: str, clause: tuple[int, int]) -> bool:
    if not _NAMED_LESION.search(text, hit.start, hit.end):
        return False
    m = _NAMES_A_FINDING_BEFORE.search(text, clause[0], hit.start)
    # "consistent with multiple bone metastases" names bone: a finding of its own
    return m is not None and not mentions_bone(text, m.start("phrase"), hit.end)


def _keep_target(hit: _Hit, text: str, sentence: tuple[int, int], stops: Sequence[int]) -> bool:
    """Context checks that a regex alone cannot express: whether the finding is the marrow's
    (not another cause's, not another organ's), then the checks of its own kind."""
    clause = _clause_of(hit.start, sentence, stops)
    if (
        hit.kind in _HISTOLOGY_KINDS
        or (hit.kind is FeatureKind.FOCAL_LESION and _NODULE.search(text, hit.start, hit.end))
    ) and _of_histology(text, sentence):
        return False  # "trephine: a diffuse pattern of marrow infiltration by lymphocytes"
    if hit.kind in _OTHER_CAUSE_KINDS and (
        _other_cause(text, clause, hit.start)
        or _attributed_to_other_cause(text[sentence[0] : sentence[1]])
    ):
        return False  # SPEC.md section 3 "Other causes of marrow signal": not this service's
    if hit.kind in _ANCHORED_KINDS and anchor(text, hit.start, hit.end, clause) is Anchor.ORGAN:
        return False  # a lesion / enhancement / change of another organ (SPEC.md 3 Anatomy)
    check = _KIND_CHECKS.get(hit.kind)
    return check is None or check(hit, text, sentence, clause)


# A sentence about a marrow sample (biopsy, trephine, aspirate, its cells and markers) with no
# word of imaging: "infiltration" there is the pathologist's, not the MRI's (SPEC.md section 3
# classifies the imaging report).
_HISTOLOGY = re.compile(
    # (not "biopsy" alone: "requires biopsy" is a plan for the finding, not a sample's result)
    r"\b(?:trephine|aspirat\w*|cellularity|hyper-?cellular|hypo-?cellular|"
    r"immunohisto\w*|flow\s+cytometry|cytogenetic\w*|plasma\s+cells|lymphocytes|blasts|"
    r"cd\d{1,3}\b|clonal)",
    _F,
)
_IMAGING_WORD = re.compile(
    r"\b(?:mri|mr|ct|pet|scan\w*|imag\w*|t1|t2|stir|signal|enhanc\w*|radiolog\w*|"
    r"sequence\w*|dixon|phase)\b",
    _F,
)
_HISTOLOGY_KINDS = frozenset({FeatureKind.MARROW_SIGNAL, FeatureKind.DIFFUSE_PATTERN})


def _of_histology(text: str, sentence: tuple[int, int]) -> bool:
    return bool(_HISTOLOGY.search(text, *sentence) and not _IMAGING_WORD.search(text, *sentence))


_Check = Callable[[_Hit, str, tuple[int, int], tuple[int, int]], bool]


def _keep_lytic(hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]) -> bool:
    if _BENIGN_ATTRIBUTION.search(text, *_segment(text, sentence, hit.start, hit.end)):
        return False  # U-B: a lytic-looking lesion attributed to a benign cause
    return not _PROSTHESIS.search(text[clause[0] : clause[1]])


_NODULE = re.compile(r"\bnodules?\b", _F)
_SCARE_QUOTES = re.compile(r"\b(?:apparent|so[\s-]called|pseudo)\b[^.;]{0,30}['\"‘“]$", _F)
_PROSTHESIS = re.compile(r"peri-?prosthetic|prosthe|hardware|screws?|implant|arthroplasty", _F)


def _keep_diffuse(hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]) -> bool:
    phrase = text[hit.start : hit.end]
    clause_text = text[clause[0] : clause[1]]
    if (
        not re.search(_MARROW_NOUN, phrase, _F)
        and re.match(r"diffuse", phrase, _F)
        and _NOT_MARROW_CONTEXT.search(clause_text)
    ):
        return False  # "diffusely heterogeneous uterus", "diffuse heterogeneous disc"
    if (
        hit.subtype == "distribution"
        and re.search(rf"\b{_LESION_NOUN}\b", clause_text, _F)
        and not re.search(rf"\b(?:{_MARROW_ADJ})\b", clause_text, _F)
    ):
        # "multiple lesions throughout the pelvis": the spread of lesions, not a diffuse pattern;
        # but "innumerable / numerous / diffuse lesions throughout the spine" is a pattern
        # (SPEC.md section 3 DIFFUSE: "throughout", distribution words), see `classify`.
        spread = _LESION_SPREAD.search(clause_text)
        hit.subtype = "lesion-spread" if spread else "lesion-distribution"
    return True


def _keep_lesion(hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]) -> bool:
    if _named_lesion_is_attribution(hit, text, clause):
        return False
    if _SCARE_QUOTES.search(text, max(clause[0], hit.start - 40), hit.start):
        return False  # "an apparent right L5-S1 'lesion' ... is a conjoined root"
    if _NODULE.search(text, hit.start, hit.end) and (
        anchor(text, hit.start, hit.end, clause) is not Anchor.BONE
    ):
        return False  # a nodule is the lung's, thyroid's or a node's unless a bone is named
    if _NAMED_LESION.search(text, hit.start, hit.end) and _PURPOSE_BEFORE.search(
        text, max(clause[0], hit.start - 60), hit.start
    ):
        return False
    if _REQUESTED_TO_EXCLUDE.search(text, max(clause[0], hit.start - 120), hit.start):
        return False  # "I have requested a whole-body MRI to rule out focal lesions elsewhere"
    if _RESPONSE_TERM.search(text, max(clause[0], hit.start - 16), hit.start) and not (
        mentions_bone(text, *clause)
    ):
        return False  # RECIST "Target lesions:", "Non-target lesions": the list names the organs
    if _TREATED_BEFORE.search(text, clause[0], hit.start):
        hit.historical = True
    if not _lesion_not_said_benign(hit, text, sentence):
        return False
    near = text[max(clause[0], hit.start - 25) : min(clause[1], hit.end + 15)]
    if re.search(
        r"\b(?:schmorl\w*|cysts?|tarlov|synovial|perineural|dis[ck])\b|"
        # "susceptibility foci" (blood products, calcium or metal), "blooming foci"
        r"\b(?:susceptibility|blooming|calcific|calcified)\s+foc(?:us|i)\b",
        near,
        _F,
    ):
        return False  # "Schmorl node", "disc lesion", "Tarlov cyst": not marrow lesions
    if re.search(r"\bfoc(?:us|i)\b", text[hit.start : hit.end], _F) and re.search(
        r"\bfoc(?:us|i)\s+of\s+(?:[\w-]+\s+){0,5}?(?:fat|fatty|normal|red|o?edema|calcifi\w*|gas|"
        r"air|fluid|susceptibility|artefact|artifact|blooming)\b",
        text[hit.start : hit.end + 40],
        _F,
    ):
        return False  # "a focus of fat", "foci of focal fatty marrow", "a focus of oedema"
    if re.search(r"\bfocus\b", text[hit.start : hit.end], _F) and re.match(
        r"\s+on\s+(?!(?:the\s+)?(?:t[12]|stir|dwi|diffusion|sagittal|axial|coronal|post|pre|"
        r"fat|opposed|in-?phase|dixon|images?|sequences?|ct|mri|[CTLS]\d))",
        text[hit.end : hit.end + 30],
        _F,
    ):
        return False  # "physiotherapy with a focus on core rehabilitation": the idiom
    # "a fatty lesion", "fat-containing focus", "fatty corner deposits" (not "fat-suppressed")
    return not re.search(
        r"\bfat(?:ty)?(?:[\s-]+containing)?(?:\s+(?!sat|supp)[a-z]+)?\s*$",
        text[clause[0] : hit.start],
        _F,
    )


def _lesion_not_said_benign(hit: _Hit, text: str, sentence: tuple[int, int]) -> bool:
    """SPEC.md section 3 "Benign attribution": a lesion the report attributes to a benign entity
    is not a focal lesion for U-L; hedged, it is at most FOCAL_EQUIVOCAL (subtype benign-hedged).
    What the lesion is said to be: its stretch of the sentence between "and" / ";", up to the
    next finding noun of its clause ("a focus of T1 and T2 hyperintense signal in L1, consistent
    with a hemangioma" is said to be a haemangioma)."""
    seg_start, seg_end = _segment(text, sentence, hit.start, hit.end)
    nxt = _NEXT_LESION.search(text, hit.end, sentence[1])
    stop = max(seg_end, nxt.start() if nxt else sentence[1])
    atypical = "atypical" in text[seg_start:stop].lower()
    named = _BENIGN_ENTITY.search(text, max(seg_start, hit.start - 30), hit.end)
    if (
        named is not None
        and (named.end() == hit.end or not text[named.end() : hit.start].strip())
        and not atypical
    ):
        # the lesion's own name is a benign entity: "Romanus lesions", "an osteochondritis
        # dissecans lesion"
        return False
    label = _ENTITY_LABEL.match(text, sentence[0], hit.start)
    if (
        label is not None
        and not atypical
        and (entity := _BENIGN_ENTITY.search(label.group(0))) is not None
        and _LABEL_END.fullmatch(label.group(0), entity.end()) is not None
        and not _DENIED_ENTITY.search(label.group(0), 0, entity.start())
        and not _ATTRIBUTION_HEDGE.search(label.group(0))
    ):
        return False  # "Typical haemangioma: a 14 mm lesion at L2", "Vertebral haemangioma - the
        # classic 'polka dot' lesion": the entity named first, as a label
    # (the entity may end in the next lesion noun: "in keeping with focal fatty marrow deposits")
    attribution = text[hit.start : min(sentence[1], stop + 40)]
    said = _BENIGN_ENTITY.search(attribution)
    if said is not None and said.start() >= stop - hit.start:
        said = None
    if said is not None and not _DENIED_ENTITY.search(attribution, 0, said.start()):
        if not atypical and not _ATTRIBUTION_HEDGE.search(attribution):
            return False
        # hedged, or an atypical haemangioma (SPEC.md section 3 lists it among the hedges and
        # among the benign attributions): a focal lesion, at most FOCAL_EQUIVOCAL, not one for U-L
        hit.subtype = "benign-hedged"
    return True


# a label of up to five words before the lesion's part of the sentence ("Typical haemangioma:",
# "Vertebral haemangioma - ")
_LABEL_END = re.compile(r"[ \t]*(?:\([^)\n]*\)[ \t]*)?(?::|[-–—])[ \t]*")
_ENTITY_LABEL = re.compile(r"\W*(?:[\w'’-]+[ \t]+){0,4}?[\w'’-]+[ \t]*(?::|[ \t][-–—])[ \t]+", _F)


# "not typical of haemangiomas", "rather than a bone island", "..., no fracture": the benign
# entity is denied
_DENIED_ENTITY = re.compile(
    # ("no" / "without" deny the entity they stand right before: "without oedema, a bone
    # island" does not deny the bone island)
    r"\b(?:no|without|nor)\s+(?:[\w-]+\s+){0,2}$|"
    r"\b(?:not|non|unlike|rather\s+than|instead\s+of|other\s+than)\b"
    r"(?:[\s,-]+[\w-]+){0,4}"
    r"[\s,-]*$",
    _F,
)


def _keep_t1_comparison(
    hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]
) -> bool:
    s_text = text[sentence[0] : sentence[1]]
    if not _T1.search(s_text) and _OTHER_SEQUENCE.search(s_text):
        return False
    if (
        not mentions_bone(s_text)
        and not _MARROW.search(s_text)
        # (read before the comparison: its disc or muscle is what it is compared with)
        and anchor(text, hit.start, hit.start, (clause[0], hit.start)) is Anchor.ORGAN
    ):
        # "an intraconal mass in the right orbit, isointense to muscle on T1", "a soft tissue
        # lesion in the third web space, T1 isointense to muscle": another organ's signal
        return False
    if hit.kind is FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE:
        phrase = text[hit.start : hit.end].lower()
        # SPEC.md section 3: brighter than disc AND muscle; one of them is not enough.
        if not (re.search(r"dis[ck]", phrase) and re.search(r"muscl", phrase)):
            # brighter than one of them only: not the benign modifier, but its negation
            # ("not brighter than the discs") is still the worrisome feature
            hit.subtype = "partial"
    return True


def _keep_enhancement(
    hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]
) -> bool:
    return not _NOT_MARROW_CONTEXT.search(text[clause[0] : clause[1]])


def _keep_fat_sat(hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]) -> bool:
    if _NOT_MARROW_CONTEXT.search(text[clause[0] : clause[1]]):
        return False
    s_text = text[sentence[0] : sentence[1]]
    if _RED_MARROW_CAUSE.search(s_text) and not _MALIGNANT_WORD.search(s_text):
        return False  # SPEC.md section 3: high STIR signal attributed to red marrow, reconversion
    # "T1 and T2 bright and suppress on STIR": fat, the opposite of the feature
    if _SUPPRESSES.search(text[hit.start : min(clause[1], hit.end + 30)]):
        return False
    clause_text = text[clause[0] : clause[1]]
    if (
        re.search(r"\bmarrow\b", clause_text, _F)
        and not _OEDEMA.search(s_text)
        and not _OTHER_CAUSE.search(s_text)
    ):
        # said plainly of the marrow, with no oedema and no other cause named in its sentence:
        # a marrow finding (SPEC.md section 3: a worrisome feature alone is at least NONSPECIFIC)
        hit.subtype = "marrow"
    return True


_OEDEMA = re.compile(r"o?edema", _F)
_MARROW = re.compile(r"\bmarrow\b", _F)


_RED_MARROW_CAUSE = re.compile(
    r"\b(?:red|h(?:a)?ematopoietic|h(?:a)?emopoietic)\s+marrow|\breconver\w*|"
    r"\bmarrow\s+hyperplasia",
    _F,
)
_MALIGNANT_WORD = re.compile(
    r"infiltrat|myelom|metasta|neoplas|malignan|lymphom|leuk[ae]|plasmacyt|tumou?r|cannot\s+be",
    _F,
)
_SUPPRESSES = re.compile(r"suppress|saturates?\s+out|drops?\s+out|los(?:es|ing|s)\s+signal", _F)


def _keep_cannot_exclude(
    hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]
) -> bool:
    """Only about an infiltrative / malignant process; the span is widened to that word so that a
    card quotes "infiltrative process cannot be excluded", not the bare phrase."""
    if _PATHOLOGICAL_FRACTURE.match(text, hit.start):
        return True  # SPEC.md section 3: a pathological fracture is itself the worrisome feature
    phrase = text[hit.start : hit.end].lower()
    if not re.search(r"exclu|rule|patholog", phrase):
        # "suspicious for", "differential includes": worrisome wording about a finding, but
        # not by itself SPEC.md's "cannot exclude infiltrative process" (see classify)
        hit.subtype = "soft"
    if "excluded" in phrase or "ruled out" in phrase:
        first = _MALIGNANCY.search(text, max(clause[0], hit.start - 80), hit.start)
        if first is None:
            return False
        head = re.search(r"[\w-]*$", text[clause[0] : first.start()])
        hit.start = first.start() - (len(head.group(0)) if head else 0)
        return True
    after = _MALIGNANCY.search(text, hit.start, clause[1])
    if after is None:
        return False
    tail = re.match(r"[\w-]*", text[after.end() : clause[1]])
    hit.end = after.end() + (tail.end() if tail else 0)
    return True


def _keep_multilevel(
    hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]
) -> bool:
    # only a marrow-signal clause spreads over levels; "lesions at several levels" does not
    clause_text = text[clause[0] : clause[1]]
    # (lesions the clause denies are no lesions: "mottled marrow in multiple vertebral bodies,
    # without discrete lytic lesions")
    affirmed = _DENIED_REST.sub("", clause_text)
    return bool(
        re.search(rf"\b(?:{_MARROW_ADJ})\b|marrow", clause_text, _F)
        and not re.search(rf"\b{_LESION_NOUN}\b", affirmed, _F)
    )


# "a sharply demarcated radiation port", "the sharp border of the port": the margin of a treatment
# field or of normal marrow, not of a lesion
_MARGIN_OF_NO_LESION = re.compile(
    # (up to five words, none a lesion's: "sharply demarcated fatty marrow in a radiation port")
    r"\W+(?:(?!(?:lesions?|focus|foci|mass|masses|deposits?|nodules?)\b)[\w-]+\s+){0,5}?"
    r"(?:radiation|radiotherapy|treatment)?\s*(?:ports?|fields?)\b|"
    r"\W+(?:[\w-]+\s+){0,2}?(?:borders?|boundar\w+|interfaces?)\s+(?:of|between)\s+(?:the\s+)?"
    r"(?:radiation|radiotherapy|treatment|ports?|fields?|normal|fatty|red)",
    _F,
)


def _keep_sharp_margin(
    hit: _Hit, text: str, sentence: tuple[int, int], clause: tuple[int, int]
) -> bool:
    return not _MARGIN_OF_NO_LESION.match(text, hit.end, min(clause[1], hit.end + 60))


_KIND_CHECKS: dict[FeatureKind | _Kind, _Check] = {
    FeatureKind.SHARP_MARGIN: _keep_sharp_margin,
    FeatureKind.LYTIC_LESION: _keep_lytic,
    FeatureKind.DIFFUSE_PATTERN: _keep_diffuse,
    FeatureKind.FOCAL_LESION: _keep_lesion,
    FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC: _keep_t1_comparison,
    FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE: _keep_t1_comparison,
    FeatureKind.ENHANCEMENT: _keep_enhancement,
    FeatureKind.FAT_SAT_HIGH_SIGNAL: _keep_fat_sat,
    FeatureKind.CANNOT_EXCLUDE_INFILTRATION: _keep_cannot_exclude,
    _Kind.MULTILEVEL: _keep_multilevel,
}
