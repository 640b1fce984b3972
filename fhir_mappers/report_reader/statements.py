"""Normal-marrow statements and distribution words (SPEC.md section 3).

- Normal-marrow statements are never a finding: distribution words inside them describe the
  normality ("normal marrow signal at all levels"); red marrow called residual, physiological or
  normal for age is normal; "diffuse fatty marrow" is no pattern.
- Distribution words ("throughout", "at all levels", "in all vertebral bodies") count only with
  a marrow target of their own clause, and then make a DIFFUSE pattern (or a spread of lesions).
- Abnormal marrow signal over three or more vertebral levels is a diffuse pattern.
- A general statement about a disease ("Myeloma typically presents with diffuse marrow
  infiltration", a teaching case's discussion) is not a finding of this patient.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fhir_mappers.report_reader.measurements import _levels_in
from fhir_mappers.report_reader.measurements import is_threshold as _threshold
from fhir_mappers.report_reader.scope import (
    _clause_of,
    _Hit,
    _terminators,
)
from fhir_mappers.report_reader.vocabulary import (
    _DENIED_REST,
    _F,
    _LESION_NOUN,
    _LESION_SPREAD,
    _LEVEL,
    _MARROW_ADJ,
    _SIZE,
    _Kind,
)
from logic.model import FeatureKind
from logic.thresholds import U_L_MIN_SIZE_MM

# A sentence that says what a disease or entity does in general: a general cue ("typically",
# "may present with", "is characterised by") after a general subject (a disease, "patients"),
# with nothing that ties it to this patient (a vertebral level, a size, "there is", "this patient").
_GENERAL_CUE = re.compile(
    r"\b(?:typically|usually|classically|characteristically|commonly|generally|often|frequently|"
    r"in\s+general|tends?\s+to|(?:may|can|might)\s+(?:also\s+)?(?:present|appear|manifest|show|"
    r"demonstrate|mimic|cause|produce|result|be\s+seen)|presents?\s+(?:as|with)|"
    r"would\s+(?:be|have|show|demonstrate|cause|produce|lower|raise|appear|point|favou?r|signal|"
    r"suggest|indicate|mean)|"
    r"for\s+reference|by\s+definition|requires?|should\s+prompt|"
    r"raises?\s+the\s+(?:likelihood|probability|suspicion|possibility|risk)|"
    r"(?:is|are)\s+(?:typically|usually|commonly|often|frequently)|occurs?\s+(?:when|in|near|with)|"
    r"(?:may|can|might)\s+(?:also\s+)?(?:involve|imitate|simulate)|"
    # "Red marrow on high b-value DWI can look bright", "Reconversion happens when demand rises"
    r"(?:may|can|might)\s+(?:also\s+)?look|happens?\s+(?:when|in|with)|"
    # "patchy marrow on MRI can occasionally be the first sign of a blood disorder", "red marrow
    # is expected in the femoral metaphyses of young adults and should not be mistaken for ..."
    r"(?:may|can|might)\s+(?:also\s+|occasionally\s+|sometimes\s+|rarely\s+|even\s+)?be\s+"
    r"(?:the\s+)?(?:first|earliest|only|initial|presenting)\s+(?:sign|clue|manifestation|finding)|"
    r"should\s+not\s+be\s+mistaken|(?:is|are)\s+(?:normally\s+|usually\s+)?expected\s+in|"
    # "Not every backache is a metastasis"
    r"not\s+(?:every|all)\s+[\w-]+(?:\s+[\w-]+)?\s+(?:is|are)\b|"
    r"count\s+as|detects?|persists?\s+longest|"
    r"(?:is|are)\s+(?:an?\s+)?myeloma[\s-]defining|as\s+(?:an?\s+)?myeloma[\s-]defining|"
    r"(?:is|are)\s+defined\s+as|(?<!-)define[sd]?|considers?|(?:may|can|might)\s+persist|"
    r"(?:is|are)\s+(?:highly\s+)?(?:sensitive|specific)\s+(?:for|to)|"
    r"(?:is|are)\s+characteri[sz]ed\s+by|(?:is|are)\s+(?:the\s+)?most\s+common|"
    r"(?:is|are)\s+easily\s+(?:missed|overlooked|mistaken)|(?:is|are)\s+(?:the\s+)?commonest|"
    r"(?:is|are)\s+(?:very\s+|relatively\s+|quite\s+)?(?:rare|uncommon|unusual)|"
    r"(?:is|are)\s+(?:a|the)\s+(?:frequent|common|usual|typical|classic)\s+(?:explanation|cause|"
    r"mimic|pitfall|source)|"
    r"should\s+(?:not\s+)?be\s+(?:regarded|considered|treated|counted|assumed)|differs?\s+from|"
    r"(?:is|are)\s+(?:often\s+)?indistinguishable|(?:is|are)\s+most\s+often|"
    r"(?:is|are)\s+(?:reported|seen|found)\s+in\s+(?:roughly|about|approximately|up\s+to|around)?"
    r"\s*\d+(?:\.\d+)?(?=\s*(?:%|per\s*cent))|taught\s+to|(?:is|are)\s+(?:now\s+)?preferred|(?:can|may)\s+reveal|"
    r"(?:is|are)\s+(?:the\s+)?most\s+(?:suspicious|specific|reliable|useful|important)|"
    r"(?:is|are)\s+(?:common|frequent|typical|usual)\s+(?:incidental\s+)?findings|"
    r"(?:can|may|might)\s+have\s+(?:many|several|various|numerous|a\s+number\s+of|other|"
    r"different|benign)\s+causes)\b",
    re.IGNORECASE,
)
_CLAUSE_CUE = re.compile(
    r"should|raises?|(?:is|are)\s+(?:typically|usually|commonly|often|frequently|an?\s+myeloma|"
    r"myeloma)|(?:may|can|might)\s+(?:also\s+)?(?:involve|imitate|simulate)|"
    r"as\s+(?:an?\s+)?myeloma|(?:may|can|might)\s+persist|should|differs?|requires?|(?:is|are)\s+"
    r"(?:often\s+)?indistinguishable|(?:is|are)\s+most\s+often|(?:is|are)\s+(?:reported|"
    r"seen|found)\s+in|taught|(?:is|are)\s+(?:now\s+)?preferred|(?:can|may)\s+reveal|(?:is|are)\s+"
    r"(?:the\s+)?most|(?:is|are)\s+(?:common|frequent|typical|usual)\s|"
    r"(?:may|can|might)\s+(?:also\s+)?(?:cause|produce|mimic|look)|happens?|"
    r"occurs?|count|detects?|persists?|(?:can|may|might)\s+have|(?:is|are)\s+(?:the\s+)?commonest|"
    r"(?:is|are)\s+(?:very\s+|relatively\s+|quite\s+)?(?:rare|uncommon|unusual)|"
    r"(?:is|are)\s+(?:a|the)\s+(?:frequent|common|usual|typical|classic)\s",
    re.IGNORECASE,
)
_GENERAL_SUBJECT = re.compile(
    r"\b(?:myeloma|metasta\w*|lymphoma\w*|leuk(?:a)?emi\w*|plasmacytoma\w*|malignan\w*|"
    r"h(?:a)?emangioma\w*|reconversion|hyperplasia|neoplas\w*|tumou?rs?|recurren\w*|diseases?|entit(?:y|ies)|"
    r"patients|adults|children|such\s+lesions|(?:this|the)\s+pattern|imwg|criteria|guidelines?|"
    r"red\s+marrow|reconver\w*|survey|lesions|typical\s+lesions|extension|involvement|"
    r"myelofibrosis|mastocytosis|gaucher|amyloid\w*|disorders?|wording|terms|phrases|"
    r"(?:bone\s+)?infarcts|(?:bone\s+)?islands|enostoses|cysts|fractures|artefacts|artifacts|"
    r"marrow\s+(?:that|which)|cases|findings|women|men|words|"
    # "an abnormal or heterogeneous marrow pattern ... can have many causes": any such pattern
    r"an?\s+(?:[\w-]+\s+){0,4}?(?:pattern|appearance))\b",
    re.IGNORECASE,
)
_PATIENT_ANCHOR = re.compile(
    # ("general, not this patient" is the opposite)
    r"(?<!not\s)(?<!not\sfor\s)(?<!not\sabout\s)\b(?:this|our|the)\s+(?:patient|case)\b|\bpatient['’]s\b|"
    # ("absent here", "none here": what this patient does not have)
    r"(?<!absent\s)(?<!none\s)(?<!not\s)(?<!lacking\s)\bhere\b|"
    r"\bthere\s+(?:is|are|was|were|has|have)\b|\b(?:current|present|this|today'?s)\s+"
    r"(?:study|exam\w*|scan|mri|images?)\b|\bwe\b|\bnow\b(?!\s+(?:defines?|recommended|considered|known|accepted|included|part|preferred|used|standard))",
    re.IGNORECASE,
)


# "In patients with myeloma, ...", "In adults ...": the whole sentence is general.
# a subject framed by a disease ("A diffuse pattern in myeloma", "Marrow involvement in
# lymphoma"): what is said of it is said of the disease
_DISEASE_IN_SUBJECT = re.compile(
    r"^\W*(?:an?|the)?\s*[\w-]+(?:\s+[\w-]+){0,3}?\s+(?:in|of)\s+(?:multiple\s+myeloma|myeloma|"
    r"lymphoma|leuka?emia|myelofibrosis|mastocytosis|metastatic\s+disease)\s*$",
    re.IGNORECASE,
)
_GENERAL_FRAME = re.compile(
    # a disease or a population as the sentence's frame: "In multiple myeloma five MRI marrow
    # patterns are described", "In sickle cell disease, persistent red marrow hyperplasia ..."
    r"^\W*in\s+(?:patients\s+with\s+|children\s+with\s+|adults\s+with\s+)?(?:multiple\s+myeloma|"
    r"myeloma|lymphoma|leuka?emia|sickle[\s-]+cell\s+(?:disease|ana?emia)|thalass(?:a)?emia|"
    r"myelofibrosis|(?:chronic\s+)?myeloproliferative\s+\w+|gaucher\s+disease|mastocytosis|"
    r"metastatic\s+disease|adults|children|older\s+(?:adults|patients)|the\s+elderly|"
    r"young\s+adults)\b|"
    # "Whole-body MRI is now preferred to the skeletal survey because it detects marrow lesions"
    r"^\W*(?:whole[\s-]body|spinal)\s+mri\s+(?:is|are|has|can|may|detects?|shows?)\b|"
    # a statistic: "Heterogeneous marrow signal is reported in roughly 2% of spinal MRI studies"
    r"\b(?:is|are)\s+(?:reported|seen|found|present)\s+in\s+(?:roughly|about|approximately|up\s+"
    r"to|around|some)?\s*\d+(?:\.\d+)?\s*(?:%|per\s*cent)|"
    # "MRI is more sensitive than bone scintigraphy and may show ...", "Marrow infiltration may be
    # extensive yet ...", "Bone complications of sickle cell disease include marrow hyperplasia"
    r"\b(?:mri|ct|pet(?:-ct)?|scintigraphy|imaging)\s+(?:is|are)\s+(?:more|less|highly|very)\s+"
    r"(?:sensitive|specific)\b|^\W*marrow\s+(?:infiltration|replacement|involvement)\s+(?:may|can|"
    r"might|tends?)\b|^\W*(?:[\w-]+\s+){0,2}?(?:complications|causes|features|manifestations)\s+"
    r"of\s+[^.;]{0,60}?\binclude\b|"
    # "Published series report that about 5% of incidental heterogeneous marrow findings prove
    # malignant"
    r"\b(?:about|roughly|"
    r"approximately|around|some|up\s+to)\s+\d+(?:\.\d+)?\s*(?:%|per\s*cent)\s+of\b|"
    # "Most cases are benign, but a minority prove to be myeloma ..."
    r"^\W*(?:most|many|some|a\s+minority\s+of|the\s+majority\s+of)\s+(?:such\s+)?(?:cases|"
    r"patients|lesions|reports|findings)\b|"
    # "When marrow abnormalities are found, first-line tests usually include ..."
    r"^\W*(?:when|if|once)\s+(?:[\w-]+\s+){0,4}?(?:is|are)\s+(?:found|seen|detected|present|"
    r"identified|suspected|reported)\b|"
    # "The differential of diffuse low T1 marrow includes ..." (of no lesion of this patient)
    r"^\W*(?:the\s+)?differential(?:\s+diagnosis)?\s+(?:of|for)\b|"
    # "Metastases classically replace fatty marrow ...": a plural subject and what it usually does
    r"^\W*(?:[\w-]+\s+){0,3}?(?:metastases|lesions|myelomas|lymphomas|ha?emangiomas|deposits|"
    r"reconversion|hyperplasia|infiltration|involvement)\s+(?:from\s+[\w-]+\s+)?"
    r"(?:classically|typically|usually|commonly|often|frequently|generally|characteristically)\b|"
    # a threshold and what it means: "A signal drop below 25% at 3 T suggests marrow replacement"
    r"^\W*an?\s+(?:[\w-]+\s+){0,3}?(?:drop|loss|decrease|fall)\s+(?:of\s+)?(?:below|under|less\s+"
    r"than|above|over|more\s+than|greater\s+than|<|>)\s*\d+(?:\.\d+)?\s*(?:%|per\s*cent)[^.;]*?"
    r"\b(?:suggests?|indicates?|favou?rs?|implies|means|is\s+(?:typical|suspicious|worrisome))\b|"
    # what never happens: "Red marrow never drops on opposed-phase imaging"
    r"\bnever\s+(?:drops|enhances|shows|causes|replaces|looks|appears|suppresses|crosses)\b|"
    # "Features that reassure: symmetry, T1 signal above disc and muscle, ..."
    r"^\W*(?:(?:the\s+)?(?:features|signs|findings|clues)\s+(?:that|which)\s+(?:reassure|worry|"
    r"suggest|favou?r|point|matter))\b|"
    # criteria and what counts: "the IMWG criteria count more than one focal lesion ...", "Small
    # lesions below 5 mm are not counted"
    r"\bcriteria\s+(?:count|define|include|require|consider|state)\b|\b(?:are|is)\s+not\s+"
    r"counted\b|\bdo(?:es)?\s+not\s+count\b|"
    # "Compare a metastasis, which erodes the pedicle ...": another entity, for contrast
    r"^\W*compare\s+(?:with\s+|to\s+)?an?\b|"
    # a bare plural: what such lesions are and do ("Metastases are round, replace fat completely
    # and drop very little"), not what is seen ("Metastases are present at several levels")
    r"^\W*(?!(?:the|these|those|her|his|their|both|two|three|multiple|several|new|known|"
    r"numerous|scattered|innumerable|small|large|larger|smaller)\b)(?:[\w-]+\s+){0,2}?"
    r"(?:metastases|myelomas|lymphomas|ha?emangiomas|plasmacytomas|bone\s+islands|"
    r"schmorl(?:'s)?\s+nodes)\s+(?:are|do|don't|replace|enhance|drop|tend|have|appear|look|"
    r"arise|occur)\b(?!\s+(?:not\s+)?(?:present|seen|noted|identified|again|now|new|stable|"
    r"unchanged|larger|smaller|increased|decreased|demonstrated|visible|evident|suspected|likely|"
    r"possible|probable|favou?red|numerous|innumerable|scattered|diffuse|widespread|multiple|"
    r"throughout|found|detected|also|still|more|less|fewer|too|in\b|at\b|within\b))|"
    r"^\W*(?:[a-z ]{1,30}:\s*)?(?:in\s+)?(?:(?:most|many|some|elderly|older|young(?:er)?)\s+)?"
    # ("Smouldering myeloma patients with more than one focal lesion ... have a high risk")
    r"(?:[\w-]+\s+){0,3}?(?:patients|adults|children|individuals)\s+(?:with|over|under|older|"
    r"younger|who)\b|"
    # "In elderly patients the marrow becomes fattier and more heterogeneous"
    r"^\W*(?:[a-z ]{1,30}:\s*)?in\s+(?:elderly|older|young(?:er)?|most|many|some|all)\s+"
    r"(?:patients|adults|people|women|men|individuals|children)\b|"
    # a quiz question: "Which benign entity can look like a metastasis on T1?"
    r"^\W*(?:[a-z ]{1,30}:\s*)?(?:which|what|how|why|when|where)\b[^?]*\?\s*$",
    re.IGNORECASE,
)


# every general cue and frame contains one of these (a keyword prefilter, never a decision)
_GENERAL_WORD_LIST = (
    "typical",
    "usual",
    "classic",
    "characteris",
    "characteriz",
    "common",
    "easily",
    "general",
    "often",
    "frequent",
    "tend",
    "may",
    "can",
    "might",
    "present",
    "associated",
    "patients",
    "elderly",
    "older",
    "young",
    "people",
    "women",
    "men",
    "adults",
    "children",
    "individuals",
    "would",
    "could",
    "reference",
    "definition",
    "define",
    "require",
    "prompt",
    "defining",
    "which",
    "what",
    "how",
    "why",
    "when",
    "where",
    "raise",
    "occur",
    "count",
    "detect",
    "persist",
    "consider",
    "sensitive",
    "specific",
    "concern",
    "worr",
    "commonest",
    "causes",
    "rare",
    "uncommon",
    "involve",
    "minority",
    "series",
    "studies",
    "literature",
    "indistinguishable",
    "sensitive",
    "include",
    "tend",
    "majority",
    "most",
    "when",
    "once",
    "differential",
    "classically",
    "regarded",
    "counted",
    "differ",
    "reported",
    "taught",
    "preferred",
    "reveal",
    "findings",
    "imitate",
    "simulate",
    "unusual",
    "frequent",
    "explanation",
    "reasonable",
    "indicated",
    "warranted",
    "needed",
    "required",
    "appropriate",
    "metastases",
    "happen",
    "drop",
    "loss",
    "decrease",
    "fall",
    "never",
    "reassure",
    "clues",
    "criteria",
    "compare",
    "myelomas",
    "lymphomas",
    "angiomas",
    "plasmacytomas",
    "islands",
    "nodes",
    "mistaken",
    "expected",
    "myeloma",
    "lymphoma",
    "leuk",
    "sickle",
    "thalass",
    "myelofibrosis",
    "myeloproliferative",
    "gaucher",
    "mastocytosis",
    "metastatic disease",
    "every",
    "all ",
)
_GENERAL_WORD = re.compile("|".join(_GENERAL_WORD_LIST), re.IGNORECASE)


_COUNTERFACTUAL = re.compile(
    r"\bwhat\s+(?:might|would|could)\s+have\s+been\s+(?:seen|shown|found)\b|"
    r"\b(?:might|would|could)\s+have\s+(?:been\s+seen|shown|demonstrated)\b",
    re.IGNORECASE,
)
# what happens in most or some cases: general whatever else the sentence says
_MOST_CASES = re.compile(
    r"\W*(?:most|many|some|a\s+minority\s+of|the\s+majority\s+of)\s+(?:such\s+)?(?:cases|"
    r"patients|reports)\s+(?:are|have|prove|show|turn)\b|"
    # "Published series report that about 5% of incidental heterogeneous marrow findings ..."
    r"\W*(?:published\s+|large\s+|several\s+|recent\s+)?(?:series|studies|the\s+literature)\s+"
    r"(?:report|show|suggest|describe|found|find)\b",
    re.IGNORECASE,
)


# A question, as a quiz or a case page asks it (not "Marrow lesion at L3?", a query of a finding)
_ASKS = re.compile(
    r"\W*(?:[A-Za-z][\w -]{0,24}\s*[:.)-]\s*)?(?:how|what|which|why|where|does|do|is|are|"
    r"can|could|would|should)\b",
    re.IGNORECASE,
)


# A general rule of when to worry or act ("... becomes a concern when", "Re-imaging is reasonable
# when the original images showed ..."): what follows is a condition, not a finding.
_WORRY_CONDITION = re.compile(
    r"\b(?:becomes?|is|are|would\s+be)\s+(?:only\s+)?(?:an?\s+|of\s+)?(?:concern\w*|worr\w*|"
    r"reasonable|indicated|warranted|needed|required|appropriate)\s+(?:only\s+)?(?:when|if|once)\b",
    re.IGNORECASE,
)
# "Diffuse marrow infiltration is present, which is concerning when ...": a finding stated before
# the rule's condition is no subject of the rule
_SUBJECT_HAS_VERB = re.compile(
    r"\b(?:is|are|was|were|shows?|showed|has|have|seen|noted|present|identified|demonstrated)\b|"
    r"[,;:]",
    re.IGNORECASE,
)
_TOLD_THAT = re.compile(
    r"\b(?:explained|discussed|told|counsell?ed|reviewed|advised|informed|reassured|mentioned|"
    r"talked\s+about\s+how)\b"
    r"[^.;:]{0,60}?\bthat\b|"
    # "As we discussed, myeloma can sometimes present as ..."
    r"\bas\s+(?:we|i|you)\s+(?:have\s+)?(?:discussed|explained|mentioned|agreed|know)\b,?",
    re.IGNORECASE,
)


# a short label before a sentence ("Why we do it: In smouldering myeloma, more than one focal
# lesion ...", "Reporting tip: ...")
_LEAD_LABEL = re.compile(
    r"\W*(?:\[[^\]\n]{0,20}\][ \t]*)?[A-Za-z][A-Za-z'’-]*(?:[ \t]+[A-Za-z'’-]+){0,4}[ \t]*:[ \t]+"
)


_BELOW_BEFORE = re.compile(r"(?:below|under|less\s+than|smaller\s+than|<)\s*$", re.IGNORECASE)


def _the_size_limit(text: str, size: re.Match[str]) -> bool:
    """ "below 5 mm" in a general statement: the lesion-size limit of SPEC.md section 5 (U-L),
    not a size measured ("Small lesions below 5 mm are not counted")."""
    return (
        float(size.group("a")) == U_L_MIN_SIZE_MM
        and not size.group("dims")
        and bool(_BELOW_BEFORE.search(text, max(0, size.start() - 20), size.start()))
    )


def _general_statement_start(s_text: str) -> int | None:
    """Where a general statement's predicate starts in the sentence, or None when the sentence
    is about this patient. Targets after that point are not findings of the patient. A short
    label before the sentence is passed over."""
    at = _general_statement_at(s_text)
    if at is None and (label := _LEAD_LABEL.match(s_text)) is not None:
        inner = _general_statement_at(s_text[label.end() :])
        return None if inner is None else label.end() + inner
    return at


def _general_statement_at(s_text: str) -> int | None:
    if s_text.endswith("?") and _ASKS.match(s_text):
        # "How many myeloma-type focal lesions does this MRI show?": a question asserts nothing
        return 0
    if _GENERAL_WORD.search(s_text) is None:
        return None  # the cheap test first: most sentences have none of these words
    if _MOST_CASES.match(s_text):
        return 0  # "Most cases are benign, but a minority prove to be myeloma ... there is no ..."
    condition = _WORRY_CONDITION.search(s_text)
    if condition is not None:
        # "Red marrow becomes a concern when it is darker than muscle ... or when the patient is
        # older": the condition of a general rule, whoever it names; the rule's subject too, when
        # it names nothing of this patient (no level, size, "here")
        subject = s_text[: condition.start()]
        general_subject = not (
            _PATIENT_ANCHOR.search(subject)
            or _located_or_measured(subject)
            or _SUBJECT_HAS_VERB.search(subject)
        )
        return 0 if general_subject else condition.end()
    counterfactual = _COUNTERFACTUAL.search(s_text)
    if counterfactual is not None:
        # "to review what might have been seen: heterogeneous marrow ...": not seen, whoever
        # it is said of
        return counterfactual.start()
    frame = _GENERAL_FRAME.search(s_text)
    cue = _GENERAL_CUE.search(s_text)
    if frame is not None:
        at = 0
    elif cue is not None and _GENERAL_SUBJECT.search(s_text, 0, cue.start() + 140):
        at = cue.start()
        if _DISEASE_IN_SUBJECT.search(s_text, 0, at):
            at = 0  # "A diffuse pattern in myeloma typically shows ...": the subject is general too
    else:
        return None
    # what ties it to this patient must be in the statement's own part ("..., rather than linear
    # bands; none is present here" speaks of the patient after the ";"), not in the words that
    # report it ("I explained to the patient that myeloma can present with ...")
    told = _TOLD_THAT.search(s_text, 0, at + 1) if at else None
    begin = max(told.end() if told is not None else 0, s_text.rfind(";", 0, at) + 1)
    part = s_text[begin : s_text.find(";", at) if ";" in s_text[at:] else len(s_text)]
    if _PATIENT_ANCHOR.search(part) or any(
        not (_threshold(part, m) or _the_size_limit(part, m)) for m in _SIZE.finditer(part)
    ):
        return None
    if any(True for _ in _levels_in(part, 0, len(part))):
        return None
    if cue is not None and frame is None and _CLAUSE_CUE.match(cue.group(0)):
        # "aggressive bone destruction should prompt consideration of metastasis", "red marrow
        # persists longest in the femora": the predicate makes its whole clause general
        return begin
    return at


_ABOUT_THIS_PATIENT = re.compile(
    r"\b(?:she|he|her|his|had)\b|\b(?:this|our)\s+(?:[\w-]+\s+){0,2}?(?:man|woman|boy|girl|"
    r"gentleman|lady|male|female|child)\b|\b(?:mri|ct|scan|imaging|study|images?|pet(?:-ct)?|examination)\b"
    # (what a study "may show" is what it shows in general)
    r"[^.;]{0,40}?(?<!may\s)(?<!can\s)(?<!might\s)(?<!could\s)(?<!would\s)\b(?:show\w*|"
    r"demonstrat\w*|reveal\w*|confirm\w*)|\b(?:was|were)\s+"
    r"(?:seen|noted|found|identified|present|demonstrated)\b",
    re.IGNORECASE,
)


def about_this_patient(clause_text: str) -> bool:
    """A clause of a general discussion that speaks of this patient: "in this patient", "here",
    a vertebral level, a size, "MRI showed", "she has"."""
    if _PATIENT_ANCHOR.search(clause_text) or _ABOUT_THIS_PATIENT.search(clause_text):
        return True
    if _GENERAL_CUE.search(clause_text):
        # "Sacral lesions are easily missed when the field of view stops at S1": a level or
        # size in a general statement is an example, not this patient's
        return False
    return _located_or_measured(clause_text)


def _located_or_measured(text: str) -> bool:
    """A vertebral level or a measured size (not a threshold: "5 mm or more") -- this patient's,
    in a teaching text. (T1 and T2 there are sequences: "if the T1 shows fat".)"""
    return any(set(lvs) - _SEQUENCE_LEVELS for _, lvs in _levels_in(text, 0, len(text))) or any(
        not _threshold(text, m) for m in _SIZE.finditer(text)
    )


_SEQUENCE_LEVELS = frozenset({"T1", "T2"})

# A paragraph of a teaching document that tells this patient's story: an age ("a 53-year-old
# man"), "the patient" (one, not "patients"), what a study showed, a level or a measured size.
_PATIENT_STORY = re.compile(
    r"\b\d{1,3}[\s-](?:year|yr)s?[\s-]old\b|(?<!not\s)(?<!not\sfor\s)(?<!not\sabout\s)"
    r"\b(?:the|this|our|index)\s+patient\b(?!s)|\bpatient\s*:|"
    # (what a study showed, in the past tense: "shows" is as general as it is particular)
    r"\b(?:showed|demonstrated|revealed|disclosed|confirmed)\b",
    re.IGNORECASE,
)


def speaks_of_patient(paragraph: str) -> bool:
    """A paragraph that speaks of this patient (`about_this_patient`, or an age, "the patient",
    what a study showed), as opposed to a paragraph of general teaching."""
    if (
        _PATIENT_ANCHOR.search(paragraph)
        or _ABOUT_THIS_PATIENT.search(paragraph)
        or _PATIENT_STORY.search(paragraph)
    ):
        return True
    return _located_or_measured(paragraph)


_NAMES_THE_PATIENT = re.compile(
    r"(?<!not\s)\b(?:this|our|the\s+index)\s+(?:patient|case|man|woman|boy|girl)\b|"
    r"\bpatient['’]s\b|\b(?:he|she|his|her)\b",
    re.IGNORECASE,
)


def tells_of_patient(paragraph: str) -> bool:
    """The plain signs that a paragraph speaks of this patient: an age, "this patient", "our
    case", what a study showed, he or she (not "there is", "now" or a level alone)."""
    return bool(_PATIENT_STORY.search(paragraph) or _NAMES_THE_PATIENT.search(paragraph))


