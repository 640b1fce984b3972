"""The summary line of each card: plain words, under 140 characters, specific (CARDS.md).

Built from the flags that fired ("Urgent haematology referral: calcium 12.1 mg/dL and
haemoglobin 9.2 g/dL"), with lab values as the lab sent them, no abbreviation without its word,
and follow-up intervals read from the suggested orders.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Final

from cds_hooks.cards.detail import (
    REGION_WORDS,
    SUMMARY_MAX,
    join_words,
    plain,
    shorten,
)
from cds_hooks.cards.follow_up_text import follow_up_summary
from logic.analytes import ROWS
from logic.model import (
    Advisory,
    Evidence,
    Flag,
    ImagingReport,
    OrderSuggestion,
    Recommendation,
)
from logic.rules import CardSpec, SummaryStyle
from logic.units import display_unit

_PARENTHESES: Final = re.compile(r"\s*\([^)]*\)")

# How a summary says an evidence label (CARDS.md: no abbreviation without the word): each
# analyte's words from the analyte table, keyed by its label without parentheses, and the
# abbreviations an evidence label may use besides.
_LABEL_WORDS: Final = {
    **{_PARENTHESES.sub("", row.label).strip().lower(): row.words for row in ROWS},
    "hb": "haemoglobin",
    "hemoglobin": "haemoglobin",
    "crcl": "creatinine clearance",
    "wbc": "white cell count",
    "flc ratio": "free light chain ratio",
    "flc kappa/lambda ratio": "free light chain ratio",
    "kappa/lambda ratio": "free light chain ratio",
    "m-protein": "monoclonal protein",
    "m-spike": "monoclonal protein",
    "anc": "neutrophil count",
}


def _label_words(label: str) -> str:
    """An evidence label as words for a summary: "Calcium, total" -> "calcium",
    "Calcium, albumin-corrected (computed from ...)" -> "albumin-corrected calcium"."""
    text = _PARENTHESES.sub("", label).strip()
    words = _LABEL_WORDS.get(text.lower())
    if words is not None:
        return words
    if ", " in text:
        head, tail = text.split(", ", 1)
        text = head if tail.lower() == "total" else f"{tail} {head.lower()}"
        words = _LABEL_WORDS.get(text.lower())
        if words is not None:
            return words
    # lower-case the first letter unless it starts an abbreviation ("IgG", "MRI")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def mri_words(report: ImagingReport | None) -> str:
    """ "lumbar spine MRI", or "MRI" when the region is not known."""
    if report is None:
        return "MRI"
    region = REGION_WORDS.get(report.region, "")
    return f"{region} MRI" if region else "MRI"


# Words for a flag when its evidence carries no value (SPEC.md section 5 flag ids).
_FLAG_WORDS: Final = {
    "U-L": "several focal marrow lesions of 5 mm or more",
    "U-Li": "very high free light chain ratio",
    "U-C": "high calcium",
    "U-R": "kidney impairment",
    "U-A": "severe anaemia",
    "U-B": "lytic bone lesion",
    "H-ANAEMIA": "anaemia",
    "H-MPROTEIN": "monoclonal protein",
    "H-FLC": "abnormal free light chain ratio",
    "H-CALCIUM": "high calcium",
    "H-RENAL": "reduced kidney function",
    "H-IMMUNOPARESIS": "low immunoglobulins",
    "H-CYTOPENIA": "low blood counts",
    "H-MONOCYTOSIS": "persistently raised monocytes",
    "H-SYMPTOMS": "symptoms",
    "H-CANCER": "history of cancer",
    "H-IMAGING": "worrisome MRI features",
    "I-FLC": "slightly abnormal free light chain ratio",
    "I-MONOCYTE": "raised monocytes",
    "I-FOCAL": "one indeterminate focal lesion on MRI",
}
# Flags whose summary phrase names the measured value ("calcium 2.9 mmol/L").
_VALUE_FLAGS: Final = frozenset(
    {
        "U-Li",
        "U-C",
        "U-R",
        "U-A",
        "H-ANAEMIA",
        "H-MPROTEIN",
        "H-FLC",
        "H-CALCIUM",
        "H-RENAL",
        "H-CYTOPENIA",
        "I-FLC",
        "I-MONOCYTE",
    }
)


def _value_words(item: Evidence) -> str:
    """The value as the clinician's lab system shows it: as sent when the logic converted it
    ("12.1 mg/dL" rather than "3.019 mmol/L"), else the value and its unit."""
    if item.as_sent:
        as_sent = item.as_sent.strip()
        number, _, unit_sent = as_sent.partition(" ")
        if number and unit_sent:
            return f"{number} {display_unit(unit_sent) or unit_sent}"
        if as_sent:
            return as_sent
    unit = display_unit(item.unit)
    return f"{item.value} {unit}" if unit else str(item.value)


def flag_phrase(flag: Flag) -> str:
    """A few plain words for one flag, with its value where it has one."""
    if flag.id in _VALUE_FLAGS:
        for item in flag.evidence:
            # a Condition's value is its code: not a measured value
            if item.value and not (item.reference or "").startswith("Condition/"):
                return f"{_label_words(item.label)} {_value_words(item)}"
    if flag.known_mgus:
        return "known MGUS, evaluate for progression"
    if flag.id == "H-SYMPTOMS":
        labels = [_label_words(item.label) for item in flag.evidence if item.label]
        if labels:
            return labels[0]
    return _FLAG_WORDS.get(flag.id, flag.criterion)


def fit_summary(head: str, phrases: Sequence[str], more: str = "finding") -> str:
    """`head: a, b and c`, dropping trailing phrases ("and 2 more findings") to stay under 140."""
    unique = list(dict.fromkeys(plain(p) for p in phrases if p.strip()))
    head = plain(head)
    for keep in range(len(unique), 0, -1):
        shown = unique[:keep]
        dropped = len(unique) - keep
        if dropped:
            shown = [*shown, f"{dropped} more {more}{'' if dropped == 1 else 's'}"]
        candidate = f"{head}: {join_words(shown)}"
        if len(candidate) <= SUMMARY_MAX:
            return candidate
    return shorten(head)


def _months_between(start: date, later: date) -> int:
    return round((later - start).days / 30.44)


def follow_up_words(orders: Iterable[OrderSuggestion], key: str, as_of: date) -> str | None:
    """ "in 3-6 months" for the first scheduled order with `key`, from its occurrence period."""
    for order in orders:
        if order.key == key and order.start is not None:
            low = _months_between(as_of, order.start)
            if order.end is not None:
                high = _months_between(as_of, order.end)
                if high > low:
                    return f"in {low}-{high} months"
            return f"in {low} months" if low > 0 else "now"
    return None


def _all_orders(recommendation: Recommendation) -> list[OrderSuggestion]:
    return [order for order_set in recommendation.order_sets for order in order_set.orders]


def primary_summary(recommendation: Recommendation, spec: CardSpec, as_of: date) -> str:
    """The summary line of the primary card, in the style its rule's row gives (`spec`)."""
    build = _SUMMARY_BUILDERS[spec.summary_style]
    return build(recommendation, spec, as_of)


