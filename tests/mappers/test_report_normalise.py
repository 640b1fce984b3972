"""The normalised report text maps back to the text as sent (`Normalised.original_span`), so a
card quotes the report's own words (SPEC.md section 3: every feature keeps its span)."""

from __future__ import annotations

import pytest

from fhir_mappers.report_reader.normalise import normalise

TEXTS = [
    "Heterogenous marow signal at L3, 8mm focus; mets? SI low on T1WI.",
    "No heterogeneous marrow signal.",
    "Diffusley heterogenous marow. 1.2cm lesion at L2 and a 9-mm lesion at L4.",
    "",
    "know new lesion\nknow focal lesion",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_character_maps_into_the_text_as_sent(text: str) -> None:
    norm = normalise(text)
    offsets = norm.offsets()
    assert len(offsets) == len(norm.text) + 1
    assert offsets[-1] == len(text)
    assert list(offsets) == sorted(offsets)  # in order
    assert all(0 <= o <= len(text) for o in offsets)


def test_a_rewritten_word_quotes_the_word_as_sent() -> None:
    text = "Findings: heterogenous marow signal at L3, 8mm."
    norm = normalise(text)
    start = norm.text.index("heterogeneous marrow")
    span = norm.original_span(start, start + len("heterogeneous marrow"))
    assert text[span[0] : span[1]] == "heterogenous marow"
    size = norm.text.index("8 mm")
    span = norm.original_span(size, size + len("8 mm"))
    assert text[span[0] : span[1]] == "8mm"


def test_words_not_rewritten_map_one_to_one() -> None:
    text = "Marrow signal normal at L1 to L5."
    norm = normalise(text)
    assert norm.text == text
    assert norm.offsets() == tuple(range(len(text) + 1))
    assert norm.original_span(7, 13) == (7, 13)


def test_a_rule_inside_a_word_is_no_rule() -> None:
    # "disk" is rewritten as a word, never inside one ("diskitis" keeps its spelling)
    assert normalise("L4-5 disk; diskitis").text == "L4-5 disc; diskitis"
