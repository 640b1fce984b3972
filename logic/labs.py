"""Choosing which laboratory result a rule reads (SPEC.md sections 2 and 4).

- A result is *usable* when it is evaluable (known, convertible unit; readable value or
  qualitative finding) and not dated after `as_of` (more than the clock-skew tolerance:
  `thresholds.CLOCK_SKEW_TOLERANCE`, 24 h, an engineering tolerance; `logic.context`
  reports every result dated after `as_of` as a data-quality problem).
- A result is *current* when usable and effective within 90 days before `as_of`.
- The *newest result of an analyte within the current window decides*, evaluable or not
  (SPEC.md §2: a value with an unknown unit is not evaluable, never assumed). When it is not
  evaluable, the current view reads nothing for that analyte: an older result in the window is
  *superseded*. It neither clears the patient (the panel item is not evaluable, so R5 orders it
  again and R7/R8 cannot apply) nor fires a flag on current data; if it is abnormal it is
  treated like a stale abnormal result ("repeat to confirm", urgent when it meets a U
  criterion): a flag never rests on a value a newer result may have overtaken, and an
  abnormal value is never dropped silently. Per flag, this is the safer side: firing a U or
  H flag on the older value would escalate on a value the unreadable one may have corrected
  (a transfused Hb), clearing on it would reassure on an unmeasured value; instead the card
  is R5 (warning) naming the older value, and at a U level its repeat is urgent.
- A *stale* result is the newest usable one when no current one exists. A stale normal result
  never clears a patient; a stale abnormal one triggers "repeat to confirm" (rule R5).
- Reference limits come from the result (`LabResult.low` / `.high`) when present, else from
  the SPEC.md section 4 defaults of the analyte table (`logic.analytes`).

Values are in the canonical units of `logic.analytes.CANONICAL_UNIT` (the mappers convert). A
card shows them at the clinical precision of `logic.units` (`shown_value`, `describe`), with
what the lab sent beside a value converted from another unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Final

from logic import thresholds as t
from logic.analytes import DEFAULT_LIMITS, FLAG_LIMITS, LABEL
from logic.model import Analyte, Evidence, Finding, LabResult, Sex
from logic.units import display_unit, format_value

_EPS = t.COMPARISON_TOLERANCE


def collection_day(moment: datetime) -> date:
    """The (UTC) calendar day of a collection time: results of one blood draw share it."""
    return moment.astimezone(UTC).date()


def dated_after(result_time: datetime, as_of: datetime) -> bool:
    """Dated after `as_of` beyond the clock-skew tolerance: never used for a decision."""
    return result_time > as_of + t.CLOCK_SKEW_TOLERANCE


def is_usable(result: LabResult, as_of: datetime) -> bool:
    """Evaluable, carries a value or finding, and not dated after `as_of` (beyond the
    clock-skew tolerance)."""
    if not result.evaluable or dated_after(result.effective, as_of):
        return False
    if result.value is not None:
        return True
    return result.finding in (Finding.POSITIVE, Finding.NEGATIVE)


def in_window(result: LabResult, as_of: datetime) -> bool:
    """SPEC.md §2 current window: within 90 days before `as_of` (up to the clock-skew
    tolerance after it), whether evaluable or not."""
    return not dated_after(result.effective, as_of) and result.effective >= as_of - t.CURRENT_WINDOW


def is_current(result: LabResult, as_of: datetime) -> bool:
    """SPEC.md §2: usable and effective within 90 days before `as_of`."""
    return is_usable(result, as_of) and in_window(result, as_of)


@dataclass(frozen=True)
class LabView:
    """The results the flags read per analyte.

    `current_only=True` (the normal view) reads the newest result within the current window
    when it is evaluable, else nothing (`decisive`); `False` (the stale view) reads the newest
    usable result of any age, to find stale (or superseded) abnormal results.
    """

    labs: tuple[LabResult, ...]
    as_of: datetime
    current_only: bool = True

    def latest(self, analyte: Analyte) -> LabResult | None:
        """The result the view reads for `analyte`, or None."""
        if self.current_only:
            return latest_current(self, analyte)
        history = self.history(analyte)
        return history[0] if history else None

    def decisive(self, analyte: Analyte) -> LabResult | None:
        """The newest result of `analyte` within the current window, evaluable or not."""
        found = self._window_by_analyte.get(analyte, ())
        return found[0] if found else None

    def history(self, analyte: Analyte) -> tuple[LabResult, ...]:
        """Every usable result of `analyte`, any age, newest first."""
        return self._usable_by_analyte.get(analyte, ())

    @cached_property
    def _usable_by_analyte(self) -> dict[Analyte, tuple[LabResult, ...]]:
        return _newest_first(r for r in self.labs if is_usable(r, self.as_of))

    @cached_property
    def _window_by_analyte(self) -> dict[Analyte, tuple[LabResult, ...]]:
        return _newest_first(r for r in self.labs if in_window(r, self.as_of))

    @cached_property
    def _current(self) -> dict[Analyte, LabResult | None]:
        """`latest_current`'s answers so far (filled by it)."""
        return {}

    def in_mode(self, current_only: bool) -> LabView:
        """The same results read in the mode `current_only`; the per-analyte orderings already
        computed (they do not depend on the mode) are shared, not sorted again."""
        view = LabView(self.labs, self.as_of, current_only)
        for name in _MODE_FREE:
            if name in self.__dict__:
                view.__dict__[name] = self.__dict__[name]  # as functools.cached_property stores
        return view

    def same_day(self, analyte: Analyte, moment: datetime) -> LabResult | None:
        """The newest usable result of `analyte` collected on the same (UTC) calendar day as
        `moment`: the same blood draw (pairing albumin with calcium, a monocyte percentage
        with the absolute count). In the normal view it must also be current."""
        day = collection_day(moment)
        return next(
            (
                r
                for r in self.history(analyte)
                if collection_day(r.effective) == day
                and (not self.current_only or in_window(r, self.as_of))
            ),
            None,
        )

    def value(self, analyte: Analyte) -> float | None:
        result = self.latest(analyte)
        return None if result is None else result.value

    def is_stale(self, analyte: Analyte) -> bool:
        """No current result (none in the window, or the newest there not evaluable), but a
        usable one of any age."""
        return bool(self.history(analyte)) and latest_current(self, analyte) is None

    def not_evaluable(self, analyte: Analyte) -> tuple[LabResult, ...]:
        """Results of `analyte` within the window that could not be evaluated."""
        return tuple(
            r for r in self._window_by_analyte.get(analyte, ()) if not is_usable(r, self.as_of)
        )


