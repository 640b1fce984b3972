"""The layout of a radiology report: which parts are read as current findings (SPEC.md section 3).

"Report layout": any heading that is not Indication / Clinical history / Comparison / Technique /
Exam or Procedure name is read -- Findings, Impression, Addendum, and headings this module does not
know ("Imaging findings", "Discussion", "Interpretation", "CT pelvis", "Course"); text before the
first heading, and a report with no headings at all, are read too. A heading is recognised with or
without a colon, alone on its line or leading it, in any case ("Findings", "FINDINGS:",
"Impression -"). Text under "ORIGINAL REPORT" / "PRIOR REPORT" in an amended report is not read
(SPEC.md section 2): it runs to the next addendum / amended-report heading, or to the end.
Technique is kept apart (field strength and chemical-shift sequences are technical facts), and the
exam name line is kept for recognising modality and site.

Each source text is read up to the reading limit (`fhir_mappers.limits`); what lies past it is
counted, never silently dropped. One regular-expression scan per source: linear cost.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from fhir_mappers.attachments import html_to_text
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS
from fhir_mappers.report_reader.anatomy import names_only_organs
from fhir_mappers.report_reader.furniture import page_furniture
from fhir_mappers.report_reader.ocr import shadow
from fhir_mappers.report_reader.scope import CONTINUATION_WORDS


class Part(StrEnum):
    FINDINGS = "findings"  # read: findings, addendum, unknown headings, text before any heading
    IMPRESSION = "impression"  # read: impression / conclusion / opinion ...
    TECHNIQUE = "technique"  # not read for findings: field strength, sequences
    EXAM = "exam"  # exam / procedure name: modality and site only
    SKIPPED = "skipped"  # indication, clinical history, comparison: not current findings
    ORIGINAL = "original"  # the superseded text of an amended report: not read


# Known heading words -> the part they open. Anything else that looks like a heading is read.
HEADINGS: dict[str, Part] = {
    **dict.fromkeys(
        [
            "findings",
            "finding",
            "imaging findings",
            "mri findings",
            "additional findings",
            # a case report's narrative, imaging included (SPEC.md section 3 skips only
            # indication, clinical history, comparison, technique and the exam name)
            "case presentation",
            "case description",
            "report",
            "observations",
            "description",
            "addendum",
            "addenda",
            "amended report",
            "amendment",
            "corrected report",
            "revised report",
        ],
        Part.FINDINGS,
    ),
    **dict.fromkeys(
        [
            "impression",
            "impressions",
            "conclusion",
            "conclusions",
            "opinion",
            "summary",
            "assessment",
            "diagnosis",
            "final diagnosis",
            "case diagnosis",
            "interpretation",
            "comment",
            "comments",
        ],
        Part.IMPRESSION,
    ),
    **dict.fromkeys(
        [
            "technique",
            "techniques",
            "protocol",
            "sequences",
            "exam technique",
            "mri technique",
            "contrast",
        ],
        Part.TECHNIQUE,
    ),
    **dict.fromkeys(
        ["exam", "examination", "study", "title", "procedure", "exam name", "procedure name"],
        Part.EXAM,
    ),
    **dict.fromkeys(
        [
            "indication",
            "indications",
            "clinical indication",
            "reason for exam",
            "reason for examination",
            "reason for study",
            "reason for referral",
            "referral reason",
            "reason for request",
            "question",
            "clinical question",
            "query",
            "request",
            "clinical history",
            "case history",
            "clinical information",
            "clinical details",
            "clinical notes",
            "clinical note",
            "clinical summary",
            "clinical profile",
            "presentation",
            "clinical presentation",
            "patient data",
            "patient history",
            "clinical background",
            "clinical data",
            "clinical features",
            "indication for follow-up",
            "indication for follow up",
            "indication for exam",
            "indication for examination",
            "indication for study",
            "indication for imaging",
            "indication for scan",
            "relevant history",
            "brief history",
            "past history",
            "presenting complaint",
            "hx",
            "h/o",
            "clinical",
            "history",
            "comparison",
            "comparisons",
            "prior studies",
            "prior",
        ],
        Part.SKIPPED,
    ),
    **dict.fromkeys(["original report", "prior report", "previous report"], Part.ORIGINAL),
}
# The headings that end an ORIGINAL REPORT part (a new top-level part of the amended report).
_ENDS_ORIGINAL = frozenset(
    {"addendum", "addenda", "amended report", "amendment", "corrected report", "revised report"}
)

_KNOWN = "|".join(sorted((re.escape(h) for h in HEADINGS), key=len, reverse=True))
# A known heading: start of a line, optional bullet / number / decoration, the heading words, an
# optional "(...)", then ":" or a dash (text may follow on the same line) or the end of the line.
_KNOWN_RE = re.compile(
    rf"^[ \t]*(?:[-*•●▪■◦‣·#=]+[ \t]*|\d{{1,2}}[.)][ \t]*)?(?P<head>{_KNOWN})"
    rf"(?:[ \t]*\([^)\n]{{0,40}}\))?[ \t]*(?:(?P<colon>[:\-–—])[ \t]*|[ \t*=-]*$)",
    re.IGNORECASE | re.MULTILINE,
)
_INLINE_KNOWN_RE = re.compile(rf"(?<=[.!?])[ \t]+(?P<head>{_KNOWN})[ \t]*:[ \t]*", re.IGNORECASE)
# An unknown heading: at the start of a line, one to five capitalised words and a colon
# ("Imaging findings:", "CT PELVIS:", "Course:"). It is read; it only ends a skipped part.
_UNKNOWN_RE = re.compile(
    r"^[ \t]*(?P<head>[A-Z][A-Za-z/&'()-]*(?:[ \t]+[A-Za-z][A-Za-z/&'()-]*){0,4})[ \t]*:",
    re.MULTILINE,
)


@dataclass(frozen=True)
class SplitReport:
    """A report's text split into the parts this service reads."""

    findings: str = ""  # every read part but the impression, in report order
    impression: str = ""
    technique: str = ""
    exam: str = ""
    has_headings: bool = False
    preamble: str = ""  # text before the first heading (an exam title line, or findings)
    history: str = ""  # the skipped indication / history parts: never findings (the stated age)


