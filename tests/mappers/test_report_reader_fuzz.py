"""The reader never fails on text (issue 9): mutated hospital-corpus texts -- sentences shuffled
together, stretches cut out, random words, stray punctuation -- are all analysed. A failure would
be a report whose class is not known (`Extraction.not_analysed`), which the mapper reports as a
problem instead of a silent NEGATIVE; this test keeps the reader free of such failures. Fixed
seed: the same texts every run."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fhir_mappers.report_reader import extract

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "hospital"
CASES = 600


def _texts() -> list[str]:
    return [
        json.loads(line)["text"]
        for path in sorted(CORPUS.glob("set_*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


# measurements in every form the reader parses, dropped into texts at random
PHRASES = (
    "none larger than 3 mm",
    "no more than 4 mm",
    "each under 5 mm",
    "> 5 mm",
    "> 3 mm",
    "larger than 4 mm",
    "at least 6 mm",
    "up to 8 mm",
    "between 6 and 15 mm",
    "measuring 4 and 8 mm",
    "6-12 mm",
    "1.2 x 0.8 cm",
    "increased from 8 to 12 mm",
    "previously 7 mm",
    "multiple lesions",
    "innumerable tiny foci throughout",
    "signal drop of 15% at 3 T",
    "[ ] yes [x] no",
    "? (a) a lytic lesion (b) nothing",
)


LESIONS = (
    "Multiple T1 hypointense foci in L2 and L4,",
    "A lesion in the L3 vertebral body,",
    "Two marrow lesions,",
    "Innumerable lesions throughout the spine,",
)


def _mutated(rng: random.Random, texts: list[str]) -> str:
    kind = rng.randrange(5)
    text = rng.choice(texts)
    if kind == 4:  # a measurement or template phrase dropped in, alone or after lesions
        words = text.split(" ")
        for _ in range(rng.randint(1, 4)):
            phrase = rng.choice(PHRASES)
            if rng.random() < 0.5:
                phrase = f"{rng.choice(LESIONS)} {phrase}."
            words.insert(rng.randrange(len(words) + 1), phrase)
        return " ".join(words)
    if kind == 0:  # sentences of different reports run together
        sentences = [s for t in rng.sample(texts, 6) for s in t.split(". ")]
        return ". ".join(rng.sample(sentences, min(len(sentences), rng.randint(1, 12))))
    if kind == 1:  # a stretch cut out (a truncated or damaged report)
        i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        return text[:i] + text[j:]
    if kind == 2:  # clinical words in random order, no punctuation
        words = text.split()
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 80)))
    # stray punctuation, digits and brackets where letters were
    return "".join(c if rng.random() > 0.03 else rng.choice(" .,;:-\n()[]x059?") for c in text)


@pytest.mark.parametrize("seed", [7, 11])
def test_mutated_report_texts_are_always_analysed(seed: int) -> None:
    rng = random.Random(seed)
    texts = _texts()
    failed = [
        text for text in (_mutated(rng, texts) for _ in range(CASES)) if extract(text).not_analysed
    ]
    assert failed == []
