"""A teaching document read as a whole: which of its paragraphs speak of this patient.

Teaching cases, case-of-the-week handouts, grand-rounds summaries and case reports wrap one
patient's imaging in long general material: what myeloma, metastases or red marrow look like in
general, quizzes, differential tables, references. Its headings are of any name ("Discussion
points raised in the meeting", "Key points on marrow imaging (general)", "Background notes"), so
recognising the general part by its heading alone is not enough (SPEC.md section 3: a finding is
this patient's current imaging; a general statement about a disease is none).

So in a document that shows itself to be a teaching document (a title that says so, or two of: a
general-discussion heading, a literature citation, quiz questions) every paragraph is weighed:

- a paragraph under a findings or impression heading, or one that speaks of this patient (an age
  and sex, "this patient", "the case", "MRI showed", "she", a vertebral level, a measured size),
  is the patient's;
- a paragraph that says what happens in general (a general statement, a question of a quiz
  without "this patient") and nothing of this patient is general;
- anything else continues the paragraph before it.

A general paragraph is read like a "Discussion" part: a clause there counts only when it speaks
of this patient (`statements.about_this_patient`). One pass over the lines: linear cost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fhir_mappers.report_reader.sections import (
    HEADINGS,
    Part,
    has_general_heading,
    heading_at,
    is_general_heading,
)
from fhir_mappers.report_reader.statements import (
    is_general_statement,
    speaks_of_patient,
    tells_of_patient,
)

# What a teaching document calls itself near its head (anywhere in its first 400 characters).
_TITLE = re.compile(
    r"\b(?:educational|teaching|case\s+of\s+the\s+(?:week|month|day)|grand\s+rounds|image\s+"
    r"(?:quiz|challenge)|case\s+report|case\s+conference|e-?poster|unknown\s+case|study\s+notes?|"
    r"pearls\s+and\s+pitfalls|quiz|flash\s?cards?|case\s+log|case\s+page|pitfalls?\s+of\s+the\s+\w+|"
    r"journal\s+club|note\s+to\s+self|teaching\s+page|lessons?\s+learn\w*|spot\s+diagnosis|"
    r"unknown\s*#?\s*\d|case\s+\d{1,3}\s*/\s*\d{1,3}|how\s+not\s+to|logbook|e-?module|frcr|"
    r"practice\s+case|board\s+review|learning\s+objectives?)\b",
    re.IGNORECASE,
)
# Words that name teaching material only in a title line ("Reg logbook - week 7", "Haematology
# trainees: when the radiologist mentions red marrow", "MSK notes - SI joint mimics"); in a
# sentence they are everyday words. (Not "MDT", "registrar", "resident", "exercise", "note from":
# clinical documents are titled so -- "GYNAECOLOGY MDT OUTCOME", "ED NOTE - Resident".)
_TITLE_ONLY = re.compile(
    r"\b(?:case\s+\d{1,3}(?:\s+of\s+\d{1,3})?\s*[:\-–—]|(?:msk|neuro|gyn|body|rota|revision|"
    r"reading|reporting|teaching|learning)\s+notes?|handouts?|conference|pitfalls?|log\s+\d|nts|"
    r"teaching\s+evening|vocabulary|trainees?|forum|follow-through|notes?\s+after|"
    r"top\s+(?:3|three|5|five)|differentials|gamuts?|lecture)\b",
    re.IGNORECASE,
)
_TITLE_REACH = 400  # characters at the head of the text where a title is looked for
_CITATION = re.compile(
    r"\bet\s+al\b|\b(?:19|20)\d\d\s*;\s*\d{1,4}\s*[(:]|\bdoi\s*:|\bPMID\b", re.IGNORECASE
)
# a quiz question ("Q2.", "Question 3:", "Audience quiz:") starts a paragraph of its own; its
# answer ("A2.", "Answer:") belongs to it
_QUESTION_LINE = re.compile(
    r"^[ \t]*(?:Q\d{1,2}|Question(?:[ \t]*\d{1,2})?|(?:[A-Za-z]+[ \t]+)?quiz(?:[ \t]+questions?)?)"
    r"[ \t]*[.:)]|"
    # a numbered question of a quiz: "3) Could these be focal marrow lesions of another cause?"
    r"^[ \t]*\d{1,2}[.)][ \t]+[^\n?]{1,200}\?[ \t]*$",
    re.IGNORECASE,
)
# the line that introduces the patient of a case write-up ("Case: 70 M, chronic LBP",
# "Index patient: 67-year-old man")
_CASE_LINE = re.compile(
    r"[ \t]*(?:(?:the\s+)?case(?:\s+\d{1,3})?|index\s+patient|case\s+used\s+[^:\n]{0,30})[ \t]*:",
    re.IGNORECASE,
)
# an item of a list or a slide deck ("- ...", "• ...", "3) ...", "Slide 5 - ..."): each item is
# weighed on its own, and one that says nothing either way continues the item before it
_ITEM_LINE = re.compile(r"[ \t]*(?:[-*•●▪■◦‣·]|\d{1,2}[.)]|slide\s+\d{1,3}\s*[-:–—.])[ \t]+", re.I)
_SLIDE_LINE = re.compile(r"[ \t]*slide\s+\d{1,3}\b", re.IGNORECASE)
_SLIDES = 3
_SLIDES_IN_TEXT = re.compile(r"^" + _SLIDE_LINE.pattern, re.IGNORECASE | re.MULTILINE)
_QUESTIONS_IN_TEXT = re.compile(_QUESTION_LINE.pattern, re.IGNORECASE | re.MULTILINE)
_CASE_LINES_IN_TEXT = re.compile(r"^" + _CASE_LINE.pattern, re.IGNORECASE | re.MULTILINE)
_PATIENT_PARTS = frozenset({Part.FINDINGS, Part.IMPRESSION})
# a paragraph that opens with an image's or a sequence's label describes this patient's images
# ("Whole spine T1: innumerable tiny foci ...", "Image 2 - axial T2: ...", "Sagittal STIR: ...")
_IMAGE_LABEL = re.compile(
    r"[ \t]*(?:image\s+\d{1,2}\b|(?:(?:whole[\s-]+spine|whole[\s-]+body|sagittal|axial|coronal|"
    r"post[\s-]?contrast|pre[\s-]?contrast|fat[\s-]?sat\w*)\s+)*(?:t1|t2|stir|dwi|flair|dixon|"
    r"in[\s-]?phase|opposed[\s-]?phase|post[\s-]?contrast)\b)[^:\n]{0,40}:",
    re.IGNORECASE,
)
# impression-like headings a teaching document also uses for its general comments
_GENERAL_USE = frozenset({"comment", "comments", "summary", "assessment"})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# an entry of a differential list: an entity's name, then what tells it apart ("1. Paget disease
# (late phase) - enlargement, coarse trabeculae", "3. Melanoma metastases (rare; T1 bright)");
# two such entries in a row make a differential list, general whatever its heading
_DDX_ENTRY = re.compile(
    r"[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+"
    r"(?P<name>(?:[A-Za-z0-9'’/-]+[ \t]+){0,6}?[A-Za-z0-9'’/-]+)[ \t]*"
    r"(?:\([^)\n]{0,80}\)[ \t]*)?(?:[-–—:][ \t]|\n|$)"
)
_DDX_NAME = re.compile(
    r"paget|h(?:a)?emangioma|metasta|myeloma|lymphoma|leuk|sarcoma|chordoma|schwannoma|"
    r"meningocele|ectasia|cysts?\b|tumou?r|osteomyelitis|discitis|spondylodiscitis|infection|"
    r"fracture|modic|reconversion|hyperplasia|island|enostosis|osteopo|disease|syndrome|"
    r"plasmacytoma|mastocytosis|sarcoid|gaucher|fibrous\s+dysplasia|osteoma|osteoblastoma|"
    r"enchondroma|lipoma|chondro|ewing|granuloma|histiocytosis|myelofibrosis|amyloid|"
    r"tuberculo|brucell|sickle|thalass|red\s+marrow|fatty\s+marrow|normal\s+variant",
    re.IGNORECASE,
)
_DDX_RUN = 2


def _at_least(pattern: re.Pattern[str], text: str, n: int) -> bool:
    """Whether the pattern occurs n times in the text (the scan stops at the n-th)."""
    return any(i >= n for i, _ in enumerate(pattern.finditer(text), 1))


def is_teaching_document(text: str) -> bool:
    """A title that says so, or two of: a general-discussion heading, a citation, a quiz, a line
    that introduces the case."""
    if _TITLE.search(text, 0, _TITLE_REACH) or any(
        _TITLE_ONLY.search(line, 0, _TITLE_WORDS_REACH) for line in _title_lines(text)
    ):
        return True
    if _at_least(_SLIDES_IN_TEXT, text, _SLIDES):
        return True  # a slide deck's handout
    if _mostly_general(text):
        return True
    # (each a scan of the whole text: most reports are no teaching document)
    signals = int(has_general_heading(text)) + int(_CITATION.search(text) is not None)
    if signals < 2:
        signals += int(_QUESTIONS_IN_TEXT.search(text) is not None)
    if signals < 2:
        signals += int(_CASE_LINES_IN_TEXT.search(text) is not None)
    return signals >= 2


# A text whose sentences say, again and again, what happens in general ("Metastases tend to
# ...", "In elderly patients the marrow ...") teaches: reports state findings.
_GENERAL_SENTENCES = 3
_GENERAL_SHARE = 0.25


# the cheap test first (one scan): a text with fewer than two of these words is no lecture
_LECTURE_WORDS = re.compile(
    r"\b(?:typically|usually|tends?|commonly|classically|characteristically|often|frequently|"
    r"generally|patients|adults|children|may|can)\b",
    re.IGNORECASE,
)


def _mostly_general(text: str) -> bool:
    if not _at_least(_LECTURE_WORDS, text, _GENERAL_SENTENCES):
        return False
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    general = sum(1 for s in sentences if is_general_statement(s))
    return general >= _GENERAL_SENTENCES and general >= _GENERAL_SHARE * len(sentences)


def general_paragraphs(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the paragraphs of a teaching document that speak of diseases in
    general, not of this patient; none when the text is no teaching document."""
    if not is_teaching_document(text):
        return []
    spans: list[tuple[int, int]] = _titles(text)
    paragraphs = _paragraphs(text)
    differential = _differential_entries(text, paragraphs)
    # what comes first is the patient's: the reader's own "FINDINGS:" heading stands where the
    # report's findings heading stood (`sections.assemble` joins the read parts under it)
    patient = True
    for start, end, heading in paragraphs:
        paragraph = text[start:end]
        if start in differential:
            patient = tells_of_patient(paragraph)
        elif not patient and _ITEM_LINE.match(paragraph):
            # an item of a general list stays general unless it plainly names the patient
            # ("there is", "now" and a level are as common in teaching lists as in reports)
            patient = tells_of_patient(paragraph)
        else:
            patient = _is_patients(paragraph, heading, patient)
        if not patient:
            if spans and spans[-1][1] >= start:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return spans