# The cached properties of a LabView that depend only on its labs and as_of (`LabView.in_mode`).
_MODE_FREE: Final = ("_usable_by_analyte", "_window_by_analyte", "_current")


def _newest_first(results: Iterable[LabResult]) -> dict[Analyte, tuple[LabResult, ...]]:
    found: dict[Analyte, list[LabResult]] = {}
    for result in results:
        found.setdefault(result.analyte, []).append(result)
    return {
        analyte: tuple(sorted(group, key=lambda r: r.effective, reverse=True))
        for analyte, group in found.items()
    }


def latest_current(view: LabView, analyte: Analyte) -> LabResult | None:
    """The newest result of `analyte` within the current window when it is evaluable (SPEC.md
    §2), whatever the view's mode; None when there is none or it is not evaluable.

    Remembered per view and analyte (a call asks it some 80 times for a dozen analytes); the
    answer depends only on the view's labs and as_of, so both modes share it (`in_mode`)."""
    known = view._current
    if analyte in known:
        return known[analyte]
    found = view.decisive(analyte)
    current = found if found is not None and is_usable(found, view.as_of) else None
    known[analyte] = current
    return current


def superseded(view: LabView, analyte: Analyte) -> tuple[LabResult, ...]:
    """Usable results of `analyte` within the current window that a newer not-evaluable
    result overtook: never read as current, treated like stale results."""
    newest = view.decisive(analyte)
    if newest is None or is_usable(newest, view.as_of):
        return ()
    return tuple(r for r in view.history(analyte) if in_window(r, view.as_of))


# ---------------------------------------------------------------- comparisons


def above(result: LabResult, limit: float) -> bool:
    """True when the result is established to be above `limit`.

    A value sent as "<X" or "<=X" is an upper bound: it never establishes "above".
    """
    if result.value is None or result.comparator in ("<", "<="):
        return False
    return result.value - limit > _EPS


def below(result: LabResult, limit: float) -> bool:
    """True when the result is established to be below `limit` (">X" never is)."""
    if result.value is None or result.comparator in (">", ">="):
        return False
    return limit - result.value > _EPS


def at_least(result: LabResult, limit: float) -> bool:
    """True when the result is established to be >= `limit`."""
    if result.value is None or result.comparator in ("<", "<="):
        return False
    return value_at_least(result.value, limit)


def value_at_least(value: float, limit: float) -> bool:
    """`value` >= `limit`, tolerant of unit-conversion float noise."""
    return value - limit > -_EPS


# ---------------------------------------------------------------- reference limits


def high_limit(result: LabResult, default: float) -> float:
    """ULN: the result's own reference range, else the SPEC.md §4 default."""
    return result.high if result.high is not None else default


def low_limit(result: LabResult, default: float) -> float:
    """LLN: the result's own reference range, else the SPEC.md §4 default."""
    return result.low if result.low is not None else default


