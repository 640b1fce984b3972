"""`assess`: one patient record, at one `as_of`, through the SPEC.md section 5 table."""

from __future__ import annotations

from datetime import datetime

from logic import thresholds as t
from logic.advisories import advisories
from logic.context import future_dated_problems, suppressing_conditions
from logic.flags import FLAG_RULES
from logic.imaging import index_notes
from logic.model import (
    Analyte,
    Assessment,
    DataDomain,
    DataGap,
    Flag,
    ImagingReport,
    MappingProblem,
    NoCard,
    PatientRecord,
    Recommendation,
    Sex,
)
from logic.rules import Rule, first_match, no_card_cause
from logic.situation import Situation, situation

_SOURCES = {rule.id: rule.sources for rule in FLAG_RULES}


def _citations(rule: Rule, flags: tuple[Flag, ...]) -> tuple[str, ...]:
    found = list(rule.citations)
    for flag in flags:
        found.extend(_SOURCES[flag.id])
    return tuple(dict.fromkeys(found))


def _unread_index(sit: Situation) -> DataGap | None:
    """The index report read only up to the reading limit: its silence is not a negative reading
    (issue 16: no silent truncation), so R0 says so on a data-quality card."""
    index = sit.index
    if index is None or index.unread_chars <= 0:
        return None
    read = len(index.text)
    return DataGap(
        DataDomain.REPORT_TEXT,
        f"{index.title or 'MRI report'} of {index.effective.date().isoformat()}: the first "
        f"{read:,} characters were read; {index.unread_chars:,} more were not (reading limit)",
    )


def uncertain_reading_notes(index: ImagingReport | None) -> tuple[str, ...]:
    """SPEC.md section 3 "Uncertain reading": the card says the reading was uncertain, quoting
    the sentence, whenever a finding was kept because its negation could not be decided."""
    if index is None:
        return ()
    quotes = dict.fromkeys(
        (f.sentence or f.span).text
        for f in index.features
        if f.uncertain and not f.negated and not f.historical
    )
    return tuple(
        f'Reading uncertain: the report may or may not deny this finding, so it was kept: "{q}". '
        "Please check the report."
        for q in list(quotes)[:2]
    )


def _data_notes(sit: Situation) -> tuple[str, ...]:
    """What could not be checked because data were missing (never silent), and how the index
    MRI was chosen when it is not simply the newest report (SPEC.md §2: the card names it)."""
    notes = list(index_notes(sit.facts.index_choice))
    notes.extend(uncertain_reading_notes(sit.index))
    conditions = sit.gap(DataDomain.CONDITIONS)
    if conditions is not None:
        notes.append(
            f"Conditions could not be obtained ({conditions.reason}): suppression (already "
            "under specialist care), limited life expectancy, cancer history and documented "
            "causes of anaemia, cytopenia or CKD were not checked."
        )
    patient = sit.gap(DataDomain.PATIENT)
    sex_unknown = patient is not None or sit.record.patient.sex is Sex.UNKNOWN
    # only when a haemoglobin was actually judged against the cut-off (current, evaluable)
    if sex_unknown and sit.facts.labs.latest(Analyte.HAEMOGLOBIN) is not None:
        cutoff = f"{t.HB_WHO_CUTOFF_UNKNOWN_SEX_G_DL:.1f}"
        notes.append(f"Sex unknown: the WHO haemoglobin cut-off {cutoff} g/dL was used.")
    return tuple(notes)


def _no_rule_reason(sit: Situation) -> str:
    labs = sit.gap(DataDomain.LABS)
    if labs is not None:
        return (
            f"laboratory results could not be obtained: {labs.reason}; rules R5, R7 and R8 "
            "rest on them and no other rule applies: no recommendation is built on missing data"
        )
    return "no rule of SPEC.md section 5 applies"


def _problems(sit: Situation) -> tuple[MappingProblem, ...]:
    """The record's mapping problems, then every result or report dated after `as_of`."""
    found = sit.record.problems + future_dated_problems(sit.record, sit.facts.as_of)
    return tuple(dict.fromkeys(found))


# Rules that read the orders already placed (SPEC.md §5 follow-up status of surveillance).
_READS_ORDERS = frozenset({"R7", "R8"})


def _relevant_gaps(record: PatientRecord, rule_id: str) -> tuple[DataGap, ...]:
    """The record's data gaps the decision could depend on: orders already placed matter only
    to the follow-up status of R7/R8 (elsewhere their absence changes nothing, so is not
    shown)."""
    if rule_id in _READS_ORDERS:
        return record.gaps
    return tuple(g for g in record.gaps if g.domain is not DataDomain.ORDERS)


def _no_card(
    sit: Situation, cause: NoCard, reason: str, *, blocked_by: DataGap | None = None
) -> Assessment:
    record = sit.record
    return Assessment(
        rule_id="R0",
        reason=reason,
        no_card=cause,
        problems=_problems(sit),
        gaps=_relevant_gaps(record, "R0"),
        flags=sit.flags,
        blocked_by=(blocked_by,) if blocked_by is not None else (),
    )


def assess(record: PatientRecord, as_of: datetime, *, verbose: bool = False) -> Assessment:
    """Evaluate `record` at `as_of` (timezone-aware) against SPEC.md section 5.

    Returns the first matching rule R0-R8 with its recommendation (None for R0), every flag
    that fired, imaging-protocol advisories, and the record's data problems and gaps. An R0
    that missing data caused carries it in `blocked_by`: imaging not obtained (not for a
    patient under specialist care), or laboratory results not obtained when no rule applied.
    `verbose=True` names every suppressing Condition with its reference in the R0 reason.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be a timezone-aware datetime")
    sit = situation(record, as_of)
    no_card = no_card_cause(sit, verbose=verbose)
    if no_card is not None:
        cause, reason = no_card
        # Imaging not obtained kept the rules from deciding: say so (a data-quality card),
        # unless the patient is under specialist care, where the default is silence (§2).
        under_care = bool(suppressing_conditions(record))
        blocked = (
            None
            if under_care
            else sit.gap(DataDomain.IMAGING)
            or _unread_index(sit)
            # issue 17: the latest MRI may be a report kept only as a document
            or sit.gap(DataDomain.IMAGING_DOCUMENTS)
        )
        return _no_card(sit, cause, reason, blocked_by=blocked)
    rule = first_match(sit)
    if rule is None or rule.plan is None:
        return _no_card(
            sit, NoCard.NO_RULE, _no_rule_reason(sit), blocked_by=sit.gap(DataDomain.LABS)
        )
    plan = rule.plan(sit)
    data_notes = _data_notes(sit)
    recommendation = Recommendation(
        rule_id=rule.id,
        decision=plan.decision,
        flags=sit.flags,
        order_sets=plan.order_sets,
        checks=plan.checks,
        citations=_citations(rule, sit.flags),
        notes=plan.notes + data_notes,
        index_report=sit.index,
        follow_up=plan.follow_up,
        labs_explained=plan.labs_explained,
    )
    fired = ", ".join(f.id for f in sit.flags) or "no flags"
    reason = f"{rule.id} ({rule.title}): {rule.when} [{fired}]"
    if sit.gap(DataDomain.CONDITIONS) is not None:
        reason += "; conditions could not be obtained: suppression unknown"
    return Assessment(
        rule_id=rule.id,
        reason=reason,
        recommendation=recommendation,
        advisories=advisories(sit, rule.id),
        problems=_problems(sit),
        gaps=_relevant_gaps(record, rule.id),
        flags=sit.flags,
    )
