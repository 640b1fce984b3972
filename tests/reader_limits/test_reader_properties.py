"""Structural promises of the report reader on any text (issue 16 part 1), checked with Hypothesis.

Only structure, never clinical reading (that is tests/mappers and the corpora) and never time
(benchmarks/hostile_reports.py prints the times):

- reading any text never raises: `read_imaging_reports` returns its three tuples;
- a text over the reading limit (`REPORT_READING_LIMIT_CHARS`) yields a problem that names the
  report and says how much was read;
- every feature span lies inside the report text and quotes it exactly (and so does its
  sentence span).

Each text is sent the way ``marrow-cds read-report`` sends one: the presentedForm of a lumbar
spine MRI report (`cds_hooks.cli.read_report.wrap_text`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cds_hooks.cli.read_report import wrap_text
from fhir_mappers.imaging import read_imaging_reports
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS
from logic.model import ImagingReport, TextSpan

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REFERENCE = "DiagnosticReport/prop-1"

# Words and marks radiology reports are made of, hostile ones included: headings, negations,
# hedges, sizes, levels, brackets, list numbers, other organs.
WORDS = (
    "FINDINGS:",
    "IMPRESSION:",
    "Imaging findings",
    "ADDENDUM:",
    "HISTORY:",
    "TECHNIQUE:",
    "heterogeneous",
    "heterogenous",
    "marrow",
    "signal",
    "SI",
    "T1",
    "T1W",
    "STIR",
    "lesion",
    "lesions",
    "focal",
    "focus",
    "diffuse",
    "diffusely",
    "throughout",
    "patchy",
    "lytic",
    "enhancing",
    "non-enhancing",
    "no",
    "not",
    "without",
    "negative for",
    "no longer",
    "no change in",
    "cannot exclude",
    "likely",
    "probably",
    "haemangioma",
    "Schmorl node",
    "kidney",
    "cyst",
    "lower than the discs",
    "brighter than muscle",
    "8 mm",
    "8mm",
    "8-mm",
    "0.8 cm",
    "1.2 x 1.2 x",
    "12 x 6 mm",
    "20%",
    "signal drop of 15%",
    "1.5 T",
    "3T",
    "L3",
    "L4/5",
    "S1",
    "sacral ala",
    "iliac",
    "two",
    "multiple",
    "innumerable",
    "1.",
    "2)",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    ".",
    ":",
    "-",
    "\n",
    "\n\n",
    "  ",
    "&amp;",
    "<b>",
    "é",
    "\u00a0",
)

PLAIN_WORDS = tuple(w for w in WORDS if "&" not in w and "<" not in w)

texts = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=80).map(" ".join),
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=60).map(" ".join),
)


def read(text: str) -> tuple[tuple[ImagingReport, ...], tuple[Any, ...]]:
    resource = wrap_text(text, report_id="prop-1", effective=WHEN)
    mri, other, problems = read_imaging_reports([resource])
    assert isinstance(mri, tuple)
    assert isinstance(other, tuple)
    assert isinstance(problems, tuple)
    return mri + other, problems


def assert_quotes(report: ImagingReport, span: TextSpan) -> None:
    assert 0 <= span.start <= span.end <= len(report.text), (span, len(report.text))
    assert report.text[span.start : span.end] == span.text


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(texts)
def test_any_text_is_read_without_raising_and_every_span_quotes_the_text(text: str) -> None:
    reports, _ = read(text)
    for report in reports:
        for feature in report.features:
            assert_quotes(report, feature.span)
            if feature.sentence is not None:
                assert_quotes(report, feature.sentence)


def _how_much_read(message: str) -> bool:
    """The problem says how much was read: it has the word "read" and a number."""
    return bool(re.search(r"\bread\b", message, re.I)) and bool(re.search(r"\d", message))


# A text over the limit takes up to a few seconds to read: few examples, and no shrinking (a
# failure is explained by the message, not by the shortest chunk).
@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    # (no HTML entity or tag: "&amp;" read as "&" can bring a text back under the limit)
    st.lists(st.sampled_from(PLAIN_WORDS), min_size=1, max_size=30).map(" ".join),
    st.integers(min_value=1, max_value=5_000),
)
def test_text_over_the_limit_gives_a_problem_naming_the_report_and_how_much_was_read(
    chunk: str, extra: int
) -> None:
    chunk = chunk.strip() or "marrow"
    body = (chunk + " ") * (REPORT_READING_LIMIT_CHARS // (len(chunk) + 1) + 1)
    text = "FINDINGS:\n" + body[: REPORT_READING_LIMIT_CHARS + extra]
    assert len(text) > REPORT_READING_LIMIT_CHARS
    reports, problems = read(text)
    about_limit = [
        p
        for p in problems
        if getattr(p, "reference", None) == REFERENCE and _how_much_read(getattr(p, "message", ""))
    ]
    assert about_limit, [getattr(p, "message", p) for p in problems]
    for report in reports:
        for feature in report.features:
            assert_quotes(report, feature.span)


def test_text_at_the_limit_gives_no_such_problem() -> None:
    # long sentences: the reader may also bound the number of sentences it reads
    sentence = (
        "Normal marrow signal in the vertebral bodies of the lumbar spine and the sacrum, "
        "and no focal lesion is seen at any level. "
    )
    text = ("FINDINGS:\n" + sentence * REPORT_READING_LIMIT_CHARS)[:REPORT_READING_LIMIT_CHARS]
    _, problems = read(text)
    assert not [p for p in problems if _how_much_read(getattr(p, "message", ""))]