def _flags_summary(recommendation: Recommendation, spec: CardSpec, as_of: date) -> str:
    """ "<head>: <each flag in words>", phrases dropped to stay under 140 characters."""
    del as_of
    return fit_summary(spec.summary, [flag_phrase(flag) for flag in recommendation.flags])


def _staging_summary(recommendation: Recommendation, spec: CardSpec, as_of: date) -> str:
    """R3: a past blood cancer is referred to haematology, other cancers to oncology."""
    del spec, as_of
    mri = mri_words(recommendation.index_report)
    keys = {order.key for order in _all_orders(recommendation)}
    if "hematology-referral" in keys and "oncology-referral" not in keys:
        return shorten(
            f"Past blood cancer and marrow change on {mri}: staging and haematology referral"
        )
    return shorten(f"Cancer history and marrow change on {mri}: staging and oncology referral")


def _first_line_summary(recommendation: Recommendation, spec: CardSpec, as_of: date) -> str:
    """R5: repeat out-of-date abnormal tests to confirm, or the first-line tests."""
    del spec, as_of
    mri = mri_words(recommendation.index_report)
    if any(order.repeat_to_confirm for order in _all_orders(recommendation)):
        return shorten(
            f"Marrow change on {mri}: repeat out-of-date abnormal blood tests to confirm "
            "and complete the first-line tests"
        )
    return shorten(
        f"Marrow change on {mri}: first-line blood tests needed before deciding on biopsy"
    )


def _labs_words(recommendation: Recommendation) -> str:
    """R7/R8 "current labs normal" counts an abnormal value a documented cause explains (SPEC.md
    section 2): the summary must not call those blood tests normal."""
    if recommendation.labs_explained:
        return "abnormal blood tests explained"
    return "normal blood tests"


def _defer_biopsy_summary(recommendation: Recommendation, spec: CardSpec, as_of: date) -> str:
    """R7: no biopsy now, repeat blood tests and MRI (or where the follow-up MRI stands)."""
    overdue_or_ordered = follow_up_summary(recommendation, spec.summary)  # SPEC.md §5
    if overdue_or_ordered is not None:
        return overdue_or_ordered
    orders = _all_orders(recommendation)
    mri_when = follow_up_words(orders, "mri-followup", as_of)
    labs_when = follow_up_words(orders, "cbc-diff", as_of) or "in 3 months"
    return shorten(
        f"{spec.summary} on {mri_words(recommendation.index_report)}, "
        f"{_labs_words(recommendation)}: no biopsy now; repeat blood tests {labs_when}"
        + (f", MRI {mri_when}" if mri_when else "")
    )


def _surveillance_summary(recommendation: Recommendation, spec: CardSpec, as_of: date) -> str:
    """R8: repeat MRI (or where the follow-up MRI stands)."""
    overdue_or_ordered = follow_up_summary(recommendation, spec.summary)  # SPEC.md §5
    if overdue_or_ordered is not None:
        return overdue_or_ordered
    mri_when = follow_up_words(_all_orders(recommendation), "mri-followup", as_of)
    return shorten(
        f"{spec.summary} on {mri_words(recommendation.index_report)}, "
        f"{_labs_words(recommendation)}: "
        + (f"repeat MRI {mri_when}" if mri_when else "follow up with MRI")
    )


_SUMMARY_BUILDERS: Final[dict[SummaryStyle, Callable[[Recommendation, CardSpec, date], str]]] = {
    SummaryStyle.FLAGS: _flags_summary,
    SummaryStyle.STAGING: _staging_summary,
    SummaryStyle.FIRST_LINE: _first_line_summary,
    SummaryStyle.DEFER_BIOPSY: _defer_biopsy_summary,
    SummaryStyle.SURVEILLANCE: _surveillance_summary,
}


def imaging_protocol_summary(advisories: Sequence[Advisory]) -> str:
    if len(advisories) == 1:
        return shorten(advisories[0].summary)
    phrases = [_lower_first(a.summary) for a in advisories]
    return fit_summary("MRI protocol advice", phrases, more="point")


def _lower_first(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
