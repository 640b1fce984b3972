"""The first-line panel: which results each item reads (logic.panel)."""

from __future__ import annotations

from dataclasses import replace

from logic.labs import LabView
from logic.model import Analyte
from logic.panel import FIRST_LINE, Status, item_state
from tests.unit_logic.factories import AS_OF, lab

FLC_ITEM = next(item for item in FIRST_LINE if item.order_key == "serum-flc")


def test_computed_flc_ratio_sharing_kappas_reference_keeps_the_measured_kappa() -> None:
    kappa = lab(Analyte.FLC_KAPPA, 12.0, reference="Observation/kappa")
    lam = lab(Analyte.FLC_LAMBDA, 14.0, reference="Observation/lambda")
    # as fhir_mappers computes it: the reference of its first source, derived from both
    ratio = replace(
        lab(Analyte.FLC_RATIO, 12.0 / 14.0, reference=kappa.reference),
        derived_from=(kappa.reference, lam.reference),
        as_sent="",
    )
    state = item_state(LabView((kappa, lam, ratio), AS_OF), FLC_ITEM)
    assert state.status is Status.CURRENT
    assert {r.analyte for r in state.results} == {
        Analyte.FLC_KAPPA,
        Analyte.FLC_LAMBDA,
        Analyte.FLC_RATIO,
    }
    assert kappa in state.results
    assert ratio in state.results


def test_the_same_result_read_twice_is_listed_once() -> None:
    creatinine = lab(Analyte.CREATININE, 80.0)
    item = next(i for i in FIRST_LINE if i.label == "Creatinine and/or eGFR")
    state = item_state(LabView((creatinine,), AS_OF), item)
    assert state.results == (creatinine,)  # the alternative and the related read it both
