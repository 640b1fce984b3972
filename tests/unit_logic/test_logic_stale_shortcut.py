"""`logic.situation` skips the stale-view flag evaluation when the current view reads every
usable result (`only_current_results`): the same stale abnormal results as evaluating the flags
on the stale view every time, over generated records (results of a few analytes, current, old,
superseded by a non-evaluable one, dated after `as_of`, abnormal and normal)."""

from __future__ import annotations

import random
from unittest import mock

from logic import flags as flag_rules
from logic import situation as situation_module
from logic.context import Facts
from logic.labs import LabView
from logic.model import Analyte, Finding, Flag, LabResult
from tests.unit_logic.factories import AS_OF, lab, mri, normal_panel, record

# analytes with U and H criteria, and the pairs read together (calcium with albumin, FLCs)
ANALYTES = {
    Analyte.HAEMOGLOBIN: (6.0, 16.0),
    Analyte.CALCIUM_TOTAL: (1.8, 3.4),
    Analyte.ALBUMIN: (2.0, 5.0),
    Analyte.CREATININE: (50.0, 300.0),
    Analyte.EGFR: (20.0, 110.0),
    Analyte.FLC_KAPPA: (3.0, 900.0),
    Analyte.FLC_LAMBDA: (3.0, 300.0),
    Analyte.PLATELETS: (40.0, 400.0),
    Analyte.MONOCYTES_ABSOLUTE: (0.1, 2.0),
    Analyte.MONOCYTES_PERCENT: (2.0, 20.0),
}
DAYS = (-3.0, -0.5, 0.0, 5.0, 30.0, 89.9, 90.0, 90.1, 120.0, 400.0, 2000.0)


def _random_labs(rng: random.Random) -> tuple[LabResult, ...]:
    found = list(normal_panel(days_ago=rng.choice(DAYS))) if rng.random() < 0.5 else []
    for _ in range(rng.randint(0, 8)):
        analyte = rng.choice(list(ANALYTES))
        low, high = ANALYTES[analyte]
        found.append(
            lab(
                analyte,
                round(rng.uniform(low, high), 2),
                days_ago=rng.choice(DAYS),
                evaluable=rng.random() > 0.15,
                comparator=rng.choice((None, None, None, "<", ">")),
            )
        )
    if rng.random() < 0.2:
        finding = rng.choice((Finding.POSITIVE, Finding.NEGATIVE))
        found.append(lab(Analyte.SPEP_IFE, None, days_ago=rng.choice(DAYS), finding=finding))
    rng.shuffle(found)
    return tuple(found)


def _evaluated_every_time(facts: Facts, current: tuple[Flag, ...]) -> object:
    with mock.patch.object(situation_module, "only_current_results", return_value=False):
        return situation_module._stale_abnormal(facts, current)


def test_skipping_the_stale_view_changes_no_stale_result() -> None:
    rng = random.Random(18)
    skipped = kept = stale_found = 0
    for _ in range(2000):
        rec = record(labs=_random_labs(rng), mris=(mri(),))
        facts = Facts.of(rec, AS_OF)
        current = flag_rules.evaluate(facts)
        fast = situation_module._stale_abnormal(facts, current)
        assert fast == _evaluated_every_time(Facts.of(rec, AS_OF), current)
        if situation_module.only_current_results(rec, LabView(rec.labs, AS_OF)):
            skipped += 1
            assert fast == ()
        else:
            kept += 1
        stale_found += bool(fast)
    # both paths taken often, and stale results found: the comparison could fail
    assert skipped > 250
    assert kept > 250
    assert stale_found > 100