def is_general_statement(sentence: str) -> bool:
    """A sentence that says what a disease or entity does in general (a general subject and cue,
    "In patients with ...", a quiz question), with nothing of this patient in it."""
    return _general_statement_start(sentence) is not None


def _drop_general_statements(s_text: str, s_start: int, hits: list[_Hit]) -> list[_Hit]:
    at = _general_statement_start(s_text)
    if at is None:
        return hits
    return [h for h in hits if h.start < s_start + at]


_FOR_AGE = re.compile(r"\bage\b|age[\s-]appropriate|physiolog", _F)
_FATTY = re.compile(r"\bfat(?:ty)?\s+(?:infiltrat\w*|replac\w*)", _F)
_NORMAL_VARIANT = re.compile(r"\bnormal\s+variant", _F)
_RED_MARROW = re.compile(
    r"\b(?:red|h(?:a)?ematopoietic|h(?:a)?emopoietic|cellular)\)?\s+(?:\([\w\s]{1,15}\)\s+)?marrow",
    _F,
)
_ABNORMAL = re.compile(
    # ("diffuse marrow involvement" by a lymphoma; "diffuse ... increase of marrow FDG uptake")
    rf"\b(?:{_MARROW_ADJ}|low(?!-grade)|decreased|reduced|diminished|hypointense|infiltrat\w*|replac\w*|"
    rf"involv\w*|(?:increase\w*|avid|intense)\s+(?:[\w-]+\s+){{0,3}}?uptake|uptake\b[^.;]{{0,30}}?"
    rf"\b(?:increased|above|avid|intense|greater|higher))\b",
    _F,
)