@dataclass(frozen=True)
class _Heading:
    start: int  # where the heading line starts
    end: int  # where its body starts
    part: Part
    name: str


def _headings(text: str) -> list[_Heading]:
    found: list[_Heading] = []
    for m in _KNOWN_RE.finditer(text):
        head = m.group("head")
        if m.group("colon") is None and not head[:1].isupper():
            continue  # alone on its line, a heading starts with a capital ("Clinical history")
        if m.group("colon") is not None and not head[:1].isupper():
            continue  # "history of back pain noted" is a sentence
        found.append(_Heading(m.start(), m.end(), HEADINGS[head.lower()], head.lower()))
    # headings run together on one line, as transcription writes them ("... normal. FINDINGS:
    # There are ... IMPRESSION: ..."): a known heading in capitals after a sentence end
    for m in _INLINE_KNOWN_RE.finditer(text):
        head = m.group("head")
        if head.isupper() and not any(h.start <= m.start() < h.end for h in found):
            found.append(_Heading(m.start("head"), m.end(), HEADINGS[head.lower()], head.lower()))
    taken = [(h.start, h.end) for h in found]
    for m in _UNKNOWN_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        # an unknown heading is read: it keeps its own words in the text (a level "L4-5:" or a
        # title "CT PELVIS:" is content), so its body starts at the heading itself
        found.append(_Heading(m.start(), m.start(), Part.FINDINGS, m.group("head").lower()))
    found.sort(key=lambda h: h.start)
    return found


_ADDENDUM_BEFORE = re.compile(r"\baddend", re.IGNORECASE)