def reference_limits(result: LabResult, sex: Sex) -> tuple[float | None, float | None]:
    """(low, high): the result's own range where sent, else the SPEC.md §4 default."""
    default_low, default_high = DEFAULT_LIMITS.get(result.analyte, (None, None))
    if result.analyte is Analyte.HAEMOGLOBIN:
        default_low = who_anaemia_cutoff(sex)
    low = result.low if result.low is not None else default_low
    high = result.high if result.high is not None else default_high
    return low, high


def outside_limits(result: LabResult, sex: Sex) -> str | None:
    """ "below LLN x" / "above ULN x" when the result is outside its reference limits."""
    low, high = reference_limits(result, sex)
    if low is not None and below(result, low):
        return f"below {fmt(low)}"
    if high is not None and above(result, high):
        return f"above {fmt(high)}"
    if result.finding is Finding.POSITIVE:
        return "positive"
    return None


def who_anaemia_cutoff(sex: Sex) -> float:
    """WHO haemoglobin cut-off (g/dL): 13.0 male, 12.0 female, 12.0 unknown sex (§4, §5)."""
    if sex is Sex.MALE:
        return t.HB_WHO_CUTOFF_MALE_G_DL
    if sex is Sex.FEMALE:
        return t.HB_WHO_CUTOFF_FEMALE_G_DL
    return t.HB_WHO_CUTOFF_UNKNOWN_SEX_G_DL


def haemoglobin_lln(result: LabResult, sex: Sex) -> float:
    """Hb LLN for U-A: the lab's lower limit, else the WHO cut-off (§4 default)."""
    return low_limit(result, who_anaemia_cutoff(sex))


def calcium_uln(result: LabResult) -> float:
    """ULN of total or albumin-corrected calcium (mmol/L): lab's, else 2.6 (§4)."""
    return high_limit(result, t.CALCIUM_TOTAL_HIGH_MMOL_L)


def flc_ratio_range(ratio: LabResult, renal: bool) -> tuple[float, float, bool]:
    """(low, high, renal) normal range of the kappa/lambda ratio (§4, I-FLC).

    With renal impairment (`logic.flags.renal_range_reason`: eGFR or CrCl <60, or known CKD)
    the renal range 0.37-3.10 applies (a lab's own range is not renally adjusted); otherwise
    the lab's range, else 0.26-1.65.
    """
    if renal:
        return t.FLC_RATIO_RENAL_LOW, t.FLC_RATIO_RENAL_HIGH, True
    return low_limit(ratio, t.FLC_RATIO_LOW), high_limit(ratio, t.FLC_RATIO_HIGH), False


# ---------------------------------------------------------------- computed values


def corrected_calcium_mmol_l(total_mmol_l: float, albumin_g_dl: float) -> float:
    """§4: corrected Ca (mg/dL) = total Ca (mg/dL) + 0.8 x (4.0 - albumin g/dL).

    Calcium is held in mmol/L, so the correction is converted with 0.2495 mmol/L per mg/dL:
    corrected (mmol/L) = total (mmol/L) + 0.8 x (4.0 - albumin) x 0.2495.
    """
    correction_mg_dl = t.CORRECTED_CALCIUM_FACTOR_MG_DL * (
        t.CORRECTED_CALCIUM_ALBUMIN_REF_G_DL - albumin_g_dl
    )
    return total_mmol_l + correction_mg_dl * t.CALCIUM_MG_DL_TO_MMOL_L


def computed_corrected_calcium(total: LabResult, albumin: LabResult) -> LabResult | None:
    """Corrected calcium computed from a total calcium and an albumin (both evaluable) of the
    same collection day (the caller pairs them: `LabView.same_day`). It carries the calcium's
    date and reference, and both references in `derived_from`."""
    if total.value is None or albumin.value is None or total.comparator or albumin.comparator:
        return None
    return replace(
        total,
        analyte=Analyte.CALCIUM_ALBUMIN_CORRECTED,
        value=corrected_calcium_mmol_l(total.value, albumin.value),
        unit="mmol/L",
        code="",
        as_sent="",
        quote=None,
        derived_from=(total.reference, albumin.reference),
        effective=total.effective,  # the calcium's date and reference (albumin same day)
    )


def flc_ratio(view: LabView) -> LabResult | None:
    """The kappa/lambda ratio: as reported, else computed from a kappa and a lambda of the same
    collection day (§4), dated as the kappa."""
    reported = view.latest(Analyte.FLC_RATIO)
    if reported is not None:
        return reported
    kappa = view.latest(Analyte.FLC_KAPPA)
    if kappa is None:
        return None
    # kappa and lambda of the same collection day (as the mappers compute it), never paired
    # across days
    lam = view.latest(Analyte.FLC_LAMBDA)
    if lam is not None and collection_day(lam.effective) != collection_day(kappa.effective):
        lam = view.same_day(Analyte.FLC_LAMBDA, kappa.effective)
    if lam is None or kappa.value is None or lam.value is None:
        return None
    if kappa.comparator or lam.comparator or lam.value <= 0:
        return None
    return LabResult(
        analyte=Analyte.FLC_RATIO,
        reference=kappa.reference,
        effective=kappa.effective,
        value=kappa.value / lam.value,
        unit="1",
        derived_from=(kappa.reference, lam.reference),
    )


