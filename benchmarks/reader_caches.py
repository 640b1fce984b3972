"""The reader's memo caches, emptied before each patient by the audit benchmarks
(``audit_throughput.py``, ``audit_profile.py``, ``audit_ab.py``).

A module of its own, with no ``sys.path`` side effects, so that ``audit_ab.py`` can apply this
tree's policy to another tree's code: what it imports (``cds_hooks.audit.evaluate``, the
reader's modules) is imported inside the functions, from whatever tree is first on the path.
"""

from __future__ import annotations

import sys
from typing import Any


def reader_caches(every: bool = True) -> list[Any]:
    """The reader's memo caches: with ``every``, each ``functools.lru_cache`` of the modules of
    ``fhir_mappers.report_reader`` (``report_reader.memo_caches``, looked up once: that walk
    over ``sys.modules`` is not paid per patient); else only the four per-sentence caches this
    benchmark emptied before (for comparison with earlier figures). Either way the whole
    readings remembered (the mapper's report outcomes, the reader's texts) come first."""
    from fhir_mappers import imaging, report_reader
    from fhir_mappers.report_reader import checks, reader, scope, sentence

    # whole reports and texts remembered by the mapper and the reader (older trees have none):
    # emptied whatever `every` says, or a report read before would not be read at all
    outcomes = [
        memo
        for memo in (
            getattr(imaging, "REMEMBERED_READINGS", None),
            getattr(reader, "_remembered_reading", None),
        )
        if memo is not None
    ]
    if not every:
        return [
            *outcomes,
            sentence._analyse_sentence_text,
            checks._attributed_to_other_cause,
            checks._affirms_other_cause,
            scope._terminators,
        ]
    finder = getattr(report_reader, "memo_caches", None)
    if finder is not None:
        return [*outcomes, *finder()]
    # a tree from before report_reader.memo_caches (audit_ab.py against an older tree)
    prefix = "fhir_mappers.report_reader."
    return [
        *outcomes,
        *(
            value
            for name, module in list(sys.modules.items())
            if module is not None and name.startswith(prefix)
            for value in vars(module).values()
            if callable(getattr(value, "cache_clear", None))
            and getattr(value, "__module__", None) == name
        ),
    ]


def cold_sentence_caches(every: bool = True) -> None:
    """Make every patient's report text new to the reader: its memo caches (a sentence, a
    clause, a stretch of text read before is not read again) are emptied before each patient.
    The synthetic texts come from a small sentence bank, so warm caches would flatter the rate;
    a real archive repeats far fewer sentences. ``every=False``: only the four per-sentence
    caches emptied by this benchmark before the reader had others (earlier figures)."""
    from cds_hooks.audit import evaluate as audit_evaluate

    caches: list[Any] = []
    original = audit_evaluate.evaluate_patient

    def evaluate_patient(*args: object, **kwargs: object) -> object:
        if not caches:  # found in the process that evaluates (a worker), on its first patient
            caches.extend(reader_caches(every))
        for cached in caches:
            cached.cache_clear()
        return original(*args, **kwargs)  # type: ignore[arg-type]

    audit_evaluate.evaluate_patient = evaluate_patient  # type: ignore[assignment]