def split_sections(text: str) -> SplitReport:
    """Split report text at its headings; read everything but the non-finding parts (headings
    of a scanned report are found in its OCR shadow: "lMPRESSl0N:", "C1inical history:")."""
    headings = _headings(shadow(text))
    if not headings:
        return SplitReport(preamble=text.strip())
    parts: dict[Part, list[str]] = {p: [] for p in Part}
    preamble = text[: headings[0].start].strip()
    if preamble:
        parts[Part.FINDINGS].append(preamble)
    in_original = False
    reading = Part.FINDINGS
    for i, heading in enumerate(headings):
        end = headings[i + 1].start if i + 1 < len(headings) else len(text)
        body = text[heading.end : end].strip()
        part = heading.part
        if heading.start == heading.end and reading is Part.IMPRESSION:
            part = Part.IMPRESSION  # an unknown heading ("Malignant: ...") inside the impression
        elif part in (Part.FINDINGS, Part.IMPRESSION):
            reading = part
        in_original, taken = _track_original(text, heading, body, part, in_original, parts)
        if taken or in_original:
            continue
        if part is Part.EXAM and "\n" in body:
            # the exam name is its first line; anything written under it after that is read
            name, rest = body.split("\n", 1)
            parts[Part.EXAM].append(name.strip())
            parts[Part.FINDINGS].append(rest.strip())
            continue
        if part is Part.SKIPPED and body:
            # an indication / history / comparison is its own line ("Comparison: None."), or its
            # first paragraph when the heading stands alone: what follows is read (findings
            # written without their own heading must not be dropped)
            same_line = "\n" not in text[heading.start : heading.end]
            skipped, rest = _first_part(body, same_line)
            parts[Part.SKIPPED].append(skipped)
            parts[Part.FINDINGS].append(rest)
            continue
        if part is Part.TECHNIQUE and body and "\n" not in text[heading.start : heading.end]:
            # "Technique: sagittal T1, T2 and STIR, axial T2." then the findings on the next line
            # (a case page's study): the technique is its own line, what follows is read
            technique, rest = _first_part(body, True)
            parts[Part.TECHNIQUE].append(technique)
            parts[Part.FINDINGS].append(rest)
            continue
        if body:
            parts[part].append(body)
    return SplitReport(
        # parts under different headings never run into one sentence
        findings="\n\n".join(p for p in parts[Part.FINDINGS] if p),
        impression="\n".join(parts[Part.IMPRESSION]),
        technique="\n".join(parts[Part.TECHNIQUE]),
        exam="\n".join(parts[Part.EXAM]),
        has_headings=True,
        preamble=preamble,
        history="\n".join(p for p in parts[Part.SKIPPED] if p)[:2000],
    )


def _track_original(
    text: str,
    heading: _Heading,
    body: str,
    part: Part,
    in_original: bool,
    parts: dict[Part, list[str]],
) -> tuple[bool, bool]:
    """(inside an ORIGINAL REPORT part now, body already taken): the part of an amended report
    that the amendment replaced is not read, up to the next top-level part. In an addendum that
    summarises the original on the heading's line ("ADDENDUM to MRI pelvis / Original report:
    normal pelvic organs.") only that line is the original; the addendum's own text is read."""
    if part is not Part.ORIGINAL:
        return (False if heading.name in _ENDS_ORIGINAL else in_original), False
    same_line = body and "\n" not in text[heading.start : heading.end]
    if same_line and _ADDENDUM_BEFORE.search(text, 0, heading.start):
        summary, rest = _first_part(body, True)
        if rest.strip():
            parts[Part.SKIPPED].append(summary)
            parts[Part.FINDINGS].append(rest)
            return False, True
    return True, False


def _first_part(body: str, same_line: bool) -> tuple[str, str]:
    """(skipped, read): the heading's own line -- with the lines a hard wrap continues it on
    ("CLINICAL HISTORY: evaluate for\nheterogeneous marrow on prior CT.") -- or, for a heading
    alone on its line, its first paragraph."""
    if not same_line:
        para, _, rest = body.partition("\n\n")
        return para, rest.strip()
    lines = body.split("\n")
    taken = 1
    while taken < len(lines) and _continues(lines[taken - 1], lines[taken]):
        taken += 1
    if _ASKS.search(lines[taken - 1]):
        # "Question: Which diagnosis is most likely?" then "A. ...", "B) ...": the answer
        # options belong to the question, not to the findings
        while taken < len(lines) and _OPTION_LINE.fullmatch(lines[taken]):
            taken += 1
    return "\n".join(lines[:taken]), "\n".join(lines[taken:]).strip()


def _continues(line: str, nxt: str) -> bool:
    """A hard-wrapped line: it stops on a comma or a word that cannot end a sentence ("for",
    "with", "the" ...), or the next line starts in lower case."""
    end, start = line.rstrip(), nxt.lstrip()
    if not end or not start:
        return False
    if start[0].islower() or end[-1] == ",":
        return True
    return end[-1] not in ".:;!?" and end.rsplit(None, 1)[-1].lower() in CONTINUATION_WORDS