def _normal_statements_win(
    text: str, sentence: tuple[int, int], hits: list[_Hit], stops: Sequence[int]
) -> list[_Hit]:
    """SPEC.md section 3 normal-marrow statements are never a finding: distribution words inside
    them describe the normality ("normal marrow signal at all levels"), red marrow described as
    residual / physiological / normal for age is normal (and no benign hedge), and a distribution
    word with a marrow noun but no abnormality ("diffuse fatty marrow") is not a pattern."""
    normal = [h for h in hits if h.subtype == "normal"]
    out: list[_Hit] = []
    for h in hits:
        if h.subtype != "normal" and any(h.start < n.start < h.end for n in normal):
            continue  # "spleen abnormal, marrow normal": the marrow's own statement is normal
        clause = _clause_of(h.start, sentence, stops)
        normal_here = [n for n in normal if clause[0] <= n.start < clause[1]]
        if h.kind is _Kind.MULTILEVEL or (
            h.kind is FeatureKind.DIFFUSE_PATTERN and h.subtype == "distribution"
        ):
            # "diffuse fatty infiltration of the marrow" is fat, not an abnormality; an
            # abnormality the clause denies after it is none ("bright on T1 at all lumbar levels
            # with no diffuse or focal abnormality")
            after = _DENIED_REST.sub(" ", text[h.end : clause[1]])
            clause_text = _FATTY.sub(" ", text[clause[0] : h.end] + after)
            if normal_here or not _ABNORMAL.search(clause_text):
                continue
        if h.kind is FeatureKind.BENIGN_HEDGE and any(n.start <= h.start < n.end for n in normal):
            continue  # "the reconversion was confined to expected sites": said to be normal
        if (
            h.kind in {FeatureKind.MARROW_SIGNAL, FeatureKind.BENIGN_HEDGE}
            and h.subtype != "normal"
            and normal
            and (
                _RED_MARROW.search(text, sentence[0], sentence[1])
                or _NORMAL_VARIANT.search(text, sentence[0], sentence[1])
                or any(_FOR_AGE.search(text, n.start, n.end) for n in normal)
            )
        ):
            continue  # "patchy residual red marrow", "red marrow ..., physiological"
        if (
            h.kind is FeatureKind.MARROW_SIGNAL
            and h.subtype != "normal"
            and _CALLED_NORMAL_BEFORE.search(text, max(sentence[0], h.start - 30), h.start)
        ):
            continue  # "normal heterogeneous marrow of a young adult": a normal variant
        out.append(h)
    return out