def _differential_entries(text: str, paragraphs: list[tuple[int, int, str | None]]) -> set[int]:
    """The starts of the paragraphs that are entries of a differential list: `_DDX_RUN` or more
    items in a row, each an entity's name and what tells it apart."""
    entries: set[int] = set()
    run: list[int] = []
    for start, end, _ in [*paragraphs, (len(text), len(text), None)]:
        entry = _DDX_ENTRY.match(text, start, end)
        if entry is not None and _DDX_NAME.search(entry.group("name")):
            run.append(start)
            continue
        if len(run) >= _DDX_RUN:
            entries.update(run)
        run = []
    return entries


_TITLE_LINE_CHARS = 150


def _title_lines(text: str) -> list[str]:
    """The lines at the head of the text (its first 400 characters) that look like a title:
    short, no sentence end, not a heading the reader knows."""
    return [
        line.strip()
        for line in text[:_TITLE_REACH].splitlines()
        if _looks_like_a_title(line.strip()) and heading_at(line) is None
    ]


def _looks_like_a_title(line: str) -> bool:
    return bool(line) and len(line) <= _TITLE_LINE_CHARS and not line.endswith(".")


def _titles(text: str) -> list[tuple[int, int]]:
    """Title lines: short lines that name the document as teaching ('Case page - "the outside
    report said heterogeneous marrow"', "Case: Patchy marrow in a marathon runner"). A title names
    the topic, not a finding of this patient, unless it speaks of the patient. Any line may be
    one (a hospital header may come first): the decision does not depend on where it stands."""
    spans: list[tuple[int, int]] = []
    at = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if (
            _looks_like_a_title(stripped)
            and (
                _TITLE.search(stripped, 0, _TITLE_WORDS_REACH)
                or _TITLE_ONLY.search(stripped, 0, _TITLE_WORDS_REACH)
                or _CASE_LINE.match(stripped)
            )
            and not speaks_of_patient(stripped)
        ):
            spans.append((at, at + len(line)))
        at += len(line)
    return spans


