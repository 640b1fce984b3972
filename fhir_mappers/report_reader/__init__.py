"""The MRI report reader (SPEC.md section 3): report text -> class, features, lesions.

A focused rule engine in the ConText tradition (compiled patterns, no model), built so that the
mistakes issue 9 found are hard to make, one concern per module, in the order the text meets them:

1. `sections`: which parts of a report are read (everything but Indication / History /
   Comparison / Technique / Exam name; not the ORIGINAL REPORT of an amended report), from every
   text source of the report, each piece once, within the reading limit (`fhir_mappers.limits`).
2. `normalise`: words as reports write them (misspellings, SI / T1W, "8-mm", speech-recognition
   homophones) -> one spelling, with an offset map back to the text as sent.
3. `scope`: sentences (cut at 400 characters: cost linear in the text), clauses, and the scope of
   negation, hedge and history modifiers.
4. `sentence`: per sentence (read once per distinct sentence text), the targets and features of
   `vocabulary`, each kept only when `checks` (with `anatomy`) says it belongs to bone or marrow
   and is not another cause or a benign entity; `negation`: scope ends at a new finding phrase
   with its own descriptor, and a negation that may not reach its target is kept as an uncertain
   reading; `statements`: normal-marrow statements win, distribution words count only with a
   marrow target, and a general statement about a disease ("myeloma typically presents with
   diffuse infiltration") is no finding of this patient.
5. Parts of the report (`sections`): under "Discussion" / "Teaching points" a clause counts only
   when it speaks of this patient; under an organ heading ("Liver:", "Kidneys:") a finding is that
   organ's unless its sentence names a bone. `teaching`: a teaching document (a case of the
   week, a case report, a quiz) is read as a whole: its paragraphs of general teaching, whatever
   their headings are called, are read like a "Discussion".
6. `corrections`: what one sentence says of another (addenda that correct or withdraw, a definite
   benign diagnosis -- typical haemangioma, bone island, osteonecrosis -- of a single unworrying
   focus, "the mass" or "stable lesions" continuing another organ's).
7. `measurements` and `classify`: lesion counts and sizes, levels, field strength, chemical shift,
   and the one class of the report.

`reader.extract` runs it; `fhir_mappers.imaging` calls it for every imaging report.
"""

from __future__ import annotations

import sys
from typing import Any

from fhir_mappers.report_reader.reader import (
    MAX_SENTENCES,
    Extraction,
    chemical_shift_worrisome,
    extract,
    technique_facts,
)
from fhir_mappers.report_reader.sections import ReportSource, ReportText, assemble, split_sections


def memo_caches() -> list[Any]:
    """The reader's bounded memo caches (sentences and clauses read before): every
    `functools.lru_cache` of the reader's modules, found by looking, so that none is missed."""
    return [
        value
        for name, module in list(sys.modules.items())
        if module is not None and name.startswith(__name__ + ".")
        for value in vars(module).values()
        if callable(getattr(value, "cache_clear", None))
        and getattr(value, "__module__", None) == name
    ]


def clear_caches() -> None:
    """Empty the reader's memo caches, so that a benchmark times the first reading of a text, as
    a hospital's new report is read."""
    for cached in memo_caches():
        cached.cache_clear()


__all__ = [
    "MAX_SENTENCES",
    "Extraction",
    "ReportSource",
    "ReportText",
    "assemble",
    "chemical_shift_worrisome",
    "clear_caches",
    "extract",
    "memo_caches",
    "split_sections",
    "technique_facts",
]