_CALLED_NORMAL_BEFORE = re.compile(
    r"(?<![\w-])(?:normal|physiologic(?:al)?(?:ly)?|age[\s-]appropriate)\s+(?:[\w-]+\s+)?$", _F
)


# Distribution words (SPEC.md section 3): they count only with a marrow target of their own clause.
_SPREAD_WORDS = re.compile(
    r"\bthroughout\b|\bwidespread\b|\bextensive\b|\bat\s+(?:all|every|multiple|most)\s+(?:of\s+the\s+)?(?:visuali[sz]ed\s+|"
    r"imaged\s+|included\s+|lumbar\s+|thoracic\s+)?levels?\b|\b(?:in|of|involving|within)\s+"
    r"(?:all|each)\s+(?:of\s+)?(?:the\s+)?(?:visuali[sz]ed\s+|imaged\s+|included\s+|lumbar\s+|"
    r"thoracic\s+)?(?:vertebral\s+bod(?:y|ies)|vertebrae|levels)",
    _F,
)
_SPREAD_TARGETS = frozenset(
    {
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
        # "marrow darker than the discs at every level": a worrisome feature is a marrow
        # finding, DIFFUSE when its distribution words say so (SPEC.md section 3)
        FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC,
    }
)


def _distribution(
    text: str, sentence: tuple[int, int], hits: Sequence[_Hit], stops: Sequence[int]
) -> list[_Hit]:
    """A diffuse pattern for each distribution word attached to a marrow target of its clause; a
    distribution word inside a normal-marrow statement describes the normality and adds nothing."""
    out: list[_Hit] = []
    for m in _SPREAD_WORDS.finditer(text, sentence[0], sentence[1]):
        clause = _clause_of(m.start(), sentence, stops)
        in_clause = [h for h in hits if clause[0] <= h.start < clause[1]]
        if any(h.subtype == "normal" for h in in_clause):
            continue
        targets = [h for h in in_clause if h.kind in _SPREAD_TARGETS and h.subtype != "normal"]
        if not targets:
            continue
        target = min(targets, key=lambda h: abs(h.start - m.start()))
        subtype = "distribution"
        if target.kind not in {FeatureKind.MARROW_SIGNAL, FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC}:
            clause_text = text[clause[0] : clause[1]]
            spread = _LESION_SPREAD.search(clause_text)
            subtype = "lesion-spread" if spread else "lesion-distribution"
        out.append(
            _Hit(
                FeatureKind.DIFFUSE_PATTERN,
                m.start(),
                m.end(),
                sentence,
                subtype,
                negated=target.negated,
                hedged=target.hedged,
                possible=target.possible,
                historical=target.historical,
                uncertain=target.uncertain,
            )
        )
    return out