_TITLE_WORDS_REACH = 60  # a title says what it is near its start


def _is_patients(paragraph: str, heading: str | None, before: bool) -> bool:
    if (
        heading is not None
        and HEADINGS.get(heading) in _PATIENT_PARTS
        and heading not in _GENERAL_USE
    ):
        return True
    if heading is None and is_general_heading(paragraph.split("\n", 1)[0]):
        return False  # under a general heading: only its clauses about this patient count
    if speaks_of_patient(paragraph) or _IMAGE_LABEL.match(paragraph):
        return True
    if _QUESTION_LINE.match(paragraph):
        return False  # a quiz question not about this patient
    # a paragraph of teaching opens with a general statement, or is mostly made of them ("Bone
    # islands are dense cortical bone ..."); findings followed by a quiz question are not
    sentences = [s for s in _SENTENCE_END.split(paragraph) if s.strip()]
    general = [is_general_statement(s) for s in sentences]
    if general and (general[0] or 2 * sum(general) >= len(general)):
        return False
    return before


def _paragraphs(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, known heading name or None): paragraphs end at a blank line, a heading
    line, a quiz question or a list item."""
    found: list[tuple[int, int, str | None]] = []
    start: int | None = None
    heading: str | None = None
    at = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        new_head = heading_at(line) if stripped else None
        breaks = (
            not stripped
            or new_head is not None
            or is_general_heading(line)
            or _QUESTION_LINE.match(line) is not None
            or _ITEM_LINE.match(line) is not None
        )
        if breaks and start is not None:
            found.append((start, at, heading))
            start, heading = None, None
        if stripped and start is None:
            start, heading = at, new_head
        at += len(line)
    if start is not None:
        found.append((start, at, heading))
    return found


# A document that reports two studies under their own headings ("Initial MRI lumbar spine", then
# "Follow-up MRI (14 months ...)"): what the earlier study showed is history (SPEC.md section 2:
# the index report is the latest). Only when a later study's heading follows.
# the rest of a study's heading: its own line ("Follow-up MRI (14 months; Hb 13.4)"), or a label
# with its text ("First MRI: 'possible lesion in the L1 vertebral body'")
_REST_OF_HEAD = r"(?:[^\n.:]|\.(?=\d)){0,100}(?::[^\n]*)?$"
_EARLIER_STUDY = re.compile(
    r"[ \t]*(?:[-*•#=]+[ \t]*)?(?:initial|first|baseline|prior|previous|earlier|original|"
    r"presenting|index)\s+(?:[\w-]+\s+){0,2}?(?:mri|ct|study|scan|imaging|examination|pet)\b"
    + _REST_OF_HEAD,
    re.IGNORECASE,
)
_LATER_STUDY = re.compile(
    r"[ \t]*(?:[-*•#=]+[ \t]*)?(?:follow[\s-]?up|repeat|second|current|latest|most\s+recent|"
    r"subsequent|interval|today'?s|restaging|post[\s-]?treatment)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:mri|ct|study|scan|imaging|examination|pet)\b" + _REST_OF_HEAD,
    re.IGNORECASE,
)


# A chronology of studies, each on a line labelled with its year ("MRI lumbar spine 2012: ...",
# "CT lumbar spine 2023, following a minor fall: ..."): what the MRIs before the latest one
# showed is history (SPEC.md section 2: the index report is the latest).
_DATED_STUDY = re.compile(
    r"^[ \t]*(?:[-*•][ \t]*)?(?P<kind>mri|mr|ct|pet(?:-ct)?|x-?rays?|radiographs?|bone\s+scan|"
    r"bone\s+density|dexa|dxa|ultrasound)\b[^\n:]{0,60}?\b(?P<year>(?:19|20)\d\d)\b[^\n:]{0,60}:",
    re.IGNORECASE | re.MULTILINE,
)


def dated_study_parts(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the lines of a dated chronology of studies that tell of an MRI
    older than the latest MRI of the list; none unless two MRIs of different years are listed."""
    studies = [
        (m.start(), int(m.group("year")), m.group("kind").lower().startswith("mr"))
        for m in _DATED_STUDY.finditer(text)
    ]
    mri_years = {year for _, year, mri in studies if mri}
    if len(mri_years) < 2:
        return []
    latest = max(mri_years)
    spans: list[tuple[int, int]] = []
    for i, (start, year, mri) in enumerate(studies):
        if mri and year < latest:
            end = studies[i + 1][0] if i + 1 < len(studies) else text.find("\n\n", start)
            spans.append((start, len(text) if end < 0 else end))
    return spans