# Parts that speak of diseases in general, as teaching cases and case reports write them
# ("Discussion", "Teaching points"): a sentence there is a finding only when it says so of this
# patient (`statements.about_this_patient`). The part runs to the next heading-like line.
_GENERAL_HEADING = re.compile(
    # ("5. Discussion": a numbered section's heading)
    r"^[ \t]*(?:[-*•●▪■◦‣·#=]+[ \t]*|\d{1,2}[.)][ \t]*)?(?:case\s+)?"
    r"(?:discussion|teaching\s+(?:points?|file(?:\s+notes?)?)|lessons?(?:\s+learn(?:ed|t))?|"
    r"pitfalls?(?:\s+box)?|take[\s-]?home(?:\s+(?:points?|messages?))?|points|"
    r"(?:answer\s+)?(?:options?|choices)|(?:[A-Za-z-]+[ \t]+){1,2}(?:discussion|pearls?|points)|"
    # "Differential diagnosis table (general, not this patient):", "Differential diagnosis of
    # diffusely low T1 marrow signal:"
    r"differential\s+diagnos[ie]s\s+(?:table|of|for|list)\b[^\n:]{0,80}|"
    r"[^\n:]{0,60}\bnot\s+(?:for\s+|about\s+)?this\s+patient\b[^\n:]{0,20}|"
    r"learning\s+points?|key\s+(?:points?|messages?|teaching\s+points?)|pearls?|"
    # (a case report's "Introduction" is background about the disease, as its "Discussion" is)
    r"educational\s+points?|background|introduction|differential\s+diagnos[ie]s|literature\s+review|"
    r"review\s+of\s+(?:the\s+)?literature|references|(?:correct\s+)?answers?(?:\s+\(?[a-e]\)?)?|"
    r"explanation|rationale|quiz(?:\s+questions?)?|self[\s-]assessment|test\s+yourself|"
    # a teaching file's fields: the possibilities, the index terms ("DDX: ...; metastasis",
    # "Keywords: ... marrow replacement")
    r"ddx|differentials?|differential\s+considerations|key\s*words|tags|acr\s+codes?|"
    # a teaching file's topic part: what the disease is in general ("Topic: Renal cell
    # carcinoma", "Radiographic Features: diffusely decreased T1 marrow ...")
    r"topic|synonyms?|factoids?|pathophysiology|patho-?genesis|epidemiology|a?etiology|"
    r"(?:radiographic|radiologic(?:al)?|imaging|typical)\s+(?:features|appearances?)|"
    r"prognosis|incidence|prevalence|disease\s+summary|summary\s+of\s+the\s+(?:disease|entity)|"
    # ("About the disease", "About pelvic radiotherapy", "About normal marrow": alone on a line)
    r"about[ \t]+(?:[a-z-]+[ \t]+){0,2}[a-z-]+|"
    r"further\s+reading|related\s+pearls?|more\s+on\s+this\s+(?:topic|subject|entity))"
    r"(?!\w)[ \t]*(?:[:\-–—.]|$)",
    re.IGNORECASE | re.MULTILINE,
)
# The answer options of a question ("Which diagnosis is most likely?" then "A. ...", "(b) ..."):
# options are not findings. A block of option lines after a line that asks.
# ("( ) Plasmacytoma  15%": a page's radio buttons, with the share of readers who chose it)
_OPTION_LINE = re.compile(
    r"^[ \t]*(?:\(?[A-Ea-e]\)|[A-Ea-e][.)]|\([ \t]?\)|\[[ \t]?\]|[○◯])[ \t]+\S[^\n]*$", re.MULTILINE
)
# a line that asks: a question, or a label that offers choices ("Which of the following:",
# "Options:"), not any label ("Records reviewed, imaging:" then "a) X-rays 2016 ...")
_ASKS = re.compile(
    r"(?:\?|\b(?:which|what|choose|select|options?|answers?|choices|following|best|most\s+likely|"
    r"true|false|correct)\b[^\n]*:)[ \t]*$",
    re.IGNORECASE,
)
_HEADING_LINE = re.compile(
    # (a label closed by a full stop opens its section too: "Case presentation. A 59-year-old")
    # ("Sagittal T1 and T2:", "Whole spine T1:": a sequence's label is a label too)
    r"^[ \t]*[A-Z][A-Za-z/&'()-]*(?:[ \t]+[A-Za-z][A-Za-z0-9/&'()-]*){0,4}[ \t]*"
    r"(?::|\.(?=[ \t])|$)",
    re.MULTILINE,
)


