"""Per-field accuracy of the imaging reader over the corpus: `python -m tests.corpus.accuracy`."""

from __future__ import annotations

from .reading import FIELDS, expected, read
from .reports import CASES


def main() -> None:
    right = dict.fromkeys(FIELDS, 0)
    exact = 0
    for case in CASES:
        got, want = read(case), expected(case)
        ok = [f for f in FIELDS if got[f] == want[f]]
        for f in ok:
            right[f] += 1
        exact += len(ok) == len(FIELDS)
        for f in FIELDS:
            if got[f] != want[f]:
                print(f"  {case.name}: {f} got {got[f]!r} want {want[f]!r}")
    n = len(CASES)
    print(f"cases: {n}; all fields right: {exact}/{n}")
    for f in FIELDS:
        print(f"  {f:10s} {right[f]:3d}/{n}  {100 * right[f] / n:5.1f}%")


if __name__ == "__main__":
    main()