# A case page's studies, each under a heading with its time ("CT (day 0):", "MRI lumbar spine
# (day 9):", "Initial MRI (whole spine)", "MRI, 3 MONTHS AFTER TREATMENT", "MRI after 2 cycles:",
# "Follow-up MRI (two years)"): what the studies before the latest MRI showed is history. A heading
# is a short line of its own (no full stop at its end), or a short label before a colon.
_TIMED_STUDY = re.compile(
    r"^[ \t]*(?:[-*•#=]+[ \t]*)?(?:study\s+\d{1,2}(?:\s+of\s+\d{1,2})?[ \t]*[-:–—][ \t]*)?"
    r"(?P<head>(?:[\w-]+[ \t]+){0,3}?(?P<kind>mri|mr|ct|pet(?:-ct)?|"
    r"x-?rays?|radiographs?|bone\s+scan|ultrasound)\b[^\n:.]{0,70})"
    r"(?::|[ \t]*$)",
    re.IGNORECASE | re.MULTILINE,
)
_DAY = re.compile(r"day\s*\+?\s*(\d{1,4})", re.IGNORECASE)
_WHEN = re.compile(
    r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen)\s+"
    r"(day|week|month|year|cycle)s?(?:\s+(?P<dir>later|after|earlier|before|prior|ago))?",
    re.IGNORECASE,
)
_AFTER_CYCLES = re.compile(
    r"after\s+(\d{1,2}|one|two|three|four|five|six|seven|eight)\s+cycles?", re.IGNORECASE
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "eighteen": 18,
}  # fmt: skip
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365, "cycle": 21}
_AT_START = re.compile(
    r"\b(?:initial|first|baseline|staging|presentation|diagnosis|admission)\b", re.IGNORECASE
)