# A heading-like line that opens general material under a name of its own ("Discussion points
# raised in the meeting", "Key points on marrow imaging (general):", "Background notes",
# "Further reading: ..."): short, no sentence end before its colon or line end.
_GENERAL_LINE = re.compile(
    r"[ \t]*(?:[-*•●▪■◦‣·#=]+[ \t]*)?(?:discussion|key\s+(?:points?|messages?|facts?)|background|"
    r"teaching|learning|pearls?|pitfalls?|take[\s-]?home|review\s+of|differential|references|"
    r"further\s+reading|suggested\s+reading|bibliography|general\s+(?:notes?|points?|comments?)|"
    r"notes\s+on|about\s+(?:the\s+)?(?:disease|condition|entity)|lessons?|how\s+(?:not\s+)?to|"
    r"talking\s+points?|card|note|commentary|consultant\s+feedback|feedback)\b"
    r"[^\n.:?]{0,60}(?::|[ \t]*$)|"
    # a question as a heading: "Why it matters:", "When to worry instead:", "What makes red
    # marrow physiological:"
    r"[ \t]*(?:[-*•●▪■◦‣·#=]+[ \t]*)?(?:why|when|what|how|which)\b[^\n.:?]{0,60}[:?][ \t]*",
    re.IGNORECASE,
)


_GENERAL_LINE_IN_TEXT = re.compile(
    r"^(?:" + _GENERAL_LINE.pattern + ")", re.IGNORECASE | re.MULTILINE
)


def has_general_heading(text: str) -> bool:
    """Whether any line of the text opens general material (one scan of the whole text)."""
    return bool(_GENERAL_HEADING.search(text) or _GENERAL_LINE_IN_TEXT.search(text))


def is_general_heading(line: str) -> bool:
    """A line that opens general material (a discussion, key points, references)."""
    return bool(_GENERAL_HEADING.match(line) or _GENERAL_LINE.match(line))


def heading_at(line: str) -> str | None:
    """The known heading (lower case) that opens this line, or None."""
    m = _KNOWN_RE.match(line)
    if m is None or not m.group("head")[:1].isupper():
        return None
    return m.group("head").lower()


