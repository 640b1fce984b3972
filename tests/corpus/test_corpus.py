"""The report corpus (tests/corpus/reports.py): every case read exactly as a radiologist would.

Per-field accuracy over the whole corpus: `python -m tests.corpus.accuracy`.
"""

from __future__ import annotations

import pytest

from .heldout import HELDOUT
from .reading import FIELDS, expected, read
from .reports import CASES, Case

ALL = CASES + HELDOUT


def test_corpus_is_large_and_names_are_unique() -> None:
    names = [c.name for c in ALL]
    assert len(CASES) >= 60
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_case(case: Case) -> None:
    got, want = read(case), expected(case)
    wrong = {f: {"got": got[f], "want": want[f]} for f in FIELDS if got[f] != want[f]}
    assert not wrong, wrong
