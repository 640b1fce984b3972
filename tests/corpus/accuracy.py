"""Per-field accuracy of the imaging reader over the corpus.

python -m tests.corpus.accuracy            # reports.py (the tuning corpus)
python -m tests.corpus.accuracy heldout    # heldout.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from .heldout import HELDOUT
from .reading import FIELDS, expected, read
from .reports import CASES, Case


def score(
    cases: Sequence[Case], reader: Callable[[Case], dict[str, Any]], fields: Sequence[str] = FIELDS
) -> tuple[dict[str, int], int, list[str]]:
    """(right answers per field, cases with every field right, wrong answers in words)."""
    right = dict.fromkeys(fields, 0)
    exact = 0
    wrong: list[str] = []
    for case in cases:
        got, want = reader(case), expected(case)
        ok = [f for f in fields if got.get(f) == want[f]]
        for f in ok:
            right[f] += 1
        exact += len(ok) == len(fields)
        wrong += [
            f"{case.name}: {f} got {got.get(f)!r} want {want[f]!r}" for f in fields if f not in ok
        ]
    return right, exact, wrong


def report(title: str, cases: Sequence[Case], right: dict[str, int], exact: int) -> None:
    n = len(cases)
    print(f"{title}: {n} cases; all fields right: {exact}/{n}")
    for f, r in right.items():
        print(f"  {f:10s} {r:3d}/{n}  {100 * r / n:5.1f}%")


def main(argv: Sequence[str]) -> None:
    cases = HELDOUT if "heldout" in argv else CASES
    right, exact, wrong = score(cases, read)
    for line in wrong:
        print("  " + line)
    report("rule engine", cases, right, exact)


if __name__ == "__main__":
    main(sys.argv[1:])