def general_parts(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of `text` under a general-discussion heading, the answer options of
    a question, and the tail of a teaching case after its impression."""
    spans = _discussion_parts(text) + _answer_options(text) + _teaching_tail(text)
    return sorted(spans)


# A teaching case or case write-up: a title that says so, or a general-discussion heading.
_TEACHING_TITLE = re.compile(
    r"\b(?:educational|teaching|case\s+of\s+the\s+(?:week|month|day)|grand\s+rounds|image\s+"
    r"(?:quiz|challenge)|case\s+report|case\s+conference|e-?poster)\b",
    re.IGNORECASE,
)
_IMPRESSION_HEADS = frozenset(
    {"impression", "impressions", "conclusion", "conclusions", "diagnosis"}
)


def _teaching_tail(text: str) -> list[tuple[int, int]]:
    """In a teaching case, what follows the patient's impression / diagnosis (differential tables,
    comments, discussion paragraphs under headings of any name) speaks of the disease in general:
    a clause there counts only when it speaks of this patient, as under "Discussion"."""
    first_line_end = text.find("\n")
    title = text[: first_line_end if 0 <= first_line_end < 200 else 200]
    if not (_TEACHING_TITLE.search(title) or _GENERAL_HEADING.search(text)):
        return []
    heads = [h for h in _headings(text) if h.name in _IMPRESSION_HEADS]
    if not heads:
        return []
    end = heads[0].end
    # the impression's first line of text is the patient's, even one that looks like a heading
    # ("IMPRESSION:" then "Bone island")
    first = _FIRST_LINE_OF_TEXT.match(text, end)
    nxt = _HEADING_LINE.search(text, max(end + 1, first.end() if first else end))
    blank = text.find("\n\n", end)
    stop = min(nxt.start() if nxt else len(text), blank if blank >= 0 else len(text))
    return [(stop, len(text))] if stop < len(text) else []


_FIRST_LINE_OF_TEXT = re.compile(r"[ \t]*(?:\n[ \t]*)*[^\s][^\n]*")


# options written on the question's own line: "Which finding is most often present? (a) a lytic
# lesion (b) nothing (c) periosteal reaction". Bounded look-ahead from each "? (a)": linear cost.
# ("What is the most likely diagnosis? A. Metastatic disease B. Lymphoma C. ...": capital letters
# with a full stop as well)
_QUESTION_OPTION_A = re.compile(r"\?[ \t]*(?=\(?[Aa]\)|A\.[ \t])")
_OPTION_B = re.compile(r"\(?[Bb]\)|(?<![\w.])B\.(?=[ \t])")
_INLINE_REACH = 300  # characters from "(a)" to "(b)"
_INLINE_SPAN = 1000  # characters the options may run on after "(b)"


def _inline_options(text: str) -> list[tuple[int, int]]:
    questions = [m.end() for m in _QUESTION_OPTION_A.finditer(text)]
    if not questions:
        return []
    option_b = [m.end() for m in _OPTION_B.finditer(text)]
    newlines = [m.start() for m in re.finditer("\n", text)]
    spans: list[tuple[int, int]] = []
    for start in questions:
        if spans and start < spans[-1][1]:
            continue
        i = bisect_right(newlines, start)
        line_end = newlines[i] if i < len(newlines) else len(text)
        j = bisect_right(option_b, start + 3)
        if j < len(option_b) and option_b[j] <= min(line_end, start + _INLINE_REACH):
            spans.append((start, min(line_end, option_b[j] + _INLINE_SPAN)))
    return spans


def _answer_options(text: str) -> list[tuple[int, int]]:
    return option_blocks(text) + _inline_options(text)


_ASKED_REACH = 600  # characters before an option where the question that offers it is looked for


# A page's index terms ("Keywords: radiology, mri lumbar spine, ..., pathologic fracture, l1"),
# on the label's line or the line under it: words to find the page by, never a statement.
_INDEX_FIELD = re.compile(
    r"^[ \t]*(?:key\s*words|tags|acr\s+codes?|index\s+terms|mesh\s+terms)[ \t]*:[ \t]*"
    r"(?:\n[ \t]*)?[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)


def index_fields(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of a page's index-term fields (`_INDEX_FIELD`)."""
    return [m.span() for m in _INDEX_FIELD.finditer(text)]


def option_blocks(text: str) -> list[tuple[int, int]]:
    """The lines of answer options after a line that asks ("Which statement is true?" then
    "(a) ...", "(b) ..."): choices offered, none of them a finding, whatever they say."""
    spans: list[tuple[int, int]] = []
    for m in _OPTION_LINE.finditer(text):
        if spans and text[spans[-1][1] : m.start()].strip() == "":
            spans[-1] = (spans[-1][0], m.end())  # the next option of the same block
            continue
        # the last line with text before the option (a blank line may stand between)
        before = text[max(0, m.start() - _ASKED_REACH) : m.start()].rstrip()
        line_before = before[before.rfind("\n") + 1 :].strip()
        if _ASKS.search(line_before):
            spans.append((m.start(), m.end()))
    return spans