def _add_multilevel(
    text: str, sentence: tuple[int, int], hits: Sequence[_Hit], *, prefilter: bool = True
) -> list[_Hit]:
    """Abnormal marrow signal over three or more vertebral levels: a diffuse pattern (SPEC.md 3)."""
    marrow = [
        h
        for h in hits
        if h.sentence == sentence
        and h.kind is FeatureKind.MARROW_SIGNAL
        and not h.negated
        and not h.historical
        and h.subtype != "normal"
    ]
    if not marrow:
        return []
    stops = _terminators(text[sentence[0] : sentence[1]], sentence[0], prefilter=prefilter)
    for h in marrow:
        c0, c1 = _clause_of(h.start, sentence, stops)
        # levels of lesions are a count of lesions, not a spread of signal (a lesion the clause
        # denies is none: "at T10, T12, L1, L3 and L5, without a discrete lesion")
        if re.search(rf"\b{_LESION_NOUN}\b", _DENIED_REST.sub("", text[c0:c1]), _F):
            continue
        found = _levels_in(text, c0, c1)
        levels = {lv for _, lvs in found for lv in lvs}
        if len(levels) >= 3:
            first = min(p for p, _ in found)
            last_match = max(found, key=lambda x: x[0])
            end_m = _LEVEL.match(text, last_match[0])
            end = end_m.end() if end_m else last_match[0] + 2
            return [
                _Hit(
                    FeatureKind.DIFFUSE_PATTERN,
                    first,
                    end,
                    sentence,
                    "levels",
                    value=float(len(levels)),
                )
            ]
    return []