# ---------------------------------------------------------------- evidence


def fmt(value: float) -> str:
    """A limit or threshold as a card shows it: at most 3 decimals, no trailing zeros.
    (Result values are shown at clinical precision: `shown_value`.)"""
    return f"{round(value, 3):g}"


def decision_limits(result: LabResult) -> tuple[float, ...]:
    """Every limit a rule compares `result` with: its reference limits (the lab's, else the
    SPEC.md section 4 defaults), the limits derived from them (U-C: ULN + 0.25 mmol/L; U-A:
    LLN - 2 g/dL) and the SPEC.md section 5 flag thresholds of its analyte."""
    default_low, default_high = DEFAULT_LIMITS.get(result.analyte, (None, None))
    low = result.low if result.low is not None else default_low
    high = result.high if result.high is not None else default_high
    limits = [x for x in (low, high) if x is not None]
    limits += FLAG_LIMITS.get(result.analyte, ())
    if result.analyte in (Analyte.CALCIUM_TOTAL, Analyte.CALCIUM_ALBUMIN_CORRECTED):
        limits.append(calcium_uln(result) + t.U_C_ABOVE_ULN_MMOL_L)
    if result.analyte is Analyte.HAEMOGLOBIN:
        # U-A: LLN - 2 g/dL, the LLN being the lab's, else the WHO cut-off (sex not known here)
        lows = [result.low] if result.low is not None else [who_anaemia_cutoff(s) for s in Sex]
        limits += [x - t.U_A_BELOW_LLN_G_DL for x in lows]
    return tuple(limits)


def shown_value(result: LabResult) -> str:
    """The value of a numeric result as a card shows it: comparator, then the value at the
    clinical precision of its analyte (`logic.units`), never rounded onto or across a limit."""
    assert result.value is not None
    number = format_value(
        result.value,
        result.analyte,
        decision_limits(result),
        bound=result.comparator is not None,
    )
    return f"{result.comparator or ''}{number}"


_SENT_NUMBER = re.compile(r"\s*(?:<=|>=|<|>)?\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def converted(result: LabResult) -> bool:
    """The lab sent this value in another unit: the number it sent is not the canonical value
    (95 g/L -> 9.5 g/dL). A value sent in the canonical unit, or in a unit that differs only
    in spelling (10*3/uL = 10*9/L), is not converted."""
    if result.value is None or not result.as_sent:
        return False
    match = _SENT_NUMBER.match(result.as_sent)
    if match is None:
        return True
    sent = float(match.group(1))
    return abs(sent - result.value) > _EPS * max(1.0, abs(result.value))


def as_sent_note(result: LabResult) -> str:
    """ "(11.6 mg/dL as sent)" after a converted value, else ""."""
    return f" ({result.as_sent} as sent)" if converted(result) else ""


def describe(result: LabResult) -> str:
    """A numeric result in words: "2.90 mmol/L (11.6 mg/dL as sent)", the unit as a clinician
    reads it ("38 mL/min/1.73 m²"; a ratio has none)."""
    return f"{shown_value(result)} {display_unit(result.unit)}".strip() + as_sent_note(result)


def limit_text(result: LabResult, limit: float) -> str:
    """A limit a result is compared with, at the analyte's clinical precision (the default
    creatinine ULN 106.104 umol/L shows as 106.1), never rounded onto or across the value."""
    value = result.value
    return format_value(limit, result.analyte, (value,) if value is not None else ())


def evidence(result: LabResult, label: str | None = None) -> Evidence:
    """The Evidence a card shows for one result: value at clinical precision, unit, date,
    reference, the text a qualitative finding was read from (`quote`) and (`as_sent`) what the
    lab sent when it was converted from another unit or could not be read."""
    name = label or LABEL[result.analyte]
    quote = result.quote
    as_sent: str | None = None
    if result.derived_from:
        name = f"{name} (computed from {', '.join(result.derived_from)})"
    elif quote is None and result.as_sent and (result.value is None or converted(result)):
        as_sent = result.as_sent
    if result.value is not None:
        value: str | None = shown_value(result)
    elif result.finding is not None:
        value = result.finding.value
    else:
        value = None
    return Evidence(
        label=name,
        reference=result.reference,
        value=value,
        unit=result.unit or None,
        date=result.effective.date(),
        quote=quote,
        as_sent=as_sent,
    )