def _discussion_parts(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for m in _GENERAL_HEADING.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue
        # a heading alone on its line ("Pearls") owns the labelled lines under it ("Benign: ...");
        # one with its text on its own line ("Background: ...") ends at the next label
        line_end = text.find("\n", m.end())
        alone = not text[m.end() : len(text) if line_end < 0 else line_end].strip()
        nxt = _HEADING_LINE.search(text, m.end() + 1)
        while nxt is not None and (
            _GENERAL_HEADING.match(text, nxt.start())
            or (alone and not _ends_general_part(text, nxt.start()))
        ):
            nxt = _HEADING_LINE.search(text, nxt.end() + 1)
        end = nxt.start() if nxt else len(text)
        if not alone and _ONE_LINE_LABEL.match(text, m.start()):
            end = min(end, len(text) if line_end < 0 else line_end)  # "Keywords: ...": its line
        elif not alone and _PATIENT_BACKGROUND.match(text, m.start()):
            # a clinical note's "Background: hypertension, ..." is the patient's history, one
            # paragraph: what follows its blank line (an addendum's finding) is read; so is what
            # follows a vignette's one-paragraph "Introduction: ..." (its case description, whose
            # known heading the split has taken away)
            blank = text.find("\n\n", m.end(), end)
            end = end if blank < 0 else blank
        start = m.start()
        stem = _QUIZ_STEM.match(text, m.start())
        if stem is not None:
            start = stem.end()  # a quiz's case stem is this patient's: the rest is general
        spans.append((start, end))
    return spans


_PATIENT_BACKGROUND = re.compile(r"[ \t]*(?:background|introduction)[ \t]*:", re.IGNORECASE)
# a teaching file's index fields, one line each ("KEYWORDS: myeloma; salt-and-pepper")
_ONE_LINE_LABEL = re.compile(
    r"[ \t]*(?:[-*•●▪■◦‣·#=]+[ \t]*)?(?:key\s*words|tags|acr\s+codes?|synonyms?|factoids?)"
    r"[ \t]*[:\-–—]",
    re.IGNORECASE,
)


# The stem of a quiz: the paragraph right under its "Quiz" heading that presents the patient ("A
# 34-year-old man with ... has a lumbar MRI. The marrow is ..."), up to its blank line or question.
_QUIZ_STEM = re.compile(
    r"[ \t]*(?:[-*•●▪■◦‣·#=]+[ \t]*)?quiz(?:\s+questions?)?[^\n]*\n(?:[ \t]*\n)*[ \t]*"
    r"(?=[^\n?]{0,60}\b\d{1,3}[\s-](?:year|yr)s?[\s-]old\b)(?:[^\n?]|\n(?![ \t]*\n))*",
    re.IGNORECASE,
)


def _ends_general_part(text: str, at: int) -> bool:
    """A heading-like line ends a general part when it is a known heading ("Impression",
    "Findings") or starts a paragraph of its own; the labels of a list written under the general
    heading ("Pearls" then "Benign: ..." and "Malignant: ...") do not."""
    if _GENERAL_HEADING.match(text, at):
        return False
    if _KNOWN_RE.match(text, at):
        return True
    before = text[max(0, at - 64) : at].rstrip(" \t")  # a bounded look back: linear cost
    return (at <= 64 and not before.strip()) or bool(_BLANK_LINE_END.search(before))


_BLANK_LINE_END = re.compile(r"\n[ \t\r]*\n$")


# An organ heading of a template report ("Liver: A 9 mm hypodense lesion in segment 4"): what is
# written under it belongs to that organ (SPEC.md section 3 Anatomy) unless it names a bone.
_ORGAN_HEADING = re.compile(
    r"^[ \t]*(?:[-*•●▪■◦‣·]+[ \t]*)?(?P<head>[A-Za-z][A-Za-z ,/&'()-]{1,48}?)[ \t]*:", re.MULTILINE
)
_PART_END = re.compile(
    r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*•●▪■◦‣·]+[ \t]*)?[A-Za-z][A-Za-z ,/&'()-]{1,48}:)"
)


