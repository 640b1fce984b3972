"""Statements one sentence makes about another (SPEC.md sections 2 and 3).

- An addendum that explicitly corrects or withdraws a statement replaces it ("on review, the L2
  lesion is a typical haemangioma", "please disregard ...", "should read"): `withdraw_corrected`.
- A report that concludes, unhedged, that its lesion is a typical haemangioma says it of the lesion
  it described elsewhere: `benign_diagnosis`.
- "The mass enhances": a definite lesion noun with no anatomy of its own is the one named just
  before; when that one was another organ's, so is this one: `anaphora_of_other_organs`.

Each reads at most a few sentences per correction, and at most `_MAX_CORRECTIONS` corrections.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fhir_mappers.report_reader.anatomy import Anchor, anchor, names_a_bone_word, vertebral_levels
from fhir_mappers.report_reader.measurements import _levels_in
from fhir_mappers.report_reader.scope import _Hit
from fhir_mappers.report_reader.statements import about_this_patient, is_general_statement
from logic.model import FeatureKind
from logic.thresholds import RED_MARROW_NORMAL_UNDER_AGE

# a statement retracted, not a tendon ("with 1.5 cm retraction", "retracted to the glenoid")
_RETRACTS = (
    r"\bretract(?:s|ed|ing|ion)?\s+(?:of\s+)?(?:the|this|that|my|our|previous|earlier|above|"
    r"statement|report|finding|comment|impression)\b|"
    r"\b(?:is|are|was|were|been)\s+(?:hereby\s+)?retracted\b(?!\s+(?:to|by|into|from|\d))"
)
# SPEC.md section 2: an addendum that explicitly corrects or withdraws a statement replaces it.
_CORRECTION = re.compile(
    r"\bon\s+(?:further\s+|second\s+|repeat\s+|subsequent\s+)?review\b|\bshould\s+read\b|\bcorrected\s+(?:to|from)\b|\bdisregard\b|\bin\s+error\b|"
    + _RETRACTS
    + r"|\bwithdraw\w*|\bamended\s+to\b|\bis\s+(?:in\s+fact|actually)\b|"
    r"\b(?:dictation|transcription|typographical|typing|voice[\s-]recognition)\s+errors?\b|"
    r"\bactually\b",
    re.IGNORECASE,
)
_BENIGN_NOW = re.compile(
    r"\bh(?:a)?emangioma|\bbone\s+islands?|\benostos|\bschmorl|\bartefact|\bartifact|\bcysts?\b|"
    r"\bnormal\b|\bno\s+(?:[\w-]+\s+)?lesion|\bphysiolog\w*|\bred\s+marrow|\bmotion\b|"
    # "... should read 'Modic type 2 fatty endplate change at L5'": another cause named instead
    r"\bmodic\b|\bdegenerat\w*|\bend-?plate|\bfatty\b|(?<!in)homogeneous\b",
    re.IGNORECASE,
)
# A correcting sentence that withdraws what it names ("please disregard the statement about marrow
# heterogeneity at L2", "the earlier description ... was made in error") withdraws its own targets.
_WITHDRAWS = re.compile(
    r"\bdisregard\b|\bin\s+error\b|\bwithdraw\w*|" + _RETRACTS + r"|\berroneous\w*|"
    r"\bshould\s+not\s+have\b|\bnot\s+present\b",
    re.IGNORECASE,
)
_CORRECTABLE = frozenset(
    {
        FeatureKind.FOCAL_LESION,
        FeatureKind.LYTIC_LESION,
        FeatureKind.MARROW_SIGNAL,
        FeatureKind.DIFFUSE_PATTERN,
        FeatureKind.BENIGN_HEDGE,
        FeatureKind.INTERVAL_INCREASE,
        # "please disregard the concern for metastatic disease"
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
    }
)
# 'The sentence "... heterogeneous signal" is corrected to "... normal signal"': what comes before
# the replacing words is the old text
_REPLACED_BY = re.compile(
    r"\b(?:corrected\s+to|should\s+read|amended\s+to|changed\s+to|replaced\s+(?:by|with))\b",
    re.IGNORECASE,
)
_MAX_CORRECTIONS = 8  # bounded work: corrections read per report
_WONDERS = re.compile(r"\b(?:whether|if)\b[^.;]{0,80}\b(?:withdraw|retract|correct|amend)", re.I)


def withdraw_corrected(
    text: str,
    sentences: list[tuple[int, int]],
    hits: list[_Hit],
    general: Sequence[tuple[int, int]] = (),
) -> None:
    """A correcting sentence ("on review, the L2 lesion is a typical haemangioma"; "should read")
    withdraws the other findings of the levels it names (all of them when it names none): the
    addendum is later in time wherever the report places it. A sentence of a general discussion
    (`general` spans) or one that only wonders "whether" something was withdrawn corrects
    nothing."""
    corrections = [
        s
        for s in sentences
        if _CORRECTION.search(text, s[0], s[1])
        and (_names_a_benign_reading(text, *s) or _WITHDRAWS.search(text, s[0], s[1]))
        and not _WONDERS.search(text, s[0], s[1])
        and not any(a <= s[0] < b for a, b in general)
    ][:_MAX_CORRECTIONS]
    for c0, c1 in corrections:
        named = {lv for _, lvs in _levels_in(text, c0, c1) for lv in lvs}
        withdraws_own = _WITHDRAWS.search(text, c0, c1) is not None
        # "Please disregard the comment on heterogeneous marrow at L1 and L2" also withdraws
        # "Nonspecific marrow heterogeneity" of the conclusion, which names no level
        withdrawn_kinds = (
            {h.kind for h in hits if c0 <= h.start < c1 and h.kind in _CORRECTABLE}
            if withdraws_own
            else set()
        )
        replaced = _REPLACED_BY.search(text, c0, c1)
        old_text_end = replaced.start() if replaced else c0
        for hit in hits:
            if hit.kind not in _CORRECTABLE or hit.negated:
                continue
            if c0 <= hit.start < c1:
                # "On review, the L1 lesion contains fat ...; it is a typical haemangioma": the
                # correction's own lesion, when it speaks of one level, is the benign one
                if (
                    withdraws_own
                    or hit.start < old_text_end
                    or (len(named) <= 1 and _definite_benign(text, c0, c1))
                ):
                    hit.historical = True
                continue
            levels = {lv for _, lvs in _levels_in(text, *hit.sentence) for lv in lvs}
            if not named or levels & named or (not levels and hit.kind in withdrawn_kinds):
                hit.historical = True


_QUOTED = re.compile(r"[\"“'‘][^\"”'’\n]{1,200}[\"”'’]")


def _names_a_benign_reading(text: str, s0: int, s1: int) -> bool:
    """The correcting sentence says the finding is benign now: a benign word outside quotation
    marks, or quoted as the replacing text ("... should read 'homogeneous marrow signal'"); a
    quoted wording called an error ("The earlier wording 'normal marrow' was a transcription
    error") is the old text, not the reading now."""
    replaced = _REPLACED_BY.search(text, s0, s1)
    quoted = [
        (m.start(), m.end())
        for m in _QUOTED.finditer(text, s0, s1)
        if replaced is None or m.start() < replaced.start()
    ]
    return any(
        not any(a <= m.start() < b for a, b in quoted) for m in _BENIGN_NOW.finditer(text, s0, s1)
    )


_TYPICAL_HAEMANGIOMA = re.compile(
    r"(?<!a)typical\s+(?:of\s+(?:an?\s+)?)?(?:\([^)\n]{0,30}\)\s+)?(?:[CTLS]\d{1,2}\s+)?"
    r"(?:vertebral\s+|body\s+|intraosseous\s+)?h(?:a)?emangiomas?\b|"
    # other definite benign diagnoses of a single focus ("This is a bone island.")
    r"\bbone\s+islands?\b|\benostos[ie]s\b|\bavascular\s+necrosis\b|\bosteonecrosis\b|"
    r"\bbone\s+infarcts?\b|\bavn\b",
    re.IGNORECASE,
)
# A lesion a benign diagnosis elsewhere may not take away: one said to be several, or one its own
# sentence calls malignant or worrisome.
_NOT_FOR_A_BENIGN_DIAGNOSIS = re.compile(
    r"\b(?:myeloma\w*|metasta\w*|malignan\w*|lytic|destructive|suspicious|concerning|worrisome|"
    r"aggressive|plasmacytoma\w*|lymphoma\w*|leuk(?:a)?emi\w*|multiple|several|numerous|"
    r"innumerable|two|three|four|"
    # a lesion described with a worrisome feature or called indeterminate is not the one a
    # benign diagnosis elsewhere names ("A 9 mm enhancing lesion ... A 4 mm bone island")
    r"enhanc\w*|restricted|restricting|sharply|indeterminate|equivocal)\b",
    re.IGNORECASE,
)
# a word of that list the sentence denies is not said of the lesion ("dark on every sequence,
# with no surrounding oedema and no enhancement")
_DENIED_JUST_BEFORE = re.compile(
    r"\b(?:no|without|not|non)[\s-]+(?:[\w-]+\s+){0,2}$", re.IGNORECASE
)


def _described_as_not_benign(text: str, sentence: tuple[int, int]) -> bool:
    return any(
        not _DENIED_JUST_BEFORE.search(text, max(sentence[0], m.start() - 30), m.start())
        for m in _NOT_FOR_A_BENIGN_DIAGNOSIS.finditer(text, *sentence)
    )


_PLURAL_BENIGN = re.compile(
    r"\b(?:typical\s+(?:[\w-]+\s+)?h(?:a)?emangiomas|bone\s+islands|enostoses|schmorl\s+nodes)\b",
    re.IGNORECASE,
)
_MALIGNANT_WORDING = re.compile(
    r"\b(?:myeloma\w*|metasta\w*|malignan\w*|lytic|destructive|suspicious|concerning|worrisome|"
    r"aggressive|plasmacytoma\w*|lymphoma\w*|leuk(?:a)?emi\w*|enhanc\w*|indeterminate|atypical)\b",
    re.IGNORECASE,
)
_DENIED_OR_HEDGED = re.compile(
    r"\b(?:no|not|without|likely|probabl[ey]|possibl[ey]|may|might|could|versus|vs|favou?r\w*|"
    # (a contrast names no diagnosis: "they are distinguished from bone islands by number")
    r"suggest\w*|differential|distinguish\w*|differentiat\w*|unlike|rather|mimic\w*|confused|"
    r"mistaken)\b|\?",
    re.IGNORECASE,
)


_OR_AFTER = re.compile(r"\s*(?:,\s*)?(?:versus|vs\.?|or|\?)", re.IGNORECASE)
# a hedge after the name: "1. Bone island (enostosis) - favoured", "haemangioma, probably"
_HEDGED_AFTER = re.compile(
    r"\b(?:favou?r\w*|likely|probabl[ey]|possibl[ey]|suspected|presum\w*)\b|\?", re.IGNORECASE
)


def _definite_benign(text: str, s0: int, s1: int) -> bool:
    """The sentence names a benign diagnosis with no denial or hedge before it and no
    alternative after it ("bone island vs metastasis"); "without collapse" later is no hedge."""
    m = _TYPICAL_HAEMANGIOMA.search(text, s0, s1)
    return (
        m is not None
        and not _DENIED_OR_HEDGED.search(text, s0, m.start())
        and not _OR_AFTER.match(text, m.end(), s1)
        and not _HEDGED_AFTER.search(text, m.end(), s1)
        # "Bone infarcts are rare in the sacrum": a general statement diagnoses nobody
        and not is_general_statement(text[s0:s1])
    )


# in a general part, a diagnosis that is this patient's: an answer, a diagnosis line, one that
# names a level ("Typical vertebral haemangioma, L2.") or the patient
_ANSWER_OR_DIAGNOSIS = re.compile(
    r"\W*(?:answer|(?:final\s+|case\s+)?diagnosis|dx|impression|conclusion)\b", re.IGNORECASE
)


_ANSWER_BEFORE = re.compile(r"\banswer\W*$", re.IGNORECASE)


def _diagnoses_the_patient(text: str, s0: int, s1: int) -> bool:
    return bool(
        _ANSWER_OR_DIAGNOSIS.match(text, s0, s1)
        # "Answer\n(b) Typical vertebral haemangioma."
        or _ANSWER_BEFORE.search(text, max(0, s0 - 20), s0)
        or vertebral_levels(text, s0, s1)
        or about_this_patient(text[s0:s1])
    )


def benign_diagnosis(
    text: str,
    sentences: list[tuple[int, int]],
    hits: list[_Hit],
    general: Sequence[tuple[int, int]] = (),
) -> list[_Hit]:
    """SPEC.md section 3 "Benign attribution" across sentences: a report that concludes, without a
    hedge, that a lesion is a typical haemangioma ("Diagnosis: typical vertebral haemangioma")
    says it of the lesion it described elsewhere -- of the lesions at the levels it names, or,
    naming none, of the report's only lesion. A sentence of the general parts (`general`: a
    discussion, a teaching paragraph, a differential list) diagnoses nobody."""
    lesions = [
        h for h in hits if h.kind is FeatureKind.FOCAL_LESION and not (h.negated or h.historical)
    ]
    if not lesions:
        return hits
    diagnoses = [
        (s0, s1)
        for s0, s1 in sentences
        if _definite_benign(text, s0, s1)
        and (not any(a <= s0 < b for a, b in general) or _diagnoses_the_patient(text, s0, s1))
    ][:_MAX_CORRECTIONS]
    if not diagnoses:
        return hits
    levels_of = {h.sentence: vertebral_levels(text, *h.sentence) for h in lesions}
    all_levels = set().union(*levels_of.values())
    dropped: set[int] = set()
    for d0, d1 in diagnoses:
        named = vertebral_levels(text, d0, d1)
        plural_diagnosis = _PLURAL_BENIGN.search(text, d0, d1) is not None
        for h in lesions:
            if h.sentence == (d0, d1):
                continue  # said in the lesion's own sentence: `sentence` decides
            phrase = text[h.start : h.end].lower()
            several = phrase.endswith(("lesions", "foci", "masses", "deposits", "nodules"))
            if several or _described_as_not_benign(text, h.sentence):
                # "Three rounded lesions ... Diagnosis: multiple typical haemangiomas": a plural
                # diagnosis takes a plural lesion its own sentence does not call malignant
                if not (
                    plural_diagnosis
                    and several
                    and _MALIGNANT_WORDING.search(text, *h.sentence) is None
                ):
                    continue
                if not named or levels_of[h.sentence] & named:
                    dropped.add(id(h))
                continue
            if (
                (named and levels_of[h.sentence] & named)
                or (not named and len(all_levels) <= 1)
                # "Typical haemangioma of L3." after "the lesion ..." with no level: the same one
                or (
                    named
                    and not levels_of[h.sentence]
                    and all_levels <= named
                    and not names_a_bone_word(text, *h.sentence)
                )
            ):
                dropped.add(id(h))
    return [h for h in hits if id(h) not in dropped]


_BARE_START = re.compile(
    # (after an image's or a sequence's label: "T2: mass mildly hyperintense", "Image 2 (DWI):
    # mass restricts")
    r"\W*(?:\d{1,2}[.)]\s*)?(?:[A-Za-z0-9 ()+/-]{1,30}:\s*)?"
    r"(?:(?:stable|unchanged|other|remaining|additional|older|known|"
    r"previous|prior|chronic|smaller)\s+(?:[A-Za-z-]+\s+)?|"
    # "Lesions at C3 and C6 are unchanged", "A second new non-enhancing lesion is present at T4":
    # the next of a series
    r"(?:a\s+(?:second|third|further)|another|an\s+additional)\s+(?:[A-Za-z-]+\s+){0,2}|)$",
    re.IGNORECASE,
)
# "the dominant segment 7 lesion": a determiner and up to three words before the noun
_DEFINITE = re.compile(r"\b(?:the|this|that|these|those)\s+(?:[\w-]+\s+){0,3}$", re.IGNORECASE)


def anaphora_of_other_organs(
    text: str, sentences: list[tuple[int, int]], hits: list[_Hit]
) -> list[_Hit]:
    """ "The mass enhances homogeneously": a definite lesion noun with no anatomy of its own is the
    one the report named just before; when that one belonged to another organ ("a large
    retroperitoneal nodal mass"), so does this one (SPEC.md section 3 Anatomy)."""
    out: list[_Hit] = []
    index = {s: i for i, s in enumerate(sentences)}
    for h in hits:
        # "The T8 lesion enhances" after "lesions in the spinal cord at C3, C6 and T8": a level
        # alone (no bone word in the sentence) locates the mention it refers back to
        definite = _DEFINITE.search(text, max(h.sentence[0], h.start - 30), h.start) and (
            anchor(text, h.start, h.end, h.sentence) is not Anchor.BONE
            or not _names_bone_beyond_lengths(text, h.sentence)
            or _touches_the_bone(text, h)
            # "T2 to T4 adjacent to the mass show normal marrow signal": a neighbour of the bone
            or _BESIDE.search(text, max(h.sentence[0], h.start - 40), h.start) is not None
        )
        # "Stable lesions at C2 and T6." after the cord lesions: a bare noun opening its sentence,
        # located by levels only, continues the list of the organ named just before
        bare = _BARE_START.match(text, h.sentence[0], h.start) and not names_a_bone_word(
            text, *h.sentence
        )
        if (
            h.kind is FeatureKind.FOCAL_LESION
            and (definite or bare)
            and _previous_mention_is_organ(text, sentences, index.get(h.sentence), h)
        ):
            continue
        out.append(h)
    return out


# "each under one vertebral segment in length": a length measured in vertebrae names no bone
_LENGTH_IN_VERTEBRAE = re.compile(
    r"\b(?:one|two|three|four|\d+|several|multiple)\s+vertebral\s+(?:segments?|bod(?:y|ies)|"
    r"levels?)(?:\s+in\s+length)?",
    re.IGNORECASE,
)


def _names_bone_beyond_lengths(text: str, sentence: tuple[int, int]) -> bool:
    s_text = _LENGTH_IN_VERTEBRAE.sub(
        lambda m: " " * len(m.group(0)), text[sentence[0] : sentence[1]]
    )
    return names_a_bone_word(s_text, 0, len(s_text))


# "The mass abuts the T1 and T2 vertebral bodies": the bone is named only as what the mass
# touches (invading or destroying it would be a finding of the bone)
_TOUCHES = re.compile(
    r"\b(?:abut\w*|contact\w*|adjacent\s+to|border\w*|indent\w*|displac\w*|approach\w*|"
    r"lies\s+(?:next\s+to|against)|next\s+to|touch\w*)\b",
    re.IGNORECASE,
)


_BESIDE = re.compile(
    r"\b(?:(?:adjacent|next|close)\s+to|abutting|beside|alongside|near)\s+(?:the|this|that)\s+"
    r"(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)


def _touches_the_bone(text: str, hit: _Hit) -> bool:
    touch = _TOUCHES.search(text, hit.end, hit.sentence[1])
    if touch is None or names_a_bone_word(text, hit.sentence[0], touch.start()):
        return False
    return not any(
        not _DENIED_BEFORE_INVASION.search(text, max(hit.end, m.start() - 30), m.start())
        for m in _INVADES.finditer(text, hit.end, hit.sentence[1])
    )


_DENIED_BEFORE_INVASION = re.compile(r"\b(?:no|not|without)\b[^.;]*$", re.IGNORECASE)


_INVADES = re.compile(r"\b(?:invad\w*|invasion|infiltrat\w*|destr\w*|eroding|erosion)\b", re.I)


# how far back a definite noun looks for the mention it refers to (a short note's plan refers to
# the finding a few lines above)
_ANAPHORA_SENTENCES = 8


def _stem(noun: str) -> str:
    """The stem that finds a lesion noun's other mentions: "masses" and "mass" -> "mass",
    "lesions" -> "lesion", "foci" and "focus" -> "foc"."""
    if noun.startswith("foc"):
        return "foc"
    if noun.endswith("sses"):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith("ss"):
        return noun[:-1]
    return noun


def _previous_mention_is_organ(
    text: str, sentences: list[tuple[int, int]], i: int | None, hit: _Hit
) -> bool:
    if i is None:
        return False
    noun = re.escape(_stem(text[hit.start : hit.end].split()[-1].lower()))
    pattern = re.compile(rf"\b{noun}\w*", re.IGNORECASE)
    # earlier in its own sentence: "Demyelinating cord lesions at C3, C6 and T8; the C6 lesion
    # enhances"
    earlier = list(pattern.finditer(text, hit.sentence[0], hit.start))
    if earlier:
        m = earlier[-1]
        return anchor(text, m.start(), m.end(), (hit.sentence[0], hit.start)) is Anchor.ORGAN
    for s0, s1 in reversed(sentences[max(0, i - _ANAPHORA_SENTENCES) : i]):
        found = list(pattern.finditer(text, s0, s1))
        if found:
            m = found[-1]
            if _BARE_START.match(text, s0, m.start()) and not names_a_bone_word(text, s0, s1):
                continue  # "Lesions at C4 and C7 are stable.": itself the next of a series
            return anchor(text, m.start(), m.end(), (s0, s1)) is Anchor.ORGAN
    return False


# SPEC.md section 3: "patchy red marrow confined to the proximal femora and pelvis in a patient
# under 40, with no worrisome feature, is NEGATIVE". The reader knows the age only when the report
# states it ("in this 32-year-old woman").
_AGE = re.compile(
    r"\b(\d{1,2})[\s-]*(?:year|yr)s?[\s-]*old\b|\b(\d{1,2})\s*(?:yo|y/o|y\.o\.)(?!\w)|"
    r"\baged?\s*[:=]?\s*(\d{1,2})\b|"
    # "34M, right hip pain", "28F"
    r"\b(\d{1,2})(?-i:[MF])\b",
    re.IGNORECASE,
)
_RED_MARROW = re.compile(r"\b(?:red|h(?:a)?ematopoietic|h(?:a)?emopoietic)\s+marrow\b", re.I)
_PELVIS_AND_FEMORA = re.compile(
    r"\b(?:femor\w*|femur|acetabul\w*|pelvi\w*|iliac|ili(?:um|a)|sacr\w*|pubi\w*|ischi\w*)\b", re.I
)
# spine words and levels (not T1 / T2: sequence names far more often than vertebrae)
_SPINE = re.compile(
    r"\b(?:vertebr\w*|lumbar|thoracic|cervical|spine|spinal)\b|\b(?:C\d|T(?:[3-9]|1[0-2])|L\d)\b",
    re.IGNORECASE,
)
_PHYSIOLOGICAL_RED = re.compile(
    r"\b(?:physiologic(?:al)?|residual|age[\s-]appropriate|normal\s+for\s+age|normal)\s+"
    r"(?:[\w-]+\s+){0,2}?"
    r"(?:red|h(?:a)?ematopoietic|h(?:a)?emopoietic)\s+marrow\b",
    re.IGNORECASE,
)
_YOUNG = RED_MARROW_NORMAL_UNDER_AGE  # SPEC.md section 3 (logic.thresholds)
_WORRISOME = frozenset(
    {
        FeatureKind.T1_LOW_VS_MUSCLE_OR_DISC,
        FeatureKind.DIFFUSE_HOMOGENEOUS,
        FeatureKind.SHARP_MARGIN,
        FeatureKind.ENHANCEMENT,
        FeatureKind.FAT_SAT_HIGH_SIGNAL,
        FeatureKind.INTERVAL_INCREASE,
        FeatureKind.NEW_LESION,
        FeatureKind.CANNOT_EXCLUDE_INFILTRATION,
    }
)


def young_red_marrow(
    text: str,
    hits: list[_Hit],
    *,
    history: str = "",
    general: Sequence[tuple[int, int]] = (),
) -> list[_Hit]:
    """Red marrow of the pelvis and proximal femora in a patient the report says is under 40
    (in its findings or its indication / history), with no worrisome feature anywhere in the
    report, is normal: its findings are dropped."""
    age = _AGE.search(text) or _AGE.search(history)
    if age is None or int(next(g for g in age.groups() if g)) >= _YOUNG:
        return hits
    if any(h.kind in _WORRISOME and not (h.negated or h.historical) for h in hits):
        return hits

    # "Diagnosis: ...; physiological red marrow." names what the described pattern is
    named_red = _calls_red_marrow_normal(text, general)

    def pelvic_red_marrow(h: _Hit) -> bool:
        s0, s1 = h.sentence
        return bool(
            h.kind in {FeatureKind.MARROW_SIGNAL, FeatureKind.BENIGN_HEDGE}
            and (named_red or _RED_MARROW.search(text, s0, s1))
            and _PELVIS_AND_FEMORA.search(text, s0, s1)
            and not _SPINE.search(text, s0, s1)
        )

    return [h for h in hits if not pelvic_red_marrow(h)]


def _calls_red_marrow_normal(text: str, general: Sequence[tuple[int, int]]) -> bool:
    """The report calls its red marrow physiological or residual, outside its general parts (a
    discussion's "Residual red marrow persists in the spine ..." calls nobody's)."""
    return any(
        not any(a <= m.start() < b for a, b in general)
        # "Answer: physiological residual red marrow." is this patient's, wherever it stands
        or _ANSWERED_BEFORE.search(text, max(0, m.start() - 60), m.start()) is not None
        for m in _PHYSIOLOGICAL_RED.finditer(text)
    )


_ANSWERED_BEFORE = re.compile(
    # (on the heading's line, or on the line under a heading "Final diagnosis")
    r"\b(?:answer|(?:final\s+|case\s+)?diagnosis|dx|impression|conclusion)\b(?:[ \t]*:?[ \t]*\n)?"
    r"[^\n.]{0,40}$",
    re.IGNORECASE,
)


def red_marrow_called_normal(
    text: str, hits: list[_Hit], general: Sequence[tuple[int, int]] = ()
) -> list[_Hit]:
    """A report that calls its red marrow physiological or residual (a normal-marrow statement,
    SPEC.md section 3) means that red marrow wherever it names it ("Figure case: red marrow
    island", "Impression: physiological red marrow island in L2"): a bare "red marrow" is then no
    benign hedge. Reconversion and hyperplasia stay hedges ("hyperplastic red marrow")."""
    if not _calls_red_marrow_normal(text, general):
        return hits
    return [
        h
        for h in hits
        if not (
            h.kind is FeatureKind.BENIGN_HEDGE
            and not (h.negated or h.historical)
            and _RECONVERSION.search(text, max(h.sentence[0], h.start - 20), h.end) is None
            and _RED_MARROW.search(text, h.start, h.end) is not None
        )
    ]


_RECONVERSION = re.compile(r"reconver|hyperplas", re.IGNORECASE)