_BEFORE_START = re.compile(
    r"\b(?:before|pre-?treatment|prior|previous|earlier|outside|old)\b", re.IGNORECASE
)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.lower()]


def _days(when: str) -> int | None:
    """Days from the first study: "day 9" -> 9, "6 months later" -> 180, "after 2 cycles" ->
    42, "1 year earlier" -> -365, "Initial MRI" / "at staging" -> 0, "(before treatment)" -> -1;
    None when no time is said."""
    if (day := _DAY.search(when)) is not None:
        return int(day.group(1))
    if (cycles := _AFTER_CYCLES.search(when)) is not None:
        return _count(cycles.group(1)) * _UNIT_DAYS["cycle"]
    if (said := _WHEN.search(when)) is not None:
        days = _count(said.group(1)) * _UNIT_DAYS[said.group(2).lower()]
        direction = (said.group("dir") or "later").lower()
        return days if direction in ("later", "after") else -days
    if _AT_START.search(when):
        return 0
    if _BEFORE_START.search(when):
        return -1  # "MRI femora (before treatment, outside report summarised)"
    return None


def timed_study_parts(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the studies of a case page that come before its latest MRI;
    none unless two or more studies carry a time and one of them is an MRI."""
    studies = [
        (m.start(), _days(m.group("head")), m.group("kind").lower().startswith("mr"))
        for m in _TIMED_STUDY.finditer(text)
    ]
    timed = [(start, days, mri) for start, days, mri in studies if days is not None]
    mri_days = [days for _, days, mri in timed if mri]
    if len(timed) < 2 or not mri_days:
        return []
    latest = max(mri_days)
    spans: list[tuple[int, int]] = []
    for i, (start, days, _) in enumerate(studies):
        if days is not None and days < latest:
            # up to the next study's heading (headings come in text order), else the paragraph
            end = studies[i + 1][0] if i + 1 < len(studies) else text.find("\n\n", start)
            spans.append((start, len(text) if end < 0 else end))
    return spans


def earlier_study_parts(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans under a heading of an earlier study that a later study's heading
    follows, the older MRIs of a dated chronology (`dated_study_parts`) and the studies of a case
    page before its latest MRI (`timed_study_parts`): their findings are history."""
    spans: list[tuple[int, int]] = dated_study_parts(text) + timed_study_parts(text)
    open_at: int | None = None
    at = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        if _LATER_STUDY.match(body):
            if open_at is not None:
                spans.append((open_at, at))
                open_at = None
        elif _EARLIER_STUDY.match(body) and open_at is None:
            open_at = at
        at += len(line)
    return spans


# A case report's narrative of studies over time: "Staging MRI of the spine showed diffuse marrow
# infiltration ... After six cycles the end-of-treatment MRI showed normal marrow", "MRI of the
# lumbar spine at that time showed ... A repeat MRI 8 months later showed ...". A sentence that
# tells what an earlier study showed, followed later in the text by a sentence that tells what a
# later study showed, is history (SPEC.md section 2: the index report is the latest).
_NARRATED_EARLIER = re.compile(
    r"\b(?:(?:staging|initial|first|baseline|presenting|diagnostic|pre-?treatment|original)\s+"
    r"(?:[\w-]+\s+){0,3}?(?:mri|ct|scan|imaging|study|pet(?:[/-]ct)?)\b[^.]{0,80}?\b(?:showed|"
    r"demonstrated|revealed)|(?:mri|ct|scan|imaging|study)\b[^.]{0,60}?\b(?:at\s+(?:that\s+time|"
    r"the\s+time|presentation|diagnosis|baseline))\b[^.]{0,20}?\b(?:showed|demonstrated|revealed))",
    re.IGNORECASE,
)
_NARRATED_LATER = re.compile(
    r"\b(?:repeat|follow[\s-]?up|subsequent|restaging|end[\s-]of[\s-]treatment|post-?treatment|"
    r"interim|later|latest|most\s+recent|surveillance)\s+(?:[\w-]+\s+){0,3}?(?:mri|ct|scan|imaging|"
    r"study)\b[^.]{0,100}?\b(?:showed|shows|demonstrated|revealed)",
    re.IGNORECASE,
)


# a later study that says the earlier finding is still there ("showed no change", "the lesions
# to be stable", "persistent ..."): the earlier sentence is not history
_CONTINUES = re.compile(
    r"\b(?:no\s+(?:significant\s+)?(?:interval\s+)?change|unchanged|stable|persist\w*|similar|again|"
    r"redemonstrat\w*|re-demonstrat\w*|remain\w*|still|same)\b",
    re.IGNORECASE,
)


def narrated_earlier_studies(
    text: str, sentences: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The sentences that tell what an earlier study showed when a later sentence tells what a
    later study showed (`_NARRATED_EARLIER`, `_NARRATED_LATER`). One pass over the sentences."""
    later = {(s0, s1) for s0, s1 in sentences if _NARRATED_LATER.search(text, s0, s1)}
    new_finding = [s0 for s0, s1 in later if not _CONTINUES.search(text, s0, s1)]
    if not new_finding:
        return []
    last_later = max(new_finding)
    return [
        (s0, s1)
        for s0, s1 in sentences
        if s0 < last_later and (s0, s1) not in later and _NARRATED_EARLIER.search(text, s0, s1)
    ]