def organ_parts(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of `text` written under a heading that names only other organs."""
    spans: list[tuple[int, int]] = []
    for m in _ORGAN_HEADING.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue
        if not names_only_organs(m.group("head")):
            continue
        end = _PART_END.search(text, m.end())
        spans.append((m.end(), end.start() if end else len(text)))
    return spans


@dataclass(frozen=True)
class ReportSource:
    """One text source of a report, in SPEC.md section 3 order."""

    origin: str  # "conclusion", "conclusionCode", "presentedForm[0]", "text.div"
    text: str


@dataclass(frozen=True)
class ReportText:
    """What is read from a report: the findings text, and technique apart."""

    text: str  # "FINDINGS:\n...\n\nIMPRESSION:\n..."; every TextSpan indexes into this
    technique: str
    title_lines: str  # preamble / exam line, used only to recognise modality and site
    unread_chars: int = 0  # characters past the reading limit, not read (issue 16)
    total_chars: int = 0  # characters of all the report's text sources together
    history: str = ""  # indication / history text (not read for findings; the stated age only)


def without_page_furniture(text: str) -> str:
    """The text without a web page's lists of other cases and readers' comments (`furniture`)."""
    spans = page_furniture(text, _opens_a_part)
    if not spans:
        return text
    kept: list[str] = []
    pos = 0
    for start, end in spans:
        kept.append(text[pos:start])
        pos = end
    kept.append(text[pos:])
    return "".join(kept)


def _opens_a_part(line: str) -> bool:
    return heading_at(line) is not None or is_general_heading(line)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def assemble(
    sources: Sequence[ReportSource], *, limit: int = REPORT_READING_LIMIT_CHARS
) -> ReportText:
    """Findings and Impression from all sources, each piece once, within the reading limit.

    Sources often repeat each other (`conclusion` is the Impression of the `presentedForm`;
    `text.div` renders the same report), so a piece whose words are already contained in what was
    taken is skipped (SPEC.md section 3: count each lesion once). A `conclusion` /
    `conclusionCode` without headings counts as impression; a full report (presentedForm /
    narrative) without headings counts as findings. Sources are read in order until `limit`
    characters have been read; the rest is counted in `unread_chars`.
    """
    findings: list[str] = []
    impression: list[str] = []
    technique: list[str] = []
    titles: list[str] = []
    histories: list[str] = []
    seen = ""
    budget = limit
    unread = total = 0

    def take(bucket: list[str], piece: str) -> None:
        nonlocal seen
        key = _norm(piece)
        if not key or key in seen:
            return
        bucket.append(piece.strip())
        seen = f"{seen} | {key}"

    for source in sources:
        text = _INTERFACE_BREAK.sub("\n", source.text)
        if _HTML_MARK.search(text):
            # HTML in a plain-text source or the conclusion ("<br>Findings:", "&nbsp;"): read
            # as the HTML it is
            text = html_to_text(text)
        total += len(text)
        if len(text) > budget:
            cut = _cut(text, budget)
            unread += len(text) - cut
            text = text[:cut]
        budget -= len(text)
        if not text.strip():
            continue
        split = split_sections(without_page_furniture(text))
        is_conclusion = source.origin in {"conclusion", "conclusionCode"}
        if not split.has_headings:
            take(impression if is_conclusion else findings, split.preamble)
            continue
        titles.extend(t for t in (split.exam, split.preamble) if t)
        if split.history:
            histories.append(split.history)
        take(findings, split.findings)
        take(impression, split.impression)
        if split.technique:
            technique.append(split.technique)
    blocks: list[str] = []
    if findings:
        blocks.append("FINDINGS:\n" + "\n".join(findings))
    if impression:
        blocks.append("IMPRESSION:\n" + "\n".join(impression))
    return ReportText(
        text="\n\n".join(blocks),
        technique="\n".join(technique),
        title_lines="\n".join(titles)[:2000],
        unread_chars=unread,
        total_chars=total,
        history="\n".join(histories)[:2000],
    )


# Markup that only HTML writes: a line or block tag, or an entity
_HTML_MARK = re.compile(
    r"<(?:br|p|div|li|ul|ol|tr|td|th|table|span|b|i|u|strong|em|font|h[1-6])\b[^>\n]{0,200}>|"
    r"</(?:p|div|li|ul|ol|tr|td|th|table|span|b|i|u|strong|em|font|h[1-6])>|"
    r"&(?:nbsp|amp|lt|gt|quot|apos|#\d{1,6}|#x[0-9a-f]{1,5});",
    re.IGNORECASE,
)
# Line breaks as interfaces send them: HL7 v2 "\\.br\\", and "~" between lines ("~5 mm" stays).
_INTERFACE_BREAK = re.compile(r"\\\.br\\|~(?=[^\s\d~])")


def _cut(text: str, budget: int) -> int:
    """Where to stop reading: at the last sentence end or line break before `budget`, so that no
    sentence is read half (a finding is never lost before the limit)."""
    if budget <= 0:
        return 0
    window = text[:budget]
    for marks in ("\n", ". "):
        at = window.rfind(marks)
        if at >= budget // 2:
            return at + 1
    return budget
